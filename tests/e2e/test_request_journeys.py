"""Issue 3's journeys in the browser: a household asks, the commune decides; a new household applies.

The new-household journey runs with JavaScript disabled; every page visited is audited (axe-core at
1280 and 375 px, no sideways scrolling).
"""

import time

import pytest
from django.core import mail

from enfance.changes.models import ChangeRequest
from enfance.core.models import OutgoingEmail
from enfance.families.models import Family, NewHouseholdApplication
from tests.factories import PASSWORD

from .pages import audit, login

pytestmark = pytest.mark.browser


def submit(page, button_name):
    with page.expect_navigation():
        page.get_by_role("button", name=button_name).click()


def test_family_asks_staff_decide_family_sees_both_decisions(open_context, alice, staff):
    problems = []
    family_page = open_context().new_page()
    login(family_page, alice.username, PASSWORD)
    child = alice.family.children.order_by("pk").first()

    # The phone number of the main guardian.
    family_page.goto("/portail/mes-informations/")
    with family_page.expect_navigation():
        family_page.get_by_role("link", name="Modifier le responsable").click()
    problems += audit(family_page, "request form (guardian)")
    family_page.fill("#id_mobile_phone", "07 11 22 33 44")
    submit(family_page, "Envoyer ma demande")
    assert "envoyée à la mairie" in family_page.content()

    # The child's health data.
    family_page.goto(f"/portail/enfants/{child.pk}/sante/")
    with family_page.expect_navigation():
        family_page.get_by_role("link", name="Modifier les données sanitaires").click()
    family_page.fill("#id_allergies", "Arachide, kiwi")
    submit(family_page, "Envoyer ma demande")
    family_page.goto("/portail/demandes/")
    problems += audit(family_page, "Mes demandes (pending)")
    assert family_page.get_by_text("En attente").count() >= 2

    phone_request = ChangeRequest.objects.get(request_type="guardian1")
    health_request = ChangeRequest.objects.get(request_type="health")

    # Staff approve the phone number and reject the health data with a reason.
    staff_page = open_context().new_page()
    login(staff_page, staff.username, PASSWORD)
    with staff_page.expect_navigation():
        staff_page.get_by_role("link", name="Demandes").first.click()
    problems += audit(staff_page, "request queue")
    staff_page.goto(f"/gestion/demandes/{phone_request.pk}/")
    problems += audit(staff_page, "review page")
    assert "07 11 22 33 44" in staff_page.content()
    submit(staff_page, "Valider et appliquer")
    staff_page.goto(f"/gestion/demandes/{health_request.pk}/")
    submit(staff_page, "Refuser")  # without a reason: refused, message at the field
    assert "Le motif du refus est obligatoire" in staff_page.locator(".field-error").inner_text()
    staff_page.fill("#id_reason", "Merci de joindre le certificat du médecin.")
    submit(staff_page, "Refuser")

    # The family sees the new phone number and both decisions.
    family_page.goto("/portail/mes-informations/")
    assert "07 11 22 33 44" in family_page.content()
    family_page.goto("/portail/demandes/")
    assert family_page.get_by_text("Validée").count() >= 1 and family_page.get_by_text("Refusée").count() >= 1
    family_page.goto(f"/portail/demandes/{health_request.pk}/")
    problems += audit(family_page, "request detail (rejected)")
    assert "certificat du médecin" in family_page.content()
    # Both decisions reached the household by e-mail, through the outbox and the task worker.
    deadline = time.monotonic() + 10
    while OutgoingEmail.objects.exclude(state=OutgoingEmail.State.SENT).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    decisions = [m for m in mail.outbox if "Votre demande a été" in m.subject]
    assert len(decisions) == 2, [m.subject for m in mail.outbox]
    assert "certificat du médecin" in "".join(m.body for m in decisions)
    assert not problems, "\n".join(problems)


def test_new_household_applies_without_javascript_and_staff_approve(open_context, staff, monkeypatch):
    # A person takes longer than the minimum fill time; the test types in milliseconds.
    monkeypatch.setattr("enfance.families.application_forms.MIN_FILL_SECONDS", 0)
    problems = []
    page = open_context(java_script_enabled=False).new_page()
    page.goto("/connexion/")
    with page.expect_navigation():
        page.get_by_role("link", name="fiche de pré-inscription").click()
    page.fill("#id_foyer-address_line1", "5 rue du Lavoir")
    page.fill("#id_foyer-postal_code", "83440")
    page.fill("#id_foyer-city", "Tourrettes")
    page.select_option("#id_resp1-civility", "MME")
    page.fill("#id_resp1-last_name", "Nouvelle")
    page.fill("#id_resp1-first_name", "Inès")
    page.fill("#id_resp1-email", "ines.nouvelle@example.org")
    page.fill("#id_resp1-mobile_phone", "06 11 22 33 44")
    page.fill("#id_enfant-0-last_name", "Nouvelle")
    page.fill("#id_enfant-0-first_name", "Sacha")
    page.fill("#id_enfant-0-birth_date", "2099-03-02")  # a mistake first: a message at the field
    page.select_option("#id_enfant-0-sex", "M")
    submit(page, "Envoyer ma pré-inscription")
    assert "ne peut pas être dans le futur" in page.locator(".field-error").first.inner_text()
    assert page.locator("#id_resp1-last_name").input_value() == "Nouvelle"  # nothing typed is lost
    page.fill("#id_enfant-0-birth_date", "2019-03-02")
    submit(page, "Envoyer ma pré-inscription")
    assert "Votre pré-inscription est envoyée" in page.content()
    application = NewHouseholdApplication.objects.get()

    staff_page = open_context(java_script_enabled=False).new_page()
    login(staff_page, staff.username, PASSWORD)
    with staff_page.expect_navigation():
        staff_page.get_by_role("link", name="Pré-inscriptions").first.click()
    with staff_page.expect_navigation():
        staff_page.get_by_role("link", name="Inès Nouvelle").click()
    staff_page.fill("#id_dossier_received_on", "2026-11-20")
    submit(staff_page, "Valider et créer le foyer")
    family = Family.objects.get(guardians__last_name="Nouvelle")
    assert f"/gestion/familles/{family.pk}/" in staff_page.url
    assert family.dossier_received_on.isoformat() == "2026-11-20"
    application.refresh_from_db()
    assert application.family == family

    # axe-core needs JavaScript: the pages of this journey are audited again in a browser that runs it.
    audited = open_context().new_page()
    for path in ("/pre-inscription/", "/pre-inscription/envoyee/"):
        audited.goto(path)
        problems += audit(audited, path)
    login(audited, staff.username, PASSWORD)
    for path in ("/gestion/demandes/pre-inscriptions/?etat=tous", f"/gestion/demandes/pre-inscriptions/{application.pk}/",
                 f"/gestion/familles/{family.pk}/"):
        audited.goto(path)
        problems += audit(audited, path)
    assert not problems, "\n".join(problems)
