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


ROUTES = {
    "portal:invoices": Route(PORTAL_WITHOUT_ID),
    "portal:invoice": Route(PORTAL_WITH_ID, kwargs=_invoice_kwargs),
    "portal:statement": Route(PORTAL_WITHOUT_ID),
}
