"""Issue 7's journeys in the browser: a family writes to the commune with a PDF, staff reply, the family reads
the reply; staff broadcast to a school. Every page visited is audited (axe-core at 1280 and 375 px, no
sideways scrolling)."""

import time

import pytest
from django.core import mail

from enfance.core.models import OutgoingEmail
from enfance.families.models import ChildLink
from enfance.messaging.models import Broadcast, Thread, Topic
from tests.factories import PASSWORD, make_household
from tests.url_table import MINIMAL_PDF

from .pages import audit, login

pytestmark = pytest.mark.browser


def submit(page, button_name):
    with page.expect_navigation():
        page.get_by_role("button", name=button_name).click()


def wait_for_outbox(seconds=10):
    deadline = time.monotonic() + seconds
    while OutgoingEmail.objects.exclude(state=OutgoingEmail.State.SENT).exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_family_writes_with_a_pdf_staff_reply_family_reads(open_context, alice, staff, tmp_path):
    problems = []
    # Transactional tests flush the data migrations' rows: the topics are made here.
    Topic.objects.get_or_create(name="Restauration scolaire")
    pdf = tmp_path / "certificat.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    family = open_context(viewport={"width": 375, "height": 800}).new_page()
    login(family, alice.username, PASSWORD)
    with family.expect_navigation():
        family.get_by_role("link", name="Messagerie").first.click()
    problems += audit(family, "inbox (empty)")
    with family.expect_navigation():
        family.get_by_role("link", name="Contacter la mairie").first.click()
    problems += audit(family, "new conversation")
    family.select_option("#id_topic", label="Restauration scolaire")
    family.fill("#id_subject", "Certificat pour le repas sans gluten")
    family.fill("#id_body", "Bonjour, voici le certificat d'Enfant1.")
    family.set_input_files("#id_files", str(pdf))
    submit(family, "Envoyer le message")
    assert "Votre message est envoyé à la mairie" in family.content()
    thread = Thread.objects.get(family=alice.family)

    staff_page = open_context().new_page()
    login(staff_page, staff.username, PASSWORD)
    with staff_page.expect_navigation():
        staff_page.get_by_role("link", name="Messages").first.click()
    problems += audit(staff_page, "staff inbox")
    with staff_page.expect_navigation():
        staff_page.get_by_role("link", name="Certificat pour le repas sans gluten").first.click()
    problems += audit(staff_page, "staff conversation")
    assert "certificat.pdf" in staff_page.content()
    staff_page.fill("#id_body", "Merci, c'est noté : le repas sans gluten est prévu dès lundi.")
    submit(staff_page, "Envoyer")
    thread.refresh_from_db()
    assert thread.state == Thread.State.ANSWERED

    family.goto("/portail/")
    assert "1 conversation non lue" in family.locator("nav").inner_text() or "1" in family.locator(".count").inner_text()
    family.goto(f"/portail/messagerie/{thread.pk}/")
    problems += audit(family, "conversation with the reply")
    assert "le repas sans gluten est prévu dès lundi" in family.content()
    assert family.locator(".count").count() == 0  # read now
    wait_for_outbox()
    reply = [m for m in mail.outbox if "Message de la mairie" in m.subject]
    assert len(reply) == 1 and "c'est noté" in reply[0].body and "&#x27;" not in reply[0].body
    assert not problems, "\n".join(problems)


def test_staff_broadcast_to_a_school_reaches_each_household_once(open_context, alice, bob, staff):
    problems = []
    for child in alice.family.children.all():
        child.school = "École Les Pins"
        child.save()
    shared, _login, _ = make_household("Partage", children=0)
    ChildLink.objects.create(family=shared, child=alice.family.children.first())
    page = open_context().new_page()
    login(page, staff.username, PASSWORD)
    page.goto("/gestion/messages-groupes/nouveau/")
    problems += audit(page, "new broadcast")
    page.get_by_label("Les foyers d'un enfant scolarisé dans une école").check()
    page.fill("#id_school", "ecole les pins")
    page.fill("#id_subject", "Kermesse de l'école")
    page.fill("#id_body", "Samedi 13 juin à 10 h : venez nombreux !")
    submit(page, "Voir les destinataires")
    problems += audit(page, "broadcast preview")
    assert "2 foyers" in page.content()
    submit(page, "Envoyer")
    deadline = time.monotonic() + 10
    while not Broadcast.objects.filter(state=Broadcast.State.SENT).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    broadcast = Broadcast.objects.get()
    assert broadcast.state == Broadcast.State.SENT and broadcast.households_count == 2
    assert set(Thread.objects.filter(broadcast=broadcast).values_list("family_id", flat=True)) == {
        alice.family_id, shared.pk}
    family = open_context(viewport={"width": 375, "height": 800}).new_page()
    login(family, alice.username, PASSWORD)
    family.goto("/portail/messagerie/")
    assert "Kermesse de l'école" in family.content()
    login_b = open_context().new_page()
    login(login_b, bob.username, PASSWORD)
    login_b.goto("/portail/messagerie/")
    assert "Kermesse" not in login_b.content()
    assert not problems, "\n".join(problems)
