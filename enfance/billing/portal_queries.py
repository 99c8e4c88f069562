"""What the Portail Famille's money pages read: the household's issued invoices and credit notes, one of them with
everything that explains it, its account with each régie and its statement ("relevé de compte").

Reads only, each in a fixed number of queries whatever the number of invoices, lines or payments. A household
sees its issued invoices and credit notes only: another household's, a draft or a discarded one answers 404,
exactly like an identifier that does not exist (get_invoice_for_family, the access helper of an invoice).
The sums are the ledger's (ledger.remaining, staff_queries.with_left / family_balances / statement): the portal
and the desk never disagree on what a household owes.
"""

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from enfance.core.templatetags.enfance import day_month

from . import billing_identity, ledger, payments, staff_queries, words
from .models import Allocation, Invoice, Payment, Quotient, Regie
from .money import ZERO, euros, money

CREDIT_NOTE = "credit_note"  # the state key of a credit note in the lists (it is neither paid nor to pay)


def issued_of(family):
    """The household's issued invoices and credit notes: never a draft, never a discarded one."""
    return Invoice.objects.filter(family=family, state=Invoice.State.ISSUED)


def get_invoice_for_family(family, invoice_id):
    """One of the household's issued invoices or credit notes, with its régie and the invoice it corrects; 404
    for anything else (another household's, a draft, a discarded one, a missing one), the same 404."""
    return get_object_or_404(issued_of(family).select_related("regie", "corrects"), pk=invoice_id)


def _state(invoice, left, today):
    """Sets `state_key`, `state_label`, `left` and `overdue` on an invoice (a credit note: "avoir", no left)."""
    if invoice.is_credit_note:
        invoice.state_key, invoice.state_label, invoice.left, invoice.overdue = CREDIT_NOTE, _("avoir"), None, False
        return invoice
    invoice.left = money(left)
    invoice.state_key = payments.state(invoice, invoice.left)
    invoice.state_label = payments.STATE_LABELS[invoice.state_key]
    invoice.overdue = invoice.left > 0 and invoice.due_on is not None and invoice.due_on < today
    invoice.due_text = due_text(invoice)
    return invoice


def due_text(invoice):
    """The due date in words, as its state has it: "à payer avant le 24 novembre 2026" while it may still be paid
    on time, "échue depuis le 24 novembre 2026" once past with something left, "payée" once settled (never
    "payez avant" a date gone by). Needs `left` and `overdue` (see _state)."""
    if invoice.is_credit_note:
        return ""
    if invoice.left <= 0:
        return str(payments.STATE_LABELS["paid"])
    if invoice.due_on is None:
        return ""
    if invoice.overdue:
        return _("échue depuis le %(date)s") % {"date": day_month(invoice.due_on, "Y")}
    return _("à payer avant le %(date)s") % {"date": day_month(invoice.due_on, "Y")}


# --- the list -------------------------------------------------------------------------------------------------

def invoice_list(family):
    """The household's issued invoices and credit notes of every régie, newest first, each with `left` (a
    queryset for a Paginator: one query a page, and one for the count); decorate() the page's rows."""
    return (staff_queries.with_left(issued_of(family)).select_related("regie", "corrects")
            .order_by("-issued_at", "-pk"))


def decorate(invoices, today=None):
    """The invoices of a page with `state_key`, `state_label`, `left`, `overdue` and `period` (no query)."""
    today = today or timezone.localdate()
    rows = []
    for invoice in invoices:
        invoice.period = period_text(invoice.first_day, invoice.last_day)
        rows.append(_state(invoice, invoice.left, today))
    return rows


@dataclass
class Account:
    """The household's account with one régie: > 0 it owes, < 0 a credit on its account."""

    regie: Regie
    balance: Decimal = ZERO

    @property
    def owed(self):
        return self.balance if self.balance > 0 else ZERO

    @property
    def credit(self):
        return -self.balance if self.balance < 0 else ZERO


def accounts(family):
    """The household's Account with every régie it has an issued invoice or a payment with, by régie name:
    three queries."""
    balances = staff_queries.family_balances(family)
    if not balances:
        return []
    return [Account(regie, balances[regie.pk]) for regie in Regie.objects.filter(pk__in=balances).order_by("name")]


# --- one invoice ----------------------------------------------------------------------------------------------

@dataclass
class Detail:
    """What an invoice's page shows besides the invoice: its lines (each with `day_groups`), and for an invoice
    the credit notes correcting it, the payments allocated to it, what is left and its state."""

    invoice: Invoice
    lines: list
    credit_notes: list = field(default_factory=list)
    allocations: list = field(default_factory=list)

    @property
    def paid(self):
        """What the allocated payments settled (reversals taken away)."""
        return money(sum((a.amount for a in self.allocations), ZERO))

    @property
    def credited(self):
        return money(sum((note.total for note in self.credit_notes), ZERO))


def invoice_detail(invoice, today=None):
    """The Detail of one issued invoice or credit note (from get_invoice_for_family): two queries for a credit
    note, six for an invoice, whatever the number of lines, credit notes or payments."""
    today = today or timezone.localdate()
    lines = list(invoice.lines.select_related("corrects").order_by("pk"))
    for line in lines:
        line.day_groups = days_text(line.days)
    detail = Detail(invoice, lines)
    invoice.billed = billing_identity.billed(invoice.billed_to)
    if invoice.is_credit_note:
        _state(invoice, None, today)
        return detail
    detail.credit_notes = list(Invoice.objects.filter(corrects=invoice, state=Invoice.State.ISSUED)
                               .order_by("issued_at", "pk"))
    detail.allocations = list(Allocation.objects.filter(invoice=invoice).select_related("payment__reverses")
                              .order_by("payment__received_on", "payment_id", "pk"))
    _explain_allocations(invoice, detail.allocations)
    _state(invoice, ledger.remaining([invoice])[invoice.pk], today)
    return detail


def _explain_allocations(invoice, allocations):
    """Sets on each allocation of the invoice what it is in the family's words: `title`, `day`, `means` and
    `carried` (a credit note's credit moved here from another invoice, or moved from here to another). One query
    for the history of the payments (none without allocations), one more only when a credit was moved."""
    if not allocations:
        return
    payment_ids = {a.payment_id for a in allocations if a.payment.reverses_id is None}
    kinds, sources, destinations, own = (ledger.moves(ledger.allocation_rows(payment_ids)) if payment_ids
                                         else ({}, {}, {}, {}))
    moved = {pk for pk in kinds if kinds[pk] != ledger.PAID and any(a.pk == pk for a in allocations)}
    invoice_ids = ({i for pk in moved for i in sources.get(pk, ())}
                   | {i for pk in moved for i, _amount in destinations.get(pk, ())})
    numbers, notes = {}, {}
    if moved:
        # The invoices the credit came from or went to, and the credit notes on the invoices it left.
        left_from = {i for pk in moved for i in sources.get(pk, ())} | {invoice.pk}
        for row in (Invoice.objects.filter(Q(pk__in=invoice_ids) | Q(corrects_id__in=left_from,
                                                                     kind=Invoice.Kind.CREDIT_NOTE,
                                                                     state=Invoice.State.ISSUED))
                    .order_by("issued_at", "pk").values("pk", "number", "kind", "corrects_id")):
            numbers[row["pk"]] = row["number"]
            if row["kind"] == Invoice.Kind.CREDIT_NOTE:
                notes.setdefault(row["corrects_id"], []).append(row["number"])
    for allocation in allocations:
        payment = allocation.payment
        allocation.carried = False
        if payment.reverses_id is not None:
            allocation.title = _("Paiement annulé")
            allocation.day = cancelled_on(payment)
            allocation.means = payment_words(payment.reverses)
            continue
        allocation.day, allocation.means = payment.received_on, payment_words(payment)
        kind = kinds.get(allocation.pk, ledger.PAID)
        if kind == ledger.CARRIED:
            allocation.carried = True
            allocation.title = "; ".join(
                _credit_note_words(notes.get(source, []), numbers.get(source, ""), _("reporté sur cette facture"))
                for source in sources[allocation.pk])
            if allocation.pk in own:
                allocation.title += _(", et %(amount)s de trop-perçu de ce règlement") % {
                    "amount": euros(own[allocation.pk])}
        elif kind == ledger.RELEASED:
            allocation.carried = True
            to = [numbers.get(i, "") for i, _amount in destinations[allocation.pk]]
            where = (ngettext("reporté sur la facture n° %(numbers)s", "reporté sur les factures n° %(numbers)s",
                              len(to)) % {"numbers": _join(to)}) if to else _("gardé en crédit sur votre compte")
            allocation.title = _credit_note_words(notes.get(invoice.pk, []), invoice.number, where, on_this=True)
        else:
            allocation.title = _("Règlement")


def _credit_note_words(numbers, invoice_number, where, *, on_this=False):
    """"Avoir n° TOURAV2026000001 sur la facture n° TOUR2026000001, reporté sur cette facture"."""
    if on_this:
        text = (ngettext("Avoir n° %(notes)s sur cette facture déjà payée", "Avoirs n° %(notes)s sur cette facture "
                         "déjà payée", len(numbers)) % {"notes": _join(numbers)}) if numbers else \
            _("Trop-perçu sur cette facture")
    else:
        text = (ngettext("Avoir n° %(notes)s sur la facture n° %(invoice)s", "Avoirs n° %(notes)s sur la facture n° "
                         "%(invoice)s", len(numbers)) % {"notes": _join(numbers), "invoice": invoice_number}
                if numbers else _("Trop-perçu sur la facture n° %(invoice)s") % {"invoice": invoice_number})
    return f"{text}, {where}"


MEANS_WORDS = {
    Payment.Means.CHEQUE: gettext_lazy("par chèque"), Payment.Means.CASH: gettext_lazy("en espèces"),
    Payment.Means.CESU: gettext_lazy("en CESU"), Payment.Means.TRANSFER: gettext_lazy("par virement"),
    Payment.Means.CARD: gettext_lazy("par carte bancaire"), Payment.Means.DIRECT_DEBIT: gettext_lazy("par prélèvement"),
}


def payment_words(payment):
    """"par chèque n° 1234567 du 9 novembre 2026", "en espèces du 1er décembre 2026"."""
    means = str(MEANS_WORDS.get(payment.means, payment.get_means_display()))
    if payment.reference and payment.means == Payment.Means.CHEQUE:
        means = _("%(means)s n° %(reference)s") % {"means": means, "reference": payment.reference}
    elif payment.reference:
        means = f"{means} ({payment.reference})"
    return _("%(means)s du %(date)s") % {"means": means, "date": day_month(payment.received_on, "Y")}


def cancelled_on(reversal):
    """The day staff cancelled a payment: its reversal's record (its own date is the payment's)."""
    return timezone.localdate(reversal.recorded_at) if reversal.recorded_at else reversal.received_on


# --- the quotient familial -----------------------------------------------------------------------------------

QUOTIENT_SOURCES = {
    Quotient.Source.CAF: gettext_lazy("d'après votre attestation CAF"),
    Quotient.Source.TAX: gettext_lazy("calculé d'après votre avis d'imposition (revenu fiscal de référence ÷ 12 ÷ "
                                      "nombre de parts)"),
    Quotient.Source.STAFF: gettext_lazy("fixé par la mairie"),
}


@dataclass
class QuotientToday:
    """The household's quotient familial as its pages show it, the same everywhere: the one valid today (the one
    that prices today's bookings), its source and since when; and the next one already recorded, if any."""

    current: Quotient = None
    upcoming: Quotient = None

    @staticmethod
    def source_words(quotient):
        return QUOTIENT_SOURCES.get(quotient.source, quotient.get_source_display()) if quotient else ""

    @property
    def source(self):
        return self.source_words(self.current)

    @property
    def upcoming_source(self):
        return self.source_words(self.upcoming)


def quotient_today(family, today=None):
    """The QuotientToday of the household, from the billing's QF history (quotients.History's rows, not the CAF
    form's figure, which may not apply yet or not at all under the commune's rule): one query."""
    today = today or timezone.localdate()
    found = QuotientToday()
    for quotient in Quotient.objects.filter(family=family).order_by("valid_from", "pk"):
        if quotient.valid_from <= today:
            found.current = quotient
        elif found.upcoming is None:
            found.upcoming = quotient
    return found


# --- the statement --------------------------------------------------------------------------------------------

def regies_of(family):
    """The régies the household has an issued invoice, a credit note or a payment with, by name: one query."""
    return list(Regie.objects.filter(Q(pk__in=issued_of(family).values("regie_id"))
                                     | Q(pk__in=Payment.objects.filter(family=family).values("regie_id")))
                .order_by("name", "pk"))


def statement(regie, family):
    """The household's invoices, credit notes, payments and reversals with the régie, oldest first, each with the
    running balance after it (staff_queries.statement, the desk's own: two queries) and what it is in words
    (`title`, `detail` and `label`, their plain text for the PDF): one query more, the payments' allocations."""
    lines = staff_queries.statement(regie, family)
    explain(lines, ledger.allocation_rows(regie=regie, family=family) if lines else [])
    return lines


def explain(lines, allocation_rows):
    """Names each statement line for what it is, so that the running balance reads line by line:
    "Facture n° … (octobre 2026)", "Règlement par chèque n° … du 9 novembre 2026, pour la facture n° …",
    "Avoir n° … sur la facture n° … : la facture étant déjà payée, il est reporté sur la facture n° …",
    "Paiement annulé le …". Never staff's internal reason for a cancellation. No query."""
    numbers = {line.obj.pk: line.obj.number for line in lines if line.kind in ("invoice", "credit_note")}
    reversals = {line.obj.reverses_id: line.obj for line in lines if line.kind == "reversal"}
    kinds, _sources, destinations, own = ledger.moves(allocation_rows)
    paid, released = {}, {}  # payment id: [invoice ids]; invoice id: [(invoice id, amount) its credit went to]
    for pk, payment_id, invoice_id, _amount in allocation_rows:
        # A mixed move pays the invoice with the payment's own credit too.
        if (kinds[pk] == ledger.PAID or pk in own) and invoice_id not in paid.setdefault(payment_id, []):
            paid[payment_id].append(invoice_id)
        elif kinds[pk] == ledger.RELEASED:
            released.setdefault(invoice_id, []).extend(destinations[pk])
    for line in lines:
        obj, line.detail = line.obj, ""
        if line.kind == "invoice":
            line.title = _("Facture n° %(number)s") % {"number": obj.number}
            line.detail = period_text(obj.first_day, obj.last_day)
        elif line.kind == "credit_note":
            line.title = _("Avoir n° %(number)s") % {"number": obj.number}
            line.detail = _credit_note_detail(obj, released, numbers)
        elif line.kind == "payment":
            line.title = _("Règlement %(payment)s") % {"payment": payment_words(obj)}
            settled = [numbers[i] for i in paid.get(obj.pk, ()) if i in numbers]
            parts = [ngettext("pour la facture n° %(numbers)s", "pour les factures n° %(numbers)s", len(settled))
                     % {"numbers": _join(settled)}] if settled else []
            if obj.pk in reversals:
                parts.append(_("annulé le %(date)s") % {"date": day_month(cancelled_on(reversals[obj.pk]), "Y")})
            line.detail = ", ".join(parts)
        else:
            line.title = _("Paiement annulé le %(date)s") % {"date": day_month(cancelled_on(obj), "Y")}
            line.detail = _("règlement %(payment)s") % {"payment": payment_words(obj.reverses)}
        line.label = f"{line.title} ({line.detail})" if line.detail else line.title
    return lines


def _credit_note_detail(note, released, numbers):
    """"sur la facture n° A" and, when A was already paid, where its credit went: "déjà payée : reporté sur la
    facture n° B" (or "gardé en crédit sur votre compte" until an invoice takes it)."""
    if note.corrects_id is None:
        return ""
    number = note.corrects.number
    text = _("sur la facture n° %(number)s") % {"number": number}
    moved = released.get(note.corrects_id)
    if moved is None:
        return text
    to = list(dict.fromkeys(numbers.get(i, "") for i, _amount in moved))
    if not to:
        return _("%(text)s, déjà payée : gardé en crédit sur votre compte") % {"text": text}
    amount = money(sum((a for _i, a in moved), ZERO))
    where = ngettext("reporté sur la facture n° %(numbers)s", "reporté sur les factures n° %(numbers)s",
                     len(to)) % {"numbers": _join(to)}
    if amount != note.total:
        where = _("%(amount)s %(where)s") % {"amount": euros(amount), "where": where}
    return _("%(text)s, déjà payée : %(where)s") % {"text": text, "where": where}


# --- words ----------------------------------------------------------------------------------------------------

def _day_number(day):
    return words.day_number(day)


def _join(items):
    """"a", "a et b", "a, b et c"."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s et %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def days_text(iso_days):
    """A line's days in French, a month at a time, runs of three days or more in a row shortened:
    ["décembre 2026 : du 1er au 5, 9 et 16"]. Values that are not ISO dates are left out."""
    # Memoised: the invoices of a run mostly share a few weekly patterns, and each is worded once per language.
    return list(_days_text(get_language(), tuple(str(value) for value in iso_days or ())))


@functools.lru_cache(maxsize=4096)
def _days_text(_language, iso_days):
    days = set()
    for value in iso_days:
        try:
            days.add(datetime.date.fromisoformat(str(value)))
        except ValueError:
            continue
    groups = []
    for _month, in_month in groupby(sorted(days), key=lambda d: (d.year, d.month)):
        in_month = list(in_month)
        runs, run = [], [in_month[0]]
        for day in in_month[1:]:
            if (day - run[-1]).days == 1:
                run.append(day)
            else:
                runs.append(run)
                run = [day]
        runs.append(run)
        parts = []
        for run in runs:
            if len(run) >= 3:
                parts.append(_("du %(first)s au %(last)s") % {"first": _day_number(run[0]),
                                                             "last": _day_number(run[-1])})
            else:
                parts.extend(_day_number(day) for day in run)
        groups.append(_("%(month)s : %(days)s") % {"month": date_format(in_month[0], "F Y"), "days": _join(parts)})
    return tuple(groups)


def _long_date(day, *, year=True):
    """"1er décembre 2026", "9 décembre" (year=False)."""
    return day_month(day, "Y" if year else "")


def _whole_month(first, last):
    following = (last.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first.day == 1 and (first.year, first.month) == (last.year, last.month) \
        and last == following - datetime.timedelta(days=1)


def period_phrase(first, last):
    """The period inside a sentence ("votre facture pour …"): "décembre 2026", "la période du 3 au 21 novembre
    2026"."""
    if first is None or last is None:
        return ""
    if _whole_month(first, last):
        return period_text(first, last)
    return _("la période %(period)s") % {"period": period_text(first, last)}


def period_text(first, last):
    """An invoice's period: "décembre 2026" for a whole month, else "du 3 au 21 novembre 2026"."""
    if first is None or last is None:
        return ""
    if _whole_month(first, last):
        return date_format(first, "F Y")
    if first.year != last.year:
        start = _long_date(first)
    elif first.month != last.month:
        start = _long_date(first, year=False)
    else:
        start = _day_number(first)
    return _("du %(first)s au %(last)s") % {"first": start, "last": _long_date(last)}
