"""Online payment attempts: the amount from the ledger, one payment per attempt however the notices come, nothing
recorded that the bank does not confirm over its own channel; through the sandbox bank and through PayFiP (the
local simulator behind eopayment's payfip_ws backend)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from enfance.billing import ledger
from enfance.billing.models import Allocation, Payment
from enfance.core.models import AuditEntry
from enfance.payments import attempts, sandbox
from enfance.payments.models import PaymentAttempt, PaymentEvent, SandboxOperation
from enfance.payments.providers import base
from tests.documents.test_invoice import make_invoice

pytestmark = pytest.mark.django_db
State = PaymentAttempt.State


def url_for(name, token):
    return "http://testserver" + reverse(name, args=[token])


def start(login, invoices=(), **kwargs):
    invoice_ids = [i.pk for i in invoices]
    return attempts.start(regie=kwargs.pop("regie", None) or (invoices[0].regie if invoices else regie_of(login)),
                          family=login.family, user=login, invoice_ids=invoice_ids, url_for=url_for, **kwargs)


def regie_of(login):
    return login.family.invoices.first().regie


def decide(attempt, outcome):
    SandboxOperation.objects.filter(reference=attempt.reference).update(outcome=outcome, decided_at=timezone.now())


def payfip(regie, saisie="W"):
    """The régie on PayFiP (the local simulator), in production mode by default: a test transaction (mode T)
    records no règlement."""
    regie.payment_settings = {"provider": "payfip", "numcli": "123456", "saisie": saisie}
    regie.save(update_fields=["payment_settings"])


@pytest.fixture
def invoice(alice):
    return make_invoice(alice, total="15.30", previous="0")


def test_the_amount_is_the_balance_of_the_account(alice, invoice):
    make_invoice(alice, number="TEST2026000043", total="4.70", previous="15.30")
    attempt = start(alice)
    assert attempt.amount == Decimal("20.00") and attempt.state == State.PENDING
    assert attempt.refdet == f"TESTP{attempt.pk:010d}" and attempt.bank_url.startswith("/banque-test/")
    operation = SandboxOperation.objects.get(reference=attempt.reference)
    assert operation.amount == Decimal("20.00")
    assert operation.notify_url == f"http://testserver/paiement/{attempt.token}/notification/"
    assert operation.return_url == f"http://testserver/paiement/{attempt.token}/retour/"


def test_paying_one_invoice_asks_what_is_left_on_it_with_its_number_as_reference(alice, invoice):
    make_invoice(alice, number="TEST2026000043", total="4.70")
    Payment.objects.create(regie=invoice.regie, family=alice.family, means="cheque", amount=Decimal("5.30"),
                           received_on=timezone.localdate())
    Allocation.objects.create(payment=Payment.objects.get(), invoice=invoice, amount=Decimal("5.30"))
    attempt = start(alice, [invoice])
    assert attempt.amount == Decimal("10.00") and attempt.refdet == invoice.number
    assert list(attempt.invoices.all()) == [invoice]


def test_another_households_invoice_cannot_be_paid(alice, bob, invoice):
    with pytest.raises(attempts.PaymentRefused):
        attempts.start(regie=invoice.regie, family=bob.family, user=bob, invoice_ids=[invoice.pk], url_for=url_for)
    assert not PaymentAttempt.objects.exists()


def test_under_one_euro_nothing_is_started_and_the_message_says_why(alice):
    make_invoice(alice, total="0.80", previous="0")
    with pytest.raises(attempts.PaymentRefused, match="pas moins de 1,00"):
        start(alice)
    assert not PaymentAttempt.objects.exists()


def test_nothing_due_nothing_started(alice, invoice):
    Payment.objects.create(regie=invoice.regie, family=alice.family, means="cash", amount=Decimal("20"),
                           received_on=timezone.localdate())
    with pytest.raises(attempts.PaymentRefused, match="rien à payer"):
        start(alice)


def test_a_second_tab_gets_the_attempt_in_progress(alice, invoice):
    first = start(alice)
    second = start(alice, [invoice])
    assert second.pk == first.pk and second.reused
    assert PaymentAttempt.objects.count() == 1 and SandboxOperation.objects.count() == 1


def test_invoices_not_in_the_attempt_in_progress_may_be_paid_apart(alice, invoice):
    other = make_invoice(alice, number="TEST2026000043", total="4.70")
    first = start(alice, [invoice])
    second = start(alice, [other])
    assert second.pk != first.pk and not second.reused and second.amount == Decimal("4.70")


def test_an_attempt_older_than_its_bank_identifier_is_not_reused(alice, invoice):
    first = start(alice)
    PaymentAttempt.objects.filter(pk=first.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=16))
    second = start(alice)
    assert second.pk != first.pk


def test_a_paid_older_attempt_is_recorded_before_the_next_amount_is_computed(alice, invoice):
    first = start(alice)
    PaymentAttempt.objects.filter(pk=first.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=16))
    decide(first, SandboxOperation.Outcome.PAID)  # paid, but neither notified nor returned
    with pytest.raises(attempts.PaymentRefused, match="rien à payer"):
        start(alice)
    assert Payment.objects.get().amount == Decimal("15.30")


def test_the_notification_records_one_card_payment_allocated_and_told(alice, invoice, django_capture_on_commit_callbacks):
    attempt = start(alice)
    decide(attempt, SandboxOperation.Outcome.PAID)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = attempts.check(attempt, source=PaymentEvent.Source.NOTIFICATION)
    assert attempt.state == State.PAID and attempt.payment is not None
    payment = attempt.payment
    assert payment.means == Payment.Means.CARD and payment.amount == Decimal("15.30")
    assert list(payment.allocations.values_list("invoice_id", "amount")) == [(invoice.pk, Decimal("15.30"))]
    assert ledger.balance(invoice.regie, alice.family) == 0
    assert len(mail.outbox) == 1 and "15,30" in mail.outbox[0].subject
    assert "&#x27;" not in mail.outbox[0].body and "&amp;" not in mail.outbox[0].body


def test_notices_twice_late_and_through_the_return_record_one_payment(alice, invoice):
    attempt = start(alice)
    decide(attempt, SandboxOperation.Outcome.PAID)
    for source in (PaymentEvent.Source.RETURN, PaymentEvent.Source.NOTIFICATION, PaymentEvent.Source.NOTIFICATION,
                   PaymentEvent.Source.SWEEP):
        attempts.check(PaymentAttempt.objects.get(pk=attempt.pk), source=source)
    assert Payment.objects.count() == 1
    # An outcome applied again (a late answer arriving after the first was recorded) changes nothing.
    outcome = base.Outcome(state=base.PAID, reference=attempt.reference, amount=Decimal("15.30"), raw={}, test=True)
    attempts.apply(attempt.pk, outcome, source=PaymentEvent.Source.NOTIFICATION)
    assert Payment.objects.count() == 1 and Allocation.objects.count() == 1


def test_a_forged_paid_notice_records_nothing(alice, invoice, client):
    attempt = start(alice)
    response = client.post(reverse("payments:notify", args=[attempt.token]),
                           {"state": "paid", "result": "P", "resultrans": "P", "montant": "1530",
                            "reference": attempt.reference})
    assert response.status_code == 200
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING and not Payment.objects.exists()
    assert ledger.balance(invoice.regie, alice.family) == Decimal("15.30")


def test_a_notice_for_an_unknown_attempt_records_nothing(alice, invoice, client):
    attempt = start(alice)
    decide(attempt, SandboxOperation.Outcome.PAID)
    response = client.post(reverse("payments:notify", args=["x" * 32]), {"reference": attempt.reference})
    assert response.status_code == 404 and not Payment.objects.exists()


def test_an_answer_about_another_operation_is_never_applied(alice, bob, invoice):
    mine = start(alice)
    theirs_invoice = make_invoice(bob, number="TEST2026000099", total="7.00")
    theirs = attempts.start(regie=theirs_invoice.regie, family=bob.family, user=bob, invoice_ids=[], url_for=url_for)
    outcome = base.Outcome(state=base.PAID, reference=theirs.reference, amount=mine.amount, raw={}, test=True)
    attempts.apply(mine.pk, outcome, source=PaymentEvent.Source.NOTIFICATION)
    mine.refresh_from_db()
    assert mine.state == State.PENDING and not Payment.objects.exists()


def test_a_paid_amount_that_differs_is_kept_for_staff_then_reconciled(alice, invoice, staff):
    attempt = start(alice)
    outcome = base.Outcome(state=base.PAID, reference=attempt.reference, amount=Decimal("1.53"), raw={}, test=True)
    attempt = attempts.apply(attempt.pk, outcome, source=PaymentEvent.Source.NOTIFICATION)
    assert attempt.state == State.PAID and attempt.needs_review and attempt.payment is None
    assert not Payment.objects.exists()
    with pytest.raises(attempts.PaymentRefused):
        attempts.reconcile(attempt, actor=staff, decision="record", note="")
    attempt = attempts.reconcile(attempt, actor=staff, decision="record", note="Vérifié sur le relevé de la DGFiP")
    assert attempt.payment.amount == Decimal("1.53") and not attempt.needs_review
    assert AuditEntry.objects.filter(action="payment_attempt_record", family=alice.family).exists()
    with pytest.raises(attempts.PaymentRefused):
        attempts.reconcile(attempt, actor=staff, decision="record", note="encore")
    assert Payment.objects.count() == 1


def test_a_refused_payment_leaves_the_balance_unchanged(alice, invoice):
    attempt = start(alice)
    decide(attempt, SandboxOperation.Outcome.REFUSED)
    attempt = attempts.check(attempt, source=PaymentEvent.Source.RETURN)
    assert attempt.state == State.REFUSED and not Payment.objects.exists()
    assert ledger.balance(invoice.regie, alice.family) == Decimal("15.30")
    assert start(alice).pk != attempt.pk  # and a new attempt may start


def test_an_abandoned_attempt_the_bank_confirms_afterwards_is_still_recorded(alice, invoice):
    attempt = attempts.abandon(start(alice), actor=alice)
    assert attempt.state == State.CANCELLED
    decide(attempt, SandboxOperation.Outcome.PAID)
    attempt = attempts.check(attempt, source=PaymentEvent.Source.NOTIFICATION)
    assert attempt.state == State.PAID and Payment.objects.count() == 1


def test_a_bank_that_does_not_answer_at_the_start_leaves_an_error_and_nothing_to_pay(alice, invoice, monkeypatch):
    def down(self, **kwargs):
        raise base.ProviderError("connection refused", code="network")

    monkeypatch.setattr(sandbox.SandboxProvider, "start", down)
    with pytest.raises(attempts.PaymentRefused, match="ne répond pas") as refused:
        start(alice)
    attempt = refused.value.attempt
    attempt.refresh_from_db()
    assert attempt.state == State.ERROR and not attempt.reference
    assert attempt.events.get().state == base.ERROR


def test_the_sweep_asks_again_then_gives_up(alice, invoice):
    paid, forgotten = start(alice, [invoice]), start(alice, [make_invoice(alice, number="TEST2026000043")])
    decide(paid, SandboxOperation.Outcome.PAID)
    PaymentAttempt.objects.filter(pk=forgotten.pk).update(created_at=timezone.now() - datetime.timedelta(hours=4))
    never_opened = PaymentAttempt.objects.create(regie=invoice.regie, family=alice.family, provider="sandbox",
                                                 amount=Decimal("2"), refdet="X" * 6, email="a@b.fr")
    PaymentAttempt.objects.filter(pk=never_opened.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert attempts.sweep_pending() == 3
    states = dict(PaymentAttempt.objects.values_list("pk", "state"))
    assert states == {paid.pk: State.PAID, forgotten.pk: State.EXPIRED, never_opened.pk: State.EXPIRED}
    assert Payment.objects.count() == 1
    assert attempts.sweep_pending() == 0  # nothing open is left


# --- through PayFiP: eopayment's payfip_ws backend against the local simulator ---------------------------

def test_payfip_paid_through_the_web_service(alice, invoice, simulator):
    payfip(invoice.regie)
    attempt = start(alice, [invoice])
    sent = simulator.requests("creerPaiementSecurise")[-1]["fields"]
    assert sent["refdet"] == invoice.number and sent["montant"] == "1530" and sent["numcli"] == "123456"
    assert sent["urlnotif"] == f"http://testserver/paiement/{attempt.token}/notification/"
    assert attempt.bank_url.startswith("https://www.payfip.gouv.fr/tpa/paiementws.web?idop=")
    assert attempts.check(attempt, source=PaymentEvent.Source.RETURN).state == State.PENDING  # P5: not known yet
    simulator.pay(attempt.reference)
    attempt = attempts.check(PaymentAttempt.objects.get(pk=attempt.pk), source=PaymentEvent.Source.NOTIFICATION)
    assert attempt.state == State.PAID and attempt.payment.amount == Decimal("15.30")
    assert attempt.events.filter(source=PaymentEvent.Source.NOTIFICATION).get().raw["resultrans"] == "P"


def test_payfip_refused_and_unknown_identifier(alice, invoice, simulator):
    payfip(invoice.regie)
    attempt = start(alice)
    simulator.refuse(attempt.reference)
    assert attempts.check(attempt, source=PaymentEvent.Source.RETURN).state == State.REFUSED
    assert not Payment.objects.exists()


def test_payfip_a_paid_notice_the_web_service_denies_records_nothing(alice, invoice, simulator, client):
    payfip(invoice.regie)
    attempt = start(alice)
    # What eopayment would read in a real notice: the identifier only. The service says "not known yet".
    url, body = simulator.notification(attempt.reference)
    client.post(reverse("payments:notify", args=[attempt.token]), {**body, "resultrans": "P"})
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING and not Payment.objects.exists()


def test_payfip_amount_reported_otherwise_is_kept_for_review(alice, invoice, simulator):
    payfip(invoice.regie)
    attempt = start(alice)
    simulator.pay(attempt.reference, montant="999")
    attempt = attempts.check(attempt, source=PaymentEvent.Source.NOTIFICATION)
    assert attempt.needs_review and attempt.paid_amount == Decimal("9.99") and not Payment.objects.exists()


def test_a_pending_page_asking_again_and_again_keeps_one_event_of_it(alice, invoice):
    # The pending page asks the bank every few seconds: staff read a hundred rows of "pas encore de résultat".
    attempt = start(alice)
    before = attempt.events.count()
    for _ in range(3):
        attempts.check(attempt, source=attempts.Source.PAGE)
    attempt.refresh_from_db()
    assert attempt.events.count() == before + 1 and attempt.checks == 3
    decide(attempt, "paid")
    attempts.check(attempt, source=attempts.Source.PAGE)
    assert attempt.events.filter(changed=True, state=base.PAID).count() == 1
