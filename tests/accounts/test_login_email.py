"""One source of truth for a login's e-mail address: the guardian's."""

import re

import pytest
from django.core import mail
from django.forms import modelform_factory
from django.urls import reverse

from enfance.accounts import services
from enfance.changes import services as change_services
from enfance.changes.models import ChangeRequest
from enfance.core.models import AuditEntry
from enfance.families.models import Guardian
from enfance.families.services import save_record
from tests.factories import UserFactory

NEW = "claire.nouvelle@example.org"
EmailForm = modelform_factory(Guardian, fields=["email"])


def staff_edit_email(guardian, email, staff):
    form = EmailForm(data={"email": email}, instance=guardian)
    assert form.is_valid(), form.errors
    return save_record(form, actor=staff, family=guardian.family)


def reset_recipients(client, email, capture):
    mail.outbox.clear()
    with capture(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": email})
    return [m.to for m in mail.outbox]


@pytest.mark.django_db
def test_a_staff_edit_of_the_address_moves_the_login_and_its_password_reset(
        client, alice, staff, django_capture_on_commit_callbacks):
    old = alice.email
    staff_edit_email(alice.guardian, NEW, staff)
    alice.refresh_from_db()
    assert alice.email == NEW
    assert reset_recipients(client, old, django_capture_on_commit_callbacks) == []
    assert reset_recipients(client, NEW, django_capture_on_commit_callbacks) == [[NEW]]
    link = re.search(r"/reinitialisation/\S+/", mail.outbox[0].body)
    assert link is not None
    entry = AuditEntry.objects.get(object_type="login", action=AuditEntry.Action.UPDATE)
    assert entry.object_id == str(alice.pk) and entry.actor == staff and entry.family == alice.family
    assert entry.changes == {"email": [old, NEW]}


@pytest.mark.django_db
def test_an_approved_request_changing_the_address_moves_the_login(
        alice_client, client, alice, staff, django_capture_on_commit_callbacks):
    guardian = alice.guardian
    data = {"civility": guardian.civility, "last_name": guardian.last_name, "first_name": guardian.first_name,
            "birth_name": "", "relation": "", "email": NEW, "mobile_phone": guardian.mobile_phone,
            "work_phone": "", "profession": "", "employer": "", "employer_address": ""}
    assert alice_client.post(reverse("portal:edit_family", args=["responsable"]), data).status_code == 302
    change_services.approve(ChangeRequest.objects.get().pk, staff=staff)
    alice.refresh_from_db()
    assert alice.email == NEW
    alice_client.logout()
    assert reset_recipients(client, NEW, django_capture_on_commit_callbacks) == [[NEW]]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:username_reminder"), {"email": NEW})
    assert mail.outbox[-1].to == [NEW] and "famille.alice" in mail.outbox[-1].body


@pytest.mark.django_db
def test_only_the_open_logins_of_that_guardian_follow(alice, staff):
    second = alice.family.guardians.get(rank=2)
    other = UserFactory(username="famille.alice.marc", family=alice.family, guardian=second,
                        email="marc@example.org")
    closed = UserFactory(username="famille.alice.ancien", family=alice.family, guardian=alice.guardian,
                         email="ancienne@example.org")
    services.close_login(closed, actor=staff)
    staff_edit_email(alice.guardian, NEW, staff)
    other.refresh_from_db()
    closed.refresh_from_db()
    assert other.email == "marc@example.org" and closed.email == "ancienne@example.org"


@pytest.mark.django_db
def test_an_unchanged_address_writes_nothing_and_an_emptied_one_is_kept_on_the_login(alice, staff):
    old = alice.email
    staff_edit_email(alice.guardian, old, staff)
    staff_edit_email(alice.guardian, "", staff)
    alice.refresh_from_db()
    assert alice.email == old  # a login without an address could no longer reset its password
    assert not AuditEntry.objects.filter(object_type="login", action=AuditEntry.Action.UPDATE).exists()
