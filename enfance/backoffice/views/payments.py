"""Money at the desk, for agents and administrators (leaders never see money): a household's account on its page,
a payment received (cheque, cash, CESU, transfer) and its receipt, the reversal of a mistaken one, the staff's
invoice page, a household's statement, every household's balance, the overdue invoices and their reminders.

The views stay thin: payments are enfance.billing.payments' (allocation, credit, locks), reminders
enfance.billing.reminders', and the lists enfance.billing.staff_queries' (aggregate SQL, a fixed number of
queries whatever the number of households). An archived household still pays what it owes and is still
reminded: its dossier is read-only, not its account.
"""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from enfance.accounts.decorators import staff_required
from enfance.billing import ledger, payments, reminders, staff_queries
from enfance.billing.models import Allocation, Invoice, InvoiceLine, Payment, Regie
from enfance.billing.money import ZERO, euros, money
from enfance.core import audit
from enfance.core.forms import bound_data
from enfance.core.models import AuditEntry
from enfance.core.pagination import paginate
from enfance.core.values import parse_id
from enfance.families import access
from enfance.families.models import Family
from enfance.messaging import notifications
from enfance.messaging.models import NotificationPreference

from ..payment_forms import BalanceFilterForm, OverdueFilterForm, PaymentForm, ReverseForm

SECTION = "billing"
BALANCES_PER_PAGE = 50
MAX_SELECTED = 500  # invoices reminded in one submission


def _int(value):
    return parse_id(value)  # ASCII digits only: "²".isdigit() is True, int("²") raises


def _day(iso):
    try:
        return datetime.date.fromisoformat(iso).strftime("%d/%m")
    except (TypeError, ValueError):
        return str(iso)


def _payments_of(user):
    return Payment.objects.filter(family__in=access.families_visible_to(user))


# --- the household page's account card ---------------------------------------------------------------------

def family_account(request, family):
    """The household page's money card (backoffice/billing/_family_account.html): agents and administrators only,
    {} for the others. A fixed number of queries (staff_queries.family_accounts)."""
    if not access.sees_financial_data(request.user):
        return {}
    accounts, regies = staff_queries.family_accounts(family)
    return {"account": {"accounts": accounts, "regies": regies, "can_record": bool(regies)}}


# --- a payment at the desk ----------------------------------------------------------------------------------

@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def payment_new(request, family_id):
    family = access.get_family_for_staff(request.user, family_id)
    regies = list(Regie.objects.order_by("name"))
    invoices = staff_queries.open_invoices(family)
    initial = {"received_on": timezone.localdate()}
    wanted_invoice = next((i for i in invoices if i.pk == _int(request.GET.get("facture"))), None)
    if wanted_invoice is not None:
        initial.update(regie=wanted_invoice.regie_id, invoices=[wanted_invoice.pk], amount=wanted_invoice.left)
    elif _int(request.GET.get("regie")) in {r.pk for r in regies}:
        initial["regie"] = _int(request.GET.get("regie"))
    form = PaymentForm(bound_data(request)[0], regies=regies, invoices=invoices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # the payment and its line of the audit trail, or neither
                payment = payments.record(regie=form.chosen_regie, family=family, means=data["means"],
                                          amount=data["amount"], received_on=data["received_on"],
                                          reference=data["reference"].strip(), invoice_ids=data["invoices"] or None,
                                          user=request.user)
                _audit_payment(request.user, payment)
        except payments.PaymentError as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(request, _("Règlement de %(amount)s enregistré.") % {"amount": euros(payment.amount)})
            return redirect("backoffice:payment", payment.pk)
    return render(request, "backoffice/billing/payment_form.html", {
        "family": family, "form": form, "regies": regies, "open_invoices": invoices, "section": "families"})


def _allocation_words(payment):
    rows = (payment.allocations.values("invoice__number").annotate(total=Sum("amount")).order_by("invoice__number"))
    return " ; ".join(f"{row['invoice__number']} : {euros(row['total'])}" for row in rows)


def _audit_payment(user, payment):
    changes = audit.diff({}, audit.snapshot(payment, ["means", "amount", "received_on", "reference"]))
    changes[_("réparti sur")] = ["", _allocation_words(payment) or _("rien (crédit sur le compte)")]
    left = payments.unallocated(payment)
    if left > 0:
        changes[_("crédit restant")] = ["", euros(left)]
    audit.record(actor=user, action=AuditEntry.Action.CREATE, obj=payment, family=payment.family,
                 object_type="payment", changes=changes,
                 object_repr=_("Règlement n° %(id)s, %(regie)s") % {"id": payment.pk, "regie": payment.regie.name})


def _payment_with_allocations(request, payment_id):
    payment = get_object_or_404(_payments_of(request.user).select_related(
        "regie", "family", "recorded_by", "reverses", "reversal__recorded_by"), pk=payment_id)
    allocations = list(payment.allocations.select_related("invoice").order_by("invoice__issued_at", "pk"))
    left = ledger.remaining([a.invoice for a in allocations]) if allocations else {}
    for allocation in allocations:
        allocation.left = left[allocation.invoice_id]
    return payment, allocations


def _reversal_of(payment):
    try:
        return payment.reversal
    except Payment.DoesNotExist:
        return None


def _left_after(payment, allocations):
    """{invoice id: what was left on it just after `payment` was recorded and allocated}, for the allocations
    made then: its total, less its credit notes issued by then and the allocations recorded up to this payment's
    (never those recorded later), so that a reprint of the receipt says what the one handed over said.

    The allocations made then are those of the payment's sign to invoices issued by then; a credit of the
    payment given later to a newer invoice (payments.allocate_credit) or released by a credit note is not on the
    receipt handed over, and has no entry here."""
    sign = 1 if payment.amount > 0 else -1
    then = [a for a in allocations if a.amount * sign > 0 and a.invoice.issued_at is not None
            and a.invoice.issued_at <= payment.recorded_at]
    if not then:
        return {}
    ids = {a.invoice_id for a in then}
    last = max(a.pk for a in then)
    left = {a.invoice_id: a.invoice.total for a in then}
    for row in (Invoice.objects.filter(corrects_id__in=ids, state=Invoice.State.ISSUED,
                                       issued_at__lte=payment.recorded_at)
                .values("corrects_id").annotate(credited=Sum("total"))):
        left[row["corrects_id"]] -= row["credited"]
    for row in (Allocation.objects.filter(invoice_id__in=ids, pk__lte=last).values("invoice_id")
                .annotate(paid=Sum("amount"))):
        left[row["invoice_id"]] -= row["paid"]
    return {pk: max(money(value), ZERO) for pk, value in left.items()}


@staff_required(edit=True)
@require_GET
def payment_detail(request, payment_id):
    """The payment's receipt, printable: its issuer (the commune and the régie), what it settled and what was
    left on each invoice just after it (as of the receipt, not today), the credit it left, the régisseur's
    signature."""
    payment, allocations = _payment_with_allocations(request, payment_id)
    left_then = _left_after(payment, allocations)
    for allocation in allocations:
        allocation.left_then = left_then.get(allocation.invoice_id)
    return render(request, "backoffice/billing/payment_detail.html", {
        "payment": payment, "family": payment.family, "allocations": allocations,
        "allocated": money(sum((a.amount for a in allocations), ZERO)),
        "credit_left": payments.unallocated(payment) if payment.amount > 0 else ZERO,
        "reversal": _reversal_of(payment), "section": "families"})


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def payment_reverse(request, payment_id):
    """A confirmation with the reason on GET; the reversal on POST. Twice: "déjà annulé", never an error."""
    payment, allocations = _payment_with_allocations(request, payment_id)
    form = ReverseForm(bound_data(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the reversal and its line of the audit trail, or neither
                reversal = payments.reverse(payment, reason=form.cleaned_data["reason"], user=request.user)
                audit.record(actor=request.user, action=AuditEntry.Action.CREATE, obj=reversal,
                             family=payment.family, object_type="payment",
                             object_repr=_("Annulation du règlement n° %(id)s, %(regie)s") % {
                                 "id": payment.pk, "regie": payment.regie.name},
                             changes={**audit.diff({}, audit.snapshot(reversal, ["means", "amount", "received_on"])),
                                      _("motif"): ["", reversal.reason]})
        except payments.PaymentError as refusal:
            if refusal.field in form.fields:
                form.add_error(refusal.field, refusal.message)
            else:  # already reversed (a double submit, another agent) or itself a reversal
                messages.info(request, refusal.message)
                return redirect("backoffice:payment", payment.pk)
        else:
            messages.success(request, _("Règlement annulé : les factures qu'il réglait sont de nouveau à payer."))
            return redirect("backoffice:payment", payment.pk)
    return render(request, "backoffice/billing/payment_reverse.html", {
        "payment": payment, "family": payment.family, "allocations": allocations, "form": form,
        "reversal": _reversal_of(payment), "section": "families"})


# --- the staff's invoice page -------------------------------------------------------------------------------

@staff_required(edit=True)
@require_GET
def invoice_detail(request, invoice_id):
    """An issued invoice or credit note: its lines and their rules, the previous balance, the credit notes and
    payments that settle it, what is left and the reminders that named it (drafts are their run's)."""
    invoice = get_object_or_404(
        Invoice.objects.filter(family__in=access.families_visible_to(request.user), state=Invoice.State.ISSUED)
        .select_related("regie", "family", "corrects"), pk=invoice_id)
    lines = list(InvoiceLine.objects.filter(invoice=invoice).select_related("corrects").order_by("pk"))
    for line in lines:
        line.day_list = ", ".join(_day(d) for d in line.days or [])
    context = {"invoice": invoice, "family": invoice.family, "lines": lines, "section": "families"}
    if not invoice.is_credit_note:
        left = ledger.remaining([invoice])[invoice.pk]
        credit_notes = list(invoice.credit_notes.filter(state=Invoice.State.ISSUED).order_by("issued_at", "pk"))
        allocations = list(Allocation.objects.filter(invoice=invoice).select_related("payment__reverses")
                           .order_by("payment__received_on", "pk"))
        state = payments.state(invoice, left)
        context.update({
            "left": left, "state": state, "state_label": payments.STATE_LABELS[state],
            # What the PDF prints: the previous balance plus this invoice, as of its issue.
            "due_with_previous": money(invoice.previous_balance + invoice.signed_total),
            "credit_notes": credit_notes, "allocations": allocations,
            "overdue": left > 0 and invoice.due_on is not None and invoice.due_on < timezone.localdate(),
            "reminders": list(invoice.reminders.select_related("sent_by").order_by("-sent_at")),
        })
    return render(request, "backoffice/billing/invoice_detail.html", context)


# --- a household's statement --------------------------------------------------------------------------------

@staff_required(edit=True)
@require_GET
def family_statement(request, family_id, regie_id):
    family = access.get_family_for_staff(request.user, family_id)
    regie = get_object_or_404(Regie, pk=regie_id)
    lines = staff_queries.statement(regie, family)
    return render(request, "backoffice/billing/balance_statement.html", {
        "family": family, "regie": regie, "lines": lines, "balance": lines[-1].balance if lines else ZERO,
        "today": timezone.localdate(), "section": "families"})


# --- every household's balance ------------------------------------------------------------------------------

@staff_required(edit=True)
@require_GET
def balances(request):
    regies = list(Regie.objects.order_by("name"))
    form = BalanceFilterForm(request.GET or None, regies=regies)
    regie, sign, order = None, "", "owed"
    if form.is_valid():
        chosen = form.cleaned_data
        regie = next((r for r in regies if r.pk == chosen["regie"]), None)
        sign, order = chosen["sign"] or "", chosen["order"] or "owed"
    listed = staff_queries.Balances(regie=regie, sign=sign, order=order, regies=regies)
    page = Paginator(listed, BALANCES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "backoffice/billing/balance_list.html", {
        "form": form, "page": page, "totals": listed.totals(), "regie": regie, "regies": regies,
        "section": SECTION, "page_key": "balances"})


# --- overdue invoices and their reminders -------------------------------------------------------------------

@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def overdue(request):
    regies = list(Regie.objects.order_by("name"))
    if request.method == "POST":
        return _send_reminders(request, regies)
    form = OverdueFilterForm(request.GET or None, regies=regies)
    regie = None
    if form.is_valid():
        regie = next((r for r in regies if r.pk == form.cleaned_data["regie"]), None)
    page = paginate(request, staff_queries.OverdueList(regie=regie))
    return render(request, "backoffice/billing/overdue_list.html", {
        "form": form, "page": page, "regie": regie, "regies": regies, "today": timezone.localdate(),
        "reminded_today": reminders.reminded_today([i.pk for i in page.object_list]),
        "section": SECTION, "page_key": "overdue"})


def _send_reminders(request, regies):
    """Remind the households of the invoices ticked (or of every invoice of the page): first a confirmation page
    listing the households and invoices (no JavaScript needed), whose button posts the same selection with
    confirm=1; then one reminder, one transaction, per household and régie, and back to the list with a message
    per outcome."""
    back = reverse("backoffice:overdue") + _query_back(request)
    action = "page" if request.POST.get("action") == "page" else "selected"
    field = "page_invoices" if action == "page" else "invoices"
    ids = [i for i in (_int(v) for v in request.POST.getlist(field)[:MAX_SELECTED]) if i is not None]
    if not ids:
        messages.error(request, _("Cochez au moins une facture à relancer."))
        return redirect(back)
    chosen = list(staff_queries.overdue().filter(pk__in=ids))
    if not chosen:
        messages.error(request, _("Aucune des factures choisies n'est à relancer : elles sont réglées ou pas encore "
                                  "échues."))
        return redirect(back)
    groups = {}
    for invoice in chosen:
        groups.setdefault((invoice.regie_id, invoice.family_id), []).append(invoice)
    if request.POST.get("confirm") != "1":
        return _confirm_reminders(request, action, field, chosen, groups, back)
    sent = paper = 0
    for invoices in groups.values():
        regie, family = invoices[0].regie, invoices[0].family
        try:
            reminder = reminders.send(regie, family, invoices, request.user)
        except reminders.ReminderRefused as refusal:
            messages.info(request, refusal.message)
            continue
        sent += 1
        if not reminder.emails:
            paper += 1
            messages.warning(request, _("Foyer %(ref)s : aucun identifiant avec une adresse électronique ne reçoit "
                                        "les relances ; la relance est enregistrée, envoyez-la par courrier.")
                             % {"ref": family.reference})
    if sent:
        messages.success(request, reminders_sent_text(sent, sent - paper))
    return redirect(back)


def _households_mailed(family_ids):
    """The ids among these households of those where at least one login with an address wants the reminders'
    e-mail (what notifications.notify will find), in two queries."""
    families = Family.objects.filter(pk__in=family_ids).prefetch_related("logins")
    logins = {family.pk: notifications.recipients(family) for family in families}
    chosen = dict(NotificationPreference.objects.filter(
        user__in=[login for found in logins.values() for login in found], kind=reminders.KIND)
        .values_list("user", "email"))
    default = notifications.KINDS[reminders.KIND].default
    return {pk for pk, found in logins.items() if any(chosen.get(login.pk, default) for login in found)}


def _confirm_reminders(request, action, field, chosen, groups, back):
    """The confirmation: who will be reminded of what, by e-mail or on paper, and what was already reminded
    today (left out); its button posts the same selection again with confirm=1. Nothing is sent here."""
    today = reminders.reminded_today([i.pk for i in chosen])
    mailed = _households_mailed({family_id for _regie, family_id in groups})
    households = []
    for invoices in groups.values():
        due = [i for i in invoices if i.pk not in today]
        households.append({
            "family": invoices[0].family, "regie": invoices[0].regie, "invoices": due,
            "skipped": [i for i in invoices if i.pk in today], "amount": money(sum((i.left for i in due), ZERO)),
            "mailed": invoices[0].family_id in mailed})
    to_remind = [h for h in households if h["invoices"]]
    return render(request, "backoffice/billing/overdue_confirm.html", {
        "households": households, "to_remind": len(to_remind), "to_mail": sum(1 for h in to_remind if h["mailed"]),
        "action": action, "field": field, "ids": [i.pk for i in chosen], "back": back,
        "back_regie": _int(request.POST.get("back_regie")), "back_page": _int(request.POST.get("back_page")),
        "section": SECTION, "page_key": "overdue"})


def reminders_sent_text(sent, mailed):
    """"1 relance enregistrée et envoyée par courriel.", "3 relances enregistrées, dont 2 envoyées par courriel."
    (real plurals, never "relance(s)")."""
    if mailed == sent:
        return ngettext("%(n)s relance enregistrée et envoyée par courriel.",
                        "%(n)s relances enregistrées et envoyées par courriel.", sent) % {"n": sent}
    if mailed == 0:
        return ngettext("%(n)s relance enregistrée, à envoyer par courrier.",
                        "%(n)s relances enregistrées, à envoyer par courrier.", sent) % {"n": sent}
    recorded = ngettext("%(n)s relance enregistrée", "%(n)s relances enregistrées", sent) % {"n": sent}
    return ngettext("%(recorded)s, dont %(mails)s envoyée par courriel.",
                    "%(recorded)s, dont %(mails)s envoyées par courriel.", mailed) % {
        "recorded": recorded, "mails": mailed}


def _query_back(request):
    params = {k: v for k in ("regie", "page") if (v := _int(request.POST.get(f"back_{k}"))) is not None}
    return f"?{urlencode(params)}" if params else ""

