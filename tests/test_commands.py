"""The management commands: seed_demo (the demo commune), demo_logins, generate_commune (bench data)."""

import io

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.urls import reverse
from schwifty import IBAN

from enfance.accounts.models import User
from enfance.core.models import AuditEntry
from enfance.families.management.commands.seed_demo import DEMO_LOGINS
from enfance.families.models import (
    AuthorizedPerson,
    BankAccount,
    CafInfo,
    Child,
    ChildLink,
    Family,
    Guardian,
    HealthRecord,
    TaxInfo,
    Vaccination,
)
from enfance.messaging.models import Broadcast, Message, Thread
from tests.factories import FamilyFactory

pytestmark = pytest.mark.django_db


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count()
            for model in (Family, Guardian, User, Child, ChildLink, HealthRecord, Vaccination, AuthorizedPerson,
                          TaxInfo, CafInfo, BankAccount, AuditEntry)}


def children_of(username):
    return set(Child.objects.filter(links__family__logins__username=username).values_list("pk", flat=True))


@pytest.fixture
def demo(db):
    seed()


# --- seed_demo (each seeding hashes 8 Argon2 passwords: the tests share as few as possible) -------------


def test_seed_demo_fixed_logins_and_if_empty(db, client):
    seed("--if-empty")  # an empty database: the commune is created
    before = counts()
    for username, password, role, _who in DEMO_LOGINS:
        user = User.objects.get(username=username)
        assert user.role == role and user.is_active, username
        assert identify_hasher(user.password).algorithm == "argon2", username
        assert check_password(password, user.password), username
        if role == User.Role.FAMILY:
            assert user.family.archived_at is None and user.family.dossier_received_on is not None
            assert user.guardian.family_id == user.family_id
        else:
            assert user.family_id is None
    # Both Martin guardians have their own login acting for the one household.
    claire, thomas = User.objects.get(username="famille.martin"), User.objects.get(username="m.martin")
    assert claire.family_id == thomas.family_id
    assert (claire.guardian.rank, thomas.guardian.rank) == (1, 2)

    # --if-empty is idempotent: nothing printed, nothing added.
    assert seed("--if-empty") == ""
    assert counts() == before
    # Without --if-empty it refuses to add a second demo commune, and changes nothing.
    with pytest.raises(CommandError):
        seed()
    assert counts() == before

    # Through the real login form, as a person would.
    response = client.post(reverse("accounts:login"), {"username": "famille.benali", "password": "Benali-Demo-2026"})
    assert response.status_code == 302
    assert "/connexion/" not in response["Location"]


def test_seed_demo_commune(demo):
    # --- a believable commune, complete and incomplete records ---
    families = Family.objects.all()
    assert 28 <= families.count() <= 32
    for family in families:
        assert 1 <= family.child_links.count() <= 4, family.reference
        assert family.postal_code == "83440" and family.city in {"Tourrettes", "Fayence", "Montauroux"}
    archived = families.filter(archived_at__isnull=False)
    assert archived.exists()
    assert not User.objects.filter(family__in=archived, is_active=True).exists()
    not_received = families.filter(dossier_received_on__isnull=True)
    assert not_received.exists()
    assert not User.objects.filter(family__in=not_received).exists()
    assert families.filter(caf_info__isnull=True).exists()
    assert families.filter(bank_account__isnull=True).exists()
    assert families.exclude(guardians__rank=2).exists()
    assert Child.objects.filter(photo="").exists()
    assert Child.objects.filter(vaccinations__isnull=True).exists()
    # Photos are real files in the private storage; IBANs are valid.
    with_photo = Child.objects.exclude(photo="")
    assert with_photo.exists()
    assert all(default_storage.exists(c.photo.name) for c in with_photo)
    for account in BankAccount.objects.all():
        IBAN(account.iban)  # raises if invalid
    # The fixed households: allergies for one child, a PAI for another.
    assert HealthRecord.objects.filter(child__links__family__logins__username="famille.martin").exclude(
        allergies="").exists()
    assert HealthRecord.objects.filter(child__links__family__logins__username="famille.benali", has_pai=True).exists()

    # --- Martin and Benali share nothing; Roux and Garnier share exactly one child ---
    martin, benali = children_of("famille.martin"), children_of("famille.benali")
    roux, garnier = children_of("famille.roux"), children_of("famille.garnier")
    assert martin and benali and not martin & benali
    shared = roux & garnier
    assert len(shared) == 1
    assert ChildLink.objects.filter(child__in=shared).count() == 2
    lucas = Child.objects.get(pk=shared.pop())
    f_roux = Family.objects.get(logins__username="famille.roux")
    f_garnier = Family.objects.get(logins__username="famille.garnier")
    assert f_roux.full_address != f_garnier.full_address
    assert f_roux.bank_account.iban != f_garnier.bank_account.iban
    assert f_roux.tax_info.pk != f_garnier.tax_info.pk
    assert set(f_roux.logins.values_list("username", flat=True)) == {"famille.roux"}
    assert set(f_garnier.logins.values_list("username", flat=True)) == {"famille.garnier"}
    roux_persons = AuthorizedPerson.objects.filter(child=lucas, family=f_roux)
    garnier_persons = AuthorizedPerson.objects.filter(child=lucas, family=f_garnier)
    assert roux_persons.exists() and garnier_persons.exists()
    # The mother's household forbids the father to pick Lucas up (outside his weeks).
    forbidden = garnier_persons.get(is_forbidden=True)
    assert (forbidden.first_name, forbidden.last_name, forbidden.can_pick_up) == ("Julien", "Roux", False)
    assert not roux_persons.filter(is_forbidden=True).exists()
    # The child's own record (health data included) is one record for both households.
    assert HealthRecord.objects.filter(child=lucas).count() == 1


def test_seed_demo_if_empty_leaves_an_existing_commune_alone(db):
    FamilyFactory()
    seed("--if-empty")
    assert Family.objects.count() == 1
    assert not User.objects.exists()


def test_demo_logins_lists_logins_mail_and_url(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for username, password, *_ in DEMO_LOGINS:
        assert username in text and password in text
    assert str(tmp_path / "mail") in text
    assert "http://127.0.0.1:8000" in text
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert "terminal" in out.getvalue()


# --- generate_commune ----------------------------------------------------------------------


def test_generate_commune(db, client):
    out = io.StringIO()
    call_command("generate_commune", families=30, seed=7, stdout=out)
    assert "30 foyers" in out.getvalue()
    families = Family.objects.filter(reference__startswith="G")
    assert families.count() == 30
    assert sorted(families.values_list("reference", flat=True)) == [f"G{n:06d}" for n in range(1, 31)]
    logins = User.objects.filter(username__startswith="gen.")
    assert logins.count() == 30
    hashes = set(logins.values_list("password", flat=True))
    assert len(hashes) == 1  # one precomputed hash, so every login has the same password
    (shared_hash,) = hashes
    assert identify_hasher(shared_hash).algorithm == "argon2"
    assert check_password("Bench-Password-2026", shared_hash)
    for family in families.prefetch_related("guardians", "logins"):
        (login,) = family.logins.all()
        assert login.username == f"gen.{family.reference.lower()}"
        assert login.guardian.family_id == family.pk and login.guardian.rank == 1
        assert login.is_active == (family.archived_at is None)
        assert {g.rank for g in family.guardians.all()} in ({1}, {1, 2})
        own = Child.objects.filter(links__family=family).count()
        assert 1 <= own <= 5  # one to four, plus perhaps a shared-custody child
    assert Child.objects.count() == HealthRecord.objects.count()
    assert Vaccination.objects.exists() and AuthorizedPerson.objects.exists()
    assert TaxInfo.objects.exists() and CafInfo.objects.exists()
    accounts = BankAccount.objects.all()
    assert accounts.exists()
    for account in accounts:
        iban = IBAN(account.iban)  # raises if the checksum is wrong
        assert iban.country_code == "FR" and len(account.iban) == 27
    # The inbox: the commune's two broadcasts reach every active household once; conversations have messages.
    active = families.filter(archived_at__isnull=True).count()
    assert [b.households_count for b in Broadcast.objects.all()] == [active, active]
    assert Thread.objects.filter(origin=Thread.Origin.BROADCAST, family__archived_at__isnull=True).count() == 2 * active
    assert Thread.objects.filter(origin=Thread.Origin.FAMILY).exists()
    assert not Thread.objects.filter(messages__isnull=True).exists()
    # The benchmark's household (four children or more) has a conversation of 20 messages.
    assert Message.objects.values("thread").annotate(n=Count("pk")).filter(n=20).exists()
    # A generated login goes through the real login form.
    username = logins.filter(is_active=True).order_by("username").values_list("username", flat=True).first()
    response = client.post(reverse("accounts:login"), {"username": username, "password": "Bench-Password-2026"})
    assert response.status_code == 302 and "/connexion/" not in response["Location"]
    # A second run continues the numbering instead of clashing.
    call_command("generate_commune", families=5, seed=7, stdout=io.StringIO())
    assert families.count() == 35
    assert User.objects.filter(username="gen.g000035").exists()


def test_generate_commune_rejects_nonsense(db):
    with pytest.raises(CommandError):
        call_command("generate_commune", families=0, stdout=io.StringIO())
