"""The invoice runs' work, off the request path (the "default" queue's worker in production), and the sweep
that resumes a run whose worker stopped."""

import datetime
import logging

from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django_tasks import task

from .models import Invoice, InvoiceRun

STALE = datetime.timedelta(minutes=15)  # no heartbeat for this long: the worker is gone
logger = logging.getLogger(__name__)


MAX_FAILURES = 3  # then the run is failed: staff read why, and discard it or start another


def _failed(run_id, error):
    """Record a run's failure; after MAX_FAILURES, the run stops being resumed (and frees its régie). One UPDATE
    conditional on the state: a stale worker failing late never turns a run another worker issued into failed,
    and two failing at once both count. An issue that already issued invoices is never failed: those invoices
    are numbered and final, so the sweep keeps resuming it (and then tells their households)."""
    open_states = (InvoiceRun.State.PREVIEWING, InvoiceRun.State.ISSUING)
    started = Q(state=InvoiceRun.State.ISSUING) & Exists(
        Invoice.objects.filter(run=OuterRef("pk"), state=Invoice.State.ISSUED))
    InvoiceRun.objects.filter(pk=run_id, state__in=open_states).annotate(started=started).update(
        failures=F("failures") + 1, error=str(error)[:2000],
        state=Case(When(Q(failures__gte=MAX_FAILURES - 1) & ~started, then=Value(InvoiceRun.State.FAILED)),
                   default=F("state")))


@task(queue_name="default")
def preview_run(run_id):
    from . import runs

    try:
        return runs.preview(run_id).households_done
    except runs.RunError:
        return 0  # no longer in preview: nothing to do
    except Exception as exc:
        logger.exception("Preview of run %s failed", run_id)
        _failed(run_id, exc)
        return 0


@task(queue_name="default")
def issue_run(run_id):
    """RunError (what the preview priced changed) is kept on the run for staff to read; the run stays previewed."""
    from . import runs

    try:
        return runs.issue(run_id).households_done
    except runs.RunError as refusal:
        InvoiceRun.objects.filter(pk=run_id).update(error=refusal.message)
        return 0
    except Exception as exc:
        logger.exception("Issue of run %s failed", run_id)
        _failed(run_id, exc)
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
    # Issued runs whose households were not all told, or whose PDFs were not all archived (the task lost): done
    # now, once each (notices.tell_issued and documents.invoice.archive skip what is done).
    recent = InvoiceRun.objects.filter(
        Q(invoices__notified_at__isnull=True) | Q(invoices__pdf=""), state=InvoiceRun.State.ISSUED,
        issued_at__gte=now - datetime.timedelta(days=7), issued_at__lt=now - STALE,
        invoices__state="issued").distinct()
    for run in recent:
        after_issue.enqueue(run.pk)
        count += 1
    return count
