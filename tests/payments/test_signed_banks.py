"""Banks whose notices are signed (SystemPay, PayZen, Sips), enabled by a régie's settings through
eopayment's own backends: the bank's form posted from our page, a notice read only once its signature checks
and only for the attempt its signed reference names, a replay recording nothing more.

The notices are signed here as the bank signs them: SystemPay's HMAC-SHA-256 of its vads_ fields and the
shop's secret (computed by this module, not by eopayment), Sips' seal of its Data."""

import base64
import datetime
import hashlib
import hmac
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enfance.backoffice.billing_forms import RegieForm
from enfance.billing import ledger
from enfance.billing.models import Payment
from enfance.payments import attempts, config
from enfance.payments.models import PaymentAttempt, PaymentEvent
from tests.documents.test_invoice import make_invoice
from tests.payments.test_attempts import url_for

pytestmark = pytest.mark.django_db
State = PaymentAttempt.State
SECRET = "Sh0pSecretForTests2026"
SYSTEMPAY = {"vads_site_id": "12345678", "secret_test": "TestSecret2026", "secret_production": SECRET,
             "vads_ctx_mode": "PRODUCTION", "signature_algo": "hmac_sha256"}


def systempay(regie, **options):
    regie.payment_settings = {"provider": "eopayment", "backend": "systempayv2",
                              "options": {**SYSTEMPAY, **options}}
    regie.save(update_fields=["payment_settings"])


def start(login, invoice):
    return attempts.start(regie=invoice.regie, family=login.family, user=login, invoice_ids=[], url_for=url_for)


def form_of(attempt):
    return dict(attempt.bank_form)


def vads_signature(fields, secret):
    """SystemPay's HMAC-SHA-256: its vads_ fields' values in the order of their names, then the secret."""
    data = "+".join(str(fields[key]) for key in sorted(k for k in fields if k.startswith("vads_")))
    data = f"{data}+{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


def systempay_notice(attempt, *, result="00", amount=None, ctx="PRODUCTION", secret=SECRET, **extra):
    """The form data SystemPay's server posts about the attempt's operation, signed as the bank signs it."""
    sent = form_of(attempt)
    fields = {"vads_ctx_mode": ctx, "vads_site_id": sent["vads_site_id"], "vads_trans_id": sent["vads_trans_id"],
              "vads_trans_date": sent["vads_trans_date"], "vads_amount": amount or sent["vads_amount"],
              "vads_currency": "978", "vads_result": result, "vads_auth_result": "00" if result == "00" else "05",
              "vads_trans_status": "AUTHORISED" if result == "00" else "REFUSED", "vads_auth_number": "3fb0de",
              **extra}
    fields["signature"] = vads_signature(fields, secret)
    return fields


def post_notice(attempt, fields):
    return Client().post(reverse("payments:notify", args=[attempt.token]), urlencode(fields),
                         content_type="application/x-www-form-urlencoded")


@pytest.fixture
def invoice(alice):
    invoice = make_invoice(alice, total="15.30", previous="0")
    systempay(invoice.regie)
    return invoice


def test_the_pay_button_sends_the_family_to_our_page_posting_the_banks_signed_form(alice, invoice):
    client = Client()
    client.force_login(alice)
    response = client.post(reverse("payments:start"), {"regie": invoice.regie.pk})
    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments:go", args=[attempt.token])
    # The attempt keeps the régie's settings it started with, never a secret: a digest of the one in use (its
    # notices are checked with the régie's secret only while it is that one).
    public = {k: v for k, v in SYSTEMPAY.items() if not k.startswith("secret_")}
    assert attempt.provider == "eopayment" and attempt.provider_options == {
        "backend": "systempayv2", "options": public, "digests": {"secret_production": config.digest(SECRET)}}
    sent = form_of(attempt)
    assert attempt.bank_url == "https://paiement.systempay.fr/vads-payment/"
    assert sent["vads_amount"] == "1530" and sent["vads_site_id"] == "12345678"
    assert sent["vads_url_check"] == f"http://testserver/paiement/{attempt.token}/notification/"
    assert sent["vads_url_return"] == f"http://testserver/paiement/{attempt.token}/retour/"
    assert sent["signature"] == vads_signature(sent, SECRET)  # what the bank checks
    assert attempt.reference == f"{sent['vads_trans_date']}_{sent['vads_trans_id']}"

    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'action="https://paiement.systempay.fr/vads-payment/"' in html and 'name="vads_amount" value="1530"' in html
    assert "Continuer vers la banque" in html  # without JavaScript, the family presses it
    # The page's own policy lets its form go to the bank, and only there; every other page keeps 'self'.
    assert "form-action 'self' https://paiement.systempay.fr;" in page["Content-Security-Policy"]
    assert "systempay" not in client.get(reverse("portal:home"))["Content-Security-Policy"]


def test_the_pay_button_pages_let_the_redirect_to_payfip_through(alice, invoice, client):
    # Browsers apply form-action to the redirect that answers a form's POST, with the policy of the page holding
    # the form: without PayFiP's origin in it, the pay button's POST answered by a redirect to payfip.gouv.fr
    # goes nowhere. Only the pages holding a pay button allow it (tests/payments/test_portal_payment_ux.py).
    assert "payfip" not in Client().get(reverse("accounts:login"))["Content-Security-Policy"]
    client.force_login(alice)
    response = client.get(reverse("portal:home"))
    assert "form-action 'self' https://www.payfip.gouv.fr;" in response["Content-Security-Policy"]


def test_a_signed_notice_records_one_payment_and_replays_record_nothing_more(alice, invoice):
    attempt = start(alice, invoice)
    notice = systempay_notice(attempt)
    assert post_notice(attempt, notice).status_code == 200
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and attempt.payment.amount == Decimal("15.30") and not attempt.needs_review
    assert ledger.balance(invoice.regie, alice.family) == 0
    # The same notice again, and through the payer's return (SystemPay sends the payer back with it).
    post_notice(attempt, notice)
    response = Client().get(reverse("payments:back", args=[attempt.token]) + "?" + urlencode(notice))
    assert response.status_code == 302 and response["Location"] == reverse("payments:result", args=[attempt.token])
    assert Payment.objects.count() == 1
    events = attempt.events.exclude(source=PaymentEvent.Source.START)
    assert events.count() == 3 and events.filter(changed=True).count() == 1
    assert "signature" not in events.first().raw and events.first().raw["vads_auth_number"] == "3fb0de"


def test_a_forged_or_altered_notice_records_nothing(alice, invoice):
    attempt = start(alice, invoice)
    forged = systempay_notice(attempt, secret="NotTheShopsSecret")
    altered = {**systempay_notice(attempt, amount="100"), "vads_amount": "1530"}
    unsigned = {k: v for k, v in systempay_notice(attempt).items() if k != "signature"}
    for notice in (forged, altered, unsigned, {"vads_result": "00"}, {"garbage": "\x00" * 10}):
        assert post_notice(attempt, notice).status_code == 200
        Client().post(reverse("payments:back", args=[attempt.token]), notice)
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING and Payment.objects.count() == 0
    refused = attempt.events.filter(note="notice refused")
    assert refused.count() == 10 and not refused.filter(changed=True).exists()


def test_a_signed_notice_for_another_households_attempt_changes_nothing_here(alice, bob, invoice):
    mine = start(alice, invoice)
    theirs = start(bob, make_invoice(bob, number="TEST2026000077", total="3.00", previous="0"))
    # Bob's genuine "paid", posted to Alice's URL: signed, but it names another operation.
    post_notice(mine, systempay_notice(theirs))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.state == State.PENDING and theirs.state == State.PENDING and Payment.objects.count() == 0
    assert mine.events.get(source=PaymentEvent.Source.NOTIFICATION).note == "the provider answered about another operation"


def test_a_signed_paid_for_another_amount_is_kept_for_staff(alice, invoice):
    attempt = start(alice, invoice)
    post_notice(attempt, systempay_notice(attempt, amount="100"))
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and attempt.needs_review and attempt.paid_amount == Decimal("1.00")
    assert attempt.payment is None and Payment.objects.count() == 0


def test_a_test_mode_notice_records_no_money(alice, invoice):
    systempay(invoice.regie, vads_ctx_mode="TEST")
    attempt = start(alice, invoice)
    assert form_of(attempt)["vads_ctx_mode"] == "TEST"
    post_notice(attempt, systempay_notice(attempt, ctx="TEST", secret=SYSTEMPAY["secret_test"]))
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and attempt.test and attempt.needs_review and Payment.objects.count() == 0


@pytest.mark.parametrize("result, state", [("05", State.REFUSED), ("17", State.CANCELLED)])
def test_a_signed_refusal_or_cancellation_closes_the_attempt(alice, invoice, result, state):
    attempt = start(alice, invoice)
    post_notice(attempt, systempay_notice(attempt, result=result))
    attempt.refresh_from_db()
    assert attempt.state == state and Payment.objects.count() == 0
    assert ledger.balance(invoice.regie, alice.family) == Decimal("15.30")


def test_the_regies_one_notification_url_finds_the_attempt_its_signed_reference_names(alice, invoice):
    attempt = start(alice, invoice)
    path = reverse("payments:regie_notify", args=[invoice.regie.code])
    forged = systempay_notice(attempt, secret="NotTheShopsSecret")
    assert Client().post(path, urlencode(forged), content_type="application/x-www-form-urlencoded").status_code == 404
    assert Client().post(path, urlencode(systempay_notice(attempt)),
                         content_type="application/x-www-form-urlencoded").status_code == 200
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.count() == 1


def test_the_result_page_and_the_sweep_never_ask_a_bank_that_cannot_be_asked(alice, invoice):
    attempt = start(alice, invoice)
    assert Client().get(reverse("payments:result", args=[attempt.token])).status_code == 200
    four_hours_ago = timezone.now() - datetime.timedelta(hours=4)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(created_at=four_hours_ago, checked_at=four_hours_ago)
    attempts.sweep_pending()
    attempt.refresh_from_db()
    assert attempt.state == State.EXPIRED  # no notice in time: closed on our side...
    assert not attempt.events.filter(state="error").exists()
    post_notice(attempt, systempay_notice(attempt))  # ...and still recorded when the bank's "paid" comes late
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.count() == 1


def test_a_regie_moved_to_another_bank_reads_no_notice_of_its_old_attempts_and_keeps_them_for_staff(alice, invoice):
    attempt = start(alice, invoice)
    notice = systempay_notice(attempt)
    invoice.regie.payment_settings = {"provider": "payfip", "numcli": "123456", "saisie": "W"}
    invoice.regie.save(update_fields=["payment_settings"])
    # The attempt kept no secret: with the régie's gone, nothing can tell its notice from a forged one.
    post_notice(attempt, notice)
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING and Payment.objects.count() == 0 and attempt.needs_review
    assert attempt.events.filter(note=attempts.NOTE_SECRET_CHANGED, changed=False).exists()
    assert "rien n'est enregistré" in attempts.NOTES[attempts.NOTE_SECRET_CHANGED]
    # Back on the same shop with the same key (its digest is the attempt's): the notice is read and recorded,
    # and the attempt no longer waits for staff.
    systempay(invoice.regie)
    post_notice(attempt, notice)
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.count() == 1 and not attempt.needs_review
    assert attempt.events.filter(note=attempts.NOTE_REVIEW_CLEARED).exists()


def test_a_notice_signed_with_a_rotated_secret_is_not_read_and_a_stored_secret_is_ignored(alice, invoice):
    attempt = start(alice, invoice)
    # An attempt of before secrets were dropped, holding them: they are never used.
    PaymentAttempt.objects.filter(pk=attempt.pk).update(provider_options={
        **attempt.provider_options, "options": {**attempt.provider_options["options"], "secret_production": SECRET}})
    systempay(invoice.regie, secret_production="Rotated2027")
    post_notice(attempt, systempay_notice(attempt))  # signed with the revoked key
    post_notice(attempt, systempay_notice(attempt, secret="Rotated2027"))  # with the new one: not the attempt's
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING and Payment.objects.count() == 0 and attempt.needs_review
    assert attempt.events.filter(note=attempts.NOTE_SECRET_CHANGED).count() == 2


def test_rotating_the_key_of_the_other_mode_leaves_an_attempt_read_with_its_own(alice, invoice):
    attempt = start(alice, invoice)  # PRODUCTION: signed with secret_production only
    systempay(invoice.regie, secret_test="OtherTest2027")
    post_notice(attempt, systempay_notice(attempt))
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.count() == 1 and not attempt.needs_review


def test_an_attempt_that_kept_only_its_backend_is_refused_once_the_regie_moved(alice, invoice):
    attempt = start(alice, invoice)  # as attempts were started before their settings were kept
    PaymentAttempt.objects.filter(pk=attempt.pk).update(provider_options={"backend": "systempayv2"})
    notice = systempay_notice(attempt)
    invoice.regie.payment_settings = {"provider": "payfip", "numcli": "123456", "saisie": "W"}
    invoice.regie.save(update_fields=["payment_settings"])
    post_notice(attempt, notice)
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING and Payment.objects.count() == 0
    assert attempt.events.filter(source=PaymentEvent.Source.NOTIFICATION, state="error").exists()


# --- Sips ------------------------------------------------------------------------------------------------

def test_sips_a_sealed_notice_records_the_payment_and_a_bad_seal_nothing(alice):
    invoice = make_invoice(alice, total="15.30", previous="0")
    invoice.regie.payment_settings = {"provider": "eopayment", "backend": "sips2", "options": {
        "platform": "prod", "merchant_id": "211000021310001", "secret_key": "SipsSecretKey2026", "key_version": "1"}}
    invoice.regie.save(update_fields=["payment_settings"])
    attempt = start(alice, invoice)
    data = (f"merchantId=211000021310001|transactionReference={attempt.reference}|amount=1530|"
            f"responseCode=00|authorisationId=123456|currencyCode=978")
    seal = hashlib.sha256((data + "SipsSecretKey2026").encode()).hexdigest()
    bad = urlencode({"Data": data, "Seal": "0" * 64, "InterfaceVersion": "HP_2.0"})
    good = urlencode({"Data": data, "Seal": seal, "InterfaceVersion": "HP_2.0"})
    path = reverse("payments:notify", args=[attempt.token])
    Client().post(path, bad, content_type="application/x-www-form-urlencoded")
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING
    Client().post(path, good, content_type="application/x-www-form-urlencoded")
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.count() == 1


# --- settings -------------------------------------------------------------------------------------------------


def test_staff_set_a_signed_bank_whose_secrets_are_never_shown_back(alice, invoice):
    regie = invoice.regie
    data = {"name": regie.name, "code": regie.code, "address": regie.address, "hours": regie.hours,
            "payment_days": 30, "pay_provider": "eopayment:systempayv2",
            "pay_options": "vads_site_id = 87654321\nsecret_test = Abc123\nsecret_production = Prod456\n"
                           "vads_ctx_mode = PRODUCTION"}
    form = RegieForm(data, instance=regie)
    assert form.is_valid(), form.errors
    settings_ = form.cleaned_data["payment_settings"]
    assert settings_["backend"] == "systempayv2" and settings_["options"]["secret_production"] == "Prod456"
    regie.payment_settings = settings_
    regie.save(update_fields=["payment_settings"])
    shown = RegieForm(instance=regie)["pay_options"].value()
    assert "Prod456" not in shown and "Abc123" not in shown and "secret_production = ********" in shown
    assert "Prod456" not in config.shown(settings_)  # the régie's history: a digest, that says it changed
    # Sent back as shown, with the page's fingerprint: the secrets are kept; a new site number is taken.
    page = RegieForm(instance=regie)["pay_fingerprint"].value()
    form = RegieForm({**data, "pay_options": shown.replace("87654321", "11112222"), "pay_fingerprint": page},
                     instance=regie)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["payment_settings"]["options"] == {
        "vads_site_id": "11112222", "secret_test": "Abc123", "secret_production": "Prod456",
        "vads_ctx_mode": "PRODUCTION"}


@pytest.mark.parametrize("options, message", [
    ("vads_site_id = 1\nsecret_test = abc\nnonsense = 1", "Paramètre inconnu de cette banque : nonsense."),
    ("vads_site_id = 87654321", "« secret_test » est obligatoire (lettres et chiffres, sans espace ni signe)."),
    ("vads_site_id = 87654321\nsecret_test = abc\nvads_ctx_mode = LIVE",
     "« vads_ctx_mode » : « TEST » ou « PRODUCTION », pas « LIVE »."),
    ("vads_site_id = 87654321\nsecret_test = abc\nsignature_algo = md5",
     "« signature_algo » : « sha1 » ou « hmac_sha256 », pas « md5 »."),
    ("vads_site_id = 87654321\nsecret_test = a b-c",
     "« secret_test » n'a pas la forme attendue par la banque : lettres et chiffres, sans espace ni signe."),
    ("just a line", "Ligne 1 : écrivez « nom = valeur » ou « nom : valeur »."),
])
def test_a_signed_banks_settings_are_checked_with_a_message_next_to_the_field(invoice, options, message):
    regie = invoice.regie
    form = RegieForm({"name": regie.name, "code": regie.code, "address": regie.address, "hours": regie.hours,
                      "payment_days": 30, "pay_provider": "eopayment:systempayv2", "pay_options": options},
                     instance=regie)
    assert not form.is_valid()
    assert any(message in error for error in form.errors["pay_options"]), form.errors
