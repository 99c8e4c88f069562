"""Staff's online payment pages in Chromium: the régie's form showing only the chosen bank's settings (all of
them, under their headings, without JavaScript), an error that says what is accepted and keeps what was typed;
the attempt page of a bank that cannot be asked, and the list naming each bank in French. axe-core (WCAG 2.1
A/AA) and no sideways scrolling at 1280 and 375 px; full-page screenshots into /tmp/ux_p2/."""

from pathlib import Path

import pytest

from enfance.payments import attempts
from tests.documents.test_invoice import make_invoice
from tests.factories import PASSWORD, UserFactory
from tests.payments.test_attempts import url_for
from tests.payments.test_signed_banks import systempay

from .conftest import guarded_contexts
from .pages import audit, login

pytestmark = pytest.mark.browser
DESK = {"viewport": {"width": 1280, "height": 800}}
SHOTS = Path("/tmp/ux_p2")
SIGNED = '[data-pay-for="eopayment:systempayv2 eopayment:payzen eopayment:sips2"]'


@pytest.fixture
def open_context(browser, live_server, transactional_db):
    """Guarded contexts without the task worker: nothing here is queued."""
    yield from guarded_contexts(browser, live_server)


@pytest.fixture
def invoice(alice):
    return make_invoice(alice, total="15.30", previous="0")


def shoot(page, name):
    """Full-page screenshots at 1280 and 375 px, and the phone's page also cut in screens of 1200 px (readable)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    for number, top in enumerate(range(0, height, 1200), start=1):
        page.screenshot(path=str(SHOTS / f"{name}-375-{number}.png"), full_page=True,
                        clip={"x": 0, "y": top, "width": 375, "height": min(1200, height - top)})
    page.set_viewport_size(size)


def visible(page, selector):
    return page.locator(selector).is_visible()


def test_the_regie_form_shows_the_chosen_banks_settings_and_keeps_what_was_typed(open_context, invoice):
    admin = UserFactory(username="admin.regie", role="admin")
    page = open_context(**DESK).new_page()
    login(page, admin.username, PASSWORD)
    page.goto(f"/gestion/facturation/regies/{invoice.regie_id}/")
    problems = audit(page, "régie form")
    page.select_option("#id_pay_provider", "payfip")
    assert visible(page, '[data-pay-for="payfip"]') and not visible(page, SIGNED)

    page.select_option("#id_pay_provider", "eopayment:systempayv2")
    assert not visible(page, '[data-pay-for="payfip"]') and visible(page, SIGNED)
    assert visible(page, '[data-pay-for="eopayment:systempayv2"]')
    assert not visible(page, '[data-pay-for="eopayment:sips2"]') and not visible(page, '[data-pay-for="eopayment:payzen"]')
    page.locator('[data-pay-for="eopayment:systempayv2"] summary').click()  # its parameters, folded until asked
    assert page.get_by_role("cell", name="« TEST » ou « PRODUCTION »").first.is_visible()
    problems += audit(page, "régie form, SystemPay chosen, its parameters open")
    shoot(page, "regie-form-systempay")

    typed = "vads_site_id: 12345678\nsecret_test = Abc123\nvads_ctx_mode = LIVE"
    page.fill("#id_pay_options", typed)
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    error = page.locator("#id_pay_options_error")
    assert "« vads_ctx_mode » : « TEST » ou « PRODUCTION », pas « LIVE »." in error.inner_text()
    assert "votre saisie est conservée" in error.inner_text()
    assert page.input_value("#id_pay_options") == typed
    assert page.input_value("#id_pay_provider") == "eopayment:systempayv2" and visible(page, SIGNED)
    assert not visible(page, '[data-pay-for="payfip"]')
    problems += audit(page, "régie form with an error")
    shoot(page, "regie-form-error")
    assert not problems, "\n".join(problems)


def test_without_javascript_every_banks_settings_stay_visible_under_their_headings(open_context, invoice):
    admin = UserFactory(username="admin.regie", role="admin")
    page = open_context(**DESK, java_script_enabled=False).new_page()
    login(page, admin.username, PASSWORD)
    page.goto(f"/gestion/facturation/regies/{invoice.regie_id}/")
    assert visible(page, '[data-pay-for="payfip"]') and visible(page, SIGNED)
    for kind in ("systempayv2", "payzen", "sips2"):
        assert visible(page, f'[data-pay-for="eopayment:{kind}"] summary')
    assert page.get_by_text("Réglages de PayFiP (seulement si la banque choisie est PayFiP)").is_visible()
    shoot(page, "regie-form-no-js")


def test_the_attempt_page_of_a_bank_that_cannot_be_asked_and_the_list(open_context, alice, invoice, staff):
    systempay(invoice.regie)
    attempt = attempts.start(regie=invoice.regie, family=alice.family, user=alice, invoice_ids=[], url_for=url_for)
    systempay(invoice.regie, vads_site_id="99998888")  # another shop meanwhile: the attempt keeps its own
    attempts.flag_outdated(invoice.regie, actor=staff)
    page = open_context(**DESK).new_page()
    login(page, staff.username, PASSWORD)
    page.goto(f"/gestion/facturation/paiements-en-ligne/{attempt.pk}/")
    assert page.get_by_text("ne peut pas être interrogée").is_visible()
    assert page.get_by_text("la banque de la régie a changé pendant ce paiement : à contrôler").is_visible()
    assert page.get_by_text("il garde ses anciens réglages").is_visible()
    assert page.get_by_label("Interroger la banque de nouveau").count() == 0
    assert page.get_by_text("SystemPay (production)").first.is_visible()
    problems = audit(page, "attempt page, SystemPay")
    page.get_by_label("Clore ce paiement : la banque ne le confirmera pas").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()
    assert "Indiquez le motif de votre décision" in page.locator("#id_note_error").inner_text()
    assert page.get_by_label("Clore ce paiement : la banque ne le confirmera pas").is_checked()
    box = page.locator("#id_note").bounding_box()
    assert box["width"] > 400, box  # as wide as the other text fields
    problems += audit(page, "attempt page, reason missing")
    shoot(page, "attempt-systempay")
    page.fill("#id_note", "Vu dans l'espace SystemPay : jamais payé")
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()
    assert page.get_by_text("Le paiement est clos, et noté dans l'historique.").is_visible()
    page.goto("/gestion/facturation/paiements-en-ligne/")
    assert page.get_by_role("cell", name="SystemPay (production)").is_visible()
    problems += audit(page, "online payments list")
    shoot(page, "attempt-list")
    assert not problems, "\n".join(problems)
