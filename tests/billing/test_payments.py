"""Payments at the desk: allocated to the oldest unpaid invoices or those chosen, an overpayment kept as a credit
and given to the next invoice, CESU never paying meals, a mistaken payment reversed, never deleted."""

import datetime
from decimal import Decimal

import pytest

from enfance.activities.models import Activity, Unit
from enfance.billing import ledger, payments
from enfance.billing.models import Allocation, Invoice, Payment, RegieActivity
from tests.activities.test_bookings import centre, household
from tests.billing.helpers import regie_for, tariff
from tests.billing.test_runs import AFTER_JANUARY, JANUARY, WEDNESDAYS, booked, run_month

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def world():
    whole, _half, _meal = centre(capacity=20)
    regie = regie_for(whole.activity)
    tariff(whole, [(None, "10.00")])
    canteen = Activity.objects.create(name="Cantine", kind="canteen", booking_rule=whole.activity.booking_rule,
                                      cancellation_rule=whole.activity.cancellation_rule)
    meal = Unit.objects.create(activity=canteen, name="Repas")
    meal.places.set(whole.places.all())
    RegieActivity.objects.create(regie=regie, activity=canteen)
    tariff(meal, [(None, "4.00")], cesu=False)  # a meal: never paid by CESU
    family, (child,) = household()
    booked(family, child, whole, WEDNESDAYS[0])
    booked(family, child, meal, WEDNESDAYS[1])
    run_month(regie)  # December: 14,00 €
    booked(family, child, whole, D(2027, 1, 6))
    run_month(regie, JANUARY, AFTER_JANUARY)  # January: 10,00 €
    december, january = Invoice.objects.order_by("number")
    return regie, family, december, january


def record(regie, family, amount, means="cheque", **extra):
    return payments.record(regie=regie, family=family, means=means, amount=Decimal(amount),
                           received_on=D(2027, 2, 10), **extra)


def left(*invoices):
    found = ledger.remaining(invoices)
    return [found[i.pk] for i in invoices]


def test_a_payment_settles_the_oldest_invoice_first(world):
    regie, family, december, january = world
    record(regie, family, "20.00")
    assert left(december, january) == [Decimal("0.00"), Decimal("4.00")]
    assert payments.state(january, Decimal("4.00")) == "partly_paid"


def test_a_payment_goes_to_the_invoices_chosen(world):
    regie, family, december, january = world
    record(regie, family, "10.00", invoice_ids=[january.pk])
    assert left(december, january) == [Decimal("14.00"), Decimal("0.00")]


def test_an_overpayment_stays_a_credit_and_goes_to_the_next_invoice(world):
    regie, family, december, january = world
    payment = record(regie, family, "30.00")
    assert payments.unallocated(payment) == Decimal("6.00")
    assert ledger.balance(regie, family) == Decimal("-6.00")
    child = family.children.first()
    booked(family, child, Unit.objects.get(name="Journée"), D(2027, 2, 3))
    run_month(regie, (D(2027, 2, 1), D(2027, 2, 28)), datetime.datetime(2027, 3, 2, 9, 0, tzinfo=datetime.UTC))
    payments.allocate_credit(regie, family)
    february = Invoice.objects.get(first_day=D(2027, 2, 1))
    assert left(february) == [Decimal("4.00")] and payments.unallocated(payment) == Decimal("0.00")


def test_cesu_pays_childcare_never_meals(world):
    regie, family, december, _january = world
    # December: 10 € of leisure centre and 4 € of canteen, January 10 € of leisure centre: a CESU of 24 € would
    # leave a credit that can never pay the canteen: refused, with what it may pay.
    with pytest.raises(payments.PaymentError, match="20,00"):
        record(regie, family, "24.00", means="cesu")
    record(regie, family, "10.00", means="cesu", invoice_ids=[december.pk])
    assert left(december) == [Decimal("4.00")]
    assert Allocation.objects.get().amount == Decimal("10.00")


def test_cesu_never_pays_what_a_credit_note_took_back_from_the_childcare(world):
    from enfance.billing.models import InvoiceLine

    regie, family, december, _january = world
    # The 10 € of childcare credited: what is left on December is the 4 € meal, which CESU does not pay.
    line = december.lines.get(cesu=True)
    note = Invoice.objects.create(regie=regie, family=family, kind="credit_note", corrects=december, state="issued",
                                  number="CANTAV2027000099", issued_at=december.issued_at, first_day=december.first_day,
                                  last_day=december.last_day, total=Decimal("10.00"))
    InvoiceLine.objects.create(invoice=note, child=line.child, unit=line.unit, kind="credit", label=line.label,
                               days=line.days, quantity=1, unit_price=Decimal("10.00"), amount=Decimal("10.00"),
                               rule="correction", corrects=december, credits_kind="booked", cesu=True)
    with pytest.raises(payments.PaymentError):
        record(regie, family, "14.00", means="cesu", invoice_ids=[december.pk])
    assert not Allocation.objects.exists()


def test_one_invoice_chosen_twice_is_settled_once(world):
    regie, family, december, _january = world
    payment = record(regie, family, "30.00", invoice_ids=[december.pk, december.pk])
    assert left(december) == [Decimal("0.00")] and payments.unallocated(payment) == Decimal("16.00")


def test_a_credit_note_on_a_paid_invoice_frees_the_payment_for_the_next(world):
    """What runs.after_issue does after a credit note: release what it overpaid, then give it onwards."""
    regie, family, december, january = world
    payment = record(regie, family, "14.00", invoice_ids=[december.pk])
    note = Invoice.objects.create(regie=regie, family=family, kind="credit_note", corrects=december, state="issued",
                                  number="CANTAV2027000098", issued_at=december.issued_at, first_day=december.first_day,
                                  last_day=december.last_day, total=Decimal("4.00"))
    assert note.total == Decimal("4.00")
    assert payments.release_overpaid(december.pk) == Decimal("4.00")
    payments.allocate_credit(regie, family)
    assert left(december, january) == [Decimal("0.00"), Decimal("6.00")]
    assert payments.unallocated(payment) == Decimal("0.00")


def test_a_mistaken_payment_is_reversed_not_deleted(world):
    regie, family, december, january = world
    payment = record(regie, family, "24.00")
    reversal = payments.reverse(payment, reason="Chèque sans provision")
    assert reversal.amount == Decimal("-24.00") and Payment.objects.count() == 2
    assert left(december, january) == [Decimal("14.00"), Decimal("10.00")]
    assert ledger.balance(regie, family) == Decimal("24.00")
    with pytest.raises(payments.PaymentError, match="déjà annulé"):
        payments.reverse(payment, reason="encore")
    with pytest.raises(payments.PaymentError, match="ne s'annule pas"):
        payments.reverse(reversal, reason="encore")


@pytest.mark.parametrize("amount, means, field", [("0", "cash", "amount"), ("-5", "cash", "amount"),
                                                  ("5", "card", "means")])
def test_a_payment_that_cannot_be_is_refused_with_its_field(world, amount, means, field):
    regie, family, _december, _january = world
    with pytest.raises(payments.PaymentError) as refused:
        record(regie, family, amount, means=means)
    assert refused.value.field == field and not Payment.objects.exists()


def test_an_invoice_of_another_household_is_never_allocated(world):
    regie, family, december, _january = world
    other, _children = household()
    with pytest.raises(payments.PaymentError):
        record(regie, other, "5.00", invoice_ids=[december.pk])
    assert not Payment.objects.exists()
