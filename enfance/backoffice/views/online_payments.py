"""Online payments for staff (agents and administrators; leaders never see money): every attempt with its state,
the bank's answers and what they moved, the ones to check (a confirmed amount that differs, a notice in another
currency, an attempt left open on the régie's former bank settings), and the reconciliation by hand
(enfance.payments.attempts.reconcile: audited, with a reason; a bank that cannot be asked is never offered as
asked)."""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from enfance.accounts.decorators import staff_required
from enfance.core.pagination import paginate
from enfance.payments import attempts
from enfance.payments.models import PaymentAttempt

from ..billing_forms import ReconcileForm

SECTION = "billing"
FILTERS = {
    "review": Q(needs_review=True, payment__isnull=True),
    "open": Q(state__in=PaymentAttempt.OPEN_STATES),
    "paid": Q(state=PaymentAttempt.State.PAID),
    "failed": Q(state__in=[PaymentAttempt.State.REFUSED, PaymentAttempt.State.CANCELLED,
                           PaymentAttempt.State.EXPIRED, PaymentAttempt.State.ERROR]),
}


@staff_required(edit=True)
@require_GET
def attempt_list(request):
    shown = request.GET.get("etat", "")
    listed = (PaymentAttempt.objects.select_related("regie", "family", "payment").prefetch_related("family__guardians")
              .order_by("-created_at", "-pk"))
    if shown in FILTERS:
        listed = listed.filter(FILTERS[shown])
    page = paginate(request, listed)
    return render(request, "backoffice/billing/online_payments.html", {
        "page": page, "attempts": page.object_list, "shown": shown, "section": SECTION,
        "page_key": "online", "to_review": PaymentAttempt.objects.filter(FILTERS["review"]).count()})


def _detail(request, attempt, form):
    return render(request, "backoffice/billing/online_payment.html", {
        "attempt": attempt, "events": list(attempt.events.select_related("actor")),
        "invoices": list(attempt.invoices.all()), "form": form,
        "offered": bool(form.fields["decision"].widget.choices), "section": SECTION, "page_key": "online"})


def _attempt(attempt_id):
    return get_object_or_404(PaymentAttempt.objects.select_related("regie", "family", "payment", "started_by"),
                             pk=attempt_id)


@staff_required(edit=True)
@require_GET
def attempt_detail(request, attempt_id):
    attempt = _attempt(attempt_id)
    return _detail(request, attempt, ReconcileForm(offered=attempts.decisions(attempt)))


@staff_required(edit=True)
@require_POST
def attempt_reconcile(request, attempt_id):
    """Staff's decision (attempts.reconcile); a refusal, or a missing reason, shown next to its field with what
    was typed kept."""
    attempt = _attempt(attempt_id)
    form = ReconcileForm(request.POST, offered=attempts.decisions(attempt))
    if form.is_valid():
        try:
            done = attempts.reconcile(attempt, actor=request.user, decision=form.cleaned_data["decision"],
                                      note=form.cleaned_data["note"])
        except attempts.PaymentRefused as refused:
            form.add_error("decision", refused.message)
        else:
            messages.success(request, done.said)
            return redirect("backoffice:online_payment", attempt.pk)
    return _detail(request, attempt, form)
