"""The card payment on a phone after the UX review, in Chromium at 375 px with axe-core:

- "Ne pas payer maintenant" on the bank form's page (a bank whose signed form is posted: SystemPay) abandons the
  attempt and lands on a page saying nothing was charged, which offers to pay again; with JavaScript and without;
- the home page shows a payment in progress instead of a second pay button, and links to its result page;
- the pending result page warns not to pay twice, and every link and button on it is a 44 × 44 px target;
- the result page's "pay again" button reaches PayFiP (its page holds a pay button, so its policy lets the
  redirect through; tests/payments/test_portal_payment_ux.py checks the policy of every other page).

Screenshots in /tmp/ux_p1/.
"""

from pathlib import Path

import pytest

from enfance.payments import attempts
from enfance.payments.models import PaymentAttempt
from tests.documents.test_invoice import make_invoice
from tests.factories import PASSWORD
from tests.payments.test_attempts import url_for
from tests.payments.test_signed_banks import systempay

from .conftest import guarded_contexts
from .pages import login
from .test_bank_redirects import bank_host
from .test_online_payment import (
    PHONE,
    PHONE_SIZE,
    TOTAL,
    check,
    family_phone,
    fits,
    pay_button,
    refresh_held,
    result_title,
    to_bank,
)

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/ux_p1")
State = PaymentAttempt.State
NOTHING_CHARGED = "Aucun montant n'a été débité."

# Every link and button the family can see that is smaller than 44 × 44 CSS px (WCAG 2.5.5): a skip link parked
# off the screen until it has the focus is not one it can touch.
SMALL_TARGETS = """within => [...document.querySelector(within).querySelectorAll('a[href], button, input[type=submit], summary')]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.right > 0 && r.bottom > 0 && (r.width < 44 || r.height < 44))
  .map(([e, r]) => `${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 40)}" ${Math.round(r.width)}×${Math.round(r.height)}`)"""


@pytest.fixture
def open_context(browser, live_server, transactional_db):
    """Guarded contexts without the task worker, as in test_online_payment."""
    yield from guarded_contexts(browser, live_server)


@pytest.fixture
def invoice(alice):
    return make_invoice(alice, total=str(TOTAL), previous="0")


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE_SIZE)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def small_targets(page, label, within="body"):
    return [f"{label}: {target} is under 44 × 44 px" for target in page.evaluate(SMALL_TARGETS, within)]


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_not_paying_now_abandons_and_says_nothing_was_charged(open_context, alice, invoice, javascript):
    systempay(invoice.regie)
    if javascript:
        page = family_phone(open_context, alice)
    else:
        page = open_context(**PHONE, java_script_enabled=False).new_page()
        login(page, alice.username, PASSWORD)
    received = bank_host(page, "https://paiement.systempay.fr/**")
    page.goto("/portail/")
    if javascript:  # the form goes to the bank at once; the family comes back to our page (the back button)
        with page.expect_navigation(url="https://paiement.systempay.fr/**"):
            pay_button(page).click()
        attempt = PaymentAttempt.objects.get(family=alice.family)
        page.goto(f"/paiement/{attempt.token}/banque/")
    else:
        with page.expect_navigation(url="**/paiement/*/banque/"):
            pay_button(page).click()
        attempt = PaymentAttempt.objects.get(family=alice.family)
    assert page.get_by_role("heading", name="Vers la page de paiement de la banque", level=1).is_visible()
    # axe-core and the measures are scripts: the pages are audited with JavaScript (the same markup without).
    problems = check(page, "the bank form's page") + small_targets(page, "the bank form's page") if javascript else []
    shoot(page, f"01-bank-form-{'js' if javascript else 'nojs'}")

    with page.expect_navigation(url=f"**/paiement/{attempt.token}/"):
        page.get_by_role("button", name="Ne pas payer maintenant").click()
    attempt.refresh_from_db()
    assert attempt.state == State.CANCELLED
    assert result_title(page) == "Paiement abandonné"
    # SystemPay cannot be asked: what is known, no payment confirmed (a notice may still come)
    assert page.get_by_text("La banque ne nous a confirmé aucun paiement.").is_visible()
    # No longer a page "en cours" that refreshes itself.
    assert page.locator('script[src*="payments/refresh"]').count() == 0
    assert page.locator("noscript").count() == 0
    again = pay_button(page)
    assert again.is_visible()
    if javascript:
        problems += check(page, "the abandoned payment's page") + small_targets(page, "the abandoned payment's page")
    shoot(page, f"02-abandoned-{'js' if javascript else 'nojs'}")
    assert not problems, "\n".join(problems)

    # Paying again: a new attempt, for the same amount, at the bank (through our page posting its form).
    if javascript:
        with page.expect_navigation(url="https://paiement.systempay.fr/**"):
            again.click()
    else:
        with page.expect_navigation(url="**/paiement/*/banque/"):
            again.click()
        with page.expect_navigation(url="https://paiement.systempay.fr/**"):
            page.get_by_role("button", name="Continuer vers la banque").click()
    latest = PaymentAttempt.objects.filter(family=alice.family).exclude(pk=attempt.pk).get()
    assert latest.state == State.PENDING and latest.amount == TOTAL
    assert len(received) == (2 if javascript else 1)


def test_the_home_page_shows_the_payment_in_progress_and_its_page_is_made_for_a_thumb(open_context, alice, invoice):
    page = family_phone(open_context, alice)
    page.goto("/portail/")
    to_bank(page, pay_button(page))  # the sandbox bank: the family leaves it without deciding
    attempt = PaymentAttempt.objects.get(family=alice.family)

    page.goto("/portail/")
    due = page.locator("section[aria-labelledby=due-title]")
    assert "Un paiement est en cours pour cette régie : voir où il en est" in " ".join(due.inner_text().split())
    assert page.get_by_role("button", name="par carte").count() == 0
    link = due.get_by_role("link", name=f"voir où il en est – {invoice.regie.name}")
    assert link.is_visible()
    # (The portal's frame and its other text links are under 44 px on every page: only this block is measured.)
    problems = check(page, "home page, payment in progress") + small_targets(
        page, "home page, payment in progress", ".pay-in-progress")
    shoot(page, "03-home-in-progress")
    page.goto("/portail/factures/")
    assert page.get_by_role("button", name="par carte").count() == 0
    problems += check(page, "Mes factures, payment in progress")
    shoot(page, "04-invoices-in-progress")

    page.goto("/portail/")
    with page.expect_navigation(url=f"**/paiement/{attempt.token}/"):
        page.locator("section[aria-labelledby=due-title]").get_by_role("link", name="voir où il en est").click()
    assert result_title(page) == "Paiement en cours"
    with refresh_held(page):
        warning = page.get_by_text("ne payez pas une seconde fois")
        assert warning.is_visible()
        assert "le paiement sera enregistré dès que la banque l'aura confirmé" in warning.inner_text()
        stop = page.get_by_role("button", name="Arrêter la mise à jour automatique")
        assert stop.is_visible()
        problems += check(page, "result page, pending") + small_targets(page, "result page, pending")
        stop.click()
        assert page.get_by_text("Mise à jour automatique arrêtée.").is_visible() and stop.is_hidden()
        shoot(page, "05-result-pending")
    # After five minutes of reloads the page stops by itself and says so (counted across reloads).
    page.evaluate("key => sessionStorage.setItem(key, String(Date.now() - 301000))",
                  f"refresh-since:/paiement/{attempt.token}/")
    page.reload()
    assert page.get_by_text("arrêtée au bout de 5 minutes").is_visible()
    assert page.get_by_role("button", name="Arrêter la mise à jour automatique").is_hidden()
    # Without JavaScript the page refreshes itself (a <noscript> meta): no stop button that would do nothing.
    bare = open_context(**PHONE, java_script_enabled=False).new_page()
    login(bare, alice.username, PASSWORD)
    bare.goto(f"/paiement/{attempt.token}/")
    assert bare.get_by_text("ne payez pas une seconde fois").is_visible()
    assert bare.get_by_role("button", name="Arrêter la mise à jour automatique").is_hidden()
    assert bare.get_by_role("link", name="Actualiser maintenant").is_visible()
    shoot(bare, "06-result-pending-nojs")
    bare.close()
    # At the width of the narrowest phones too.
    page.set_viewport_size({"width": 320, "height": 640})
    problems += small_targets(page, "result page, pending, 320 px")
    if too_wide := fits(page):
        problems.append(f"result page, pending, 320 px: {too_wide}")
    page.set_viewport_size(PHONE_SIZE)

    with page.expect_navigation(url=f"**/paiement/{attempt.token}/"):
        page.get_by_role("button", name="Abandonner ce paiement").click()
    assert result_title(page) == "Paiement abandonné" and page.get_by_text(NOTHING_CHARGED).is_visible()
    problems += small_targets(page, "result page, abandoned")
    page.goto("/portail/")
    assert pay_button(page).is_visible()  # nothing in progress any more: the button is back
    assert not problems, "\n".join(problems)


def test_paying_again_from_the_result_page_reaches_payfip(open_context, alice, invoice):
    invoice.regie.payment_settings = {"provider": "payfip", "numcli": "123456", "saisie": "W"}
    invoice.regie.save(update_fields=["payment_settings"])
    attempt = attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[], url_for=url_for)
    attempts.abandon(attempt, actor=alice)
    page = family_phone(open_context, alice)
    page.goto(f"/paiement/{attempt.token}/")
    assert result_title(page) == "Paiement abandonné"
    failed = []
    page.on("requestfailed", lambda request: failed.append((request.url, request.failure)))
    with page.expect_event("requestfailed", lambda request: "payfip.gouv.fr" in request.url):
        pay_button(page).click()
    latest = PaymentAttempt.objects.filter(family=alice.family).exclude(pk=attempt.pk).get()
    assert failed == [(f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={latest.reference}",
                       "net::ERR_NAME_NOT_RESOLVED")], failed
