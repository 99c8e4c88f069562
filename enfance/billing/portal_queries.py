"""What the Portail Famille's money pages read: the household's issued invoices and credit notes, one of them with
everything that explains it, its account with each régie and its statement ("relevé de compte").

Reads only, each in a fixed number of queries whatever the number of invoices, lines or payments. A household
sees its issued invoices and credit notes only: another household's, a draft or a discarded one answers 404,
exactly like an identifier that does not exist (get_invoice_for_family, the access helper of an invoice).
The sums are the ledger's (ledger.remaining, staff_queries.with_left / family_balances / statement): the portal
and the desk never disagree on what a household owes.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import ledger, payments, staff_queries
from .models import Allocation, Invoice, Payment, Regie
from .money import ZERO, money

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
    return invoice


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
    if invoice.is_credit_note:
        _state(invoice, None, today)
        return detail
    detail.credit_notes = list(Invoice.objects.filter(corrects=invoice, state=Invoice.State.ISSUED)
                               .order_by("issued_at", "pk"))
    detail.allocations = list(Allocation.objects.filter(invoice=invoice).select_related("payment")
                              .order_by("payment__received_on", "payment_id", "pk"))
    _state(invoice, ledger.remaining([invoice])[invoice.pk], today)
    return detail


# --- the statement --------------------------------------------------------------------------------------------

def regies_of(family):
    """The régies the household has an issued invoice, a credit note or a payment with, by name: one query."""
    return list(Regie.objects.filter(Q(pk__in=issued_of(family).values("regie_id"))
                                     | Q(pk__in=Payment.objects.filter(family=family).values("regie_id")))
                .order_by("name", "pk"))


def statement(regie, family):
    """The household's invoices, credit notes, payments and reversals with the régie, oldest first, each with the
    running balance after it: two queries (staff_queries.statement, the desk's own)."""
    return staff_queries.statement(regie, family)


# --- words ----------------------------------------------------------------------------------------------------

def _day_number(day):
    return _("1er") if day.day == 1 else str(day.day)


def _join(items):
    """"a", "a et b", "a, b et c"."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s et %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def days_text(iso_days):
    """A line's days in French, a month at a time, runs of three days or more in a row shortened:
    ["décembre 2026 : du 1er au 5, 9 et 16"]. Values that are not ISO dates are left out."""
    days = set()
    for value in iso_days or ():
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
    return groups


def _long_date(day, *, year=True):
    """"1er décembre 2026", "9 décembre" (year=False)."""
    text = f"{_day_number(day)} {date_format(day, 'F')}"
    return f"{text} {day.year}" if year else text


def period_text(first, last):
    """An invoice's period: "décembre 2026" for a whole month, else "du 3 au 21 novembre 2026"."""
    if first is None or last is None:
        return ""
    following = (last.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    if first.day == 1 and (first.year, first.month) == (last.year, last.month) \
            and last == following - datetime.timedelta(days=1):
        return date_format(first, "F Y")
    if first.year != last.year:
        start = _long_date(first)
    elif first.month != last.month:
        start = _long_date(first, year=False)
    else:
        start = _day_number(first)
    return _("du %(first)s au %(last)s") % {"first": start, "last": _long_date(last)}
