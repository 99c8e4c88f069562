"""Service rules: published per school year, acknowledged once by each login, signed copies recorded."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enfance.core.dates import school_year_start
from enfance.rules import services
from enfance.rules.models import Acknowledgement, ServiceRules, SignedCopy


@pytest.fixture
def rules(db, staff):
    rules = ServiceRules.objects.create(school_year=school_year_start().year, title="Conditions",
                                        text="Les repas se réservent 48 heures à l'avance.")
    services.publish(rules, actor=staff)
    return rules


def test_a_login_must_accept_the_current_rules_before_going_further(alice_client, rules):
    response = alice_client.get(reverse("portal:information"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:rules"))
    page = alice_client.get(response.url)
    assert "48 heures" in page.content.decode()


def test_refusing_to_tick_gives_a_french_message(alice_client, rules):
    response = alice_client.post(reverse("portal:rules"), {})
    assert "Cochez la case" in response.content.decode()
    assert not Acknowledgement.objects.exists()


def test_acceptance_is_recorded_once_and_opens_the_portal(alice_client, alice, rules):
    response = alice_client.post(reverse("portal:rules"), {"accept": "on", "next": reverse("portal:information")})
    assert response.url == reverse("portal:information")
    assert alice_client.get(reverse("portal:information")).status_code == 200
    alice_client.post(reverse("portal:rules"), {"accept": "on"})
    assert Acknowledgement.objects.filter(user=alice, rules=rules).count() == 1


def test_each_login_accepts_for_itself(client, alice, rules):
    from tests.factories import UserFactory

    Acknowledgement.objects.create(rules=rules, user=alice)
    second = UserFactory(username="second.alice", family=alice.family)
    client.force_login(second)
    assert client.get(reverse("portal:home")).status_code == 302


def test_unpublished_rules_block_nobody(alice_client, db):
    ServiceRules.objects.create(school_year=school_year_start().year, title="Brouillon", text="...")
    assert alice_client.get(reverse("portal:home")).status_code == 200


def test_rules_of_a_past_year_do_not_count(alice_client, staff):
    old = ServiceRules.objects.create(school_year=school_year_start().year - 1, title="Ancien", text="...")
    services.publish(old, actor=staff)
    assert alice_client.get(reverse("portal:home")).status_code == 200


def test_staff_see_who_has_not_accepted_and_record_signed_copies(staff_client, alice, bob, rules):
    Acknowledgement.objects.create(rules=rules, user=alice)
    page = staff_client.get(reverse("backoffice:rules_detail", args=[rules.pk]) + "?filtre=non-acceptees").content.decode()
    assert bob.family.reference in page and alice.family.reference not in page
    response = staff_client.post(reverse("backoffice:rules_signed_copy", args=[rules.pk]),
                                 {"family": bob.family.pk, "received_on": "2026-09-03"})
    assert response.status_code == 302
    assert SignedCopy.objects.get(family=bob.family).received_on == datetime.date(2026, 9, 3)


def test_staff_publish_rules_with_a_checked_pdf(staff_client):
    response = staff_client.post(reverse("backoffice:rules"), {
        "school_year": str(school_year_start().year), "title": "Règlement", "text": "Texte",
        "pdf": SimpleUploadedFile("r.pdf", b"not a pdf", content_type="application/pdf"),
    })
    assert "n&#x27;est pas un PDF" in response.content.decode() or "n'est pas un PDF" in response.content.decode()
    response = staff_client.post(reverse("backoffice:rules"), {
        "school_year": str(school_year_start().year), "title": "Règlement", "text": "Texte",
        "pdf": SimpleUploadedFile("r.pdf", b"%PDF-1.4 minimal", content_type="application/pdf"),
    })
    rules = ServiceRules.objects.get()
    assert response.url == reverse("backoffice:rules_detail", args=[rules.pk])
    staff_client.post(reverse("backoffice:rules_publish", args=[rules.pk]))
    rules.refresh_from_db()
    assert rules.published_at is not None
    assert services.current_rules() == rules


def test_household_page_shows_rules_and_pending_requests(staff_client, alice, rules):
    from enfance.changes.models import ChangeRequest
    from tests.factories import UserFactory

    Acknowledgement.objects.create(rules=rules, user=alice)
    UserFactory(username="zz.conjoint", family=alice.family)  # has not accepted: no trailing comma for it
    ChangeRequest.objects.create(family=alice.family, request_type="tax", kind="fields", created_by=alice)
    page = staff_client.get(reverse("backoffice:family", args=[alice.family.pk])).content.decode()
    assert "Exemplaire signé non reçu" in page
    assert f"Acceptées en ligne par : {alice.get_full_name() or alice.username}</p>" in page
    assert "Demandes en attente de ce foyer" in page


def test_new_rules_are_saved_unpublished_and_audited(staff_client, staff):
    from enfance.core.models import AuditEntry

    response = staff_client.post(reverse("backoffice:rules"), {"school_year": school_year_start().year, "title": "Règlement",
                                                         "text": "Texte."})
    rules = ServiceRules.objects.get()
    assert response.url == reverse("backoffice:rules_detail", args=[rules.pk]) and rules.published_at is None
    entry = AuditEntry.objects.get(object_type="servicerules")
    assert entry.action == AuditEntry.Action.CREATE and entry.actor == staff
    assert entry.changes["title"] == ["", "Règlement"]
    dashboard = staff_client.get(reverse("backoffice:home")).content.decode()
    assert "Conditions de fonctionnement : Règlement" in dashboard
