"""Reaching a real bank's page from the pay button, in Chromium: the bank lives on another origin, which the
sandbox bank (on the live server itself) never shows. The banks' hosts are answered here by Playwright (no
network): PayFiP's page after the pay button's redirect, SystemPay's after our page posts its signed form, with
JavaScript and without.

The content security policy is what these guard: browsers apply form-action to the redirect answering a form's
POST, so the pay button reaches PayFiP only if its origin is allowed, and the bank form's page must allow its
bank's."""

from urllib.parse import parse_qs

import pytest

from enfance.payments.models import PaymentAttempt
from tests.documents.test_invoice import make_invoice
from tests.factories import PASSWORD
from tests.payments.test_signed_banks import systempay, vads_signature

from .conftest import guarded_contexts
from .pages import login
from .test_online_payment import PHONE, TOTAL, check, family_phone, pay_button, shoot

pytestmark = pytest.mark.browser
BANK_PAGE = "<!doctype html><html lang=fr><title>Banque</title><h1>Page de la banque</h1></html>"


@pytest.fixture
def open_context(browser, live_server, transactional_db):
    """Guarded contexts without the task worker, as in test_online_payment."""
    yield from guarded_contexts(browser, live_server)


@pytest.fixture
def invoice(alice):
    return make_invoice(alice, total=str(TOTAL), previous="0")


def bank_host(page, pattern):
    """Answers `pattern` (a bank's host) with a page of its own; the requests it received."""
    received = []

    def answer(route):
        received.append((route.request.method, route.request.url, route.request.post_data or ""))
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=BANK_PAGE)

    page.route(pattern, answer)
    return received


def test_the_pay_button_reaches_payfips_page(open_context, alice, invoice):
    invoice.regie.payment_settings = {"provider": "payfip", "numcli": "123456", "saisie": "W"}
    invoice.regie.save(update_fields=["payment_settings"])
    page = family_phone(open_context, alice)
    page.goto("/portail/")
    failed = []
    page.on("requestfailed", lambda request: failed.append((request.url, request.failure)))
    # Playwright routes the first request of a redirect chain only: the browser's request to PayFiP, the
    # target of our redirect, is not answered here but fails on the name (no name resolves but the live
    # server's, conftest.CHROMIUM_ARGS). What matters is that the browser made it: a policy refusing the
    # redirect makes none, or fails it as blocked.
    with page.expect_event("requestfailed", lambda request: "payfip.gouv.fr" in request.url):
        pay_button(page).click()
    attempt = PaymentAttempt.objects.get(family=alice.family)
    assert failed == [(f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={attempt.reference}",
                       "net::ERR_NAME_NOT_RESOLVED")], failed


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_our_page_posts_the_signed_form_to_systempay(open_context, alice, invoice, javascript):
    systempay(invoice.regie)
    page = family_phone(open_context, alice) if javascript else None
    if page is None:
        page = open_context(**PHONE, java_script_enabled=False).new_page()
        login(page, alice.username, PASSWORD)
    received = bank_host(page, "https://paiement.systempay.fr/**")
    page.goto("/portail/")
    if javascript:
        with page.expect_navigation(url="https://paiement.systempay.fr/**"):
            pay_button(page).click()
    else:
        with page.expect_navigation(url="**/paiement/*/banque/"):
            pay_button(page).click()
        assert page.get_by_role("heading", name="Vers la page de paiement de la banque", level=1).is_visible()
        with page.expect_navigation(url="https://paiement.systempay.fr/**"):
            page.get_by_role("button", name="Continuer vers la banque").click()
    [(method, url, body)] = received
    sent = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
    attempt = PaymentAttempt.objects.get(family=alice.family)
    assert (method, url) == ("POST", "https://paiement.systempay.fr/vads-payment/")
    assert sent["vads_amount"] == "1530" and sent == dict(attempt.bank_form)
    assert sent["signature"] == vads_signature(sent, "Sh0pSecretForTests2026")
    assert page.get_by_role("heading", name="Page de la banque").is_visible()
    if javascript:
        # Back from the bank with the browser's button: the portal (the page sending the form at once left no
        # step in the history), nothing posted twice. Opened again in this tab, it stays for the family to press.
        page.go_back()
        page.wait_for_load_state()
        assert page.url.endswith("/portail/")
        page.goto(f"/paiement/{attempt.token}/banque/")
        assert page.get_by_role("heading", name="Vers la page de paiement de la banque", level=1).is_visible()
        page.wait_for_timeout(300)
        assert len(received) == 1
        problems = check(page, "the bank form's page")
        shoot(page, "10-to-bank")
        assert not problems, "\n".join(problems)
