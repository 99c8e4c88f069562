"""`manage.py sweep`: one line per registered job, a broken job does not stop the others."""

import pytest
from django.core.management import CommandError, call_command

from enfance.core import sweep


@pytest.fixture
def extra_jobs():
    saved = dict(sweep.JOBS)
    yield sweep.JOBS
    sweep.JOBS.clear()
    sweep.JOBS.update(saved)


@pytest.mark.django_db
def test_the_sweep_prints_one_line_per_job(capsys):
    call_command("sweep")
    assert capsys.readouterr().out.splitlines() == ["outbox: 0", "outbox_purge: 0", "attachments_expired: 0", "attachments_orphaned: 0", "broadcasts: 0",
                                                    "expired_offers: 0", "promotion_notices: 0", "stalled_runs: 0", "pending_payments: 0",
                                                    "sandbox_notifications: 0"]


@pytest.mark.django_db
def test_a_job_registered_later_runs_without_editing_the_command(extra_jobs, capsys):
    calls = []

    @sweep.register("poll_payments")
    def poll_payments():
        calls.append(1)
        return 3

    call_command("sweep")
    assert calls == [1] and "poll_payments: 3" in capsys.readouterr().out.splitlines()
    call_command("sweep", "poll_payments")
    assert capsys.readouterr().out.splitlines() == ["poll_payments: 3"]


@pytest.mark.django_db
def test_a_broken_job_is_reported_and_the_others_still_run(extra_jobs, capsys):
    @sweep.register("aaa_broken")
    def broken():
        raise ValueError("base indisponible")

    @sweep.register("zzz_after")
    def after():
        return 1

    with pytest.raises(CommandError, match="aaa_broken"):
        call_command("sweep")
    captured = capsys.readouterr()
    assert "zzz_after: 1" in captured.out and "aaa_broken: ERROR ValueError: base indisponible" in captured.err


def test_two_jobs_cannot_share_a_name(extra_jobs):
    sweep.register("once")(lambda: 0)
    with pytest.raises(ValueError, match="already registered"):
        sweep.register("once")(lambda: 1)


def test_an_unknown_job_name_is_refused():
    with pytest.raises(CommandError, match="unknown job"):
        call_command("sweep", "nothing_like_this")
