"""The demo commune's billing (seed_demo → billing.demo.populate): two past months invoiced, most paid, one
partly, one overdue whose balance the next invoice carries, a credit note naming the invoice it corrects."""

import pytest

from enfance.billing import ledger
from enfance.billing.models import Invoice, InvoiceRun, Payment
from tests.activities.test_demo import D, assert_booking_invariants, seed_on

pytestmark = pytest.mark.django_db


def test_the_demo_bills_two_months_with_every_case_the_pages_show(monkeypatch):
    today = seed_on(monkeypatch, D(2026, 12, 2))
    assert list(InvoiceRun.objects.order_by("first_day").values_list("first_day", "state")) == [
        (D(2026, 10, 1), "issued"), (D(2026, 11, 1), "issued")]
    october = list(Invoice.objects.filter(first_day=D(2026, 10, 1), kind="invoice").order_by("number"))
    assert len(october) >= 10 and not Invoice.objects.filter(state="draft").exists()
    left = ledger.remaining(october)
    paid = [i for i in october if left[i.pk] == 0]
    partly = [i for i in october if 0 < left[i.pk] < i.total]
    overdue = [i for i in october if left[i.pk] == i.total and i.due_on < today]
    assert len(paid) >= len(october) - 2 and partly and overdue
    carried = Invoice.objects.filter(family=overdue[0].family, first_day=D(2026, 11, 1), kind="invoice").first()
    assert carried is not None and carried.previous_balance >= overdue[0].total
    credit = Invoice.objects.get(kind="credit_note")
    assert credit.corrects.first_day == D(2026, 10, 1) and credit.corrects.number in credit.lines.get().rule
    assert Payment.objects.filter(means="cheque").exclude(reference="").exists()
    # The households fall into several brackets.
    assert len({line.rule.split(",")[0] for i in october for line in i.lines.all()}) >= 2
    assert_booking_invariants(today)
