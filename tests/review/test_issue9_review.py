# ruff: noqa: F811  (the `world` fixture is imported, then named by the tests)
"""Review of issue 9 (billing): each test demonstrates a bug found in review and fails today."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from enfance.activities.models import Booking
from enfance.billing import payments, runs, tasks
from enfance.billing.models import Invoice, InvoiceRun, Payment, Regie
from enfance.documents import certificates
from enfance.families.models import Family
from tests.activities.test_bookings import centre, household
from tests.billing.helpers import regie_for, tariff
from tests.billing.test_payments import world  # noqa: F401 - the fixture
from tests.billing.test_runs import AFTER_DECEMBER, DECEMBER, WEDNESDAYS, booked, run_month
from tests.changes.test_concurrency import run_together

D = datetime.date
SUPERSCRIPT_TWO = "\u00b2"  # "²".isdigit() is True, int("²") raises ValueError


def _safe(call):
    try:
        return call().status_code
    except Exception as exc:  # noqa: BLE001 - what a browser would get as a 500
        return f"500 ({type(exc).__name__}: {exc})"


# --- 1. crafted query parameters: a 500 -------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("name,kwargs", [("portal:statement", {}), ("portal:statement_pdf", {}),
                                         ("portal:payment_certificate", {"year": 2026}),
                                         ("portal:tax_certificate", {"year": 2026})])
def test_portal_regie_parameter_with_a_unicode_digit_is_not_a_500(client, alice, name, kwargs):
    """billing_views._chosen: `value.isdigit()` is True for "²", then int("²") raises ValueError."""
    family = Family.objects.get(logins=alice)
    regie = Regie.objects.create(name="Régie", code="CANT")
    Payment.objects.create(regie=regie, family=family, means="cash", amount=Decimal("5.00"),
                           received_on=D(2026, 3, 1))
    client.force_login(alice)
    status = _safe(lambda: client.get(reverse(name, kwargs=kwargs), {"regie": SUPERSCRIPT_TWO}))
    assert status == 200, status


@pytest.mark.django_db
def test_staff_payment_form_regie_parameter_with_a_unicode_digit_is_not_a_500(client, staff, alice):
    """backoffice/views/payments._int: same isdigit()/int() mismatch."""
    family = Family.objects.get(logins=alice)
    Regie.objects.create(name="Régie", code="CANT")
    client.force_login(staff)
    url = reverse("backoffice:payment_new", args=[family.pk])
    status = _safe(lambda: client.get(url, {"regie": SUPERSCRIPT_TWO}))
    assert status == 200, status


@pytest.mark.django_db
def test_staff_overdue_post_with_a_unicode_digit_is_not_a_500(client, staff):
    client.force_login(staff)
    status = _safe(lambda: client.post(reverse("backoffice:overdue"), {"invoices": [SUPERSCRIPT_TWO]}))
    assert status == 302, status


@pytest.mark.django_db
def test_staff_new_run_regie_parameter_with_a_unicode_digit_is_not_a_500(client, staff):
    """backoffice/views/billing.run_new: `wanted.isdigit()` then int(wanted)."""
    Regie.objects.create(name="Régie", code="CANT")
    client.force_login(staff)
    status = _safe(lambda: client.get(reverse("backoffice:run_new"), {"regie": SUPERSCRIPT_TWO}))
    assert status == 200, status


# --- 2. a run's credit note on childcare loses its CESU flag ---------------------------------------------

def _credit_the_childcare_day(regie, family, december):
    """The 10 € leisure-centre day of December (CESU tariff) is cancelled afterwards: the next run of December
    credits it with a credit note on the December invoice (14 € = 10 € care + 4 € meal)."""
    Booking.objects.filter(family=family, day=WEDNESDAYS[0]).update(state="cancelled")
    run_month(regie)
    note = Invoice.objects.get(kind="credit_note", state="issued", corrects=december)
    assert note.total == Decimal("10.00")
    return note


@pytest.mark.django_db
def test_cesu_cannot_pay_a_meal_after_a_run_credited_the_childcare(world):
    """runs._drafts builds the credit lines without `cesu` (False), so payments.cesu_room never takes back the
    childcare a real credit note credited: what is left on the invoice is the 4 € meal, and CESU pays it."""
    regie, family, december, _january = world
    _credit_the_childcare_day(regie, family, december)
    with pytest.raises(payments.PaymentError):
        payments.record(regie=regie, family=family, means="cesu", amount=Decimal("4.00"),
                        received_on=D(2027, 2, 10), invoice_ids=[december.pk])


@pytest.mark.django_db
def test_the_tax_certificate_counts_no_meal_as_childcare_after_a_credit_note(world):
    """Same root cause in documents.certificates.care_paid: the 4 € meal paid in 2027 is certified as
    childcare for the tax credit, because the credited care line is not `cesu=True`."""
    regie, family, december, _january = world
    _credit_the_childcare_day(regie, family, december)
    payments.record(regie=regie, family=family, means="cheque", amount=Decimal("4.00"), reference="1",
                    received_on=D(2027, 2, 10), invoice_ids=[december.pk])
    paid = certificates.care_paid(regie, family, 2027)
    assert all(total == Decimal("0.00") for total, _cesu in paid.values()), paid


# --- 3. a run failed mid-issue: its issued invoices are never told (nor archived) -------------------------

@pytest.fixture
def two_households():
    whole, _half, _meal = centre(capacity=20)
    regie = regie_for(whole.activity)
    tariff(whole, [(None, "10.00")])
    for _ in range(2):
        family, (child,) = household()
        booked(family, child, whole, WEDNESDAYS[0])
    run = runs.start(regie, *DECEMBER, user=None)
    runs.preview(run.pk, now=AFTER_DECEMBER)
    return run


@pytest.mark.django_db
def test_invoices_issued_by_a_run_that_then_failed_are_told_and_archived(two_households, monkeypatch):
    """An issue failing 3 times after its first batch used to be FAILED (tasks._failed): its first batch stayed
    issued, numbered and owed, but after_issue never ran for it. Now it stays in issue, its error shown, and the
    sweep resumes it once the cause is gone: every household told, every PDF archived."""
    run = two_households
    monkeypatch.setitem(runs.issue.__kwdefaults__, "batch", 1)
    real_promote, calls = runs._promote, []

    def promote(*args):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("database went away")
        return real_promote(*args)

    monkeypatch.setattr(runs, "_promote", promote)
    for _ in range(tasks.MAX_FAILURES):
        tasks.issue_run.call(run.pk)
    run.refresh_from_db()
    assert run.state == "issuing" and run.failures == tasks.MAX_FAILURES and "went away" in run.error
    assert Invoice.objects.filter(run=run, state="issued").count() == 1
    monkeypatch.setattr(runs, "_promote", real_promote)  # the database is back
    tasks.resume_stalled(now=timezone.now() + datetime.timedelta(hours=1))
    run.refresh_from_db()
    assert run.state == "issued"
    for issued in Invoice.objects.filter(run=run):
        assert issued.state == "issued" and issued.notified_at is not None and issued.pdf


# --- 4. tasks._failed overwrites a run's state from a stale read (PostgreSQL, threads) --------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stale_worker_failing_never_turns_an_issued_run_into_failed(two_households):
    """tasks._failed used to read the run (no lock), then UPDATE state=FAILED by pk only: a worker whose issue
    failed after the sweep gave the run to another worker wrote FAILED over the ISSUED run. Now its write is one
    UPDATE conditional on the run being still open, and failures are counted by the database: two workers
    failing at once both count."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    run = two_households
    InvoiceRun.objects.filter(pk=run.pk).update(failures=tasks.MAX_FAILURES - 1, state=InvoiceRun.State.ISSUING,
                                                issue_started_at=AFTER_DECEMBER)
    runs.issue(run.pk, now=AFTER_DECEMBER)  # the sweep's worker finishes the issue
    tasks._failed(run.pk, RuntimeError("lost connection"))  # the stale worker's late failure
    run.refresh_from_db()
    assert run.state == "issued" and run.failures == tasks.MAX_FAILURES - 1
    # Two previews failing at once: both counted, never one lost.
    InvoiceRun.objects.filter(pk=run.pk).update(state=InvoiceRun.State.PREVIEWING, failures=0)
    results = run_together(*(lambda: tasks._failed(run.pk, RuntimeError("boom")) for _ in range(2)))
    assert results == [None, None]
    run.refresh_from_db()
    assert run.failures == 2 and run.state == InvoiceRun.State.PREVIEWING
