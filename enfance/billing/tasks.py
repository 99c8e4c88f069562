"""The invoice runs' work, off the request path (the "default" queue's worker in production), and the sweep
that resumes a run whose worker stopped."""

import datetime

from django.utils import timezone
from django_tasks import task

from .models import InvoiceRun

STALE = datetime.timedelta(minutes=5)  # no heartbeat for this long: the worker is gone


@task(queue_name="default")
def preview_run(run_id):
    from . import runs

    return runs.preview(run_id).households_done


@task(queue_name="default")
def issue_run(run_id):
    """RunError (what the preview priced changed) is kept on the run for staff to read; the run stays previewed."""
    from . import runs

    try:
        return runs.issue(run_id).households_done
    except runs.RunError as refusal:
        InvoiceRun.objects.filter(pk=run_id).update(error=refusal.message)
        return 0


@task(queue_name="default")
def after_issue(run_id):
    from . import runs

    runs.after_issue(run_id)


def resume_stalled(now=None):
    """Enqueue again the runs in preview or issue whose worker stopped beating: the number enqueued."""
    now = now or timezone.now()
    stalled = InvoiceRun.objects.filter(state__in=[InvoiceRun.State.PREVIEWING, InvoiceRun.State.ISSUING],
                                        heartbeat_at__lt=now - STALE)
    count = 0
    for run in stalled:
        # Claimed by moving the heartbeat: two overlapping sweeps enqueue it once.
        if InvoiceRun.objects.filter(pk=run.pk, heartbeat_at=run.heartbeat_at).update(heartbeat_at=now):
            (preview_run if run.state == InvoiceRun.State.PREVIEWING else issue_run).enqueue(run.pk)
            count += 1
    return count
