"""The sandbox bank: a local page that looks like a bank's, for demonstrations and tests (never in production:
settings.PAYMENT_SANDBOX is refused with DEBUG off).

Like a real bank it keeps its own book (SandboxOperation), offers the payer to pay, refuse or cancel, then
notifies our server from server to server (an HTTP POST to the attempt's notification URL, at once, later, or
never, as the payer asks) and sends the payer back. SandboxProvider.status() reads its book: the sandbox's
"own channel". Nothing the notification carries is read by our side.
"""

import datetime
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from .models import SandboxOperation
from .providers import base

logger = logging.getLogger(__name__)
LATE = datetime.timedelta(seconds=60)
NOTIFY_TIMEOUT = 10  # seconds
_STATES = {SandboxOperation.Outcome.WAITING: base.PENDING, SandboxOperation.Outcome.PAID: base.PAID,
           SandboxOperation.Outcome.REFUSED: base.REFUSED, SandboxOperation.Outcome.CANCELLED: base.CANCELLED}


class SandboxProvider(base.Provider):
    minimal_amount = base.Decimal("1.00")
    maximal_amount = base.Decimal("100000.00")

    def start(self, *, attempt_id, amount, email, refdet, year, description, notify_url, return_url):
        from django.urls import reverse

        operation = SandboxOperation.objects.create(amount=amount, refdet=refdet, description=description[:200],
                                                    notify_url=notify_url, return_url=return_url)
        return base.Started(reference=operation.reference, url=reverse("payments:sandbox_bank",
                                                                       args=[operation.reference]),
                            raw={"sandbox": operation.reference, "amount": str(amount), "refdet": refdet})

    def status(self, *, reference, started_at):
        operation = SandboxOperation.objects.filter(reference=reference).first()
        if operation is None:
            raise base.ProviderError("unknown sandbox operation", code="unknown")
        return base.Outcome(state=_STATES[operation.outcome], reference=reference,
                            amount=operation.amount if operation.outcome == SandboxOperation.Outcome.PAID else None,
                            raw={"sandbox": reference, "outcome": operation.outcome,
                                 "decided_at": operation.decided_at.isoformat() if operation.decided_at else None},
                            test=True)


def _operation(reference):
    if not settings.PAYMENT_SANDBOX:
        raise Http404
    operation = SandboxOperation.objects.filter(reference=reference).first()
    if operation is None:
        raise Http404
    return operation


@require_http_methods(["GET", "POST"])
def bank_page(request, token):
    """The bank's page: the amount, then pay, refuse or cancel; when to notify."""
    operation = _operation(token)
    if operation.outcome != SandboxOperation.Outcome.WAITING:
        return render(request, "payments/sandbox_bank.html", {"operation": operation, "done": True})
    if request.method == "POST":
        choice = request.POST.get("choice")
        outcome = {"pay": SandboxOperation.Outcome.PAID, "refuse": SandboxOperation.Outcome.REFUSED,
                   "cancel": SandboxOperation.Outcome.CANCELLED}.get(choice)
        if outcome is not None:
            notify = request.POST.get("notify", "now")
            with transaction.atomic():
                locked = SandboxOperation.objects.select_for_update().get(pk=operation.pk)
                if locked.outcome == SandboxOperation.Outcome.WAITING:
                    locked.outcome, locked.decided_at = outcome, timezone.now()
                    locked.notify_after = {"now": locked.decided_at, "late": locked.decided_at + LATE}.get(notify)
                    locked.save(update_fields=["outcome", "decided_at", "notify_after"])
                    if notify == "now":
                        transaction.on_commit(lambda pk=locked.pk: _enqueue(pk))
            return redirect(locked.return_url)
    return render(request, "payments/sandbox_bank.html", {"operation": operation})


def _enqueue(pk):
    from .tasks import sandbox_notify

    sandbox_notify.enqueue(pk)


def send_notification(operation_id):
    """POST to the attempt's notification URL, as a bank's server would; True when our server answered 2xx.
    What it sends is only what a bank would (its own reference): our side reads nothing of it."""
    with transaction.atomic():
        operation = SandboxOperation.objects.select_for_update().filter(pk=operation_id).first()
        if operation is None or operation.notified_at or operation.notify_after is None:
            return False
        url, body = operation.notify_url, f"reference={operation.reference}".encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"),
                                    timeout=NOTIFY_TIMEOUT) as answer:
            ok = 200 <= answer.status < 300
    except (urllib.error.URLError, OSError) as error:
        logger.info("The sandbox bank's notification to %s failed: %s", url, error)
        ok = False
    if ok:
        SandboxOperation.objects.filter(pk=operation_id).update(notified_at=timezone.now())
    return ok


def send_due_notifications():
    """The sweep's job: the notifications due (late ones, and any that failed) sent; the number sent."""
    if not settings.PAYMENT_SANDBOX:
        return 0
    due = (SandboxOperation.objects.filter(notified_at__isnull=True, notify_after__lte=timezone.now(),
                                           notify_after__gte=timezone.now() - datetime.timedelta(hours=1))
           .values_list("pk", flat=True)[:100])
    return sum(send_notification(pk) for pk in list(due))
