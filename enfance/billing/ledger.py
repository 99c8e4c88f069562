"""A household's account with a régie: issued invoices add to its debt, credit notes and payments take away."""

from django.db.models import Q, Sum

from .models import Allocation, Invoice, Payment
from .money import ZERO, money


def balances(regie, family_ids):
    """{family id: what the household owes the régie} (negative: a credit on its account)."""
    owed = dict.fromkeys(family_ids, ZERO)
    issued = (Invoice.objects.filter(regie=regie, family_id__in=family_ids, state=Invoice.State.ISSUED)
              .values("family_id").annotate(invoiced=Sum("total", filter=Q(kind=Invoice.Kind.INVOICE)),
                                            credited=Sum("total", filter=Q(kind=Invoice.Kind.CREDIT_NOTE))))
    for row in issued:
        owed[row["family_id"]] += (row["invoiced"] or ZERO) - (row["credited"] or ZERO)
    for row in (Payment.objects.filter(regie=regie, family_id__in=family_ids).values("family_id")
                .annotate(paid=Sum("amount"))):
        owed[row["family_id"]] -= row["paid"] or ZERO
    return {family_id: money(value) for family_id, value in owed.items()}


def balance(regie, family):
    return balances(regie, [family.pk])[family.pk]


def remaining(invoices):
    """{invoice id: what is still due on it}: its total less its credit notes and the payments allocated to it."""
    ids = [i.pk for i in invoices]
    left = {i.pk: i.total for i in invoices}
    for row in (Invoice.objects.filter(corrects_id__in=ids, state=Invoice.State.ISSUED).values("corrects_id")
                .annotate(credited=Sum("total"))):
        left[row["corrects_id"]] -= row["credited"]
    for row in Allocation.objects.filter(invoice_id__in=ids).values("invoice_id").annotate(paid=Sum("amount")):
        left[row["invoice_id"]] -= row["paid"]
    return {pk: max(money(value), ZERO) for pk, value in left.items()}


def with_free_credit(regie, family_ids):
    """The households among these whose payments to the régie still hold money no invoice took: a credit."""
    payments = Payment.objects.filter(regie=regie, family_id__in=family_ids, amount__gt=0, reversal__isnull=True)
    free = {row["family_id"]: row["paid"] for row in payments.values("family_id").annotate(paid=Sum("amount"))}
    for row in (Allocation.objects.filter(payment__in=payments).values("payment__family_id")
                .annotate(allocated=Sum("amount"))):
        free[row["payment__family_id"]] -= row["allocated"]
    return {family_id for family_id, amount in free.items() if amount > 0}


# --- how a payment's money moved between invoices -------------------------------------------------------------

PAID, RELEASED, CARRIED = "paid", "released", "carried"


def moves(rows):
    """What each allocation of some payments (never of a reversal) is, from their allocations read in order of
    creation (`rows`: (allocation id, payment id, invoice id, amount), by id):

    - PAID: the payment settling the invoice;
    - RELEASED (negative): given back by a credit note on an invoice already paid (payments.release_overpaid);
    - CARRIED: that released credit given to another invoice (payments.allocate_credit).

    Returns (kind by allocation id, {carried allocation id: [invoice ids it came from]},
    {released allocation id: [(invoice id, amount) it went to]}, {carried allocation id: the part of it that
    was the payment's own unused credit (an overpayment), not a credit note's}: a "mixed" move)."""
    kinds, sources, destinations, own = {}, {}, {}, {}
    pools = {}  # payment id: [[released allocation id, invoice id, amount not yet carried]]
    for pk, payment_id, invoice_id, amount in rows:
        pool = pools.setdefault(payment_id, [])
        if amount < 0:
            kinds[pk] = RELEASED
            destinations[pk] = []
            pool.append([pk, invoice_id, -amount])
            continue
        if not pool:
            kinds[pk] = PAID
            continue
        kinds[pk], sources[pk], left = CARRIED, [], amount
        while pool and left > 0:
            entry = pool[0]
            share = min(entry[2], left)
            if entry[1] not in sources[pk]:
                sources[pk].append(entry[1])
            destinations[entry[0]].append((invoice_id, money(share)))
            entry[2] -= share
            left -= share
            if entry[2] <= 0:
                pool.pop(0)
        if left > 0:
            own[pk] = money(left)
    return kinds, sources, destinations, own


def allocation_rows(payment_ids=None, *, regie=None, family=None):
    """The allocations of these payments (or of every payment of the household with the régie), reversals
    excepted, as moves() reads them: one query."""
    rows = Allocation.objects.filter(payment__reverses__isnull=True)
    if payment_ids is not None:
        rows = rows.filter(payment_id__in=payment_ids)
    else:
        rows = rows.filter(payment__regie=regie, payment__family=family)
    return list(rows.order_by("pk").values_list("pk", "payment_id", "invoice_id", "amount"))
