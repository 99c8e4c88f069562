"""Rows of the permission matrix (tests/url_table.py) for payments, balances, overdue invoices and reminders, the
staff's invoice page and a household's statement: agents and administrators (leaders never see money).

The builders make, for the scope's household, what the URL names: a régie, an issued invoice with its number and
issue time, a payment (created directly: the matrix tests who may open a page, not the billing rules).
"""

import datetime
from decimal import Decimal

from tests.url_table import AGENT, STAFF, Route


def _regie():
    from enfance.billing.models import Regie

    regie, _ = Regie.objects.get_or_create(code="MATRICE", defaults={"name": "Régie de la matrice",
                                                                     "address": "Place de la Mairie"})
    return regie


def _invoice(s):
    from django.utils import timezone

    from enfance.billing.models import Invoice

    regie = _regie()
    invoice, _ = Invoice.objects.get_or_create(
        regie=regie, family=s.family, number=f"MATRICE2026{s.family.pk:06d}", defaults={
            "state": Invoice.State.ISSUED, "issued_at": timezone.now(), "first_day": datetime.date(2026, 11, 1),
            "last_day": datetime.date(2026, 11, 30), "total": Decimal("42.00"),
            "due_on": timezone.localdate() - datetime.timedelta(days=10)})
    return invoice


def _payment(s):
    from enfance.billing.models import Payment

    payment = Payment.objects.filter(family=s.family, regie=_regie(), reverses__isnull=True).order_by("pk").first()
    if payment is None:
        payment = Payment.objects.create(regie=_regie(), family=s.family, means=Payment.Means.CHEQUE,
                                         amount=Decimal("12.00"), received_on=datetime.date(2026, 11, 20),
                                         reference="1234567")
    return payment


def _family(s):
    return {"family_id": s.family.pk}


def _family_regie(s):
    return {"family_id": s.family.pk, "regie_id": _regie().pk}


def _payment_kwargs(s):
    return {"payment_id": _payment(s).pk}


def _invoice_kwargs(s):
    return {"invoice_id": _invoice(s).pk}


ROUTES = {
    "backoffice:payment_new": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:family_statement": Route(STAFF, kwargs=_family_regie, role=AGENT),
    "backoffice:payment": Route(STAFF, kwargs=_payment_kwargs, role=AGENT),
    "backoffice:payment_reverse": Route(STAFF, kwargs=_payment_kwargs, role=AGENT),  # GET: the confirmation
    "backoffice:invoice": Route(STAFF, kwargs=_invoice_kwargs, role=AGENT),
    "backoffice:invoice_pdf": Route(STAFF, kwargs=_invoice_kwargs, role=AGENT),
    "backoffice:balances": Route(STAFF, role=AGENT),
    "backoffice:overdue": Route(STAFF, role=AGENT),
}
