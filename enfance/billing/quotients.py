"""The households' quotient familial: its history, the one valid on a day, and where a new one starts."""

import bisect
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from .models import Invoice, Quotient

OPEN_RUNS = ("previewing", "previewed", "issuing")


class QuotientError(ValueError):
    pass


def from_tax(reference_income, shares):
    """The QF from a tax notice: revenu fiscal de référence / 12 / nombre de parts, to the euro."""
    shares = Decimal(shares)
    if shares <= 0:
        raise QuotientError("shares")
    return int((Decimal(reference_income) / 12 / shares).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def earliest_start(family, today):
    """The first day a new QF may apply from: by default the first of next month, never a day an issued
    invoice already priced."""
    next_month = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    # Issued invoices, and the drafts of runs still open: a QF never changes days a run already priced.
    billed = (Invoice.objects.filter(family=family, kind=Invoice.Kind.INVOICE)
              .filter(Q(state=Invoice.State.ISSUED) | Q(state=Invoice.State.DRAFT, run__state__in=OPEN_RUNS))
              .aggregate(last=Max("last_day"))["last"])
    return max(next_month, billed + datetime.timedelta(days=1)) if billed else next_month


def record(family, value, *, source, today, valid_from=None, user=None):
    """A new QF for `family` from `valid_from` (earliest_start by default; refused before it)."""
    with transaction.atomic():
        type(family).objects.select_for_update(no_key=True).filter(pk=family.pk).first()
        earliest = earliest_start(family, today)
        valid_from = valid_from or earliest
        if valid_from < earliest:
            raise QuotientError(earliest)
        quotient, _created = Quotient.objects.update_or_create(
            family=family, valid_from=valid_from, defaults={"value": value, "source": source, "created_by": user})
    return quotient


def from_records(family, rule=None):
    """(QF, source) from the household's CAF and tax data by the commune's rule (settings.QF_RULE), or None."""
    from enfance.families.models import CafInfo, TaxInfo

    rule = rule or settings.QF_RULE
    caf = CafInfo.objects.filter(family=family).first()
    if rule != "tax" and caf is not None and caf.quotient is not None:
        return caf.quotient, Quotient.Source.CAF
    if rule == "caf":
        return None
    tax = TaxInfo.objects.filter(family=family).order_by("-year").first()
    if tax is not None and tax.tax_shares and tax.tax_shares > 0:
        return from_tax(tax.reference_income, tax.tax_shares), Quotient.Source.TAX
    return None


def follow_records(family, *, today=None, user=None):
    """After the household's CAF or tax data changed (a request approved, staff's edit): the new QF from the
    first day it may apply (earliest_start), unless the QF valid then is already that one. The Quotient, or
    None."""
    found = from_records(family)
    if found is None:
        return None
    value, source = found
    today = today or timezone.localdate()
    start = earliest_start(family, today)
    current = Quotient.objects.filter(family=family, valid_from__lte=start).order_by("-valid_from").first()
    if current is not None and current.value == value:
        return None
    return record(family, value, source=source, today=today, valid_from=start, user=user)


def _records_saved(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return  # fixtures
    follow_records(instance.family)


def connect():
    from django.db.models.signals import post_save

    from enfance.families.models import CafInfo, TaxInfo

    for model in (CafInfo, TaxInfo):
        post_save.connect(_records_saved, sender=model, dispatch_uid=f"quotient-from-{model.__name__}")


class History:
    """Every household's QF history of a run, read in one query: value_on(family id, day)."""

    def __init__(self, last_day, family_ids=None):
        self.starts, self.values = {}, {}
        rows = Quotient.objects.filter(valid_from__lte=last_day)
        if family_ids is not None:
            rows = rows.filter(family_id__in=family_ids)
        for family_id, valid_from, value in (rows.order_by("family_id", "valid_from")
                                             .values_list("family_id", "valid_from", "value")):
            self.starts.setdefault(family_id, []).append(valid_from)
            self.values.setdefault(family_id, []).append(value)

    def value_on(self, family_id, day):
        starts = self.starts.get(family_id)
        if not starts:
            return None
        i = bisect.bisect_right(starts, day) - 1
        return self.values[family_id][i] if i >= 0 else None
