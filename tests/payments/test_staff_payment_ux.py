"""Staff's pages about online payment: an honest "ask the bank again" (never offered for a bank that cannot be
asked), the régie's bank settings bank by bank with each bank's parameters and messages that say what is
accepted, the bank named in French with its mode, the events' notes in French, the attempts left open when a
régie's bank settings change (they keep theirs, are never reused, and are flagged for staff), and a signed
notice in another currency than the euro kept for staff.

Each test failed before its fix; the notices are signed as the banks sign them (tests/payments/
test_signed_banks.py)."""

import hashlib
import re
from decimal import Decimal
from html import unescape
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from enfance.backoffice.billing_forms import RegieForm
from enfance.billing.models import Payment
from enfance.core.models import AuditEntry
from enfance.payments import attempts, config
from enfance.payments.models import PaymentAttempt, PaymentEvent
from enfance.payments.providers import signed
from tests.conftest import login_client
from tests.documents.test_invoice import make_invoice
from tests.payments.test_attempts import payfip, url_for
from tests.payments.test_signed_banks import SECRET, SYSTEMPAY, post_notice, systempay, systempay_notice

pytestmark = pytest.mark.django_db
State = PaymentAttempt.State
Source = PaymentEvent.Source
SIPS = {"platform": "prod", "merchant_id": "211000021310001", "secret_key": "SipsSecretKey2026", "key_version": "1"}


def body(response):
    assert response.status_code == 200, response.status_code
    return unescape(response.content.decode())


def text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def start(login, regie):
    return attempts.start(regie=regie, family=login.family, user=login, invoice_ids=[], url_for=url_for)


def sips(regie, **options):
    regie.payment_settings = {"provider": "eopayment", "backend": "sips2", "options": {**SIPS, **options}}
    regie.save(update_fields=["payment_settings"])


def sips_post(attempt, data, key=SIPS["secret_key"]):
    seal = hashlib.sha256((data + key).encode()).hexdigest()
    return Client().post(reverse("payments:notify", args=[attempt.token]),
                         urlencode({"Data": data, "Seal": seal, "InterfaceVersion": "HP_2.0"}),
                         content_type="application/x-www-form-urlencoded")


def page_of(regie):
    """What the régie's page carries besides its fields: the fingerprint of the payment settings it shows."""
    return {"pay_fingerprint": RegieForm(instance=regie)["pay_fingerprint"].value()}


def regie_data(regie, **payment):
    return {"name": regie.name, "code": regie.code, "address": regie.address or "Place de la mairie",
            "hours": regie.hours or "Lundi", "payment_days": 30, "pay_link": "", **payment}


@pytest.fixture
def invoice(alice):
    return make_invoice(alice, total="15.30", previous="0")


@pytest.fixture
def staff_page(client, staff):
    return login_client(client, staff)


def attempt_page(client, attempt):
    return body(client.get(reverse("backoffice:online_payment", args=[attempt.pk])))


def reconcile(client, attempt, decision, note="vu avec la banque"):
    return client.post(reverse("backoffice:online_payment_reconcile", args=[attempt.pk]),
                       {"decision": decision, "note": note})


# --- 1. asking a bank that cannot be asked ---------------------------------------------------------------------

def test_a_bank_that_cannot_be_asked_is_never_offered_as_asked_and_the_page_says_why(alice, invoice, staff_page):
    systempay(invoice.regie)
    attempt = start(alice, invoice.regie)
    page = attempt_page(staff_page, attempt)
    assert "Interroger la banque de nouveau" not in page
    assert "La banque SystemPay ne peut pas être interrogée : elle envoie seulement sa notification" in text(page)
    assert 'value="close"' in page and "Clore ce paiement" in page  # what is left: closing, reconciling


def test_asking_such_a_bank_anyway_says_so_and_does_nothing(alice, invoice, staff_page, staff):
    systempay(invoice.regie)
    attempt = start(alice, invoice.regie)
    events = attempt.events.count()
    response = reconcile(staff_page, attempt, "check")
    page = body(response)  # the page again, the refusal next to the decision
    assert "C'est fait" not in page
    assert "Cette banque ne peut pas être interrogée : elle envoie seulement sa notification. Rien n'a été fait." in page
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING and attempt.events.count() == events
    assert not AuditEntry.objects.filter(action="payment_attempt_check").exists()


def test_asking_a_bank_that_can_be_asked_says_what_it_answered(alice, invoice, staff_page):
    attempt = start(alice, invoice.regie)  # the sandbox bank: asked over its own channel
    assert "Interroger la banque de nouveau" in attempt_page(staff_page, attempt)
    response = reconcile(staff_page, attempt, "check")
    assert response.status_code == 302
    page = text(body(staff_page.get(response["Location"])))
    assert "La banque a répondu : pas encore de résultat. Le paiement est maintenant « en cours »." in page
    assert "C'est fait" not in page


def test_the_reason_is_a_wide_text_field_whose_absence_is_said_in_french_next_to_it(alice, invoice, staff_page):
    attempt = start(alice, invoice.regie)
    page = attempt_page(staff_page, attempt)
    # type=text: as wide as every other text field (core/enfance.css styles no input without a type).
    assert re.search(r'<input type="text" name="note"[^>]*maxlength="300"[^>]*required[^>]*id="id_note"', page), page
    response = reconcile(staff_page, attempt, "close", note="  ")
    page = body(response)
    assert 'id="id_note_error">Indiquez le motif de votre décision : il est noté dans l\'historique.' in page
    assert re.search(r'<input type="radio" name="decision" value="close"[^>]*checked', page)  # the choice kept
    attempt.refresh_from_db()
    assert attempt.is_open


def test_an_attempt_kept_for_review_and_closed_can_be_marked_as_checked(alice, invoice, staff_page, staff):
    attempt = start(alice, invoice.regie)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(state=State.EXPIRED, needs_review=True,
                                                        review_note="à voir")
    attempt.refresh_from_db()
    assert [d for d, _label in attempts.decisions(attempt)] == ["check", "dismiss"]
    assert reconcile(staff_page, attempt, "dismiss", "rien payé, vu au relevé").status_code == 302
    attempt.refresh_from_db()
    assert not attempt.needs_review
    assert AuditEntry.objects.filter(action="payment_attempt_dismiss", actor=staff).exists()


# --- 2. the régie's bank settings ------------------------------------------------------------------------------

def test_each_banks_settings_stand_under_their_own_heading_with_their_parameters(invoice, admin_user, client):
    login_client(client, admin_user)
    page = body(client.get(reverse("backoffice:regie_edit", args=[invoice.regie_id])))
    assert '<fieldset class="bank-settings" data-pay-for="payfip">' in page
    assert ('data-pay-for="eopayment:systempayv2 eopayment:payzen eopayment:sips2"' in page
            and "Réglages de SystemPay, PayZen ou Sips 2.0" in page and "Réglages de PayFiP" in page)
    assert 'src="/static/backoffice/regie_form.js"' in page and "regie_form.css" in page
    # One table per bank, folded in a <details>, built from eopayment's description of its parameters.
    tables = re.findall(r'<details class="bank-parameters" data-pay-for="eopayment:(\w+)">(.*?)</details>', page, re.S)
    assert [kind for kind, _table in tables] == ["systempayv2", "payzen", "sips2"]
    systempay_table = text(tables[0][1])
    assert "vads_ctx_mode Mode : TEST pour les essais, PRODUCTION pour les vrais paiements non « TEST » ou « PRODUCTION » TEST" in systempay_table
    assert "vads_site_id Identifiant de la boutique oui 8 chiffres" in systempay_table
    assert "secret_production" in systempay_table and "en mode PRODUCTION" in systempay_table
    sips_table = text(tables[2][1])
    assert "capture_mode" in sips_table and "« AUTHOR_CAPTURE » ou « IMMEDIATE »" in sips_table
    assert "VALIDATION" not in sips_table  # deferred capture: refused, so never offered
    assert re.search(r'<input type="url" name="pay_link"', page)


def test_a_colon_is_taken_as_well_as_an_equals_sign(invoice):
    form = RegieForm(regie_data(invoice.regie, pay_provider="eopayment:systempayv2", pay_options=(
        "vads_site_id: 87654321\nsecret_test : Abc123\nsecret_production = Prod456\nvads_ctx_mode:PRODUCTION\n"
        "service_url: https://paiement.systempay.fr/vads-payment/")), instance=invoice.regie)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["payment_settings"]["options"] == {
        "vads_site_id": "87654321", "secret_test": "Abc123", "secret_production": "Prod456",
        "vads_ctx_mode": "PRODUCTION", "service_url": "https://paiement.systempay.fr/vads-payment/"}


def test_an_error_names_what_is_accepted_and_keeps_the_typed_text_with_stored_secrets_masked(invoice, admin_user,
                                                                                             client):
    systempay(invoice.regie)
    login_client(client, admin_user)
    url = reverse("backoffice:regie_edit", args=[invoice.regie_id])
    typed = ("vads_site_id = 12345678\nsecret_test = ********\nsecret_production = ********\n"
             "vads_ctx_mode = production\nsignature_algo = hmac_sha256")
    page = body(client.post(url, regie_data(invoice.regie, pay_provider="eopayment:systempayv2", pay_options=typed,
                                            **page_of(invoice.regie))))
    assert "« vads_ctx_mode » : « TEST » ou « PRODUCTION », pas « production »." in page
    assert "votre saisie est conservée dans le champ" in page
    textarea = re.search(r'<textarea name="pay_options"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert textarea.strip() == typed  # as typed: nothing lost
    assert SECRET not in page and SYSTEMPAY["secret_test"] not in page  # the stored secrets stay masked
    invoice.regie.refresh_from_db()
    assert invoice.regie.payment_settings["options"]["vads_ctx_mode"] == "PRODUCTION"  # nothing saved


def test_our_words_for_eopaymentss_checks_still_fit_what_it_accepts():
    # FORMS names the form of options whose check is a function of eopayment's: probe it.
    for kind in ("systempayv2", "payzen"):
        checks = {rule.name: rule for rule in signed.rules(kind)}
        assert checks["service_url"].check("https://x.fr/") and not checks["service_url"].check("x.fr")
        assert checks["secret_test"].check("Abc123") and not checks["secret_test"].check("a b-c")
        assert checks["vads_site_id"].check("12345678") and not checks["vads_site_id"].check("1234567")


# --- 3. the bank in French, the events' notes in French --------------------------------------------------------

def test_lists_and_pages_name_the_bank_in_french_with_its_mode_from_the_attempts_own_settings(alice, invoice,
                                                                                              staff_page):
    sandbox_attempt = start(alice, invoice.regie)
    attempts.abandon(sandbox_attempt, actor=alice)
    systempay(invoice.regie)
    systempay_attempt = start(alice, invoice.regie)
    listing = text(body(staff_page.get(reverse("backoffice:online_payments"))))
    assert "SystemPay (production)" in listing and "Banque de test" in listing
    assert "eopayment" not in listing and "sandbox" not in listing
    systempay(invoice.regie, vads_ctx_mode="TEST")  # the régie's now: the attempt's own settings still say
    assert "SystemPay (production)" in text(attempt_page(staff_page, systempay_attempt))
    page = attempt_page(staff_page, sandbox_attempt)
    assert "abandonné par la famille" in page and "abandoned by the family" not in page
    assert sandbox_attempt.events.filter(note=attempts.NOTE_ABANDONED).exists()  # stored as it was


@pytest.mark.parametrize("name, options, test, label", [
    ("payfip", {"numcli": "123456", "saisie": "T"}, None, "PayFiP (test)"),
    ("payfip", {"numcli": "123456", "saisie": "W"}, None, "PayFiP (production)"),
    ("payfip", {}, True, "PayFiP (test)"),
    ("sandbox", {}, None, "Banque de test"),
    ("eopayment", {"backend": "payzen", "options": {"vads_ctx_mode": "TEST"}}, None, "PayZen (test)"),
    ("eopayment", {"backend": "sips2", "options": SIPS}, None, "Sips 2.0 (production)"),
    ("eopayment", {"backend": "sips2", "options": {**SIPS, "platform": "test"}}, None, "Sips 2.0 (test)"),
    ("eopayment", {"backend": "systempayv2"}, None, "SystemPay"),  # kept its backend only: mode unknown
])
def test_the_banks_label(name, options, test, label):
    assert config.provider_label(name, options, test=test) == label


def test_the_list_with_every_bank_costs_the_same_queries_however_many_attempts(alice, bob, staff_page,
                                                                                django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = make_invoice(alice, total="15.30", previous="0")
    systempay(first.regie)
    start(alice, first.regie)
    with CaptureQueriesContext(connection) as few:
        body(staff_page.get(reverse("backoffice:online_payments")))
    second = make_invoice(bob, number="TEST2026000078", total="9.00", previous="0")
    for login, regie in ((bob, second.regie), (alice, first.regie)):
        attempt = start(login, regie)
        PaymentAttempt.objects.filter(pk=attempt.pk).update(state=State.EXPIRED)
    with CaptureQueriesContext(connection) as many:
        body(staff_page.get(reverse("backoffice:online_payments")))
    assert len(many) == len(few)


# --- 4. a régie's bank settings change while attempts are in flight ---------------------------------------------

def save_through_the_form(client, regie, **payment):
    response = client.post(reverse("backoffice:regie_edit", args=[regie.pk]), regie_data(regie, **payment))
    assert response.status_code == 302, text(response.content.decode())
    regie.refresh_from_db()
    return response


NEW_SHOP = ("vads_site_id = 99998888\nsecret_test = NewTest1\nsecret_production = NewProd1\n"
            "vads_ctx_mode = PRODUCTION\nsignature_algo = hmac_sha256")


def test_another_shop_flags_the_attempts_in_flight_which_keep_their_settings(alice, bob, invoice, admin_user, client):
    systempay(invoice.regie)
    open_attempt = start(alice, invoice.regie)
    done = start(bob, make_invoice(bob, number="TEST2026000079", total="3.00", previous="0").regie)
    post_notice(done, systempay_notice(done))  # paid: nothing to flag
    login_client(client, admin_user)
    response = save_through_the_form(client, invoice.regie, pay_provider="eopayment:systempayv2", pay_options=NEW_SHOP)
    assert invoice.regie.payment_settings["options"]["vads_site_id"] == "99998888"
    open_attempt.refresh_from_db()
    done.refresh_from_db()
    assert open_attempt.needs_review and "La banque de la régie" in open_attempt.review_note
    assert open_attempt.provider_options["options"]["vads_site_id"] == "12345678"  # its own, unchanged
    assert not done.needs_review and done.state == State.PAID
    event = open_attempt.events.get(note=attempts.NOTE_SETTINGS_CHANGED)
    assert event.source == Source.STAFF and event.actor == admin_user
    messages = text(body(client.get(response["Location"])))
    assert "1 paiement en ligne commencé avec les anciens réglages de la banque garde ceux-ci" in messages
    listing = text(body(client.get(reverse("backoffice:online_payments") + "?etat=review")))
    assert alice.family.display_name in listing and "à vérifier" in listing
    page = text(attempt_page(client, open_attempt))
    assert "la banque de la régie a changé pendant ce paiement : à contrôler" in page
    # Its notice, signed with the secret it started with, is not read: the régie no longer holds that secret
    # (the attempt never kept it), so nothing tells it from one forged with a leaked key. Staff check it.
    post_notice(open_attempt, systempay_notice(open_attempt))
    open_attempt.refresh_from_db()
    assert open_attempt.state == State.PENDING and open_attempt.payment is None and open_attempt.needs_review
    assert "notification non lue" in text(attempt_page(client, open_attempt))


def test_a_family_starts_a_new_payment_with_the_new_settings_rather_than_the_old_attempt(alice, invoice, admin_user,
                                                                                         client):
    systempay(invoice.regie)
    old = start(alice, invoice.regie)
    login_client(client, admin_user)
    save_through_the_form(client, invoice.regie, pay_provider="eopayment:systempayv2", pay_options=NEW_SHOP)
    new = start(alice, invoice.regie)
    assert new.pk != old.pk and not new.reused
    assert dict(new.bank_form)["vads_site_id"] == "99998888"
    assert new.provider_options["options"]["vads_site_id"] == "99998888"


def test_an_attempt_whose_settings_changed_some_other_way_is_not_reused_and_is_flagged(alice, invoice, simulator):
    simulator.register_client("654321")
    payfip(invoice.regie, saisie="W")
    old = start(alice, invoice.regie)
    invoice.regie.payment_settings = {"provider": "payfip", "numcli": "654321", "saisie": "W"}
    invoice.regie.save(update_fields=["payment_settings"])  # not through the form: nobody flagged it
    new = start(alice, invoice.regie)
    old.refresh_from_db()
    assert new.pk != old.pk and new.provider_options["numcli"] == "654321"
    assert old.needs_review and old.provider_options["numcli"] == "123456"
    # It is still asked about with its own client number.
    assert config.provider(old.provider, invoice.regie, old.provider_options).numcli == "123456"


def test_saving_the_regie_without_changing_its_bank_flags_nothing(alice, invoice, admin_user, client):
    systempay(invoice.regie)
    attempt = start(alice, invoice.regie)
    login_client(client, admin_user)
    shown = RegieForm(instance=invoice.regie)["pay_options"].value()
    save_through_the_form(client, invoice.regie, pay_provider="eopayment:systempayv2", pay_options=shown,
                          name="Régie renommée", **page_of(invoice.regie))
    attempt.refresh_from_db()
    assert not attempt.needs_review and start(alice, invoice.regie).pk == attempt.pk


def test_the_regies_one_url_reads_no_old_attempts_notice_after_the_move_and_keeps_it_for_staff(alice, invoice,
                                                                                               admin_user, client):
    systempay(invoice.regie)
    attempt = start(alice, invoice.regie)
    login_client(client, admin_user)
    save_through_the_form(client, invoice.regie, pay_provider="payfip", pay_numcli="123456", pay_saisie="W")
    path = reverse("payments:regie_notify", args=[invoice.regie.code])
    forged = systempay_notice(attempt, secret="NotTheShopsSecret")
    assert Client().post(path, urlencode(forged), content_type="application/x-www-form-urlencoded").status_code == 404
    assert Client().post(path, urlencode(systempay_notice(attempt)),
                         content_type="application/x-www-form-urlencoded").status_code == 404
    attempt.refresh_from_db()
    assert attempt.state == State.PENDING and Payment.objects.count() == 0 and attempt.needs_review
    assert attempt.events.filter(note=attempts.NOTE_SECRET_CHANGED).count() == 2


def test_the_regies_one_url_still_takes_an_old_attempts_notice_when_the_shops_key_is_kept(alice, invoice,
                                                                                         admin_user, client):
    systempay(invoice.regie)
    attempt = start(alice, invoice.regie)
    login_client(client, admin_user)
    shown = RegieForm(instance=invoice.regie)["pay_options"].value()
    save_through_the_form(client, invoice.regie, pay_provider="eopayment:systempayv2",
                          pay_options=shown.replace("12345678", "99998888"), **page_of(invoice.regie))
    attempt.refresh_from_db()
    assert attempt.needs_review  # another shop number: flagged, never reused
    path = reverse("payments:regie_notify", args=[invoice.regie.code])
    assert Client().post(path, urlencode(systempay_notice(attempt)),
                         content_type="application/x-www-form-urlencoded").status_code == 200
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.count() == 1 and not attempt.needs_review


# --- 5. a signed notice in another currency --------------------------------------------------------------------

@pytest.mark.parametrize("currency", ["840", ""])
def test_systempay_a_notice_in_another_currency_records_nothing_and_is_kept_for_staff(alice, invoice, staff_page,
                                                                                      currency):
    systempay(invoice.regie)
    attempt = start(alice, invoice.regie)
    post_notice(attempt, systempay_notice(attempt, vads_currency=currency))
    attempt.refresh_from_db()
    assert Payment.objects.count() == 0 and attempt.payment is None and attempt.state == State.PENDING
    assert attempt.needs_review and "une autre monnaie que l'euro" in attempt.review_note
    event = attempt.events.get(source=Source.NOTIFICATION)
    assert event.note == attempts.NOTE_CURRENCY and event.raw["vads_currency"] == currency
    page = text(attempt_page(staff_page, attempt))
    assert "notification dans une autre monnaie que l'euro : rien n'est enregistré" in page
    assert "Enregistrer le règlement" not in page and "Clore ce paiement" in page
    # Kept for staff: never offered again to the family.
    assert start(alice, invoice.regie).pk != attempt.pk


def test_sips_a_notice_in_another_currency_records_nothing(alice, invoice):
    sips(invoice.regie)
    attempt = start(alice, invoice.regie)
    data = (f"merchantId={SIPS['merchant_id']}|transactionReference={attempt.reference}|amount=1530|"
            "responseCode=00|authorisationId=123456|currencyCode=826")
    sips_post(attempt, data)
    attempt.refresh_from_db()
    assert Payment.objects.count() == 0 and attempt.needs_review and "826" in attempt.review_note
    sips_post(attempt, data.replace("826", "978"))  # the same operation in euros: recorded
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and Payment.objects.get().amount == Decimal("15.30")


# --- review of 68c6d02: the form's fingerprint, repeated names, deferred capture, flags answered ----------------

def test_a_save_over_another_administrators_keeps_the_typed_text_and_says_to_reload(invoice, admin_user, client):
    systempay(invoice.regie)
    page = page_of(invoice.regie)  # B opens the page
    other = login_client(Client(), admin_user)
    save_through_the_form(other, invoice.regie, pay_provider="eopayment:systempayv2", pay_options=NEW_SHOP)
    login_client(client, admin_user)
    typed = "vads_site_id = 12345678\nsecret_test = ********\nsecret_production = ********\nvads_ctx_mode = TEST"
    response = client.post(reverse("backoffice:regie_edit", args=[invoice.regie_id]),
                           regie_data(invoice.regie, pay_provider="eopayment:systempayv2", pay_options=typed,
                                      name="Régie renommée", **page))
    html = unescape(body(response))
    assert response.status_code == 200
    assert ("Les réglages de paiement ont été modifiés entre-temps par quelqu'un d'autre : rechargez la page."
            in html)
    assert re.search(r'<textarea name="pay_options"[^>]*>(.*?)</textarea>', html, re.S).group(1).strip() == typed
    invoice.regie.refresh_from_db()
    assert invoice.regie.payment_settings["options"]["vads_site_id"] == "99998888"
    assert invoice.regie.name != "Régie renommée"


@pytest.mark.parametrize("options, message", [
    ("vads_site_id = 1\nsecret_test = abc\n\nvads_site_id = 2",
     "« vads_site_id » est écrit deux fois (lignes 1 et 4) : gardez une seule ligne."),
    ("vads_site_id = 87654321\nsecret_test = abc\ncapture_day = 3",
     "« capture_day » est refusé : le paiement est débité aussitôt, en une fois (pas de remise différée)."),
])
def test_a_repeated_name_and_a_deferred_capture_are_refused(invoice, options, message):
    form = RegieForm(regie_data(invoice.regie, pay_provider="eopayment:systempayv2", pay_options=options),
                     instance=invoice.regie)
    assert not form.is_valid() and any(message in error for error in form.errors["pay_options"]), form.errors


def test_deferred_capture_is_not_in_any_banks_parameter_table():
    for kind in signed.BACKENDS:
        assert "capture_day" not in {row["name"] for row in config.parameter_table(kind)}


def test_a_payfip_test_transaction_is_only_closed_or_marked_as_checked(alice, invoice, staff_page, staff):
    payfip(invoice.regie, saisie="T")
    attempt = start(alice, invoice.regie)
    assert [name for name, _label in attempts.decisions(attempt)] == ["close"]
    PaymentAttempt.objects.filter(pk=attempt.pk).update(state=State.PAID, paid_amount=Decimal("15.30"),
                                                        needs_review=True, test=True)
    attempt.refresh_from_db()
    assert [name for name, _label in attempts.decisions(attempt)] == ["dismiss"]
    with pytest.raises(attempts.PaymentRefused, match="transaction de test"):
        attempts.reconcile(attempt, actor=staff, decision="record", note="vu")
    assert Payment.objects.count() == 0


def test_an_attempt_kept_for_its_currency_then_paid_in_euros_is_no_longer_to_check(alice, invoice, staff_page):
    systempay(invoice.regie)
    attempt = start(alice, invoice.regie)
    post_notice(attempt, systempay_notice(attempt, vads_currency="840"))
    attempt.refresh_from_db()
    assert attempt.needs_review and attempt.state == State.PENDING
    post_notice(attempt, systempay_notice(attempt))
    attempt.refresh_from_db()
    assert attempt.state == State.PAID and attempt.payment is not None and not attempt.needs_review
    assert "payé du montant demandé, en euros : n'est plus à vérifier" in text(attempt_page(staff_page, attempt))
