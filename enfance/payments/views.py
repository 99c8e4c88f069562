"""Paying online: the household starts an attempt (portal), the bank notifies and sends the payer back
(anonymous URLs carrying the attempt's token), and a result page found by that token.

The notification trusts nothing it receives but the token in its own URL: it asks the bank (attempts.check).
It is exempt from CSRF (a bank's server posts it) and outside the portal's gates (no login, no service rules).
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.billing.models import Regie
from enfance.core.pagination import paginate
from enfance.core.values import parse_id
from enfance.messaging.services import unread_count
from enfance.portal.decorators import family_required

from . import attempts, config
from .models import PaymentAttempt
from .providers.base import Notice

SECTION = "billing"


def _url_for(request):
    return lambda name, token: request.build_absolute_uri(reverse(name, args=[token]))


def _ids(values):
    """The invoices chosen, or None when one is no identifier."""
    ids = [parse_id(v) for v in values]
    return None if None in ids else sorted(set(ids))


@require_POST
@family_required
def start(request):
    """Pay the balance of one régie, or the invoices chosen; the amount is the ledger's, never the form's."""
    family = request.family
    regie_id = parse_id(request.POST.get("regie"))
    regie = Regie.objects.filter(pk=regie_id).first() if regie_id is not None else None
    invoice_ids = _ids(request.POST.getlist("invoice"))
    back = request.POST.get("next") or reverse("portal:invoices")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("portal:invoices")
    if regie is None or invoice_ids is None:
        messages.error(request, _("Ce paiement n'est pas possible : rechargez la page."))
        return redirect(back)
    try:
        attempt = attempts.start(regie=regie, family=family, user=request.user, invoice_ids=invoice_ids,
                                 url_for=_url_for(request))
    except attempts.PaymentRefused as refused:
        messages.error(request, refused.message)
        return redirect(back)
    if attempt.reused:
        messages.info(request, _("Un paiement de ces factures est déjà en cours : le voici. Terminez-le à la "
                                 "banque, ou abandonnez-le pour en commencer un autre."))
        return redirect("payments:result", attempt.token)
    return redirect(to_bank(attempt))


def to_bank(attempt):
    """Where the payer goes to pay: the bank's page, or ours that posts the bank's form for it."""
    return reverse("payments:go", args=[attempt.token]) if attempt.bank_form else attempt.bank_url


@never_cache
@require_GET
def go(request, token):
    """The form a bank wants posted by the payer's browser (SystemPay, Paybox, Sips), sent by a button and,
    with JavaScript, at once. Only for an attempt still open: the fields are signed for its amount."""
    attempt = get_object_or_404(PaymentAttempt.objects.select_related("regie", "family"), token=token)
    # The form holds the payer's e-mail: for the household itself (anyone else holding the token: the result).
    if not attempt.is_open or not attempt.bank_form or not _own(request, attempt):
        return redirect("payments:result", attempt.token)
    # This page's form goes to the bank: its origin, and only this page, is allowed as the form's target (the
    # middleware's policy); our own stays allowed, for "Ne pas payer maintenant" (payments:abandon).
    bank = urlsplit(attempt.bank_url)
    request.csp_form_origins = (f"{bank.scheme}://{bank.netloc}",)
    return render(request, "payments/bank_form.html", {"attempt": attempt, "fields": attempt.bank_form})


@require_GET
@family_required
def attempt_list(request):
    page = paginate(request, attempts.family_attempts(request.family))
    return render(request, "payments/attempts.html", {"page": page, "attempts": page.object_list,
                                                      "section": SECTION})


@require_POST
@family_required
def abandon(request, token):
    """The household gives up its attempt ("Abandonner ce paiement" on the result page, "Ne pas payer maintenant"
    on the bank form's page): closed on our side, then its result page, which says nothing was charged and offers
    to pay again. Another household's attempt answers 404."""
    attempt = attempts.get_for_family(request.family, token)
    if attempt is None:
        raise Http404
    attempts.abandon(attempt, actor=request.user)
    return redirect("payments:result", attempt.token)


@never_cache
@require_GET
def result(request, token):
    """The attempt's outcome, for whoever holds its token (the phone's session may have expired at the bank).
    While it is pending the page asks the bank again and refreshes itself, with or without JavaScript."""
    attempt = get_object_or_404(PaymentAttempt.objects.select_related("regie", "family"), token=token)
    # An attempt closed on our side lately is asked too: paid in another tab after an abandon, its page must
    # never say that nothing was charged.
    if (attempt.is_open or attempts.closed_here_recently(attempt)) and attempt.reference and (
            attempt.checked_at is None or timezone.now() - attempt.checked_at > attempts.PAGE_CHECK_EVERY):
        attempt = attempts.check(attempt, source=attempts.Source.PAGE)
    own = _own(request, attempt)
    if own:  # the household's own page, in its portal (menu included); anyone else holding the token, a bare one
        request.family = attempt.family
        attempt.family.inbox_unread = unread_count(attempt.family_id, request.user)
    return render(request, "payments/result.html", {
        "attempt": attempt, "own": own, "section": SECTION,
        "base_template": "portal/base.html" if own else "core/base.html",
        "numbers": attempts.invoice_numbers(attempt) if own else [],
        "refresh": attempt.is_open,
        "bank_link": to_bank(attempt) if own and attempt.is_open and attempt.bank_url else "",
        "again": _again(attempt) if own and attempt.state in _PAY_AGAIN else None,
        "asked": config.can_ask(attempt.provider),
    })


# The outcomes after which nothing was taken, and the result page offers to pay again.
_PAY_AGAIN = (PaymentAttempt.State.CANCELLED, PaymentAttempt.State.REFUSED, PaymentAttempt.State.ERROR)


def _again(attempt):
    """What paying again would ask now, for the result page's pay button: {"amount", "invoice"} for the same
    invoice (the attempt paid one), or the régie's balance (it paid the balance); None when nothing is due any
    more (settled meanwhile, at the desk or in another tab), or the attempt paid several invoices."""
    invoices = list(attempt.invoices.all())
    if len(invoices) > 1:
        return None
    try:
        amount, _chosen = attempts.due(attempt.regie, attempt.family, [i.pk for i in invoices])
    except attempts.PaymentRefused:  # the invoice is no longer to pay
        return None
    return {"amount": amount, "invoice": invoices[0] if invoices else None} if amount > 0 else None


def mark_invoice_in_progress(family, regie, invoice):
    """For an invoice's pay button: sets `regie.payment_in_progress` to the household's attempt that pressing it
    would show again (attempts.start: one in progress on this invoice or on the whole balance, unless it is for
    this invoice alone and another amount), else None. Two queries, none when nothing is left to pay."""
    regie.payment_in_progress = None
    if not invoice.left or invoice.left <= 0:
        return
    current = attempts.in_progress(regie, family, [invoice.pk])
    if current is not None:
        scope = set(current.invoices.values_list("pk", flat=True))
        if scope != {invoice.pk} or current.amount == invoice.left:
            regie.payment_in_progress = current


def mark_in_progress(family, owed):
    """For the pages whose pay buttons pay a régie's whole balance (the home page, "Mes factures", the
    statement): sets `regie.payment_in_progress` on each régie of `owed` ([(regie, amount owed)]) to the
    household's attempt that pressing its button would show again rather than start another, else None.
    payments/_pay_button.html then links to that attempt's result page instead of offering to pay.

    The rule is attempts.start's: attempts.in_progress for the whole balance (the latest attempt still open and
    started less than REUSE ago, none kept for staff nor started with other settings than the régie's now:
    a whole-balance payment overlaps every attempt), reused only when it is for the amount owed now (otherwise
    start supersedes it). One query for all the régies, none when nothing is owed."""
    # Its place is attempts.py, beside in_progress, so that the two cannot drift apart (a test compares them).
    wanted = {}
    for regie, amount in owed:
        regie.payment_in_progress = None
        if amount and amount > 0:
            wanted[regie.pk] = (regie, amount)
    if not wanted:
        return
    decided = set()
    for attempt in (PaymentAttempt.objects.filter(family=family, regie_id__in=wanted,
                                                  state__in=PaymentAttempt.OPEN_STATES,
                                                  created_at__gte=timezone.now() - attempts.REUSE)
                    .order_by("-created_at")):
        if attempt.regie_id in decided:
            continue
        regie, amount = wanted[attempt.regie_id]
        if attempt.needs_review or config.settings_changed(attempt, regie):
            continue  # never reused: in_progress looks at the next one
        decided.add(attempt.regie_id)
        if attempt.amount == amount:
            regie.payment_in_progress = attempt


def _own(request, attempt):
    """Whether the one asking is a login of the attempt's household (not archived)."""
    return (request.user.is_authenticated and getattr(request.user, "is_family", False)
            and request.user.family_id == attempt.family_id and attempt.family.archived_at is None)


def _notice(request):
    return Notice(method=request.method, query_string=request.META.get("QUERY_STRING", ""),
                  body=request.body if request.method == "POST" else b"")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def notify(request, token):
    """The bank's server-to-server notification: the attempt is the token's; the bank is asked, or its signed
    notice checked (attempts.receive)."""
    attempt = PaymentAttempt.objects.select_related("regie").filter(token=token).first()
    if attempt is None:
        return HttpResponse("unknown", status=404, content_type="text/plain")
    attempts.receive(attempt, _notice(request), source=attempts.Source.NOTIFICATION)
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def regie_notify(request, code):
    """A signed-notice bank's notification to the one URL its back office holds for the régie: the attempt is
    the one its signed reference names, never anything else the notice says."""
    regie = Regie.objects.filter(code=code).first()
    if regie is None or attempts.receive_for_regie(regie, _notice(request)) is None:
        return HttpResponse("unknown", status=404, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt  # the bank's page may send the payer back with a POST of its signed fields
@never_cache
@require_http_methods(["GET", "POST"])
def back(request, token):
    """Where the bank sends the payer back: the bank is asked (never the query string) or its signed fields
    checked, then the result."""
    attempt = get_object_or_404(PaymentAttempt.objects.select_related("regie"), token=token)
    attempts.receive(attempt, _notice(request), source=attempts.Source.RETURN)
    return redirect("payments:result", attempt.token)

