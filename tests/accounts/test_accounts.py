"""Logins: Argon2, lockout, password policy, activation links, reset, who reaches what."""

import datetime
import importlib
import re

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from enfance.accounts import services
from enfance.accounts.models import User
from enfance.accounts.tokens import activation_token
from tests.factories import PASSWORD, FamilyFactory, GuardianFactory, UserFactory


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_production_settings_hash_with_argon2():
    production = importlib.import_module("enfance.settings")
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_argon2_hash_is_used_when_configured(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = UserFactory(role="agent")
    user.set_password("Argon2-Check-2026")
    assert identify_hasher(user.password).algorithm == "argon2"


@pytest.mark.parametrize("password, message", [
    ("Court-2026", "au moins 12 caractères"),
    ("seulementdeslettres", "des lettres et des chiffres"),
    ("123456789012345", "des lettres et des chiffres"),
    ("a1" * 65, "dépasser 128 caractères"),
])
def test_password_policy_says_why_in_french(password, message):
    with pytest.raises(ValidationError) as exc:
        validate_password(password)
    assert any(message in m for m in exc.value.messages)


def test_password_policy_accepts_long_passwords_beyond_the_old_20_limit():
    validate_password("Une-phrase-de-passe-longue-avec-42-caracteres")


@pytest.mark.django_db
def test_login_and_logout(client, alice):
    response = login(client, alice.username, PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("portal:home")).status_code == 302


@pytest.mark.django_db
def test_wrong_password_gives_a_french_message_and_keeps_the_username(client, alice):
    body = login(client, alice.username, "mauvais-mot-2026").content.decode()
    assert "Identifiant ou mot de passe incorrect" in body
    assert f'value="{alice.username}"' in body


@pytest.mark.django_db
def test_repeated_failures_lock_the_login(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, alice.username, "mauvais-mot-2026")
    response = login(client, alice.username, PASSWORD)
    assert response.status_code == 429
    assert "15 minutes" in response.content.decode()


@pytest.mark.django_db
def test_no_portal_login_before_the_paper_dossier(client):
    family = FamilyFactory(dossier_received_on=None)
    user = UserFactory(family=family)
    body = login(client, user.username, PASSWORD).content.decode()
    assert "dossier papier signé" in body


@pytest.mark.django_db
def test_archived_household_cannot_log_in(client, alice, staff):
    from enfance.families.services import archive_family

    archive_family(alice.family, actor=staff, reason="Déménagement")
    alice.refresh_from_db()
    assert not alice.is_active
    body = login(client, alice.username, PASSWORD).content.decode()
    assert "Identifiant ou mot de passe incorrect" in body or "fermé" in body


@pytest.mark.django_db
def test_password_change_asks_for_the_current_password(alice_client, alice):
    url = reverse("accounts:password_change")
    body = alice_client.post(url, {"old_password": "faux", "new_password1": "Nouveau-Mot-2027",
                                   "new_password2": "Nouveau-Mot-2027"}).content.decode()
    assert "ancien mot de passe est incorrect" in body
    response = alice_client.post(url, {"old_password": PASSWORD, "new_password1": "Nouveau-Mot-2027",
                                       "new_password2": "Nouveau-Mot-2027"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Nouveau-Mot-2027")


def _activation_link(body):
    return re.search(r"http://[^\s]+(/activation/[^\s]+/)", body).group(1)


@pytest.mark.django_db
def test_new_family_login_activates_through_its_link(client, staff, django_capture_on_commit_callbacks):
    family = FamilyFactory()
    guardian = GuardianFactory(family=family)
    with django_capture_on_commit_callbacks(execute=True):
        user = services.create_family_login(family, actor=staff, username="famille.neuve",
                                            email="neuve@example.org", guardian=guardian)
    assert not user.has_usable_password()
    path = _activation_link(mail.outbox[-1].body)
    response = client.post(path, {"new_password1": "Activation-Mot-2026", "new_password2": "Activation-Mot-2026"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Activation-Mot-2026")
    # Used once: the link is void now.
    assert client.get(path).status_code == 400


@pytest.mark.django_db
def test_activation_link_expires_after_48_hours(client, staff, monkeypatch):
    family = FamilyFactory()
    user = services.create_family_login(family, actor=staff, username="famille.tard", email="t@example.org",
                                        send=False)
    path = services.activation_path(user)
    assert client.get(path).status_code == 200
    real_now = activation_token._now
    monkeypatch.setattr(activation_token, "_now", lambda: real_now() + datetime.timedelta(hours=49))
    assert client.get(path).status_code == 400
    assert "48 heures" in client.get(path).content.decode()


@pytest.mark.django_db
def test_password_reset_by_email(client, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": alice.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+(/reinitialisation/[^\s]+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "Reinitialise-2026",
                                                             "new_password2": "Reinitialise-2026"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Reinitialise-2026")


@pytest.mark.django_db
def test_families_never_reach_staff_pages(alice_client):
    assert alice_client.get(reverse("backoffice:home")).status_code == 403


@pytest.mark.django_db
def test_staff_do_not_act_as_a_household(staff_client):
    assert staff_client.get(reverse("portal:home")).status_code == 403


@pytest.mark.django_db
def test_login_redirects_each_role_home(client, alice, staff):
    client.force_login(alice)
    assert client.get(reverse("accounts:home")).url == reverse("portal:home")
    client.force_login(staff)
    assert client.get(reverse("accounts:home")).url == reverse("backoffice:home")


@pytest.mark.django_db
def test_family_login_constraint_requires_a_household():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="orphan", role="family")


@pytest.mark.django_db
def test_createsuperuser_makes_an_administrator():
    user = User.objects.create_superuser("premier.admin", "admin@example.org", "Premier-Admin-2026")
    assert user.role == User.Role.ADMIN and user.is_administrator


@pytest.mark.django_db
def test_no_login_can_be_created_before_the_dossier_or_for_an_archived_household(staff):
    from django.utils import timezone

    with pytest.raises(services.LoginNotAllowed):
        services.create_family_login(FamilyFactory(dossier_received_on=None), actor=staff, username="a1",
                                     email="a1@example.org", send=False)
    with pytest.raises(services.LoginNotAllowed):
        services.create_family_login(FamilyFactory(archived_at=timezone.now()), actor=staff, username="a2",
                                     email="a2@example.org", send=False)


@pytest.mark.django_db
def test_closing_a_login_is_audited_once_and_refused_for_ones_own(staff, alice):
    from enfance.core.models import AuditEntry

    services.close_login(alice, actor=staff)
    services.close_login(alice, actor=staff)  # already closed: nothing more happens
    alice.refresh_from_db()
    assert not alice.is_active
    entry = AuditEntry.objects.get(object_type="login", action=AuditEntry.Action.LOGIN_CLOSED)
    assert entry.get_action_display() == "Identifiant fermé"
    assert entry.family == alice.family and entry.note == "identifiant famille.alice fermé"
    with pytest.raises(services.LoginNotAllowed):
        services.close_login(staff, actor=staff)
    staff.refresh_from_db()
    assert staff.is_active


@pytest.mark.django_db
def test_an_invitation_is_resent_only_to_an_open_login_still_without_password(
        staff, alice, django_capture_on_commit_callbacks):
    pending = services.create_family_login(alice.family, actor=staff, username="famille.attente",
                                           email="attente@example.org", send=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_activation(pending, actor=staff)
    assert [m.to for m in mail.outbox] == [["attente@example.org"]]
    with pytest.raises(services.LoginNotAllowed, match="déjà activé"):
        services.resend_activation(alice, actor=staff)
    pending.email = ""
    with pytest.raises(services.LoginNotAllowed, match="pas d'adresse"):
        services.resend_activation(pending, actor=staff)
    services.close_login(pending, actor=staff)
    with pytest.raises(services.LoginNotAllowed, match="est fermé"):
        services.resend_activation(pending, actor=staff)
