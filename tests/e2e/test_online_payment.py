"""Issue 10's online card payment in the browser, through the sandbox bank: a household pays its balance from the
home page on a phone and sees its statement at zero; a refused payment leaves the balance unchanged; a notification
arriving after the family's return still ends in one payment (and the result page alone records one the bank never
notifies). The new pages are audited (axe-core: no WCAG 2.1 A/AA violation, no sideways scrolling at 375 px).

The sandbox bank's "Tout de suite" notification is a task: the immediate backend (tests' settings) runs it inside
the bank page's request, an HTTP POST from the live server to itself; so this module's contexts have no task
worker. "Une minute plus tard" is left to the sweep's job, sent here by hand (send_due_notifications) once its time
is moved into the past.
"""

import datetime
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from enfance.billing import ledger
from enfance.billing.models import Payment
from enfance.billing.money import euros
from enfance.payments.models import PaymentAttempt, PaymentEvent, SandboxOperation
from enfance.payments.sandbox import send_due_notifications
from tests.documents.test_invoice import make_invoice
from tests.factories import PASSWORD, UserFactory

from .conftest import AXE_URL, guarded_contexts
from .pages import AXE_OPTIONS, WIDEST, _describe, login

pytestmark = pytest.mark.browser
PHONE_SIZE = {"width": 375, "height": 812}
DESK_SIZE = {"width": 1280, "height": 800}
PHONE = {"viewport": PHONE_SIZE, "is_mobile": True, "has_touch": True}
SHOTS = Path("/tmp/pay_shots")
TOTAL = Decimal("15.30")
Source = PaymentEvent.Source


@pytest.fixture
def open_context(browser, live_server, transactional_db):
    """Guarded contexts as in conftest, without the task worker: the immediate backend sends the sandbox bank's
    notification at once, inside the bank page's request (the live server posting to itself)."""
    yield from guarded_contexts(browser, live_server)


@pytest.fixture
def invoice(alice):
    """An issued invoice of 15.30 € for Alice's household, nothing paid: its balance is 15.30 €."""
    return make_invoice(alice, total=str(TOTAL), previous="0")


# --- helpers ---------------------------------------------------------------------------------------------------

def family_phone(open_context, user):
    page = open_context(**PHONE).new_page()
    login(page, user.username, PASSWORD)
    if "/portail/conditions/" in page.url:
        page.get_by_label("J'ai lu les conditions de fonctionnement et je les accepte").check()
        with page.expect_navigation(url="**/portail/"):
            page.get_by_role("button", name="Valider").click()
    return page


def fits(page):
    """'' when nothing scrolls sideways at the page's current width, else what is too wide."""
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if scroll_width <= inner_width:
        return ""
    return f"{scroll_width}px of content for {inner_width}px; too wide: {', '.join(page.evaluate(WIDEST))}"


def check(page, label, sizes=(PHONE_SIZE,)):
    """axe-core (WCAG 2.1 A/AA) and no sideways scrolling at each size; the problems in words. The page is left
    at the first size."""
    problems = []
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    for size in sizes:
        page.set_viewport_size(size)
        result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        problems += [f"{label} at {size['width']}px:\n{_describe(v)}" for v in result["violations"]]
        if too_wide := fits(page):
            problems.append(f"{label} at {size['width']}px scrolls sideways: {too_wide}")
    page.set_viewport_size(sizes[0])
    return problems


def shoot(page, name):
    """A full-page screenshot at 375 px into /tmp/pay_shots/ (the page is left at its size before)."""
    size = page.viewport_size
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE_SIZE)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)


@contextmanager
def refresh_held(page):
    """While pending, the result page refreshes itself every 10 s (refresh.js, or a <noscript> meta): its reload is held
    at the network (the document stays as it is, meta tag included) so that an audit is never cut short by it."""
    held = []
    url = page.url

    def hold(route):
        held.append(route)  # neither continued nor fulfilled: the reload waits, the page stays

    page.route(url, hold)
    try:
        yield held
    finally:
        page.unroute(url, hold)
        for route in held:
            try:
                route.abort()
            except Exception:  # the navigation that replaced it cancelled it already
                pass


def pay_button(page, amount=TOTAL):
    return page.get_by_role("button", name=f"Payer {euros(amount)} par carte")


def to_bank(page, button):
    """Click a card payment button: the bank's page."""
    with page.expect_navigation(url="**/banque-test/*/"):
        button.click()
    assert page.get_by_role("heading", name="Paiement par carte", level=1).is_visible()


def at_bank(page, choice, notify):
    """At the sandbox bank: when it notifies the commune, then "Payer", refuse or cancel; the page the family comes
    back to (the result page, after the return asked the bank)."""
    page.get_by_label(notify).check()
    with page.expect_navigation(url="**/paiement/*/"):
        page.get_by_role("button", name=choice, exact=True).click()


def result_title(page):
    return page.locator("#result-title").inner_text().strip()


def statement_lead(page, regie):
    with page.expect_navigation(url=f"**/portail/releve/?regie={regie.pk}"):
        page.get_by_role("link", name="Mon relevé de compte").click()
    return page.locator("p.lead").inner_text()


def sources(attempt, *, changed=None):
    events = PaymentEvent.objects.filter(attempt=attempt)
    if changed is not None:
        events = events.filter(changed=changed)
    return list(events.values_list("source", flat=True))


# --- the journeys ----------------------------------------------------------------------------------------------

def test_a_household_pays_its_balance_from_the_home_page_on_a_phone(open_context, alice, invoice):
    family, regie = alice.family, invoice.regie
    page = family_phone(open_context, alice)
    page.goto("/portail/")
    due = page.locator("section[aria-labelledby=due-title]")
    assert due.get_by_role("heading", name="À payer").is_visible()
    assert f"vous devez {euros(TOTAL)}" in due.inner_text()
    button = pay_button(due)
    assert button.is_visible() and button.get_by_role("img", name="Carte bancaire").is_visible()
    assert not fits(page), fits(page)

    to_bank(page, button)
    assert f"Montant : {euros(TOTAL)}" in page.locator("main").inner_text()
    assert not fits(page), fits(page)
    attempt = PaymentAttempt.objects.get(family=family)
    assert attempt.state == PaymentAttempt.State.PENDING and attempt.amount == TOTAL
    at_bank(page, "Payer", "Tout de suite")

    assert page.url.endswith(f"/paiement/{attempt.token}/")
    assert result_title(page) == "Paiement accepté"
    assert "votre relevé est à jour" in page.locator("main").inner_text()
    assert not fits(page), fits(page)
    payment = Payment.objects.get(family=family)
    assert (payment.means, payment.amount, payment.regie) == (Payment.Means.CARD, TOTAL, regie)
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.PAID and attempt.payment == payment
    # "Tout de suite": the bank's notification recorded it, before the family was back.
    assert sources(attempt, changed=True) == [Source.START, Source.NOTIFICATION]
    assert SandboxOperation.objects.get(reference=attempt.reference).notified_at is not None

    lead = statement_lead(page, regie)
    assert "votre compte est à jour" in lead
    assert ledger.balance(regie, family) == 0
    row = page.locator(f"tr#reglement-{payment.pk}")
    assert "Règlement par carte bancaire" in row.inner_text() and euros(TOTAL) in row.inner_text()
    assert pay_button(page).count() == 0
    assert not fits(page), fits(page)
    page.goto("/portail/")
    assert page.get_by_role("button", name="par carte").count() == 0
    assert Payment.objects.filter(family=family).count() == 1


def test_a_refused_payment_from_the_invoice_page_leaves_the_balance_unchanged(open_context, alice, invoice):
    family, regie = alice.family, invoice.regie
    page = family_phone(open_context, alice)
    page.goto(f"/portail/factures/{invoice.pk}/")
    button = page.get_by_role("button", name=f"Payer cette facture par carte : {euros(TOTAL)}")
    to_bank(page, button)
    attempt = PaymentAttempt.objects.get(family=family)
    assert list(attempt.invoices.all()) == [invoice] and attempt.refdet == invoice.number
    at_bank(page, "Simuler un refus de la carte", "Tout de suite")

    assert page.url.endswith(f"/paiement/{attempt.token}/")
    assert result_title(page) == "Paiement refusé"
    assert "rien n'a été prélevé" in page.locator("main").inner_text()
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.REFUSED and attempt.payment is None
    assert not Payment.objects.filter(family=family).exists()

    lead = statement_lead(page, regie)
    assert f"vous devez {euros(TOTAL)}" in lead
    assert ledger.balance(regie, family) == TOTAL
    assert pay_button(page).is_visible()  # the family may try again
    assert not Payment.objects.filter(family=family).exists()


def test_a_notification_after_the_familys_return_still_ends_in_one_payment(open_context, alice, invoice):
    family, regie = alice.family, invoice.regie
    page = family_phone(open_context, alice)
    page.goto("/portail/factures/")
    to_bank(page, pay_button(page))
    attempt = PaymentAttempt.objects.get(family=family)
    at_bank(page, "Payer", "Une minute plus tard (après votre retour)")

    # The return asked the bank: paid, recorded, before any notification.
    assert result_title(page) == "Paiement accepté"
    operation = SandboxOperation.objects.get(reference=attempt.reference)
    assert operation.notified_at is None and operation.notify_after > timezone.now()
    assert Payment.objects.filter(family=family).count() == 1
    assert sources(attempt, changed=True) == [Source.START, Source.RETURN]

    # A minute later, the bank's notification (the sweep's job sends it).
    SandboxOperation.objects.filter(pk=operation.pk).update(
        notify_after=timezone.now() - datetime.timedelta(seconds=5))
    assert send_due_notifications() == 1
    assert SandboxOperation.objects.get(pk=operation.pk).notified_at is not None
    assert Payment.objects.filter(family=family).count() == 1
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.PAID
    notifications = PaymentEvent.objects.filter(attempt=attempt, source=Source.NOTIFICATION)
    assert notifications.exists(), (
        f"the late notification left no trace in the attempt's events: {sources(attempt)}")
    assert not notifications.filter(changed=True).exists()

    page.reload()
    assert result_title(page) == "Paiement accepté"
    assert "votre compte est à jour" in statement_lead(page, regie)
    assert Payment.objects.filter(family=family).count() == 1


def test_a_payment_the_bank_never_notifies_is_recorded_by_the_result_page(open_context, alice, invoice):
    """"Jamais", and the family's phone loses the network on its way back from the bank (the return never reaches
    the server): the result page, opened from "Mes paiements en ligne", asks the bank and records it."""
    family, regie = alice.family, invoice.regie
    page = family_phone(open_context, alice)
    page.goto(f"/portail/releve/?regie={regie.pk}")
    to_bank(page, pay_button(page))
    attempt = PaymentAttempt.objects.get(family=family)

    answers = []

    def lost(route):
        """The bank's answer to "Payer" (its redirect to our return URL) reaches the server's side only."""
        if route.request.method != "POST":
            route.fallback()
            return
        answer = route.fetch(max_redirects=0)
        answers.append((answer.status, answer.headers.get("location", "")))
        route.fulfill(status=200, content_type="text/html; charset=utf-8",
                      body="<!doctype html><html lang=fr><title>Pas de réseau</title><h1>Pas de réseau</h1></html>")

    bank_url = page.url
    page.route(bank_url, lost)
    page.get_by_label("Jamais (la commune demandera elle-même)").check()
    with page.expect_navigation(url=bank_url):
        page.get_by_role("button", name="Payer", exact=True).click()
    page.unroute(bank_url, lost)
    assert page.get_by_role("heading", name="Pas de réseau").is_visible()
    assert answers == [(302, f"{page.url.split('/banque-test/')[0]}/paiement/{attempt.token}/retour/")]
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.PENDING and not Payment.objects.filter(family=family).exists()

    page.goto("/portail/paiements/")
    with page.expect_navigation(url=f"**/paiement/{attempt.token}/"):
        page.get_by_role("link", name=f"Paiement {attempt.refdet}").click()
    assert result_title(page) == "Paiement accepté"
    assert Payment.objects.filter(family=family).count() == 1
    assert sources(attempt, changed=True) == [Source.START, Source.PAGE]
    assert Source.RETURN not in sources(attempt) and Source.NOTIFICATION not in sources(attempt)
    assert SandboxOperation.objects.get(reference=attempt.reference).notify_after is None
    assert send_due_notifications() == 0
    assert "votre compte est à jour" in statement_lead(page, regie)
    assert Payment.objects.filter(family=family).count() == 1


# --- the new pages, audited ------------------------------------------------------------------------------------

def test_the_payment_pages_pass_axe_and_fit_a_phone(open_context, alice, invoice):
    family = alice.family
    agent = UserFactory(username="agent.paiements", role="agent")
    problems = []
    page = family_phone(open_context, alice)

    page.goto("/portail/")
    assert pay_button(page).is_visible()
    problems += check(page, "home page with the pay button")
    shoot(page, "01-home")
    to_bank(page, pay_button(page))
    problems += check(page, "sandbox bank page")
    shoot(page, "02-bank")
    attempt = PaymentAttempt.objects.get(family=family)

    # The family leaves the bank without deciding and opens its result page: pending.
    page.goto(f"/paiement/{attempt.token}/")
    assert result_title(page) == "Paiement en cours"
    # It refreshes itself: by a script the family can stop (WCAG 2.2.1), or without JavaScript by a <noscript>
    # meta (not an element while scripts run, so no timed refresh for axe).
    assert page.locator('script[src*="payments/refresh"]').count() == 1
    assert page.locator("noscript").count() >= 1
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    stop = page.get_by_role("button", name="Arrêter la mise à jour automatique")
    with refresh_held(page):
        problems += check(page, "result page, pending")
        stop.click()
        assert page.get_by_text("Mise à jour automatique arrêtée.").is_visible()
        shoot(page, "03-result-pending")
        with page.expect_navigation(url="**/banque-test/*/"):
            page.get_by_role("link", name="Reprendre le paiement à la banque").click()
    at_bank(page, "Simuler un refus de la carte", "Tout de suite")
    assert result_title(page) == "Paiement refusé"
    problems += check(page, "result page, refused")
    shoot(page, "04-result-refused")

    page.goto("/portail/")
    to_bank(page, pay_button(page))
    at_bank(page, "Payer", "Tout de suite")
    assert result_title(page) == "Paiement accepté"
    problems += check(page, "result page, paid")
    shoot(page, "05-result-paid")
    paid = PaymentAttempt.objects.get(family=family, state=PaymentAttempt.State.PAID)

    with page.expect_navigation(url="**/portail/paiements/"):
        page.get_by_role("link", name="Mes paiements en ligne").click()
    assert page.locator("table tbody tr").count() == 2
    problems += check(page, "my online payments")
    shoot(page, "06-my-payments")
    page.goto(f"/portail/releve/?regie={invoice.regie_id}")
    shoot(page, "07-statement-paid")

    # Staff, at a desk.
    desk = open_context(viewport=DESK_SIZE).new_page()
    login(desk, agent.username, PASSWORD)
    desk.goto("/gestion/facturation/paiements-en-ligne/")
    assert desk.get_by_role("heading", name="Paiements en ligne", level=1).is_visible()
    assert family.display_name in desk.locator("table tbody").inner_text()
    problems += check(desk, "staff: online payments", sizes=(DESK_SIZE,))
    shoot(desk, "08-staff-list")
    with desk.expect_navigation(url=f"**/gestion/facturation/paiements-en-ligne/{paid.pk}/"):
        desk.locator(f"a[href='/gestion/facturation/paiements-en-ligne/{paid.pk}/']").click()
    assert "Notification de la banque" in desk.locator("main").inner_text()
    problems += check(desk, "staff: one online payment", sizes=(DESK_SIZE,))
    shoot(desk, "09-staff-attempt")
    # A settled attempt leaves staff nothing to decide: no form asking for a decision it offers none of.
    reconcile = desk.locator("section[aria-labelledby=reconcile-title]")
    if reconcile.get_by_role("button", name="Valider").count() and not reconcile.locator(
            "input[name=decision]").count():
        problems.append("staff: one online payment (paid): the 'Régulariser' form has an empty 'Décision' fieldset "
                        "but still asks for a 'Motif' and offers 'Valider' (which can only answer 'Décision "
                        "inconnue.')")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
