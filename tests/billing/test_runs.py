"""Invoice runs: the preview's drafts and anomalies, the issue's gap-free numbers and previous balance, a re-run
that bills nothing twice and credits what is no longer due, an issue refused after a change, one resumed."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from enfance.activities.models import Absence, Attendance, Booking
from enfance.billing import ledger, runs
from enfance.billing.models import BilledDay, Invoice, InvoiceRun, Payment, Quotient
from tests.activities.test_bookings import centre, household
from tests.billing.helpers import regie_for, tariff

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
D = datetime.date
DECEMBER = (D(2026, 12, 1), D(2026, 12, 31))
JANUARY = (D(2027, 1, 1), D(2027, 1, 31))
AFTER_DECEMBER = datetime.datetime(2027, 1, 5, 9, 0, tzinfo=PARIS)
AFTER_JANUARY = datetime.datetime(2027, 2, 3, 9, 0, tzinfo=PARIS)
WEDNESDAYS = [D(2026, 12, 2), D(2026, 12, 9), D(2026, 12, 16)]


def booked(family, child, unit, day, **extra):
    return Booking.objects.create(family=family, child=child, unit=unit, day=day, state="booked", **extra)


def run_month(regie, period=DECEMBER, now=AFTER_DECEMBER):
    run = runs.start(regie, *period, user=None)
    runs.preview(run.pk, now=now)
    return runs.issue(run.pk, now=now)


@pytest.fixture
def world():
    whole, half, _meal = centre(capacity=20)
    regie = regie_for(whole.activity)
    tariff(whole, [(500, "3.20"), (1000, "5.10"), (None, "7.00")], outside="9.00")
    return regie, whole, half


def test_the_preview_stores_drafts_with_a_line_per_child_unit_and_price(world):
    regie, whole, _half = world
    family, (child,) = household()
    Quotient.objects.create(family=family, value=620, valid_from=D(2026, 9, 1), source="caf")
    for day in WEDNESDAYS:
        booked(family, child, whole, day)
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    run.refresh_from_db()
    assert (run.state, run.households_total, run.households_done) == ("previewed", 1, 1)
    (draft,) = Invoice.objects.filter(run=run)
    assert draft.state == "draft" and draft.number is None
    (line,) = draft.lines.all()
    assert (line.quantity, line.unit_price, line.amount) == (3, Decimal("5.10"), Decimal("15.30"))
    assert line.days == [d.isoformat() for d in WEDNESDAYS]
    assert "QF 620" in line.rule and child.first_name in line.label
    assert not BilledDay.objects.exists()  # nothing billed before the issue


def test_the_issue_numbers_without_gap_and_shows_the_previous_balance(world):
    regie, whole, _half = world
    (f1, (c1,)), (f2, (c2,)) = household(), household()
    for day in WEDNESDAYS:
        booked(f1, c1, whole, day)
    booked(f2, c2, whole, WEDNESDAYS[0])
    run = run_month(regie)
    assert run.state == "issued"
    numbers = sorted(Invoice.objects.filter(state="issued").values_list("number", flat=True))
    assert numbers == ["CANT2027000001", "CANT2027000002"]
    # January: the December invoice is still due and shows as the previous balance, not in the amount due.
    booked(f1, c1, whole, D(2027, 1, 6))
    run_month(regie, JANUARY, AFTER_JANUARY)
    january = Invoice.objects.get(family=f1, first_day=JANUARY[0])
    assert january.number == "CANT2027000003"
    assert january.previous_balance == Decimal("21.00") and january.total == Decimal("7.00")
    assert ledger.balance(regie, f1) == Decimal("28.00")


def test_running_the_same_period_again_bills_nothing_twice(world):
    regie, whole, _half = world
    family, (child,) = household()
    for day in WEDNESDAYS:
        booked(family, child, whole, day)
    run_month(regie)
    again = run_month(regie)
    assert again.state == "issued"
    assert Invoice.objects.filter(state="issued").count() == 1
    assert BilledDay.objects.count() == 3
    # A day booked since is billed by the next run, alone.
    booked(family, child, whole, D(2026, 12, 30))
    run_month(regie)
    latest = Invoice.objects.filter(state="issued").order_by("-pk").first()
    assert latest.lines.get().days == ["2026-12-30"]


def test_a_certificate_sent_in_time_after_the_issue_is_credited_by_a_credit_note_naming_the_invoice(world):
    regie, whole, _half = world
    family, (child,) = household()
    bookings = [booked(family, child, whole, day) for day in WEDNESDAYS]
    late = datetime.datetime(2026, 12, 16, 8, 0, tzinfo=PARIS)  # after the day-before deadline
    absence = Absence.objects.create(booking=bookings[2], reason="illness", declared_at=late)
    # On 17 December the certificate may still come: the day is not billed yet, and the preview says why.
    early = datetime.datetime(2026, 12, 17, 9, 0, tzinfo=PARIS)
    run = run_month(regie, now=early)
    assert any(a["kind"] == "absence_pending" for a in InvoiceRun.objects.get(pk=run.pk).anomalies)
    invoice = Invoice.objects.get(state="issued")
    assert invoice.total == Decimal("14.00")
    # The delay passed without a certificate: the next run bills the absence.
    run_month(regie)
    absence_line = Invoice.objects.filter(state="issued").order_by("-pk").first().lines.get()
    assert absence_line.kind == "absence" and "certificat" in absence_line.rule
    # Staff justify it afterwards: the run after credits that day, naming the invoice.
    absence.justification, absence.justified_by = "Hospitalisation", None
    Absence.objects.filter(pk=absence.pk).update(justification="Hospitalisation",
                                                 certificate_received_at=datetime.datetime(2026, 12, 17, 10, 0,
                                                                                           tzinfo=PARIS))
    run_month(regie)
    credit = Invoice.objects.get(kind="credit_note")
    billed_invoice = absence_line.invoice
    assert credit.corrects == billed_invoice and credit.total == Decimal("7.00")
    assert credit.number == "CANTAV2027000001"
    assert billed_invoice.number in credit.lines.get().rule
    assert ledger.balance(regie, family) == Decimal("14.00")


def test_an_issue_is_refused_when_bookings_changed_since_the_preview(world):
    regie, whole, _half = world
    family, (child,) = household()
    booked(family, child, whole, WEDNESDAYS[0])
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    booked(family, child, whole, WEDNESDAYS[1])
    with pytest.raises(runs.RunError, match="prévisualisez à nouveau"):
        runs.issue(run.pk, now=AFTER_DECEMBER)
    assert not Invoice.objects.filter(state="issued").exists()


def test_a_run_stopped_halfway_leaves_no_half_issued_invoice_and_resumes(world, monkeypatch):
    regie, whole, _half = world
    households = [household() for _ in range(4)]
    for family, (child,) in households:
        booked(family, child, whole, WEDNESDAYS[0])
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    real, calls = runs._promote, []

    def dying(run, drafts, now):
        calls.append(len(drafts))
        real(run, drafts, now)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the worker killed inside the second batch's transaction

    monkeypatch.setattr(runs, "_promote", dying)
    with pytest.raises(KeyboardInterrupt):
        runs.issue(run.pk, now=AFTER_DECEMBER, batch=1)
    assert list(Invoice.objects.filter(state="issued").values_list("number", flat=True)) == ["CANT2027000001"]
    assert BilledDay.objects.count() == 1
    monkeypatch.setattr(runs, "_promote", real)
    done = runs.issue(run.pk, now=AFTER_DECEMBER, batch=1)
    assert done.state == "issued" and done.households_done == 4
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [f"CANT2027{n:06d}" for n in range(1, 5)]


def test_one_open_run_per_regie(world):
    regie, _whole, _half = world
    runs.start(regie, *DECEMBER, user=None)
    with pytest.raises(runs.RunError, match="déjà en cours"):
        runs.start(regie, *DECEMBER, user=None)


def test_late_bookings_presence_without_booking_and_billed_absences(world):
    regie, whole, _half = world
    family, (child,) = household()
    whole.activity.late_surcharge = Decimal("1.50")
    whole.activity.save(update_fields=["late_surcharge"])
    booked(family, child, whole, WEDNESDAYS[0], late=True)
    absent = booked(family, child, whole, WEDNESDAYS[1])
    Absence.objects.create(booking=absent, reason="other", declared_at=datetime.datetime(2026, 12, 9, 8, 0, tzinfo=PARIS))
    Attendance.objects.create(child=child, unit=whole, day=WEDNESDAYS[2], status="unbooked")
    run = run_month(regie)
    kinds = {line.kind: line for line in Invoice.objects.get(state="issued").lines.all()}
    assert set(kinds) == {"booked", "late", "absence", "unbooked"}
    assert kinds["late"].amount == Decimal("1.50")
    assert "après le délai d'annulation" in kinds["absence"].rule
    assert {a["kind"] for a in InvoiceRun.objects.get(pk=run.pk).anomalies} >= {"no_qf", "unbooked"}


def test_a_place_offered_and_not_accepted_is_not_billed(world):
    regie, whole, _half = world
    family, (child,) = household()
    booked(family, child, whole, WEDNESDAYS[0], needs_acceptance=True)
    run = run_month(regie)
    assert run.households_total == 0 and not Invoice.objects.exists()


def test_a_discarded_preview_keeps_its_drafts_and_frees_the_regie(world):
    regie, whole, _half = world
    family, (child,) = household()
    booked(family, child, whole, WEDNESDAYS[0])
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    runs.discard(run.pk)
    assert Invoice.objects.get().state == "discarded"
    assert run_month(regie).state == "issued"


def test_payments_lower_the_balance_and_the_next_invoice_shows_it(world):
    regie, whole, _half = world
    family, (child,) = household()
    booked(family, child, whole, WEDNESDAYS[0])
    run_month(regie)
    Payment.objects.create(regie=regie, family=family, means="cheque", amount=Decimal("10.00"),
                           received_on=D(2027, 1, 10))
    booked(family, child, whole, D(2027, 1, 6))
    run_month(regie, JANUARY, AFTER_JANUARY)
    january = Invoice.objects.get(first_day=JANUARY[0])
    assert january.previous_balance == Decimal("-3.00")  # a credit of 3 € on the account


def test_a_discard_while_the_preview_prices_stays_discarded(world, monkeypatch):
    from enfance.billing import pricing

    regie, whole, _half = world
    family, (child,) = household()
    booked(family, child, whole, WEDNESDAYS[0])
    run = runs.start(regie, *DECEMBER, user=None)
    real = pricing.price_households

    def discarded_meanwhile(*args, **kwargs):
        runs.discard(run.pk)  # staff click "Abandonner" while the worker prices
        return real(*args, **kwargs)

    monkeypatch.setattr(pricing, "price_households", discarded_meanwhile)
    assert runs.preview(run.pk, now=AFTER_DECEMBER).state == "discarded"
    assert not Invoice.objects.exclude(state="discarded").exists()


def test_a_second_preview_of_one_run_takes_it_over_and_the_first_writes_nothing(world, monkeypatch):
    from enfance.billing import pricing

    regie, whole, _half = world
    family, (child,) = household()
    booked(family, child, whole, WEDNESDAYS[0])
    run = runs.start(regie, *DECEMBER, user=None)
    real, calls = pricing.price_households, []

    def twin(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            runs.preview(run.pk, now=AFTER_DECEMBER)  # the sweep's twin, finishing first
        return real(*args, **kwargs)

    monkeypatch.setattr(pricing, "price_households", twin)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    assert Invoice.objects.filter(run=run, state="draft").count() == 1
    assert runs.issue(run.pk, now=AFTER_DECEMBER).state == "issued"


def test_a_tariff_changed_after_the_preview_refuses_the_issue(world):
    from enfance.billing.models import TariffBracket

    regie, whole, _half = world
    family, (child,) = household()
    booked(family, child, whole, WEDNESDAYS[0])
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    TariffBracket.objects.filter(qf_max__isnull=True).update(price=Decimal("70.00"))
    with pytest.raises(runs.RunError):
        runs.issue(run.pk, now=AFTER_DECEMBER)


def test_a_day_without_tariff_is_never_credited_as_no_longer_due(world):
    from enfance.billing.models import Tariff

    regie, whole, _half = world
    family, (child,) = household()
    for day in WEDNESDAYS:
        booked(family, child, whole, day)
    run_month(regie)
    Tariff.objects.update(valid_until=D(2026, 11, 30))  # staff closed the tariff too early
    run = run_month(regie)
    assert not Invoice.objects.filter(kind="credit_note").exists()
    assert any(a["kind"] == "no_tariff" for a in InvoiceRun.objects.get(pk=run.pk).anomalies)


def test_a_run_failing_again_and_again_is_failed_and_frees_its_regie(world, monkeypatch):
    from enfance.billing import tasks

    regie, _whole, _half = world
    run = runs.start(regie, *DECEMBER, user=None)

    def broken(run_id, now=None):
        raise RuntimeError("base de données injoignable")

    monkeypatch.setattr(runs, "preview", broken)
    for _attempt in range(tasks.MAX_FAILURES):
        tasks.preview_run.enqueue(run.pk)
    run.refresh_from_db()
    assert (run.state, run.failures) == ("failed", 3) and "injoignable" in run.error
    assert runs.start(regie, *DECEMBER, user=None).state == "previewing"


def test_a_qf_changed_after_the_preview_of_a_household_present_without_booking_refuses_the_issue(world):
    # The fingerprint looked only at households with bookings: this one's new QF was issued at the old price.
    regie, whole, _half = world
    family, (child,) = household()
    Quotient.objects.create(family=family, value=620, valid_from=D(2026, 9, 1), source="caf")
    Attendance.objects.create(child=child, unit=whole, day=WEDNESDAYS[0], status="unbooked")
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    assert Invoice.objects.filter(run=run, family=family).exists()
    Quotient.objects.create(family=family, value=1500, valid_from=D(2026, 12, 1), source="caf")
    with pytest.raises(runs.RunError, match="prévisualisez à nouveau"):
        runs.issue(run.pk, now=AFTER_DECEMBER)
