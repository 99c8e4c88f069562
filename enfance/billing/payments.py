"""Payments recorded by staff (cheque, cash, CESU, transfer) and their allocation to invoices; reversals.

Every write locks the household's row first: two payments of one household recorded at once never allocate the
same euro twice, and a reversal racing an allocation waits. What a payment does not settle stays on it, a credit
on the account (the ledger's balance goes negative) that allocate_credit gives to the next invoices.
"""

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.families.models import Family

from . import ledger
from .models import Allocation, Invoice, InvoiceLine, Payment
from .money import ZERO, euros, money


class PaymentError(ValueError):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message, self.field = message, field


def _lock_family(family):
    Family.objects.select_for_update(no_key=True).filter(pk=family.pk).first()


def open_invoices(regie, family):
    """The household's issued invoices with something left to pay, oldest first, each with `.left`."""
    invoices = list(Invoice.objects.filter(regie=regie, family=family, state=Invoice.State.ISSUED,
                                           kind=Invoice.Kind.INVOICE).order_by("issued_at", "number"))
    left = ledger.remaining(invoices)
    for invoice in invoices:
        invoice.left = left[invoice.pk]
    return [i for i in invoices if i.left > 0]


def cesu_room(invoices):
    """{invoice id: what CESU may still pay on it}: its childcare lines (never a meal: lines whose tariff CESU
    may pay), less the childcare its credit notes took back, less the CESU already allocated, at most what is
    left on it."""
    ids = [i.pk for i in invoices]
    care = dict.fromkeys(ids, ZERO)
    for row in (InvoiceLine.objects.filter(invoice_id__in=ids, cesu=True).exclude(kind=InvoiceLine.Kind.CREDIT)
                .values("invoice_id").annotate(total=Sum("amount"))):
        care[row["invoice_id"]] = row["total"]
    for row in (InvoiceLine.objects.filter(invoice__corrects_id__in=ids, invoice__state=Invoice.State.ISSUED,
                                           kind=InvoiceLine.Kind.CREDIT, cesu=True)
                .values("invoice__corrects_id").annotate(total=Sum("amount"))):
        care[row["invoice__corrects_id"]] -= row["total"]
    for row in (Allocation.objects.filter(invoice_id__in=ids, payment__means=Payment.Means.CESU)
                .values("invoice_id").annotate(paid=Sum("amount"))):
        care[row["invoice_id"]] -= row["paid"]
    left = {i.pk: getattr(i, "left", i.total) for i in invoices}
    return {pk: max(min(value, left[pk]), ZERO) for pk, value in care.items()}


def _allocate(payment, invoices, available):
    """Allocate up to `available` of `payment` to `invoices` in their order; the amount allocated."""
    room = cesu_room(invoices) if payment.means == Payment.Means.CESU else {}
    allocations, total = [], ZERO
    for invoice in invoices:
        if available <= 0:
            break
        share = min(invoice.left, available)
        if payment.means == Payment.Means.CESU:
            share = min(share, room[invoice.pk])
        if share > 0:
            allocations.append(Allocation(payment=payment, invoice=invoice, amount=share))
            invoice.left -= share
            available -= share
            total += share
    Allocation.objects.bulk_create(allocations)
    return total


def record(*, regie, family, means, amount, received_on, reference="", invoice_ids=None, user=None):
    """Record a payment and allocate it: to the invoices chosen (in their order), else the oldest unpaid first.
    The part left over stays a credit on the account."""
    amount = money(amount)
    if amount <= 0:
        raise PaymentError(_("Le montant doit être positif."), "amount")
    if means == Payment.Means.CARD:
        raise PaymentError(_("Les paiements par carte sont enregistrés par le paiement en ligne."), "means")
    with transaction.atomic():
        _lock_family(family)
        payment = Payment.objects.create(regie=regie, family=family, means=means, amount=amount,
                                         received_on=received_on, reference=reference[:80], recorded_by=user)
        invoices = open_invoices(regie, family)
        if invoice_ids:
            chosen = {i.pk: i for i in invoices}
            invoice_ids = list(dict.fromkeys(invoice_ids))  # one invoice chosen twice is settled once
            unknown = [pk for pk in invoice_ids if pk not in chosen]
            if unknown:
                raise PaymentError(_("Une des factures choisies n'est pas à payer pour ce foyer."), "invoices")
            invoices = [chosen[pk] for pk in invoice_ids]
        if means == Payment.Means.CESU:
            room = sum(cesu_room(invoices).values(), ZERO)
            if amount > room:
                # A CESU credit could never pay the canteen: refused rather than kept on the account.
                raise PaymentError(_("Un CESU ne paie que la garde : %(room)s au plus sur les factures à payer de "
                                     "ce foyer.") % {"room": euros(room)}, "amount")
        _allocate(payment, invoices, amount)
    return payment


def record_online(*, regie, family, amount, received_on, reference, invoice_ids=()):
    """A card payment its provider confirmed over its own channel (payments.attempts, once per attempt, the
    attempt's row locked): allocated to the invoices it was for that are still unpaid, then to the oldest
    ones; the rest stays a credit on the account. It pays whatever the family chose, so it is never refused."""
    amount = money(amount)
    with transaction.atomic():
        _lock_family(family)
        payment = Payment.objects.create(regie=regie, family=family, means=Payment.Means.CARD, amount=amount,
                                         received_on=received_on, reference=reference[:80])
        invoices = open_invoices(regie, family)
        wanted = set(invoice_ids)
        _allocate(payment, [i for i in invoices if i.pk in wanted] + [i for i in invoices if i.pk not in wanted],
                  amount)
    return payment


def unallocated(payment):
    allocated = payment.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    return money(payment.amount - allocated)


def allocate_credit(regie, family):
    """Give what earlier payments left unallocated to the invoices still unpaid, oldest first (after an issue);
    the amount allocated."""
    with transaction.atomic():
        _lock_family(family)
        payments = list(Payment.objects.filter(regie=regie, family=family, amount__gt=0, reversal__isnull=True)
                        .annotate(allocated=Sum("allocations__amount")).order_by("received_on", "pk"))
        total = ZERO
        for payment in payments:
            free = money(payment.amount - (payment.allocated or ZERO))
            if free <= 0:
                continue
            invoices = open_invoices(regie, family)
            if not invoices:
                break
            total += _allocate(payment, invoices, free)
    return total


def release_overpaid(invoice_id):
    """A credit note issued on an invoice already paid leaves more paid than due: that part of its payments is
    released (negative allocations, latest first), and allocate_credit gives it to the next invoices. The amount
    released."""
    invoice = Invoice.objects.select_related("family", "regie").get(pk=invoice_id)
    with transaction.atomic():
        _lock_family(invoice.family)
        credited = (Invoice.objects.filter(corrects=invoice, state=Invoice.State.ISSUED)
                    .aggregate(total=Sum("total"))["total"] or ZERO)
        paid = Allocation.objects.filter(invoice=invoice).aggregate(total=Sum("amount"))["total"] or ZERO
        excess = money(paid + credited - invoice.total)
        released = ZERO
        for row in (Allocation.objects.filter(invoice=invoice).values("payment_id").annotate(total=Sum("amount"))
                    .filter(total__gt=0).order_by("-payment_id")):
            if excess <= 0:
                break
            share = min(row["total"], excess)
            Allocation.objects.create(payment_id=row["payment_id"], invoice=invoice, amount=-share)
            excess -= share
            released += share
    return released


def reverse(payment, *, reason, user=None):
    """Cancel a mistaken payment by its reversal (never by deletion): a negative payment undoing its allocations."""
    if not reason.strip():
        raise PaymentError(_("Indiquez le motif de l'annulation."), "reason")
    with transaction.atomic():
        _lock_family(payment.family)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.reverses_id is not None:
            raise PaymentError(_("Une annulation ne s'annule pas : enregistrez un nouveau règlement."))
        if Payment.objects.filter(reverses=payment).exists():
            raise PaymentError(_("Ce règlement est déjà annulé."))
        reversal = Payment.objects.create(regie=payment.regie, family=payment.family, means=payment.means,
                                          amount=-payment.amount, received_on=payment.received_on,
                                          reference=payment.reference, reverses=payment, reason=reason.strip()[:300],
                                          recorded_by=user)
        by_invoice = (payment.allocations.values("invoice_id").annotate(total=Sum("amount")).filter(~Q(total=0)))
        Allocation.objects.bulk_create([Allocation(payment=reversal, invoice_id=row["invoice_id"], amount=-row["total"])
                                        for row in by_invoice])
    return reversal


def state(invoice, left):
    """"to_pay", "partly_paid" or "paid" from what is left on it."""
    if left <= 0:
        return "paid"
    return "partly_paid" if left < invoice.total else "to_pay"


STATE_LABELS = {"to_pay": gettext_lazy("à payer"), "partly_paid": gettext_lazy("payée en partie"),
                "paid": gettext_lazy("payée")}
