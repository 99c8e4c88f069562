"""Prices: one rounding helper, bracket edges, the QF valid on each day, households outside the commune, and
where a new QF may start."""

import datetime
from decimal import Decimal

import pytest

from enfance.billing import quotients
from enfance.billing.models import Invoice, Quotient
from enfance.billing.money import euros, line_amount, money, percent_of
from enfance.billing.pricing import price_households
from tests.activities.test_bookings import centre, household
from tests.billing.helpers import regie_for, tariff
from tests.billing.test_runs import AFTER_DECEMBER, WEDNESDAYS, booked, run_month

D = datetime.date


def test_each_line_is_rounded_once_from_a_two_place_price():
    assert line_amount(17, Decimal("4.15")) == Decimal("70.55")  # not 70,49 from a three-place price
    assert money("2.345") == Decimal("2.35") and money("-2.345") == Decimal("-2.35")
    assert percent_of(Decimal("3.33"), 10) == Decimal("0.33")
    with pytest.raises(TypeError):
        money(0.1)


def test_amounts_print_the_french_way():
    assert euros(Decimal("1234.5")) == "1\u202f234,50\u00a0€"
    assert euros(Decimal("-3")) == "-3,00\u00a0€"


def test_the_qf_from_a_tax_notice():
    assert quotients.from_tax(Decimal("24000"), Decimal("2.5")) == 800
    with pytest.raises(quotients.QuotientError):
        quotients.from_tax(Decimal("24000"), 0)


@pytest.mark.django_db
@pytest.mark.parametrize("qf, price", [(0, "3.20"), (500, "3.20"), (501, "5.10"), (1000, "5.10"), (1001, "7.00"),
                                       (None, "7.00")])
def test_bracket_edges_include_their_bound_and_no_qf_pays_the_highest(qf, price):
    whole, _half, _meal = centre()
    tariff(whole, [(500, "3.20"), (1000, "5.10"), (None, "7.00")])
    family, (child,) = household()
    if qf is not None:
        Quotient.objects.create(family=family, value=qf, valid_from=D(2026, 1, 1), source="caf")
    booked(family, child, whole, WEDNESDAYS[0])
    (charge,) = price_households([whole.pk], *WEDNESDAYS[0:1] * 2, now=AFTER_DECEMBER)[family.pk].charges.values()
    assert charge.price == Decimal(price)


@pytest.mark.django_db
def test_the_qf_valid_on_each_day_prices_that_day_and_outsiders_pay_their_rate():
    whole, _half, _meal = centre()
    regie = regie_for(whole.activity)
    tariff(whole, [(500, "3.20"), (None, "7.00")], outside="9.00")
    family, (child,) = household()
    Quotient.objects.create(family=family, value=800, valid_from=D(2026, 9, 1), source="caf")
    Quotient.objects.create(family=family, value=450, valid_from=D(2026, 12, 10), source="caf")
    for day in WEDNESDAYS:
        booked(family, child, whole, day)
    outsider, (other,) = household()
    outsider.city = "Fayence"
    outsider.save(update_fields=["city"])
    booked(outsider, other, whole, WEDNESDAYS[0])
    run_month(regie)
    lines = list(Invoice.objects.get(family=family).lines.order_by("unit_price"))
    assert [(line.days, line.unit_price) for line in lines] == [
        (["2026-12-16"], Decimal("3.20")), (["2026-12-02", "2026-12-09"], Decimal("7.00"))]
    assert Invoice.objects.get(family=outsider).lines.get().rule == "tarif hors commune"


@pytest.mark.django_db
def test_a_new_qf_starts_next_month_and_never_on_a_day_already_invoiced():
    whole, _half, _meal = centre()
    regie = regie_for(whole.activity)
    tariff(whole, [(None, "7.00")])
    family, (child,) = household()
    today = D(2026, 11, 20)
    assert quotients.earliest_start(family, today) == D(2026, 12, 1)
    booked(family, child, whole, WEDNESDAYS[0])
    run_month(regie)
    assert quotients.earliest_start(family, today) == D(2027, 1, 1)
    with pytest.raises(quotients.QuotientError):
        quotients.record(family, 500, source="staff", today=today, valid_from=D(2026, 12, 15))
    assert quotients.record(family, 500, source="staff", today=today).valid_from == D(2027, 1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("rule, expected", [("caf_then_tax", (620, "caf")), ("caf", (620, "caf")),
                                            ("tax", (800, "tax"))])
def test_the_qf_follows_the_households_records_by_the_communes_rule(settings, rule, expected):
    from enfance.families.models import CafInfo, TaxInfo

    settings.QF_RULE = rule
    family, _children = household()
    TaxInfo.objects.create(family=family, year=2025, reference_income=Decimal("24000"), tax_shares=Decimal("2.5"))
    CafInfo.objects.create(family=family, regime="CAF", allocataire_number="1234567", quotient=620)
    quotient = Quotient.objects.filter(family=family).order_by("-created_at", "-pk").first()
    assert (quotient.value, quotient.source) == expected
    assert quotient.valid_from == quotients.earliest_start(family, datetime.date.today())


@pytest.mark.django_db
def test_a_household_without_caf_quotient_gets_the_tax_notices_unless_the_rule_is_caf_only(settings):
    from enfance.families.models import TaxInfo

    family, _children = household()
    settings.QF_RULE = "caf"
    TaxInfo.objects.create(family=family, year=2025, reference_income=Decimal("24000"), tax_shares=Decimal("2.5"))
    assert not Quotient.objects.filter(family=family).exists()
    settings.QF_RULE = "caf_then_tax"
    assert quotients.follow_records(family).value == 800
    assert quotients.follow_records(family) is None  # already that one
