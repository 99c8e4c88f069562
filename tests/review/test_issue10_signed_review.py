"""Review of 7bac3b1 (banks whose notices are signed: SystemPay/PayZen, Paybox, Sips 2.0 through eopayment).

Each test reproduced one finding and failed before its fix. The notices are signed as the banks sign them,
with the helpers of tests/payments/test_signed_banks.py."""

import hashlib
import logging
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from enfance.backoffice.billing_forms import RegieForm
from enfance.billing.models import Payment
from enfance.payments import attempts
from enfance.payments.models import PaymentAttempt, PaymentEvent
from tests.documents.test_invoice import make_invoice
from tests.payments.test_signed_banks import (
    SECRET,
    SYSTEMPAY,
    form_of,
    post_notice,
    start,
    systempay,
    systempay_notice,
)

pytestmark = pytest.mark.django_db
State = PaymentAttempt.State
Source = PaymentEvent.Source


@pytest.fixture
def invoice(alice):
    invoice = make_invoice(alice, total="15.30", previous="0")
    systempay(invoice.regie)  # PRODUCTION, with its (required) secret_test stored too
    return invoice


def _settings(regie, backend, **options):
    regie.payment_settings = {"provider": "eopayment", "backend": backend, "options": options}
    regie.save(update_fields=["payment_settings"])


def _regie_form(regie, provider, options):
    return RegieForm({"name": regie.name, "code": regie.code, "address": regie.address, "hours": regie.hours,
                      "payment_days": 30, "pay_provider": provider, "pay_options": options}, instance=regie)


def _sips_post(attempt, data, key):
    seal = hashlib.sha256((data + key).encode()).hexdigest()
    return Client().post(reverse("payments:notify", args=[attempt.token]),
                         urlencode({"Data": data, "Seal": seal, "InterfaceVersion": "HP_2.0"}),
                         content_type="application/x-www-form-urlencoded")


# --- forged notices that record money -----------------------------------------------------------------------


def test_systempay_a_notice_signed_with_the_test_secret_in_lower_case_records_real_money(alice, invoice):
    # eopayment picks the secret by vads_ctx_mode.lower() but says "test" only when it is exactly "TEST": a
    # notice saying "test" is checked with secret_test (held by every back-office user, the integrator, the
    # staging copy of the database; required here even for a production régie) and comes out test=False.
    attempt = start(alice, invoice)
    forged = systempay_notice(attempt, ctx="test", secret=SYSTEMPAY["secret_test"])
    post_notice(attempt, forged)
    attempt.refresh_from_db()
    assert Payment.objects.count() == 0, "a notice signed with the TEST secret recorded a real payment"
    assert attempt.state == State.PENDING


def test_systempay_a_test_notice_on_a_production_regie_hides_the_real_payment_that_follows(alice, invoice):
    # A notice in the mode the régie does not use (TEST, signed with secret_test) is taken: the attempt becomes
    # "paid" (test, needs_review), and the bank's real "paid" afterwards is ignored as "already paid".
    attempt = start(alice, invoice)
    post_notice(attempt, systempay_notice(attempt, ctx="TEST", secret=SYSTEMPAY["secret_test"]))
    post_notice(attempt, systempay_notice(attempt))  # the real one, production secret
    attempt.refresh_from_db()
    assert Payment.objects.count() == 1, "the real payment was dropped as 'already paid' after a test notice"
    assert attempt.payment is not None and not attempt.test


def test_sips_a_regie_saved_without_its_secret_key_checks_notices_with_the_public_test_key(alice):
    # secret_key has a default in eopayment's description (the simulation key, published), so the form
    # accepts its absence; the notices are then checked with a key everybody knows, and merchantId (what
    # says "test") is read from the notice itself.
    invoice = make_invoice(alice, total="15.30", previous="0")
    form = _regie_form(invoice.regie, "eopayment:sips2", "platform = prod\nmerchant_id = 211000021310001")
    assert not form.is_valid(), "a Sips régie in production without its secret key was accepted"


def test_sips_a_notice_sealed_with_the_public_key_records_money_when_the_secret_is_left_out(alice):
    invoice = make_invoice(alice, total="15.30", previous="0")
    _settings(invoice.regie, "sips2", platform="prod", merchant_id="211000021310001")  # not through the form
    # Fixed: settings without the régie's own key open no payment at all (never eopayment's published key).
    with pytest.raises(attempts.PaymentRefused):
        start(alice, invoice)
    assert Payment.objects.count() == 0


def test_sips_a_notice_from_the_simulation_platform_is_taken_for_real_money(alice):
    # Sips' "test" is `merchantId == 002001000000001` read from the notice; the régie's own platform=test is
    # never looked at. The simulation's other merchants (…002, …003, keys published) come out test=False.
    invoice = make_invoice(alice, total="15.30", previous="0")
    _settings(invoice.regie, "sips2", platform="test", merchant_id="002001000000002",
              secret_key="002001000000002_KEY1", key_version="1")
    attempt = start(alice, invoice)
    data = (f"merchantId=002001000000002|transactionReference={attempt.reference}|amount=1530|"
            "responseCode=00|authorisationId=123456|currencyCode=978")
    _sips_post(attempt, data, "002001000000002_KEY1")
    attempt.refresh_from_db()
    assert Payment.objects.count() == 0 and attempt.test, "a Sips simulation payment was recorded as money"


# Paybox (its notices signed by its one key over fields that name no shop, so a payment at any Paybox shop
# with our reference would check) was taken out of providers/signed.BACKENDS after this review.


def test_paybox_is_not_offered(invoice):
    form = _regie_form(invoice.regie, "eopayment:paybox", "site = 1234567\nrang = 01")
    assert not form.is_valid() and "pay_provider" in form.errors


# --- what is recorded as paid, or not ----------------------------------------------------------------------


@pytest.mark.parametrize("provider, options", [
    ("eopayment:systempayv2", "vads_site_id = 12345678\nsecret_test = Abc123\nvads_payment_config = MULTI"),
    ("eopayment:sips2", "platform = prod\nmerchant_id = 211000021310001\nsecret_key = K3y\n"
                        "capture_mode = VALIDATION"),
])
def test_a_capture_mode_that_only_authorises_is_refused(invoice, provider, options):
    # Paybox AUTHOR_CAPTURE (PBX_AUTOSEULE=O) and Sips VALIDATION only authorise: the money is taken when the
    # merchant validates, which nothing here ever does; yet the notice's "00000"/"00" is recorded as paid.
    form = _regie_form(invoice.regie, provider, options)
    assert not form.is_valid(), "an authorisation-only capture mode was accepted: payments never captured"


# --- staff's form -------------------------------------------------------------------------------------------


def test_switching_systempay_to_payzen_silently_drops_a_masked_secret(invoice):
    # The stored secrets are only looked up for the same backend: a masked secret_production sent back after
    # choosing PayZen becomes "" and, not being required, vanishes; the régie then cannot start any payment.
    regie = invoice.regie
    shown = RegieForm(instance=regie)["pay_options"].value()
    assert "secret_production = ********" in shown
    form = _regie_form(regie, "eopayment:payzen", shown.replace("secret_test = ********", "secret_test = New1"))
    if form.is_valid():
        kept = form.cleaned_data["payment_settings"]["options"]
        assert kept.get("secret_production"), "the production secret was lost without a word"


def test_a_production_systempay_regie_without_its_production_secret_is_refused(invoice):
    form = _regie_form(invoice.regie, "eopayment:systempayv2",
                       "vads_site_id = 12345678\nsecret_test = Abc123\nvads_ctx_mode = PRODUCTION")
    assert not form.is_valid(), "accepted, then every payment fails at start (no secret to sign with)"


# --- what the events keep, who sees the bank form, what the logs say ------------------------------------------


def test_fields_the_bank_did_not_sign_are_kept_as_the_banks_in_the_events(alice, invoice):
    # SystemPay signs the vads_ fields only, yet every field of the notice lands in PaymentEvent.raw, shown
    # to staff as the bank's data; a replay of the family's own genuine notice may add anything, of any size.
    attempt = start(alice, invoice)
    genuine = systempay_notice(attempt)
    post_notice(attempt, {**genuine, "montant_confirme": "999.00", "note": "x" * 100_000})
    raw = attempt.events.filter(source=Source.NOTIFICATION).latest("pk").raw
    assert "note" not in raw and "montant_confirme" not in raw, sorted(raw)


def test_the_bank_form_page_shows_the_households_email_to_anyone_holding_the_token(alice, bob, invoice):
    # result() only offers "Reprendre le paiement à la banque" to the household itself; go() gives the whole
    # form (the payer's e-mail among the fields) to anyone with the token, logged in as someone else or not.
    attempt = start(alice, invoice)
    assert attempt.email and form_of(attempt)["vads_cust_email"] == attempt.email
    other = Client()
    other.force_login(bob)
    for client in (Client(), other):
        page = client.get(reverse("payments:go", args=[attempt.token]))
        assert attempt.email not in page.content.decode(), "another household sees the payer's address"


def test_the_shops_secrets_reach_the_logs_when_the_log_level_is_debug(alice, invoice, caplog):
    # settings.LOGGING sets the root level from LOG_LEVEL; eopayment logs its options and the signed string
    # (secret included) at DEBUG. A production LOG_LEVEL=DEBUG (to debug a bank) writes the secrets out.
    caplog.set_level(logging.DEBUG)  # the root logger at DEBUG: what LOG_LEVEL=DEBUG does (restored after)
    attempt = start(alice, invoice)
    post_notice(attempt, systempay_notice(attempt))
    assert SECRET not in caplog.text, "the production secret is in the logs"


# --- the régie's notification URL -------------------------------------------------------------------------


def test_a_refused_notice_at_the_regies_url_leaves_no_trace_for_staff(alice, invoice):
    # receive() keeps a "notice refused" event; receive_for_regie() only logs, so staff looking at an attempt
    # whose notices all went to the régie's URL (and failed, e.g. after a secret change) see nothing.
    attempt = start(alice, invoice)
    forged = systempay_notice(attempt, secret="NotTheShopsSecret")
    Client().post(reverse("payments:regie_notify", args=[invoice.regie.code]), urlencode(forged),
                  content_type="application/x-www-form-urlencoded")
    assert attempt.events.filter(note="notice refused").exists()


def test_every_refused_notice_adds_an_event_without_bound(alice, invoice):
    # Anyone with the token (in the bank's back office, the payer's history) can add rows without limit.
    attempt = start(alice, invoice)
    for _ in range(50):
        post_notice(attempt, {"garbage": "1"})
    assert attempt.events.filter(note="notice refused").count() <= 10

