"""Invoice numbers on PostgreSQL: two workers issuing one run at once, and two régies' runs at once, give
each régie numbers 1..N without gap or duplicate, no error and no deadlock."""

import pytest
from django.db import connection

from enfance.billing import runs
from enfance.billing.models import BilledDay, Invoice
from tests.activities.test_bookings import centre, household
from tests.billing.helpers import regie_for, tariff
from tests.billing.test_runs import AFTER_DECEMBER, DECEMBER, WEDNESDAYS, booked
from tests.changes.test_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")


def _previewed(regie, unit, households=12):
    for _ in range(households):
        family, (child,) = household()
        booked(family, child, unit, WEDNESDAYS[0])
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    return run


def test_two_workers_issuing_one_run_number_it_without_gap():
    whole, _half, _meal = centre(capacity=50)
    regie = regie_for(whole.activity)
    tariff(whole, [(None, "4.00")])
    run = _previewed(regie, whole)
    results = run_together(*(lambda: runs.issue(run.pk, now=AFTER_DECEMBER, batch=2) for _ in range(3)))
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(Invoice.objects.filter(state="issued").values_list("number", flat=True))
    assert numbers == [f"CANT2027{n:06d}" for n in range(1, 13)]
    assert BilledDay.objects.count() == 12


def test_two_regies_issuing_at_once_each_number_from_one():
    from enfance.activities.models import Activity, Unit

    whole, _half, _meal = centre(capacity=50)
    other = Activity.objects.create(name="Cantine", kind="canteen", booking_rule=whole.activity.booking_rule,
                                    cancellation_rule=whole.activity.cancellation_rule)
    meal = Unit.objects.create(activity=other, name="Repas")
    meal.places.set(whole.places.all())
    first, second = regie_for(whole.activity), regie_for(other, code="PERI", name="Régie périscolaire")
    tariff(whole, [(None, "4.00")])
    tariff(meal, [(None, "3.00")])
    runs_ = [_previewed(first, whole, 8), _previewed(second, meal, 8)]
    results = run_together(*(lambda run=run: runs.issue(run.pk, now=AFTER_DECEMBER, batch=1) for run in runs_))
    assert not [r for r in results if isinstance(r, Exception)], results
    for regie in (first, second):
        numbers = sorted(Invoice.objects.filter(regie=regie).values_list("number", flat=True))
        assert numbers == [f"{regie.code}2027{n:06d}" for n in range(1, 9)]


def test_two_payments_at_once_never_allocate_one_euro_twice():
    from decimal import Decimal

    from enfance.billing import ledger, payments

    whole, _half, _meal = centre(capacity=50)
    regie = regie_for(whole.activity)
    tariff(whole, [(None, "10.00")])
    family, (child,) = household()
    booked(family, child, whole, WEDNESDAYS[0])
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    runs.issue(run.pk, now=AFTER_DECEMBER)
    invoice = Invoice.objects.get()

    def pay():
        return payments.record(regie=regie, family=family, means="cash", amount=Decimal("8.00"),
                               received_on=WEDNESDAYS[1])

    results = run_together(pay, pay)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert ledger.remaining([invoice])[invoice.pk] == Decimal("0.00")
    assert sorted(payments.unallocated(p) for p in results) == [Decimal("0.00"), Decimal("6.00")]


def test_an_issue_taking_a_credit_races_a_desk_payment_of_the_household():
    """The issue gives the account's credit to the new invoice (its own transaction) while the desk records a
    payment for the same household: neither waits forever, no euro is allocated twice, the invoice says what it
    took."""
    from decimal import Decimal

    from enfance.billing import ledger, payments
    from enfance.billing.models import Allocation, Payment

    whole, _half, _meal = centre(capacity=50)
    regie = regie_for(whole.activity)
    tariff(whole, [(None, "10.00")])
    family, (child,) = household()
    Payment.objects.create(regie=regie, family=family, means="cheque", amount=Decimal("4.00"),
                           received_on=WEDNESDAYS[0], reference="1")
    booked(family, child, whole, WEDNESDAYS[0])
    run = _previewed(regie, whole, households=3)

    def pay():
        return payments.record(regie=regie, family=family, means="cash", amount=Decimal("8.00"),
                               received_on=WEDNESDAYS[1])

    results = run_together(lambda: runs.issue(run.pk, now=AFTER_DECEMBER, batch=2), pay)
    assert not [r for r in results if isinstance(r, Exception)], results
    invoice = Invoice.objects.get(run=run, family=family)
    allocated = sum(Allocation.objects.filter(invoice=invoice).values_list("amount", flat=True))
    assert allocated <= invoice.total
    assert ledger.balance(regie, family) == invoice.total - Decimal("12.00")
    assert invoice.credit_applied in (Decimal("4.00"), Decimal("10.00"))  # its credit, or all the cash before it
    payments.allocate_credit(regie, family)
    assert ledger.remaining([invoice])[invoice.pk] == 0
