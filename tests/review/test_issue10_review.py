"""Review of issue 10 (online card payment): each test reproduces one finding and fails until it is fixed."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enfance.billing import ledger
from enfance.billing import payments as billing_payments
from enfance.billing.models import Payment
from enfance.payments import attempts
from enfance.payments.models import PaymentAttempt, PaymentEvent, SandboxOperation
from enfance.payments.providers import base
from tests.changes.test_concurrency import run_together
from tests.documents.test_invoice import make_invoice
from tests.factories import make_household
from tests.payments.conftest import simulator  # noqa: F401 - the fixture
from tests.payments.test_attempts import decide, payfip, start, url_for

pytestmark = pytest.mark.django_db
State = PaymentAttempt.State
Source = PaymentEvent.Source


@pytest.fixture
def invoice(alice):
    return make_invoice(alice, total="15.30", previous="0")


# --- crashes on bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("regie", ["abc", "1e3", "99999999999999999999"])
def test_start_with_a_non_numeric_or_huge_regie_id_answers_a_message_not_a_500(alice, invoice, client, regie):
    client.force_login(alice)
    client.raise_request_exception = False
    response = client.post(reverse("payments:start"), {"regie": regie})
    assert response.status_code == 302, response.status_code


@pytest.mark.parametrize("name", ["payments:result", "payments:notify", "payments:back"])
def test_a_token_with_a_nul_byte_answers_404_not_a_500(alice, invoice, client, name):
    client.raise_request_exception = False
    path = reverse(name, args=["A" * 32]).replace("A" * 32, "abc%00def")
    response = client.get(path)
    assert response.status_code == 404, response.status_code


def test_staff_detail_with_a_huge_id_answers_404(staff_client):
    staff_client.raise_request_exception = False
    response = staff_client.get(reverse("backoffice:online_payment", args=[10**20]))
    assert response.status_code == 404, response.status_code


# --- an attempt asked about with the régie's settings of today, not those it was opened with ------------------

def test_a_payfip_attempt_paid_after_the_regie_left_payfip_is_still_recorded(alice, invoice, simulator, client):  # noqa: F811
    """Staff switch the régie to the commune's link (or the sandbox) while a PayFiP attempt is open: check()
    builds PayFiPProvider('', ...) from today's settings, which raises ValueError (not caught): the notification,
    the return and the result page answer 500 and the money the bank took is never recorded."""
    payfip(invoice.regie)
    attempt = start(alice)
    simulator.pay(attempt.reference)
    invoice.regie.payment_settings = {"link": "https://mairie.example/payer"}
    invoice.regie.save(update_fields=["payment_settings"])
    client.raise_request_exception = False
    response = client.post(reverse("payments:notify", args=[attempt.token]), {"idOp": attempt.reference})
    assert response.status_code == 200, response.status_code
    assert Payment.objects.count() == 1


def test_one_bad_attempt_does_not_stop_the_sweep_for_the_others(alice, bob, invoice, simulator):  # noqa: F811
    """sweep_pending() lets the ValueError above escape: every attempt after it (here Bob's, paid at the
    sandbox) is never asked about, every minute."""
    payfip(invoice.regie)
    broken = start(alice)
    PaymentAttempt.objects.filter(pk=broken.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    invoice.regie.payment_settings = {}
    invoice.regie.save(update_fields=["payment_settings"])  # back to the sandbox (PAYMENT_SANDBOX in tests)
    theirs = make_invoice(bob, number="TEST2026000099", total="7.00", previous="0")
    other = attempts.start(regie=theirs.regie, family=bob.family, user=bob, invoice_ids=[], url_for=url_for)
    decide(other, SandboxOperation.Outcome.PAID)
    try:
        attempts.sweep_pending()
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"the sweep crashed: {error!r}")
    other.refresh_from_db()
    assert other.state == State.PAID


def test_a_payfip_attempt_is_asked_about_with_the_numcli_it_was_opened_with(alice, invoice, simulator):  # noqa: F811
    """Staff correct the régie's numcli while an attempt is open: the answer names the old numcli, _outcome()
    refuses it as 'another client' forever, and after 3 hours the sweep expires an attempt the bank paid."""
    payfip(invoice.regie)
    attempt = start(alice)
    simulator.pay(attempt.reference)
    invoice.regie.payment_settings = {"provider": "payfip", "numcli": "654321", "saisie": "W"}
    invoice.regie.save(update_fields=["payment_settings"])
    attempt = attempts.check(PaymentAttempt.objects.get(pk=attempt.pk), source=Source.NOTIFICATION)
    assert attempt.state == State.PAID and Payment.objects.count() == 1


# --- a test transaction settles real invoices -----------------------------------------------------------------

def test_a_payfip_test_transaction_is_not_recorded_as_real_money(alice, invoice, simulator):  # noqa: F811
    """Outcome.test is documented 'a test transaction (PayFiP saisie T): never a real payment', yet apply() records
    a card Payment and settles the invoice for it: a régie left in mode T in production gives invoices away."""
    payfip(invoice.regie, saisie="T")
    attempt = start(alice)
    simulator.pay(attempt.reference)
    attempt = attempts.check(attempt, source=Source.NOTIFICATION)
    assert attempt.test
    assert not Payment.objects.exists(), "a test transaction was recorded as a real card payment"
    assert ledger.balance(invoice.regie, alice.family) == Decimal("15.30")


# --- the amount ---------------------------------------------------------------------------------------------------

def test_a_reused_attempt_is_not_for_more_than_is_now_due(alice, invoice, client):
    """Tab 1 opens an attempt for 15,30 €; the régie is paid 15,30 € at the desk; tab 2 (or the same tab) asks to
    pay: it is sent to the attempt in progress, still offering to pay 15,30 € at the bank when nothing is due."""
    first = start(alice)
    billing_payments.record(regie=invoice.regie, family=alice.family, means=Payment.Means.CHEQUE,
                            amount=Decimal("15.30"), received_on=timezone.localdate())
    assert ledger.balance(invoice.regie, alice.family) == 0
    try:
        second = start(alice)
    except attempts.PaymentRefused:
        return  # "rien à payer": fine
    assert not (second.reused and second.pk == first.pk and second.amount > 0), \
        "the attempt in progress is reused for 15,30 € while nothing is due"


# --- a closed attempt the bank pays afterwards -------------------------------------------------------------------

def test_an_abandoned_attempt_paid_at_the_bank_is_recorded_by_the_sweep_without_a_notification(alice, invoice):
    """The family abandons on our side while the bank's page (PayFiP's idop lives 15 minutes) is still open in
    another tab, and pays there. If the bank's notification is lost, nothing ever asks again: the sweep and the
    result page only ask about open attempts, so the money taken is never recorded."""
    attempt = attempts.abandon(start(alice), actor=alice)
    decide(attempt, SandboxOperation.Outcome.PAID)  # paid at the bank; its notification never arrives
    PaymentAttempt.objects.filter(pk=attempt.pk).update(checked_at=timezone.now() - datetime.timedelta(minutes=2))
    attempts.sweep_pending()
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.count() == 1, attempt.state


# --- the receipt --------------------------------------------------------------------------------------------------

def test_staff_recording_a_payment_by_hand_tells_the_household(alice, invoice, staff,
                                                                 django_capture_on_commit_callbacks):
    from django.core import mail

    attempt = start(alice)
    outcome = base.Outcome(state=base.PAID, reference=attempt.reference, amount=Decimal("15.00"), raw={}, test=True)
    attempt = attempts.apply(attempt.pk, outcome, source=Source.NOTIFICATION)
    with django_capture_on_commit_callbacks(execute=True):
        attempts.reconcile(attempt, actor=staff, decision="record", note="vu sur le relevé")
    assert Payment.objects.count() == 1
    assert len(mail.outbox) == 1, "no receipt for the payment recorded by staff"


# --- N+1 ------------------------------------------------------------------------------------------------------------

def _attempts_for(n):
    regie = None
    for i in range(n):
        _family, login, _children = make_household(f"Foyer{i}")
        inv = make_invoice(login, number=f"TEST2026{i:06d}", total="10.00", previous="0")
        regie = inv.regie
        PaymentAttempt.objects.create(regie=regie, family=login.family, provider="sandbox", amount=Decimal("10"),
                                      refdet=f"TESTP{i:010d}", email="a@b.fr", state=State.PENDING)


def test_the_staff_list_of_attempts_does_not_query_per_row(staff_client, django_assert_max_num_queries):
    _attempts_for(2)
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as few:
        assert staff_client.get(reverse("backoffice:online_payments")).status_code == 200
    _attempts_for_more = [make_household(f"Autre{i}") for i in range(6)]
    for i, (_family, login, _children) in enumerate(_attempts_for_more):
        inv = make_invoice(login, number=f"TEST2027{i:06d}", total="10.00", previous="0")
        PaymentAttempt.objects.create(regie=inv.regie, family=login.family, provider="sandbox", amount=Decimal("10"),
                                      refdet=f"TESTQ{i:010d}", email="a@b.fr", state=State.PENDING)
    with CaptureQueriesContext(conn) as many:
        assert staff_client.get(reverse("backoffice:online_payments")).status_code == 200
    assert len(many) == len(few), (len(few), len(many))


# --- PostgreSQL races -----------------------------------------------------------------------------------------------

pg = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _pg():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_a_notice_racing_a_reversal_credit_allocation_a_second_tab_and_staff_ends_consistent(alice, staff):
    """Sound today (kept as a regression): attempt → household everywhere, no deadlock, one card payment."""
    _pg()
    invoice = make_invoice(alice, total="15.30", previous="0")
    cheque = billing_payments.record(regie=invoice.regie, family=alice.family, means=Payment.Means.CHEQUE,
                                     amount=Decimal("5.00"), received_on=timezone.localdate())
    attempt = attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[], url_for=url_for)
    decide(attempt, SandboxOperation.Outcome.PAID)
    path = reverse("payments:notify", args=[attempt.token])
    results = run_together(
        lambda: Client().post(path).status_code,
        lambda: Client().get(reverse("payments:back", args=[attempt.token])).status_code,
        lambda: billing_payments.reverse(cheque, reason="erreur", user=staff).pk,
        lambda: billing_payments.allocate_credit(invoice.regie, alice.family),
        lambda: attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[invoice.pk],
                               url_for=url_for).pk,
        lambda: attempts.reconcile(PaymentAttempt.objects.get(pk=attempt.pk), actor=staff, decision="check",
                                   note="vérif").state,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Payment.objects.filter(means=Payment.Means.CARD).count() == 1
    # 15,30 owed, the 5,00 cheque reversed, the card's 10,30 (the balance when the attempt started) recorded.
    assert ledger.balance(invoice.regie, alice.family) == Decimal("5.00")
