"""Online payments for staff (agents and administrators; leaders never see money): every attempt with its state,
the bank's answers and what they moved, the ones to check (a confirmed amount that differs, an attempt still
open), and the reconciliation by hand (enfance.payments.attempts.reconcile: audited, with a reason)."""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from enfance.accounts.decorators import staff_required
from enfance.core.pagination import paginate
from enfance.payments import attempts
from enfance.payments.models import PaymentAttempt

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


@staff_required(edit=True)
@require_GET
def attempt_detail(request, attempt_id):
    attempt = get_object_or_404(PaymentAttempt.objects.select_related("regie", "family", "payment", "started_by"),
                                pk=attempt_id)
    return render(request, "backoffice/billing/online_payment.html", {
        "attempt": attempt, "events": list(attempt.events.select_related("actor")),
        "invoices": list(attempt.invoices.all()), "section": SECTION, "page_key": "online"})


@staff_required(edit=True)
@require_POST
def attempt_reconcile(request, attempt_id):
    attempt = get_object_or_404(PaymentAttempt.objects.select_related("regie", "family"), pk=attempt_id)
    try:
        attempts.reconcile(attempt, actor=request.user, decision=request.POST.get("decision", ""),
                           note=request.POST.get("note", ""))
    except attempts.PaymentRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("C'est fait, et noté dans l'historique."))
    return redirect("backoffice:online_payment", attempt.pk)
