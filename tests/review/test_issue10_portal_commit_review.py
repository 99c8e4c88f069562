"""Review of 0a06361 (family side of online payment), with 6c15881 (staff side) taken into account.

Each test here failed while the problem it names was there; all pass since the fixes.

1. "Ne pas payer maintenant" / "Abandonner ce paiement" close the attempt without asking a bank that can be
   asked (PayFiP, the sandbox): an attempt the bank has already been paid for, whose notice has not come yet, is
   shown as "Aucun montant n'a été débité" with "Payer de nouveau" for the full amount.
2. Once abandoned, nothing on the family's path asks the bank again (the result page asks only open attempts,
   attempts.start only open stale ones): "Payer de nouveau" opens a second attempt for money already taken.
3. The invoice page still offers "Payer cette facture par carte" while a whole-balance payment is in progress,
   and pressing it closes that payment silently (start supersedes it) instead of showing it.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from enfance.billing.models import Payment
from enfance.payments.models import PaymentAttempt
from tests.conftest import login_client
from tests.documents.test_invoice import make_invoice
from tests.payments.test_attempts import decide
from tests.payments.test_portal_payment_ux import IN_PROGRESS, NOTHING_CHARGED, PAY_1530, body, start

pytestmark = pytest.mark.django_db
State = PaymentAttempt.State


@pytest.fixture
def invoice(alice):
    return make_invoice(alice, total="15.30", previous="0")


def test_abandoning_an_attempt_the_bank_was_already_paid_for_never_says_nothing_was_charged(
        alice, invoice, client):
    # The family paid at the bank (sandbox: asked like PayFiP); the bank's notice has not come yet. In the other
    # tab (the pending result page, its refresh stopped, or the bank-form page reached by "back") it presses the
    # abandon button.
    attempt = start(alice, invoice.regie)
    decide(attempt, "paid")
    login_client(client, alice)
    html = body(client.post(reverse("payments:abandon", args=[attempt.token]), follow=True))
    attempt.refresh_from_db()
    # The bank could have been asked (attempts.check) before closing: the money was taken.
    assert attempt.state == State.PAID and Payment.objects.filter(family=alice.family).count() == 1, attempt.state
    assert NOTHING_CHARGED not in html and PAY_1530 not in html


def test_paying_again_after_an_abandon_the_bank_then_confirms_opens_no_second_payment(alice, invoice, client):
    # Abandoned while the card was being typed at the bank in another tab; the bank takes the money a moment
    # later, its notice still on its way (the sweep asks once a minute at best).
    attempt = start(alice, invoice.regie)
    login_client(client, alice)
    client.post(reverse("payments:abandon", args=[attempt.token]))
    decide(attempt, "paid")
    # Back on the abandoned attempt's page a little later (the page asks the bank at most every few seconds)...
    PaymentAttempt.objects.filter(pk=attempt.pk).update(checked_at=timezone.now() - datetime.timedelta(minutes=1))
    html = body(client.get(reverse("payments:result", args=[attempt.token])))
    shows_nothing_charged = NOTHING_CHARGED in html and PAY_1530 in html
    # ... and "Payer de nouveau" opens a second attempt for the same 15,30 €, already paid at the bank.
    client.post(reverse("payments:start"), {"regie": invoice.regie_id, "next": "/"})
    second = PaymentAttempt.objects.exclude(pk=attempt.pk).filter(state__in=PaymentAttempt.OPEN_STATES).first()
    assert not shows_nothing_charged, "the result page of an abandoned attempt never asks the bank again"
    assert second is None, f"a second attempt of {second and second.amount} was opened for money already taken"


def test_the_invoice_page_shows_a_whole_balance_payment_in_progress_rather_than_closing_it(alice, invoice, client):
    make_invoice(alice, number="TEST2026000043", total="9.00", previous="15.30")
    whole = start(alice, invoice.regie)  # 24,30 €: the whole balance, at the bank in another tab
    login_client(client, alice)
    assert IN_PROGRESS in body(client.get(reverse("portal:home")))
    html = body(client.get(reverse("portal:invoice", args=[invoice.pk])))
    offered = "Payer cette facture par carte" in html
    client.post(reverse("payments:start"), {"regie": invoice.regie_id, "invoice": invoice.pk, "next": "/"})
    whole.refresh_from_db()
    # The home page says "en cours" for this attempt; the invoice page offers a button that silently supersedes it
    # (attempts.start closes it, NOTE_SUPERSEDED) while the family may be typing its card at the bank.
    assert not (offered and whole.state == State.CANCELLED), (
        "the invoice page offered to pay and pressing it closed the payment in progress without a word")
