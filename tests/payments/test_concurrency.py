"""Online payment on PostgreSQL: concurrent notices of one attempt record one payment; two tabs starting at once
open one attempt; a notice racing a desk payment of the same household ends consistent, without deadlock."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enfance.billing import ledger
from enfance.billing import payments as billing_payments
from enfance.billing.models import Allocation, Payment
from enfance.payments import attempts
from enfance.payments.models import PaymentAttempt, PaymentEvent, SandboxOperation
from tests.changes.test_concurrency import run_together
from tests.documents.test_invoice import make_invoice
from tests.payments.test_attempts import decide, payfip, url_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")


def _started(login, total="15.30"):
    invoice = make_invoice(login, total=total, previous="0")
    return invoice, attempts.start(regie=invoice.regie, family=login.family, user=login, invoice_ids=[],
                                   url_for=url_for)


def test_twenty_concurrent_notifications_record_exactly_one_payment(alice):
    invoice, attempt = _started(alice)
    decide(attempt, SandboxOperation.Outcome.PAID)
    path = reverse("payments:notify", args=[attempt.token])
    results = run_together(*(lambda: Client().post(path, {"reference": attempt.reference}).status_code
                             for _ in range(20)))
    assert results == [200] * 20, results
    assert Payment.objects.count() == 1 and Allocation.objects.count() == 1
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.PAID and attempt.payment.amount == Decimal("15.30")
    assert ledger.balance(invoice.regie, alice.family) == 0
    notices = attempt.events.filter(source=PaymentEvent.Source.NOTIFICATION)
    assert notices.filter(changed=True).count() == 1


def test_twenty_concurrent_payfip_notifications_ask_the_service_and_record_one(alice, simulator):
    invoice = make_invoice(alice, total="15.30", previous="0")
    payfip(invoice.regie)
    attempt = attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[], url_for=url_for)
    simulator.pay(attempt.reference)
    path = reverse("payments:notify", args=[attempt.token])
    results = run_together(*(lambda: Client().post(path, {"idOp": attempt.reference}).status_code
                             for _ in range(20)))
    assert results == [200] * 20, results
    assert Payment.objects.count() == 1
    # Each notice asked the service, but those that found the attempt already paid (nothing left to learn).
    assert 1 <= len(simulator.requests("recupererDetailPaiementSecurise")) <= 20


def test_twenty_concurrent_signed_notices_record_one_payment(alice):
    from urllib.parse import urlencode

    from tests.payments.test_signed_banks import systempay, systempay_notice

    invoice = make_invoice(alice, total="15.30", previous="0")
    systempay(invoice.regie)
    attempt = attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[], url_for=url_for)
    body = urlencode(systempay_notice(attempt))
    paths = [reverse("payments:notify", args=[attempt.token]), reverse("payments:back", args=[attempt.token]),
             reverse("payments:regie_notify", args=[invoice.regie.code])]
    results = run_together(*(lambda path=paths[i % 3]: Client().post(
        path, body, content_type="application/x-www-form-urlencoded").status_code for i in range(20)))
    assert sorted(set(results)) == [200, 302], results
    assert Payment.objects.count() == 1 and Allocation.objects.count() == 1
    assert ledger.balance(invoice.regie, alice.family) == 0
    assert PaymentEvent.objects.filter(attempt=attempt, changed=True).exclude(source="start").count() == 1


def test_the_return_and_the_notification_at_once_record_one_payment(alice):
    _invoice, attempt = _started(alice)
    decide(attempt, SandboxOperation.Outcome.PAID)
    token = attempt.token
    results = run_together(
        lambda: Client().get(reverse("payments:back", args=[token])).status_code,
        lambda: Client().post(reverse("payments:notify", args=[token])).status_code,
        lambda: attempts.sweep_pending(),
    )
    assert results[:2] == [302, 200], results
    assert Payment.objects.count() == 1


def test_two_tabs_starting_at_once_open_one_attempt(alice):
    invoice = make_invoice(alice, total="15.30", previous="0")
    results = run_together(*(lambda: attempts.start(regie=invoice.regie, family=alice.family, user=alice,
                                                    invoice_ids=[invoice.pk], url_for=url_for)
                             for _ in range(2)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert PaymentAttempt.objects.count() == 1 and SandboxOperation.objects.count() == 1
    assert sorted(r.reused for r in results) == [False, True]


def test_a_notification_racing_a_desk_payment_of_the_household_stays_consistent(alice):
    invoice, attempt = _started(alice)
    decide(attempt, SandboxOperation.Outcome.PAID)
    results = run_together(
        lambda: attempts.check(PaymentAttempt.objects.get(pk=attempt.pk),
                               source=PaymentEvent.Source.NOTIFICATION).state,
        lambda: billing_payments.record(regie=invoice.regie, family=alice.family, means=Payment.Means.CHEQUE,
                                        amount=Decimal("15.30"), received_on=timezone.localdate()).pk,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Payment.objects.count() == 2
    # One of the two settled the invoice; the other stays a credit on the account: nothing allocated twice.
    assert sum(a.amount for a in Allocation.objects.filter(invoice=invoice)) == Decimal("15.30")
    assert ledger.balance(invoice.regie, alice.family) == Decimal("-15.30")
