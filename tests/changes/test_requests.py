"""The request mechanism: three kinds of change, review, apply, conflicts, auto-approval."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from enfance.changes import services
from enfance.changes.models import CategorySetting, ChangeRequest
from enfance.core import attachments
from enfance.core.models import AuditEntry
from enfance.families import categories, request_types
from enfance.families.models import AuthorizedPerson, Guardian, TaxInfo, Vaccination
from tests.helpers import png_bytes

Status = ChangeRequest.Status


def guardian_data(guardian, **changes):
    data = {
        "civility": guardian.civility, "last_name": guardian.last_name, "first_name": guardian.first_name,
        "birth_name": "", "relation": "", "email": guardian.email, "mobile_phone": guardian.mobile_phone,
        "work_phone": "", "profession": "", "employer": "", "employer_address": "",
    }
    data.update(changes)
    return data


def edit_url(slug):
    return reverse("portal:edit_family", args=[slug])


def test_family_form_files_a_request_and_leaves_the_record_unchanged(alice_client, alice):
    guardian = alice.family.guardians.get(rank=1)
    response = alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert guardian.mobile_phone == "06 12 34 56 78"
    change = ChangeRequest.objects.get()
    assert change.status == Status.PENDING
    assert change.created_by == alice
    assert change.before["mobile_phone"] == "06 12 34 56 78"
    assert change.proposed["mobile_phone"] == "06 99 88 77 66"
    assert change.type.changed_fields(change) == ["mobile_phone"]


def test_a_second_pending_request_on_the_same_record_is_blocked(alice_client, alice):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    page = alice_client.get(edit_url("responsable"))
    assert "déjà en attente" in page.content.decode()
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0611111111"))
    assert ChangeRequest.objects.count() == 1


def test_unchanged_form_files_nothing(alice_client, alice):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian))
    assert not ChangeRequest.objects.exists()


def test_invalid_values_are_shown_next_to_the_field_and_kept(alice_client, alice):
    response = alice_client.post(edit_url("coordonnees-bancaires"),
                                 {"holder": "Alice", "iban": "FR76 1234 5678 9012", "bic": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert "IBAN n&#x27;est pas valide" in body or "IBAN n'est pas valide" in body
    assert 'value="FR76 1234 5678 9012"' in body
    assert not ChangeRequest.objects.exists()


def test_approval_applies_writes_audit_and_tells_the_family(alice_client, alice, staff,
                                                             django_capture_on_commit_callbacks):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    change = ChangeRequest.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(change.pk, staff=staff, comment="Merci")
    guardian.refresh_from_db()
    assert guardian.mobile_phone == "06 99 88 77 66"
    change.refresh_from_db()
    assert change.status == Status.APPROVED and change.decided_by == staff and change.answer == "Merci"
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, object_type="guardian").get()
    assert entry.changes == {"mobile_phone": ["06 12 34 56 78", "06 99 88 77 66"]}
    assert entry.actor == staff
    assert len(mail.outbox) == 1 and "validée" in mail.outbox[0].subject


def test_approving_twice_applies_once(alice, staff):
    family = alice.family
    from enfance.families.forms import TaxInfoForm

    form = TaxInfoForm(data={"year": "2025", "reference_income": "41000", "tax_shares": "3"},
                       instance=family.tax_info)
    assert form.is_valid(), form.errors
    change = request_types.submit_form(user=alice, family=family, category=categories.get("tax"), form=form,
                                       kind="fields")
    services.approve(change.pk, staff=staff)
    with pytest.raises(services.NotPending):
        services.approve(change.pk, staff=staff)
    assert AuditEntry.objects.filter(object_type="taxinfo", action="update").count() == 1


def test_reject_requires_a_reason_and_changes_nothing(alice_client, alice, staff):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    change = ChangeRequest.objects.get()
    with pytest.raises(services.RequestError):
        services.reject(change.pk, staff=staff, reason="  ")
    services.reject(change.pk, staff=staff, reason="Numéro non attribué")
    guardian.refresh_from_db()
    assert guardian.mobile_phone == "06 12 34 56 78"
    assert ChangeRequest.objects.get().answer == "Numéro non attribué"


def test_a_field_the_family_changed_and_that_moved_since_needs_confirmation(alice_client, alice, staff):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    change = ChangeRequest.objects.get()
    Guardian.objects.filter(pk=guardian.pk).update(mobile_phone="06 55 55 55 55")
    with pytest.raises(services.ConflictError) as exc:
        services.approve(change.pk, staff=staff)
    assert "téléphone portable" in exc.value.conflicts
    assert exc.value.conflicts["téléphone portable"] == ("06 12 34 56 78", "06 55 55 55 55")
    services.approve(change.pk, staff=staff, confirm=True)
    guardian.refresh_from_db()
    assert guardian.mobile_phone == "06 99 88 77 66"


def test_another_field_that_moved_since_is_kept_without_confirmation(alice_client, alice, staff):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    change = ChangeRequest.objects.get()
    Guardian.objects.filter(pk=guardian.pk).update(email="nouveau@example.org")
    services.approve(change.pk, staff=staff)
    guardian.refresh_from_db()
    # Only the field the family changed is applied; the later change is kept.
    assert guardian.mobile_phone == "06 99 88 77 66"
    assert guardian.email == "nouveau@example.org"


def test_list_items_add_change_remove(alice_client, alice, staff):
    family = alice.family
    child = family.children.first()
    add = reverse("portal:authorized_person_add", args=[child.pk])
    alice_client.post(add, {"last_name": "Dupont", "first_name": "Jean", "relation": "Oncle",
                            "phone": "0611223344", "can_pick_up": "on"})
    person = AuthorizedPerson.objects.get(family=family, child=child, last_name__startswith="Voisin")
    change_url = reverse("portal:authorized_person", args=[child.pk, person.pk])
    alice_client.post(change_url, {"last_name": person.last_name, "first_name": "Pierre", "relation": "Voisin",
                                   "phone": person.phone, "can_pick_up": "on"})
    vaccination = child.vaccinations.get()
    alice_client.post(reverse("portal:vaccination_remove", args=[child.pk, vaccination.pk]))
    kinds = sorted(ChangeRequest.objects.values_list("kind", flat=True))
    assert kinds == ["add", "change", "remove"]
    for change in ChangeRequest.objects.all():
        services.approve(change.pk, staff=staff)
    assert AuthorizedPerson.objects.filter(family=family, child=child, last_name="Dupont").exists()
    person.refresh_from_db()
    assert person.first_name == "Pierre"
    assert not Vaccination.objects.filter(pk=vaccination.pk).exists()


def test_photo_request_waits_then_replaces_the_photo_and_its_copy_goes(alice_client, alice, staff,
                                                                        django_capture_on_commit_callbacks):
    child = alice.family.children.first()
    upload = SimpleUploadedFile("p.png", png_bytes((40, 30), "red"), content_type="image/png")
    alice_client.post(reverse("portal:edit_photo", args=[child.pk]), {"piece-document": upload})
    change = ChangeRequest.objects.get()
    attachment = attachments.of(change).get()
    assert change.kind == "file" and attachment.content_type == "image/jpeg" and len(attachment.sha256) == 64
    child.refresh_from_db()
    assert not child.photo
    response = alice_client.get(reverse("portal:request_attachment", args=[change.pk, attachment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    stored = attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(change.pk, staff=staff)
    child.refresh_from_db()
    assert child.photo
    with child.photo.open("rb") as handle:
        assert Image.open(handle).format == "JPEG"
    # The approved photo lives on the child: the request's copy is removed from the storage.
    attachment.refresh_from_db()
    assert attachment.purged_at is not None and not attachment.file.storage.exists(stored)


def test_auto_approval_applies_at_once_and_is_still_recorded(alice_client, alice):
    CategorySetting.objects.create(category="tax", auto_approve=True)
    alice_client.post(edit_url("donnees-fiscales"), {"year": "2025", "reference_income": "12345", "tax_shares": "2"})
    change = ChangeRequest.objects.get()
    assert change.status == Status.APPROVED and change.auto_approved
    assert TaxInfo.objects.get(family=alice.family).reference_income == 12345


def test_family_cancels_its_pending_request(alice_client, alice):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    change = ChangeRequest.objects.get()
    alice_client.post(reverse("portal:request_cancel", args=[change.pk]))
    change.refresh_from_db()
    assert change.status == Status.CANCELLED


def test_my_requests_shows_values_and_answer(alice_client, alice, staff):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    change = ChangeRequest.objects.get()
    services.reject(change.pk, staff=staff, reason="Numéro non attribué")
    listing = alice_client.get(reverse("portal:requests")).content.decode()
    assert "Refusée" in listing
    detail = alice_client.get(reverse("portal:request", args=[change.pk])).content.decode()
    assert "06 99 88 77 66" in detail and "06 12 34 56 78" in detail and "Numéro non attribué" in detail


def test_every_staff_page_shows_the_pending_count(alice_client, alice, client, staff):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    client.force_login(staff)
    for url in (reverse("backoffice:home"), reverse("backoffice:families"), reverse("backoffice:requests")):
        body = client.get(url).content.decode()
        assert '<span class="count">1<span class="visually-hidden"> en attente' in body, url


def test_queue_filters_by_category_household_and_age(alice_client, alice, bob, client, staff):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    client.force_login(bob)
    client.post(edit_url("donnees-fiscales"), {"year": "2025", "reference_income": "1000", "tax_shares": "1"})
    client.force_login(staff)
    queue = reverse("backoffice:requests")
    assert client.get(queue, {"status": "pending"}).context["page"].paginator.count == 2
    assert client.get(queue, {"status": "pending", "request_type": "tax"}).context["page"].paginator.count == 1
    assert client.get(queue, {"status": "pending", "family": alice.family.reference}).context[
        "page"].paginator.count == 1
    assert client.get(queue, {"status": "pending", "age": "7"}).context["page"].paginator.count == 0
    ChangeRequest.objects.update(created_at=timezone.now() - datetime.timedelta(days=10))
    assert client.get(queue, {"status": "pending", "age": "7"}).context["page"].paginator.count == 2


def test_administrators_switch_a_category_to_automatic_approval(client, admin_user, staff):
    client.force_login(staff)
    assert client.get(reverse("backoffice:request_settings")).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("backoffice:request_settings")).content.decode()
    # Household records are checked by hand by default; bookings and absences are applied at once.
    assert 'value="tax">' in page and 'value="bookings" checked>' in page and 'value="absence" checked>' in page
    assert services.auto_approved_types() == {"bookings", "absence", "certificate"}
    client.post(reverse("backoffice:request_settings"), {"auto": ["tax", "unknown"]})
    assert services.auto_approved_types() == {"tax"}
    assert AuditEntry.objects.filter(object_type="réglages des demandes").exists()


def test_confirmation_box_appears_only_when_a_changed_field_moved(alice_client, alice, client, staff):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    change = ChangeRequest.objects.get()
    client.force_login(staff)
    assert 'name="confirm"' not in client.get(reverse("backoffice:request", args=[change.pk])).content.decode()
    Guardian.objects.filter(pk=guardian.pk).update(email="autre@example.org")
    page = client.get(reverse("backoffice:request", args=[change.pk])).content.decode()
    assert 'name="confirm"' not in page and "modifié depuis la demande" in page
    Guardian.objects.filter(pk=guardian.pk).update(mobile_phone="06 55 55 55 55")
    page = client.get(reverse("backoffice:request", args=[change.pk])).content.decode()
    assert 'name="confirm"' in page
