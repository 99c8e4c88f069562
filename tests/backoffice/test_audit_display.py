"""The audit trail names objects in French, people by name, and dates in Paris time."""

import datetime

from django.urls import reverse
from django.utils import timezone

from enfance.changes.models import ChangeRequest
from enfance.core import audit
from enfance.core.models import AuditEntry, HealthAccessLog
from enfance.families import services
from enfance.rules.models import Acknowledgement, ServiceRules
from tests.factories import UserFactory
from tests.helpers import first_child, text

# 00:30 on 2 March in Paris is 23:30 on 1 March in UTC.
PARIS_NIGHT = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)


def history(client, family):
    return text(client.get(reverse("backoffice:family_history", args=[family.pk])))


def test_a_request_is_named_with_its_number_and_household(staff_client, staff, alice):
    family = alice.family
    change = ChangeRequest.objects.create(family=family, created_by=alice, request_type="tax", kind="fields")
    audit.record(actor=staff, action=AuditEntry.Action.REQUEST, obj=change, family=family,
                 object_type="changerequest", note="validée")
    body = history(staff_client, family)
    assert f"Demande n° {change.pk} (foyer {family.reference})" in body
    assert "Changerequest" not in body and "changerequest" not in body
    home = text(staff_client.get(reverse("backoffice:home")))
    assert f"Demande n° {change.pk} (foyer {family.reference})" in home
    assert f"(foyer {family.reference})" not in home.replace(f"Demande n° {change.pk} (foyer {family.reference})", "")


def test_objects_without_a_french_name_of_their_own_get_one(staff_client, staff, alice):
    rules = ServiceRules.objects.create(school_year=2026, title="Conditions 2026", text="Texte")
    ack = Acknowledgement.objects.create(rules=rules, user=alice)
    audit.record(actor=staff, action=AuditEntry.Action.CREATE, obj=rules)
    audit.record(actor=alice, action=AuditEntry.Action.CREATE, obj=ack, family=alice.family)
    audit.record(actor=staff, action=AuditEntry.Action.UPDATE, obj=alice.family.caf_info, family=alice.family)
    home = text(staff_client.get(reverse("backoffice:home")))
    assert "Conditions de fonctionnement" in home
    assert "Acceptation des conditions de fonctionnement" in home
    assert "Données C.A.F." in home
    for english in ("Servicerules", "Service rules", "Acknowledgement", "acknowledgement", "Données c.a.f."):
        assert english not in home


def test_people_are_named_with_their_role_or_household(staff_client, alice):
    agent = UserFactory(username="s.giraud", role="agent", first_name="Sandrine", last_name="Giraud")
    nameless = UserFactory(username="animateur.sans.nom", role="leader")
    guardian = alice.guardian
    guardian.first_name = "Inès"
    guardian.save(update_fields=["first_name"])
    for actor in (agent, nameless, alice):
        audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=alice.family, family=alice.family)
    body = history(staff_client, alice.family)
    assert "Sandrine Giraud, agent" in body
    assert "animateur.sans.nom, animateur" in body
    assert f"Inès Alice, foyer {alice.family.reference}" in body
    assert ">famille.alice<" not in body and ">s.giraud<" not in body


def test_dates_are_shown_in_paris_time(staff_client, staff, alice):
    entry = audit.record(actor=staff, action=AuditEntry.Action.UPDATE, obj=alice.family, family=alice.family)
    AuditEntry.objects.filter(pk=entry.pk).update(at=PARIS_NIGHT)
    body = history(staff_client, alice.family)
    assert "02/03/2026 00:30" in body and "01/03/2026" not in body


def test_recorded_datetimes_are_paris_dates(alice):
    family = alice.family
    family.archived_at = PARIS_NIGHT
    assert audit.snapshot(family, ["archived_at"]) == {"archived_at": "02/03/2026 00:30"}


def test_archiving_records_the_paris_date(staff, alice, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: PARIS_NIGHT)
    services.archive_family(alice.family, actor=staff, reason="départ")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ARCHIVE)
    assert entry.changes["archived_at"] == ["", "02/03/2026 00:30"]


def test_health_log_names_staff_without_nested_parentheses(admin_client_, alice):
    leader = UserFactory(username="l.bernard", role="leader", first_name="Léo", last_name="Bernard")
    HealthAccessLog.objects.create(user=leader, child=first_child(alice), path="/")
    body = text(admin_client_.get(reverse("backoffice:health_log")))
    assert "Léo Bernard, animateur" in body
    assert "(lecture seule))" not in body
