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
