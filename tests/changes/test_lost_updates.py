"""No lost update: two requests on one record, a staff form opened before an approval, one pending
request per record backed by the database, archived households' requests."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from enfance.changes import services
from enfance.changes.models import ChangeRequest
from enfance.core.models import AuditEntry
from enfance.families import categories, request_types
from enfance.families import services as family_services
from enfance.families.forms import HealthRecordForm
from enfance.families.models import ChildLink, HealthRecord
from tests.factories import ChildFactory, HealthRecordFactory, UserFactory, make_household

Status = ChangeRequest.Status


def shared_child(name="Partage"):
    family_a, login_a, _ = make_household(f"{name}A", children=0)
    family_b, login_b, _ = make_household(f"{name}B", children=0)
    child = ChildFactory(last_name=name, first_name="Tom", family=family_a)
    ChildLink.objects.create(family=family_b, child=child)
    HealthRecordFactory(child=child, allergies="Aucune", doctor_name="Dr Ancien", doctor_phone="")
    return child, login_a, login_b


def health_request(login, child, **changes):
    health = HealthRecord.objects.get(child=child)
    data = {name: getattr(health, name) for name in HealthRecordForm._meta.fields}
    data.update(changes)
    data = {k: ("on" if v is True else "" if v is False else v) for k, v in data.items()}
    form = HealthRecordForm(data=data, instance=health)
    assert form.is_valid(), form.errors
    return request_types.submit_form(user=login, family=login.family, category=categories.get("health"),
                                     form=form, kind="fields", child=child)


def test_two_households_changing_different_fields_of_one_record_both_apply(staff):
    child, login_a, login_b = shared_child()
    allergies = health_request(login_a, child, allergies="Kiwi")
    doctor = health_request(login_b, child, doctor_name="Dr Nouveau")
    # Approved one after the other, in any order: neither undoes the other.
    services.approve(doctor.pk, staff=staff)
    services.approve(allergies.pk, staff=staff)
    health = HealthRecord.objects.get(child=child)
    assert (health.allergies, health.doctor_name) == ("Kiwi", "Dr Nouveau")


def test_two_households_changing_the_same_field_stop_the_second_for_confirmation(staff):
    child, login_a, login_b = shared_child("Meme")
    first = health_request(login_a, child, allergies="Kiwi")
    second = health_request(login_b, child, allergies="Gluten")
    services.approve(first.pk, staff=staff)
    with pytest.raises(services.ConflictError) as exc:
        services.approve(second.pk, staff=staff)
    assert exc.value.conflicts["allergies"] == ("Aucune", "Kiwi")
    assert HealthRecord.objects.get(child=child).allergies == "Kiwi"


def test_one_pending_request_per_record_is_a_database_constraint(alice):
    key = services.conflict_key("tax", family=alice.family, target_id=alice.family.tax_info.pk)
    ChangeRequest.objects.create(family=alice.family, request_type="tax", kind="fields", conflict_key=key)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.create(family=alice.family, request_type="tax", kind="fields", conflict_key=key)
    # Decided requests release the key; additions (no key) may be several.
    ChangeRequest.objects.update(status=Status.REJECTED)
    ChangeRequest.objects.create(family=alice.family, request_type="tax", kind="fields", conflict_key=key)
    ChangeRequest.objects.create(family=alice.family, request_type="vaccinations", kind="add")
    ChangeRequest.objects.create(family=alice.family, request_type="vaccinations", kind="add")


def test_a_decided_request_frees_its_record_for_a_new_one(alice, staff):
    child = alice.family.children.first()
    first = health_request(alice, child, allergies="Kiwi")
    with pytest.raises(services.AlreadyPending):
        health_request(alice, child, allergies="Gluten")
    services.reject(first.pk, staff=staff, reason="Joindre l'ordonnance")
    assert health_request(alice, child, allergies="Gluten").is_pending


def test_archiving_a_household_cancels_its_pending_requests_with_the_reason(alice, staff):
    child = alice.family.children.first()
    change = health_request(alice, child, allergies="Kiwi")
    family_services.archive_family(alice.family, actor=staff, reason="Déménagement")
    change.refresh_from_db()
    assert change.status == Status.CANCELLED and change.decided_by == staff
    assert "Déménagement" in change.answer
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REQUEST_CANCELLED)
    assert entry.actor == staff and "Déménagement" in entry.note and entry.object_id == str(change.pk)


def test_a_request_of_an_archived_household_cannot_be_decided(alice, staff, staff_client):
    child = alice.family.children.first()
    change = health_request(alice, child, allergies="Kiwi")
    type(alice.family).objects.filter(pk=alice.family.pk).update(archived_at="2026-11-30T10:00:00Z")
    with pytest.raises(services.RequestError, match="archivé"):
        services.approve(change.pk, staff=staff)
    with pytest.raises(services.RequestError, match="archivé"):
        services.reject(change.pk, staff=staff, reason="Trop tard")
    page = staff_client.post(reverse("backoffice:request_approve", args=[change.pk]), {"comment": ""})
    assert "archivé" in page.content.decode()
    change.refresh_from_db()
    assert change.status == Status.PENDING
    assert HealthRecord.objects.get(child=child).allergies != "Kiwi"


# --- staff forms carry the version of the record they showed ----------------------------------

def test_a_staff_form_opened_before_an_approval_does_not_undo_it(alice, staff, staff_client):
    child = alice.family.children.first()
    url = reverse("backoffice:child_edit", args=[child.pk, "donnees-sanitaires"])
    page = staff_client.get(url)
    version = page.context["version"]
    assert f'name="version" value="{version}"' in page.content.decode()
    # Meanwhile a household's request on the allergies is approved.
    change = health_request(alice, child, allergies="Kiwi")
    services.approve(change.pk, staff=UserFactory(role="agent"))
    health = HealthRecord.objects.get(child=child)
    typed = {name: getattr(health, name) or "" for name in HealthRecordForm._meta.fields if name != "has_pai"}
    typed.update(allergies="Aucune allergie connue", doctor_name="Dr Agent", version=version)
    response = staff_client.post(url, typed)
    assert response.status_code == 200
    body = response.content.decode()
    assert "modifié depuis que vous avez ouvert cette page" in body
    assert "Kiwi" in body and "Dr Agent" in body  # the current value and what the staff member typed
    assert HealthRecord.objects.get(child=child).allergies == "Kiwi"
    # Sending again with the version the page now carries confirms it.
    typed["version"] = response.context["version"]
    assert staff_client.post(url, typed).status_code == 302
    assert HealthRecord.objects.get(child=child).allergies == "Aucune allergie connue"


def test_a_staff_form_for_a_missing_record_refuses_when_it_was_created_meanwhile(alice, staff_client, staff):
    alice.family.tax_info.delete()
    url = reverse("backoffice:family_edit", args=[alice.family.pk, "donnees-fiscales"])
    version = staff_client.get(url).context["version"]
    assert version == ""
    from enfance.families.models import TaxInfo

    TaxInfo.objects.create(family=alice.family, year=2025, reference_income=30000, tax_shares=2)
    response = staff_client.post(url, {"year": "2025", "reference_income": "1", "tax_shares": "1",
                                       "version": version})
    assert response.status_code == 200 and "modifié depuis" in response.content.decode()
    assert TaxInfo.objects.get(family=alice.family).reference_income == 30000


def test_a_portal_form_opened_before_a_staff_edit_does_not_undo_it(alice, alice_client, staff):
    """The page carries the values it showed: a field that changed meanwhile is not the household's change."""
    import re

    child = alice.family.children.first()
    url = reverse("portal:edit_child", args=[child.pk, "donnees-sanitaires"])
    page = alice_client.get(url).content.decode()
    shown = re.search(r'name="shown" value="([^"]+)"', page).group(1)
    as_shown = HealthRecord.objects.get(child=child).allergies
    # Meanwhile an agent records a severe allergy.
    HealthRecord.objects.filter(child=child).update(allergies="ARACHIDE - anaphylaxie")
    health = HealthRecord.objects.get(child=child)
    response = alice_client.post(url, {"doctor_name": "Dr Nouveau", "doctor_phone": health.doctor_phone,
                                       "allergies": as_shown, "shown": shown})
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert change.type.changed_fields(change) == ["doctor_name"]  # not the allergies the page showed
    services.approve(change.pk, staff=staff)
    health.refresh_from_db()
    assert (health.allergies, health.doctor_name) == ("ARACHIDE - anaphylaxie", "Dr Nouveau")


def test_a_portal_change_to_a_field_that_moved_since_the_page_was_shown_asks_the_reviewer(alice, alice_client, staff):
    import re

    child = alice.family.children.first()
    url = reverse("portal:edit_child", args=[child.pk, "donnees-sanitaires"])
    shown = re.search(r'name="shown" value="([^"]+)"', alice_client.get(url).content.decode()).group(1)
    HealthRecord.objects.filter(child=child).update(allergies="Gluten")
    health = HealthRecord.objects.get(child=child)
    alice_client.post(url, {"doctor_name": health.doctor_name, "doctor_phone": health.doctor_phone,
                            "allergies": "Kiwi", "shown": shown})
    change = ChangeRequest.objects.get()
    with pytest.raises(services.ConflictError):
        services.approve(change.pk, staff=staff)
    assert HealthRecord.objects.get(child=child).allergies == "Gluten"


def test_a_forged_shown_token_counts_for_nothing(alice, alice_client):
    child = alice.family.children.first()
    url = reverse("portal:edit_child", args=[child.pk, "donnees-sanitaires"])
    health = HealthRecord.objects.get(child=child)
    alice_client.post(url, {"doctor_name": "Dr Nouveau", "doctor_phone": health.doctor_phone,
                            "allergies": health.allergies, "shown": "forged:token"})
    change = ChangeRequest.objects.get()
    assert change.type.changed_fields(change) == ["doctor_name"]


def test_refusing_a_request_of_an_archived_household_says_why(alice, staff, staff_client):
    child = alice.family.children.first()
    change = health_request(alice, child, allergies="Kiwi")
    type(alice.family).objects.filter(pk=alice.family.pk).update(archived_at="2026-11-30T10:00:00Z")
    response = staff_client.post(reverse("backoffice:request_reject", args=[change.pk]), {"reason": "Parti"})
    assert response.status_code == 200 and "archivé" in response.content.decode()
