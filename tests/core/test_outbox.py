"""The outbox: written in the event's transaction, sent by a task, retried with a growing delay, never lost."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from enfance.core import mail as outbox
from enfance.core.models import OutgoingEmail
from enfance.core.tasks import send_email
from tests.conftest import login_client

pytestmark = pytest.mark.django_db
State = OutgoingEmail.State
TEMPLATE = "accounts/email/activation.txt"


class DownBackend(BaseEmailBackend):
    """A mail server that refuses every connection."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def queue(to="parent@example.org", **context):
    return outbox.send_templated_email(to, TEMPLATE, {"path": "/activation/x/y/", **context})


def later(monkeypatch, **delta):
    """Move the outbox's clock forward."""
    moment = timezone.now() + datetime.timedelta(**delta)
    monkeypatch.setattr(outbox.timezone, "now", lambda: moment)
    return moment


def test_an_email_is_a_row_sent_once_the_event_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [row] = queue()
    assert OutgoingEmail.objects.get().state == State.PENDING and mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 1 and row.sent_at is not None
    [message] = mail.outbox
    assert message.to == ["parent@example.org"] and message.subject == row.subject
    assert message.alternatives[0][0] == row.html_body


def test_one_row_per_recipient():
    rows = outbox.send_templated_email(["a@example.org", "", "b@example.org", "a@example.org"], TEMPLATE,
                                       {"path": "/x/"})
    assert sorted(r.to for r in rows) == ["a@example.org", "b@example.org"]


def test_a_rolled_back_event_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            queue()
            raise RuntimeError("the event fails after its e-mail was written")
    assert not OutgoingEmail.objects.exists() and mail.outbox == []


def test_a_failing_mail_server_loses_nothing_and_the_sweep_sends_later(settings, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "tests.core.test_outbox.DownBackend"
    with django_capture_on_commit_callbacks(execute=True):
        [row] = queue()
    row.refresh_from_db()
    assert row.state == State.PENDING and row.attempts == 1
    assert row.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert timezone.now() < row.next_attempt_at <= timezone.now() + datetime.timedelta(minutes=1)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("sweep")  # not due yet: the server gets a minute
    row.refresh_from_db()
    assert row.state == State.PENDING and mail.outbox == []

    later(monkeypatch, minutes=2)
    call_command("sweep")
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 2 and row.last_error == ""
    assert [m.to for m in mail.outbox] == [["parent@example.org"]]


def test_retries_wait_longer_each_time_then_the_email_fails(settings):
    settings.EMAIL_BACKEND = "tests.core.test_outbox.DownBackend"
    [row] = queue()
    delays = []
    for _attempt in range(outbox.MAX_ATTEMPTS):
        before = timezone.now()
        assert outbox.deliver(row.pk) is False
        row.refresh_from_db()
        if row.next_attempt_at:
            delays.append(round((row.next_attempt_at - before).total_seconds() / 60))
    assert delays == [1, 5, 15, 60, 180, 360]
    assert row.state == State.FAILED and row.attempts == outbox.MAX_ATTEMPTS and row.next_attempt_at is None
    assert outbox.deliver(row.pk) is False  # a failed e-mail waits for staff
    assert outbox.send_due(now=timezone.now() + datetime.timedelta(days=2)) == 0


def test_the_sweep_sends_an_email_whose_task_never_ran(monkeypatch):
    [row] = queue()  # no commit callback ran: the task queue was down
    assert outbox.send_due() == 0  # the task still has its chance
    later(monkeypatch, minutes=3)
    assert outbox.sweep_outbox() == 1
    row.refresh_from_db()
    assert row.state == State.SENT and len(mail.outbox) == 1


def test_an_email_left_sending_by_a_dead_worker_is_sent_again(monkeypatch):
    [stuck] = queue("stuck@example.org")
    [busy] = queue("busy@example.org")
    now = timezone.now()
    OutgoingEmail.objects.filter(pk=stuck.pk).update(state=State.SENDING, attempts=1,
                                                      claimed_at=now - datetime.timedelta(minutes=11))
    OutgoingEmail.objects.filter(pk=busy.pk).update(state=State.SENDING, attempts=1,
                                                     claimed_at=now - datetime.timedelta(minutes=1))
    assert outbox.sweep_outbox() == 2  # one recovered, then sent; the other worker is still on its row
    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert stuck.state == State.SENT and stuck.attempts == 2
    assert busy.state == State.SENDING
    assert [m.to for m in mail.outbox] == [["stuck@example.org"]]


def test_sent_emails_are_purged_after_a_month(monkeypatch):
    [old] = queue("old@example.org")
    outbox.deliver(old.pk)
    later(monkeypatch, days=31)
    [recent] = queue("recent@example.org")
    outbox.deliver(recent.pk)
    [waiting] = queue("waiting@example.org")
    assert outbox.purge_sent() == 1
    assert set(OutgoingEmail.objects.values_list("to", flat=True)) == {"recent@example.org", "waiting@example.org"}


@pytest.mark.django_db(transaction=True)  # the worker closes connections left inside a transaction
def test_the_task_runs_on_the_email_queue_of_the_database_backend():
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                              "QUEUES": ["default", "email"]}}):
        with transaction.atomic():
            [row] = queue()
        task = DBTaskResult.objects.get()
        assert task.queue_name == "email" and task.task_path == "enfance.core.tasks.send_email"
        assert mail.outbox == []  # deferred to the worker
        call_command("db_worker", "--batch", "--queue-name", "default", "--no-startup-delay", "--no-reload",
                     verbosity=0)
        assert mail.outbox == []  # the default queue's worker leaves e-mail alone
        call_command("db_worker", "--batch", "--queue-name", "email", "--no-startup-delay", "--no-reload",
                     verbosity=0)
    row.refresh_from_db()
    assert row.state == State.SENT and len(mail.outbox) == 1
    assert send_email.queue_name == "email"


# --- the administrators' page ---------------------------------------------------------------------

def failed_row(**fields):
    return OutgoingEmail.objects.create(**{"to": "perdu@example.org", "subject": "Votre demande a été refusée",
                                           "text_body": "Bonjour", "state": State.FAILED, "attempts": 7,
                                           "last_error": "SMTPRecipientsRefused: perdu@example.org",
                                           "reference": "Demande n° 4", **fields})


def test_administrators_see_failed_and_retried_emails_only(client, admin_user):
    failed_row()
    failed_row(to="retard@example.org", state=State.PENDING, attempts=2, last_error="timed out")
    failed_row(to="neuf@example.org", state=State.PENDING, attempts=0, last_error="")
    failed_row(to="parti@example.org", state=State.SENT, attempts=1, last_error="")
    body = login_client(client, admin_user).get(reverse("backoffice:outbox")).content.decode()
    assert "perdu@example.org" in body and "SMTPRecipientsRefused" in body and "Demande n° 4" in body
    assert "retard@example.org" in body and "timed out" in body
    assert "neuf@example.org" not in body and "parti@example.org" not in body
    assert "Bonjour" not in body  # bodies carry links and personal data: not shown
    assert reverse("backoffice:outbox") in body  # the nav link


def test_retry_now_sends_a_failed_email(client, admin_user, django_capture_on_commit_callbacks):
    row = failed_row()
    with django_capture_on_commit_callbacks(execute=True):
        response = login_client(client, admin_user).post(reverse("backoffice:outbox_retry", args=[row.pk]),
                                                         follow=True)
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 1
    assert [m.to for m in mail.outbox] == [["perdu@example.org"]]
    assert "Un nouvel envoi du courriel à perdu@example.org est demandé." in response.content.decode()


def test_retry_now_of_a_sent_email_is_404(client, admin_user):
    row = failed_row(state=State.SENT)
    response = login_client(client, admin_user).post(reverse("backoffice:outbox_retry", args=[row.pk]))
    assert response.status_code == 404 and mail.outbox == []


def test_agents_do_not_see_the_outbox(staff_client):
    assert staff_client.get(reverse("backoffice:outbox")).status_code == 403
    assert reverse("backoffice:outbox") not in staff_client.get(reverse("backoffice:home")).content.decode()
