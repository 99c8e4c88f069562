"""What the staff's money pages read: a household's account per régie, its statement, every household's balance
and the overdue invoices.

Reads only (the writes are payments.py's and reminders.py's), each in a fixed number of queries whatever the
number of households, invoices or régies: the sums are SQL aggregates, never Python over every household (a
commune has 20 000 of them). The balance of a household is ledger.py's: issued invoices less issued credit notes
less payments (reversals are negative payments).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from enfance.families.models import Family

from . import payments
from .models import Allocation, Invoice, Payment, Regie, Reminder
from .money import ZERO, money

RECENT = 5  # payments and reminders shown per régie on the household page
AMOUNT = DecimalField(max_digits=12, decimal_places=2)
# What is left is compared with half a cent: on SQLite the sums are floating point (10,00 - 3,30 - 6,70 is not
# exactly 0 there); amounts are whole cents, so "more than half a cent" is "something left" on every database.
HALF_CENT = Decimal("0.005")


def with_left(invoices):
    """The invoices annotated with `left`: their total less their issued credit notes and the payments allocated
    to them (ledger.remaining, in SQL, so that lists can filter and page on it)."""
    credited = (Invoice.objects.filter(corrects=OuterRef("pk"), state=Invoice.State.ISSUED).order_by()
                .values("corrects").annotate(s=Sum("total")).values("s"))
    paid = Allocation.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice").annotate(
        s=Sum("amount")).values("s")
    return invoices.annotate(left=F("total") - Coalesce(Subquery(credited, output_field=AMOUNT), Value(ZERO),
                                                         output_field=AMOUNT)
                             - Coalesce(Subquery(paid, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT))


def _reminded(invoices):
    """The invoices annotated with the number of reminders that named them and the last one's time."""
    through = Reminder.invoices.through
    count = (through.objects.filter(invoice_id=OuterRef("pk")).order_by().values("invoice_id")
             .annotate(n=Count("pk")).values("n"))
    last = through.objects.filter(invoice_id=OuterRef("pk")).order_by("-reminder__sent_at").values(
        "reminder__sent_at")[:1]
    return invoices.annotate(reminder_count=Coalesce(Subquery(count), Value(0)), last_reminder_at=Subquery(last))


def open_invoices(family):
    """The household's issued invoices with something left, every régie, oldest first, each with `.left` and
    `.state` ("to_pay", "partly_paid"): one query."""
    found = list(with_left(Invoice.objects.filter(family=family, state=Invoice.State.ISSUED,
                                                  kind=Invoice.Kind.INVOICE))
                 .filter(left__gt=HALF_CENT).select_related("regie").order_by("issued_at", "number"))
    today = timezone.localdate()
    for invoice in found:
        invoice.left = money(invoice.left)
        invoice.state_key = payments.state(invoice, invoice.left)
        invoice.state_label = payments.STATE_LABELS[invoice.state_key]
        invoice.overdue = invoice.due_on is not None and invoice.due_on < today
    return found


# --- a household's account --------------------------------------------------------------------------------

@dataclass
class Account:
    """The household's account with one régie, as its page shows it."""

    regie: Regie
    balance: Decimal = ZERO  # > 0: owed by the household; < 0: a credit on its account
    open_invoices: list = field(default_factory=list)
    payments: list = field(default_factory=list)  # the last RECENT, latest first
    reminders: list = field(default_factory=list)  # the last RECENT, latest first

    @property
    def owed(self):
        return self.balance if self.balance > 0 else ZERO

    @property
    def credit(self):
        return -self.balance if self.balance < 0 else ZERO


def family_balances(family):
    """{régie id: what the household owes it} for every régie it has an invoice or a payment with: two queries."""
    owed = defaultdict(lambda: ZERO)
    for row in (Invoice.objects.filter(family=family, state=Invoice.State.ISSUED).order_by().values("regie_id")
                .annotate(invoiced=Sum("total", filter=Q(kind=Invoice.Kind.INVOICE)),
                          credited=Sum("total", filter=Q(kind=Invoice.Kind.CREDIT_NOTE)))):
        owed[row["regie_id"]] += (row["invoiced"] or ZERO) - (row["credited"] or ZERO)
    for row in Payment.objects.filter(family=family).order_by().values("regie_id").annotate(paid=Sum("amount")):
        owed[row["regie_id"]] -= row["paid"] or ZERO
    return {regie_id: money(value) for regie_id, value in owed.items()}


def _latest_per_regie(queryset, *order):
    """The RECENT latest rows of each régie, in one query (a window function)."""
    return list(queryset.annotate(row=Window(RowNumber(), partition_by=[F("regie_id")], order_by=list(order)))
                .filter(row__lte=RECENT).order_by("regie_id", "row"))


def family_accounts(family):
    """The household's Account with every régie it has dealt with, by régie name: seven queries, whatever the
    number of régies, invoices or payments."""
    regies = {regie.pk: regie for regie in Regie.objects.order_by("name")}
    balances = family_balances(family)
    invoices = open_invoices(family)
    recent_payments = _latest_per_regie(
        Payment.objects.filter(family=family).select_related("reverses", "reversal"),
        F("received_on").desc(), F("pk").desc())
    reminders = _latest_per_regie(
        Reminder.objects.filter(family=family).select_related("sent_by").prefetch_related("invoices"),
        F("sent_at").desc(), F("pk").desc())
    accounts = {}

    def account(regie_id):
        if regie_id not in accounts:
            accounts[regie_id] = Account(regie=regies[regie_id])
        return accounts[regie_id]

    for regie_id, balance in balances.items():
        account(regie_id).balance = balance
    for invoice in invoices:
        account(invoice.regie_id).open_invoices.append(invoice)
    for payment in recent_payments:
        account(payment.regie_id).payments.append(payment)
    for reminder in reminders:
        account(reminder.regie_id).reminders.append(reminder)
    return [accounts[pk] for pk in regies if pk in accounts], list(regies.values())


# --- a household's statement ("relevé de compte") ------------------------------------------------------------

@dataclass
class StatementLine:
    day: datetime.date
    kind: str  # "invoice", "credit_note", "payment", "reversal"
    obj: object
    debit: Decimal = ZERO  # what the line adds to the debt
    credit: Decimal = ZERO  # what it takes away
    balance: Decimal = ZERO  # the running balance after the line


def statement(regie, family):
    """The household's invoices, credit notes, payments and reversals with the régie, oldest first, with the
    running balance (the last line's balance is the ledger's): two queries."""
    lines = []
    for invoice in (Invoice.objects.filter(regie=regie, family=family, state=Invoice.State.ISSUED)
                    .select_related("corrects")):
        day = timezone.localdate(invoice.issued_at)
        if invoice.is_credit_note:
            lines.append(StatementLine(day, "credit_note", invoice, credit=invoice.total))
        else:
            lines.append(StatementLine(day, "invoice", invoice, debit=invoice.total))
    for payment in Payment.objects.filter(regie=regie, family=family).select_related("reverses"):
        if payment.amount < 0:
            lines.append(StatementLine(payment.received_on, "reversal", payment, debit=-payment.amount))
        else:
            lines.append(StatementLine(payment.received_on, "payment", payment, credit=payment.amount))
    # Each day: credit notes, invoices (the order of the issue, so that an invoice's previous balance is the
    # balance just above it), then payments, a reversal right after the payment it cancels (it carries that
    # payment's day).
    group = {"credit_note": 0, "invoice": 1, "payment": 2, "reversal": 2}
    lines.sort(key=lambda line: (line.day, group[line.kind],
                                 line.obj.reverses_id if line.kind == "reversal" else line.obj.pk,
                                 line.kind == "reversal"))
    running = ZERO
    for line in lines:
        running = money(running + line.debit - line.credit)
        line.balance = running
    return lines


# --- every household's balance ----------------------------------------------------------------------------

ORDERS = {
    "owed": "b.cents DESC, f.reference",  # the largest debts first
    "credit": "b.cents ASC, f.reference",  # the largest credits first
    "reference": "f.reference, r.name",
}
SIGNS = {"": "<> 0", "owed": "> 0", "credit": "< 0"}


@dataclass
class BalanceRow:
    family_id: int
    regie_id: int
    reference: str
    balance: Decimal
    family: Family = None
    regie: Regie = None

    @property
    def owed(self):
        return self.balance if self.balance > 0 else ZERO

    @property
    def credit(self):
        return -self.balance if self.balance < 0 else ZERO


def _cents(column):
    return f"CAST(ROUND({column} * 100) AS BIGINT)"


class Balances:
    """Every household's non-zero balance per régie, for a Paginator: count() and totals() are one aggregate query,
    a page one more, plus two for its households and their guardians."""

    def __init__(self, *, regie=None, sign="", order="owed", regies=None):
        """`regies`: every régie when the caller has them already (no query to name the page's)."""
        self.regie, self.sign, self.order = regie, sign if sign in SIGNS else "", order if order in ORDERS else "owed"
        self.regies = {r.pk: r for r in regies} if regies is not None else None

    def _grouped(self):
        """SQL of (family_id, regie_id, cents) with its parameters: amounts in whole cents, exact on every
        database."""
        q = connection.ops.quote_name
        invoice, payment = q(Invoice._meta.db_table), q(Payment._meta.db_table)
        one_regie = [self.regie.pk] if self.regie is not None else []
        and_regie = " AND regie_id = %s" if one_regie else ""
        sql = (f"SELECT t.family_id, t.regie_id, SUM(t.cents) AS cents FROM ("
               f"SELECT family_id, regie_id, CASE WHEN kind = %s THEN {_cents('total')} ELSE -{_cents('total')} END"
               f" AS cents FROM {invoice} WHERE state = %s{and_regie}"
               f" UNION ALL SELECT family_id, regie_id, -{_cents('amount')} AS cents FROM {payment}"
               f" WHERE 1 = 1{and_regie}"
               f") t GROUP BY t.family_id, t.regie_id HAVING SUM(t.cents) {SIGNS[self.sign]}")
        params = [Invoice.Kind.INVOICE.value, Invoice.State.ISSUED.value, *one_regie, *one_regie]
        return sql, params

    @cached_property
    def _totals(self):
        sql, params = self._grouped()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN b.cents > 0 THEN b.cents ELSE 0 END), 0),"
                           f" COALESCE(SUM(CASE WHEN b.cents < 0 THEN -b.cents ELSE 0 END), 0) FROM ({sql}) b",
                           params)
            count, owed, credit = cursor.fetchone()
        return {"count": int(count), "owed": _euros(owed), "credit": _euros(credit)}

    def count(self):
        return self._totals["count"]

    def totals(self):
        """{"count": households × régies listed, "owed": what they owe, "credit": the credits on their accounts}."""
        return self._totals

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("Balances are read a page at a time")
        start, stop = index.start or 0, index.stop
        sql, params = self._grouped()
        q = connection.ops.quote_name
        family, regie = q(Family._meta.db_table), q(Regie._meta.db_table)
        limit = "" if stop is None else " LIMIT %s OFFSET %s"
        page_params = [] if stop is None else [stop - start, start]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT b.family_id, b.regie_id, f.reference, b.cents FROM ({sql}) b"
                           f" JOIN {family} f ON f.id = b.family_id JOIN {regie} r ON r.id = b.regie_id"
                           f" ORDER BY {ORDERS[self.order]}, b.regie_id{limit}", params + page_params)
            rows = [BalanceRow(family_id, regie_id, reference, _euros(cents))
                    for family_id, regie_id, reference, cents in cursor.fetchall()]
        families = Family.objects.filter(pk__in={r.family_id for r in rows}).prefetch_related("guardians").in_bulk()
        regies = self.regies if self.regies is not None else Regie.objects.in_bulk({r.regie_id for r in rows})
        for row in rows:
            row.family, row.regie = families[row.family_id], regies[row.regie_id]
        return rows


def _euros(cents):
    return money(Decimal(int(cents)) / 100)


# --- overdue invoices -------------------------------------------------------------------------------------

OVERDUE_ORDER = ("due_on", "issued_at", "pk")


def overdue(regie=None, today=None):
    """Issued invoices past their due date with something left, the oldest due first, each with `left`,
    `reminder_count` and `last_reminder_at`. A queryset of correlated subqueries: for a few invoices (those
    posted); the list of every overdue invoice is OverdueList's."""
    today = today or timezone.localdate()
    invoices = Invoice.objects.filter(state=Invoice.State.ISSUED, kind=Invoice.Kind.INVOICE, due_on__lt=today)
    if regie is not None:
        invoices = invoices.filter(regie=regie)
    return (_reminded(with_left(invoices)).filter(left__gt=HALF_CENT).select_related("regie", "family")
            .prefetch_related("family__guardians").order_by(*OVERDUE_ORDER))


class OverdueList:
    """Every overdue invoice with something left, for a Paginator: what is left is computed by joining the
    allocations and credit notes summed once per invoice (one hash aggregate, not a subquery per invoice: an
    invoice stays in the table for years), in whole cents. count() is one query; a page is one for its ids and
    overdue()'s for those rows (two with their guardians)."""

    def __init__(self, *, regie=None, today=None):
        self.regie, self.today = regie, today or timezone.localdate()

    def _sql(self):
        q = connection.ops.quote_name
        invoice, allocation = q(Invoice._meta.db_table), q(Allocation._meta.db_table)
        one_regie = [self.regie.pk] if self.regie is not None else []
        sql = (f"SELECT i.id, i.due_on, i.issued_at FROM {invoice} i"
               f" LEFT JOIN (SELECT invoice_id, SUM({_cents('amount')}) AS cents FROM {allocation}"
               f" GROUP BY invoice_id) a ON a.invoice_id = i.id"
               f" LEFT JOIN (SELECT corrects_id, SUM({_cents('total')}) AS cents FROM {invoice}"
               f" WHERE state = %s AND corrects_id IS NOT NULL GROUP BY corrects_id) c ON c.corrects_id = i.id"
               f" WHERE i.state = %s AND i.kind = %s AND i.due_on < %s{' AND i.regie_id = %s' if one_regie else ''}"
               f" AND {_cents('i.total')} - COALESCE(a.cents, 0) - COALESCE(c.cents, 0) > 0")
        issued = Invoice.State.ISSUED.value
        return sql, [issued, issued, Invoice.Kind.INVOICE.value, self.today, *one_regie]

    @cached_property
    def _count(self):
        sql, params = self._sql()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) o", params)
            return int(cursor.fetchone()[0])

    def count(self):
        return self._count

    def __len__(self):
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("Overdue invoices are read a page at a time")
        start, stop = index.start or 0, index.stop
        sql, params = self._sql()
        limit = "" if stop is None else " LIMIT %s OFFSET %s"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT o.id FROM ({sql}) o ORDER BY o.due_on, o.issued_at, o.id{limit}",
                           params + ([] if stop is None else [stop - start, start]))
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        found = {i.pk: i for i in overdue(today=self.today).filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]
