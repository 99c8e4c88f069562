"""`check --deploy` warns when production would run tasks without a worker; the outbox's concurrency."""

import threading
import time
from functools import partial

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections
from django.utils import timezone

from enfance.core import mail as outbox
from enfance.core.checks import tasks_have_a_worker
from enfance.core.models import OutgoingEmail
from tests.core.test_settings import PRODUCTION_ENV, manage

IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"


@pytest.mark.parametrize("backend", [IMMEDIATE, "django_tasks.backends.dummy.DummyBackend"])
def test_production_with_an_in_process_task_backend_is_warned(settings, backend):
    settings.DEBUG = False
    settings.TASKS = {"default": {"BACKEND": backend, "QUEUES": ["default", "email"]}}
    [warning] = tasks_have_a_worker(None)
    assert warning.id == "enfance.W001" and "production without a task worker backend" in warning.msg


def test_a_database_backend_or_debug_is_not_warned(settings):
    settings.DEBUG = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}}
    assert tasks_have_a_worker(None) == []
    settings.DEBUG = True
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE, "QUEUES": ["default", "email"]}}
    assert tasks_have_a_worker(None) == []


def test_check_deploy_without_tasks_backend_warns():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "TASKS_BACKEND"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0 and "enfance.W001" in result.stderr + result.stdout


class SlowBackend(EmailBackend):
    """The mail server takes its time: both workers are inside deliver() at once."""

    def send_messages(self, messages):
        time.sleep(0.3)
        return super().send_messages(messages)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_send_one_email_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")
    settings.EMAIL_BACKEND = "tests.core.test_outbox_deploy.SlowBackend"
    for round_ in range(5):
        mail.outbox = []
        row = OutgoingEmail.objects.create(to=f"r{round_}@example.org", subject="Essai", text_body="Bonjour",
                                           next_attempt_at=timezone.now())  # due for the sweep too
        send = partial(outbox.deliver, row.pk)
        results = run_together(send, send, outbox.sweep_outbox)
        row.refresh_from_db()
        assert len(mail.outbox) == 1, f"round {round_}: sent {len(mail.outbox)} times"
        assert row.state == OutgoingEmail.State.SENT and row.attempts == 1
        assert sorted(int(r) for r in results) == [0, 0, 1]


def run_together(*functions):
    """Start the functions at the same instant in threads; return their results."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait()
            results[index] = function()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
