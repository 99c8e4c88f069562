"""Billing fixtures: a régie for some activities, a tariff of brackets for a unit."""

import datetime
from decimal import Decimal

from enfance.billing.models import Regie, RegieActivity, Tariff, TariffBracket


def regie_for(*activities, code="CANT", name="Régie enfance"):
    regie = Regie.objects.create(name=name, code=code, address="Place de la Mairie", hours="Lundi 9 h – 12 h")
    for activity in activities:
        RegieActivity.objects.create(regie=regie, activity=activity)
    return regie


def tariff(unit, brackets, *, outside=None, valid_from=datetime.date(2026, 9, 1), valid_until=None, **extra):
    """`brackets`: [(qf_max or None, "price")], from the lowest."""
    made = Tariff.objects.create(unit=unit, valid_from=valid_from, valid_until=valid_until,
                                 outside_price=Decimal(outside) if outside else None, **extra)
    for i, (qf_max, price) in enumerate(brackets, start=1):
        TariffBracket.objects.create(tariff=made, label=f"Tranche {i}", qf_max=qf_max, price=Decimal(price))
    return made
