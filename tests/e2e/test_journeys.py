"""Journeys in the browser: the password change without JavaScript, and a wrong password at login."""

import pytest

from tests.factories import PASSWORD

from .pages import audit, login

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Lavande2026Tourrettes"


def test_password_change_without_javascript(open_context, alice):
    page = open_context(java_script_enabled=False).new_page()
    login(page, alice.username, PASSWORD)
    assert page.url.endswith("/portail/")

    with page.expect_navigation():
        page.get_by_role("navigation").get_by_role("link", name="Mes informations", exact=True).click()
    assert page.locator("h1").inner_text() == "Mes informations"
    assert alice.family.address_line1 in page.content()

    with page.expect_navigation():
        page.get_by_role("navigation").get_by_role("link", name="Mot de passe", exact=True).click()
    assert page.locator("h1").inner_text() == "Changer de mot de passe"
    # Too short: a French message next to the field, nothing changed.
    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", "Court2026")
    page.fill("#id_new_password2", "Court2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    error = page.locator(".field-error .error").first
    assert "12 caractères" in error.inner_text(), error.inner_text()
    # Then a valid one: letters and digits, at least 12 characters.
    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    assert page.url.endswith("/compte/mot-de-passe/modifie/")
    assert page.locator("h1").inner_text() == "Mot de passe modifié"

    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    assert "/connexion/" in page.url
    page.goto("/portail/")
    assert "/connexion/" in page.url, "still logged in after logging out"

    login(page, alice.username, PASSWORD)
    assert "/connexion/" in page.url, "the old password still opens the portal"
    login(page, alice.username, NEW_PASSWORD)
    assert page.url.endswith("/portail/"), page.url


def test_wrong_password_keeps_the_username_and_says_why(open_context, alice):
    page = open_context().new_page()
    login(page, alice.username, "Pas-le-bon-2026")
    assert "/connexion/" in page.url
    form = page.locator("main form:has(input[name=password])")
    message = form.get_by_role("alert")
    assert "Identifiant ou mot de passe incorrect" in message.inner_text()
    assert form.locator("#id_username").input_value() == alice.username
    assert form.locator("#id_password").input_value() == ""
    problems = audit(page, "login page with its error")
    assert not problems, "\n".join(problems)


def test_the_audit_sees_what_it_must(open_context):
    """The checks themselves: an image without text and a too wide block are reported."""
    page = open_context().new_page()
    page.goto("/accessibilite/")
    page.evaluate("""() => {
        const main = document.querySelector('main');
        const img = document.createElement('img'); img.src = '/static/none.png'; main.appendChild(img);
        const wide = document.createElement('div'); wide.style.width = '900px'; wide.textContent = 'x'; main.appendChild(wide);
    }""")
    problems = "\n".join(audit(page, "a broken page"))
    assert "image-alt" in problems
    assert "at 375px scrolls sideways" in problems and "at 1280px scrolls" not in problems
