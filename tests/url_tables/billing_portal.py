"""Rows of the permission matrix (tests/url_table.py) for the household's invoices and account statement.

The builder makes, for the scope's household, an issued invoice with its number, issue time and one line, in a
régie of its own (created directly with the ORM: the matrix tests who may open a page, not the billing rules).
"""

import datetime
from decimal import Decimal

from tests.url_table import PORTAL_WITH_ID, PORTAL_WITHOUT_ID, Route


def _regie():
    from enfance.billing.models import Regie

    regie, _ = Regie.objects.get_or_create(code="PORTAIL", defaults={
        "name": "Régie du portail (matrice)", "address": "Place de la Mairie", "hours": "Lundi 9 h – 12 h"})
    return regie


def _unit():
    from enfance.activities.catalogue import CANTEEN_RULE
    from enfance.activities.models import Activity, Unit

    activity, _ = Activity.objects.get_or_create(name="Restauration de la matrice du portail", defaults={
        "kind": Activity.Kind.CANTEEN, "booking_rule": CANTEEN_RULE, "cancellation_rule": CANTEEN_RULE})
    unit, _ = Unit.objects.get_or_create(activity=activity, name="Repas")
    return unit


def _invoice(s):
    from django.utils import timezone

    from enfance.billing.models import Invoice, InvoiceLine
    from enfance.families.access import children_of

    regie = _regie()
    invoice, created = Invoice.objects.get_or_create(
        regie=regie, family=s.family, number=f"PORTAIL2026{s.family.pk:06d}", defaults={
            "state": Invoice.State.ISSUED, "issued_at": timezone.now(), "first_day": datetime.date(2026, 11, 1),
            "last_day": datetime.date(2026, 11, 30), "total": Decimal("6.40"),
            "due_on": timezone.localdate() + datetime.timedelta(days=20)})
    child = s.child or children_of(s.family).order_by("pk").first()
    if created and child is not None:
        InvoiceLine.objects.create(
            invoice=invoice, child=child, unit=_unit(), kind=InvoiceLine.Kind.BOOKED,
            label=f"{child.first_name} – Restauration – Repas", days=["2026-11-03", "2026-11-05"], quantity=2,
            unit_price=Decimal("3.20"), amount=Decimal("6.40"), rule="Tranche 2 (QF 620)")
    return invoice


def _invoice_kwargs(s):
    return {"invoice_id": _invoice(s).pk}


def _paid(s):
    """The invoice, half paid by cheque this year (once per household): the certificates have something to show.
    No scope (a page opened without one): nothing made."""
    from django.utils import timezone

    from enfance.billing.models import Allocation, Payment

    today = timezone.localdate()
    if s is None:
        return today.year
    invoice = _invoice(s)
    if not Payment.objects.filter(family=s.family, regie=invoice.regie).exists():
        payment = Payment.objects.create(regie=invoice.regie, family=s.family, means=Payment.Means.CHEQUE,
                                         amount=Decimal("3.20"), received_on=today, reference="MATRICE")
        Allocation.objects.create(payment=payment, invoice=invoice, amount=Decimal("3.20"))
    return today.year


def _year_kwargs(s):
    # A year is no identifier of an object (a string here: the matrix counts int values as identifiers); the
    # household's own payments only are read.
    return {"year": str(_paid(s))}


def _with_payment(s):
    _paid(s)
    return {}


ROUTES = {
    "portal:invoices": Route(PORTAL_WITHOUT_ID),
    "portal:invoice": Route(PORTAL_WITH_ID, kwargs=_invoice_kwargs),
    "portal:invoice_pdf": Route(PORTAL_WITH_ID, kwargs=_invoice_kwargs),
    "portal:statement": Route(PORTAL_WITHOUT_ID),
    "portal:statement_pdf": Route(PORTAL_WITHOUT_ID, kwargs=_with_payment),
    "portal:certificates": Route(PORTAL_WITHOUT_ID, kwargs=_with_payment),
    "portal:payment_certificate": Route(PORTAL_WITHOUT_ID, kwargs=_year_kwargs),
    "portal:tax_certificate": Route(PORTAL_WITHOUT_ID, kwargs=_year_kwargs),
}
