"""The demo commune's billing (seed_demo → billing.demo.populate): two past months invoiced, most paid, one
partly, one overdue whose balance the next invoice carries, a credit note naming the invoice it corrects."""

import pytest
from django.utils import timezone

from enfance.billing import ledger, portal_queries
from enfance.billing.models import Invoice, InvoiceRun, Payment, Quotient
from enfance.families.models import Family, TaxInfo
from enfance.payments.models import PaymentAttempt
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


def test_the_demo_runs_and_statements_read_in_the_order_they_happened(monkeypatch):
    today = seed_on(monkeypatch, D(2026, 12, 2))
    october, november = InvoiceRun.objects.order_by("first_day")
    issued = [timezone.localtime(run.issued_at) for run in (october, november)]
    # October issued early November, November on the 1st of December (never today for October).
    assert D(2026, 11, 1) <= issued[0].date() <= D(2026, 11, 7)
    assert D(2026, 12, 1) <= issued[1].date() <= today
    for run in (october, november):
        assert run.created_at < run.issued_at  # started, then issued: never "lancée" after its issue
        assert set(run.invoices.values_list("issued_at", flat=True)) == {run.issued_at}
        assert not run.invoices.filter(created_at__gt=run.issued_at).exists()
    for payment in Payment.objects.exclude(means=Payment.Means.CARD):
        assert timezone.localdate(payment.recorded_at) == payment.received_on
        assert issued[0].date() < payment.received_on < issued[1].date()
    # One household paid its November invoice online, at the sandbox bank, after its issue; another's card was
    # refused.
    (card,) = Payment.objects.filter(means=Payment.Means.CARD)
    assert issued[1].date() <= card.received_on == today and card.attempt.state == "paid"
    assert card.allocations.get().invoice.run == november
    assert PaymentAttempt.objects.filter(state="refused").count() == 1
    # Every household's statement reads day after day, its running balance the ledger's.
    for family in Family.objects.filter(invoices__isnull=False).distinct():
        lines = portal_queries.statement(october.regie, family)
        days = [line.day for line in lines]
        assert days == sorted(days) and all(day <= today for day in days), family.reference
        assert lines[-1].balance == ledger.balance(october.regie, family)
    # The credit note's credit, moved to the November invoice, is named so on the statement.
    credit = Invoice.objects.get(kind="credit_note")
    (line,) = [line for line in portal_queries.statement(credit.regie, credit.family) if line.obj == credit]
    assert f"sur la facture n° {credit.corrects.number}" in line.label
    # The QF of a household without C.A.F. figure is the tax notice's, and says so.
    sources = dict(Quotient.objects.values_list("family_id", "source"))
    without_caf = set(TaxInfo.objects.exclude(family__caf_info__quotient__isnull=False).values_list("family_id",
                                                                                                      flat=True))
    assert without_caf & set(sources) and all(sources[f] == "tax" for f in without_caf & set(sources))
