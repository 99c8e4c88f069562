"""The staff's side of messages: the shared inbox, a conversation, a message to one household, broadcasts,
topics and answer templates."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from enfance.core import attachments
from enfance.core.attachments import PDF, CleanFile
from enfance.core.models import OutgoingEmail
from enfance.families import services as family_services
from enfance.families.models import ChildLink
from enfance.messaging import services
from enfance.messaging.models import AnswerTemplate, Broadcast, Thread, ThreadRead, Topic
from tests import url_table
from tests.factories import UserFactory, make_household
from tests.url_table import MINIMAL_PDF, TABLE

from .conftest import client_for, count_queries

pytestmark = pytest.mark.django_db

INBOX = reverse("backoffice:messages")
MESSAGE_URLS = ("backoffice:message", "backoffice:broadcast", "backoffice:topics", "backoffice:answer_templates")


def _topic(name):
    return Topic.objects.get_or_create(name=name)[0]


def _ask(login, subject="Une question", body="Bonjour, une question.", topic=None, uploads=()):
    return services.start_by_family(family=login.family, user=login, subject=subject, body=body,
                                    topic=topic or _topic("Autre"), uploads=list(uploads))


def _pdf(name="justificatif.pdf"):
    return CleanFile(MINIMAL_PDF, PDF, name)


def _subjects(response):
    return {thread.subject for thread in response.context["page"].object_list}


# --- the inbox ------------------------------------------------------------------------------------------

def test_inbox_shows_conversations_waiting_for_the_commune_by_default(staff_client, staff, alice, bob):
    new = _ask(alice, "Nouvelle question")
    waiting = _ask(bob, "Relance")
    services.reply_by_staff(waiting.pk, staff=staff, body="Réponse")
    services.reply_by_family(waiting.pk, family=bob.family, user=bob, body="Merci, mais encore ?")
    answered = _ask(alice, "Déjà répondue")
    services.reply_by_staff(answered.pk, staff=staff, body="Voici.")
    closed = _ask(bob, "Close")
    services.close(closed.pk)

    assert _subjects(staff_client.get(INBOX)) == {"Nouvelle question", "Relance"}
    assert _subjects(staff_client.get(INBOX, {"state": "answered"})) == {"Déjà répondue"}
    assert _subjects(staff_client.get(INBOX, {"state": "closed"})) == {"Close"}
    assert _subjects(staff_client.get(INBOX, {"state": "toutes"})) == {
        new.subject, waiting.subject, answered.subject, closed.subject}


def test_inbox_filters_by_topic_and_assignment(staff_client, staff, alice, bob):
    colleague = UserFactory(username="agent.collegue", role="agent", first_name="Rémi", last_name="Collègue")
    canteen, billing = _topic("Cantine"), _topic("Facturation")
    mine = _ask(alice, "Pour moi", topic=canteen)
    services.assign(mine.pk, to=staff)
    theirs = _ask(bob, "Pour un collègue", topic=billing)
    services.assign(theirs.pk, to=colleague)
    _ask(alice, "Pour personne", topic=billing)

    assert _subjects(staff_client.get(INBOX, {"topic": canteen.pk})) == {"Pour moi"}
    assert _subjects(staff_client.get(INBOX, {"assigned": "moi"})) == {"Pour moi"}
    assert _subjects(staff_client.get(INBOX, {"assigned": "personne"})) == {"Pour personne"}
    assert _subjects(staff_client.get(INBOX, {"assigned": colleague.pk})) == {"Pour un collègue"}
    assert _subjects(staff_client.get(INBOX, {"topic": billing.pk, "assigned": "personne"})) == {"Pour personne"}


def test_inbox_hides_decision_notices_unless_asked(staff_client, alice):
    _ask(alice, "Question")
    Thread.objects.create(family=alice.family, subject="Demande n° 1 : validée", origin="decision", state="new",
                          last_message_at=timezone.now())
    assert _subjects(staff_client.get(INBOX)) == {"Question"}
    assert _subjects(staff_client.get(INBOX, {"origin": "decision"})) == {"Demande n° 1 : validée"}
    assert _subjects(staff_client.get(INBOX, {"origin": "toutes"})) == {"Question", "Demande n° 1 : validée"}


def test_inbox_search_ignores_accents_and_case(staff_client, alice, bob):
    durand, durand_login, _ = make_household("Durand", children=0)
    durand.guardians.filter(rank=1).update(first_name="Élodie")
    _ask(durand_login, "Inscription")
    _ask(alice, "Réservation du mercredi")
    _ask(bob, "Absence", body="Mon fils ne prendra pas le goûter.")
    _ask(bob, "Autre chose")

    assert _subjects(staff_client.get(INBOX, {"q": "elodie"})) == {"Inscription"}
    assert _subjects(staff_client.get(INBOX, {"q": "RESERVATION"})) == {"Réservation du mercredi"}
    assert _subjects(staff_client.get(INBOX, {"q": "gouter"})) == {"Absence"}
    assert _subjects(staff_client.get(INBOX, {"q": "durand"})) == {"Inscription"}
    assert _subjects(staff_client.get(INBOX, {"q": durand.reference.lower()})) == {"Inscription"}
    # Every word must match, each may match a different thing.
    assert _subjects(staff_client.get(INBOX, {"q": "bob goûter"})) == {"Absence"}


def test_inbox_newest_activity_first(staff_client, staff, alice, bob):
    old = _ask(alice, "Ancienne")
    _ask(bob, "Récente")
    services.reply_by_family(old.pk, family=alice.family, user=alice, body="Relance")
    assert [t.subject for t in staff_client.get(INBOX).context["page"].object_list] == ["Ancienne", "Récente"]


def _add_threads(n, tag, staff):
    for i in range(n):
        family, login, _ = make_household(f"Boite{tag}{i}", children=1)
        thread = _ask(login, f"Question {tag}{i}", topic=_topic(f"Thème {tag}{i}"), uploads=[_pdf()])
        services.reply_by_staff(thread.pk, staff=staff, body="Note", internal=True)
        services.assign(thread.pk, to=UserFactory(role="agent"))
        services.reply_by_family(thread.pk, family=family, user=login, body="Encore une question")


def test_inbox_takes_a_fixed_number_of_queries(staff_client, staff):
    urls = [INBOX, INBOX + "?state=toutes&origin=toutes", INBOX + "?q=question+boite", INBOX + "?assigned=personne"]
    _add_threads(1, "a", staff)
    few = {url: count_queries(lambda url=url: staff_client.get(url)) for url in urls}
    _add_threads(6, "b", staff)
    many = {url: count_queries(lambda url=url: staff_client.get(url)) for url in urls}
    assert few == many
    assert len(staff_client.get(INBOX).context["page"].object_list) == 7


def test_a_conversation_takes_a_fixed_number_of_queries(staff_client, staff, alice):
    thread = _ask(alice, uploads=[_pdf()])
    url = reverse("backoffice:message_thread", args=[thread.pk])
    few = count_queries(lambda: staff_client.get(url))
    for i in range(5):
        services.reply_by_staff(thread.pk, staff=staff, body=f"Réponse {i}", uploads=[_pdf(f"r{i}.pdf")])
        services.reply_by_family(thread.pk, family=alice.family, user=alice, body=f"Suite {i}", uploads=[_pdf()])
    assert count_queries(lambda: staff_client.get(url)) == few


def test_the_menu_counts_conversations_waiting_for_the_commune(staff_client, staff, alice, bob):
    _ask(alice)
    answered = _ask(bob)
    services.reply_by_staff(answered.pk, staff=staff, body="Voici.")
    waiting = _ask(bob)
    services.reply_by_staff(waiting.pk, staff=staff, body="Voici.")
    services.reply_by_family(waiting.pk, family=bob.family, user=bob, body="Merci, mais…")
    closed = _ask(alice)
    services.close(closed.pk)
    body = staff_client.get(reverse("backoffice:home")).content.decode()
    assert f'{INBOX}">Messages <span class="count">2<span class="visually-hidden"> en attente de la mairie' in body


# --- a conversation ----------------------------------------------------------------------------------------

def test_a_conversation_shows_notes_attachments_the_household_and_its_pending_requests(staff_client, staff, alice):
    from enfance.changes.models import ChangeRequest

    pending = ChangeRequest.objects.create(family=alice.family, request_type="tax", kind="fields", created_by=alice,
                                           target_id=alice.family.tax_info.pk)
    done = ChangeRequest.objects.create(family=alice.family, request_type="tax", kind="fields", created_by=alice,
                                        target_id=alice.family.tax_info.pk, status="approved")
    thread = _ask(alice, body="Voici mon justificatif.", uploads=[_pdf("avis.pdf")])
    services.reply_by_staff(thread.pk, staff=staff, body="À vérifier avec la régie.", internal=True)
    response = staff_client.get(reverse("backoffice:message_thread", args=[thread.pk]))
    body = response.content.decode()
    assert "À vérifier avec la régie." in body and "Note interne" in body and "internal-note" in body
    attachment = attachments.of(thread.messages.first()).get()
    assert reverse("backoffice:message_attachment", args=[thread.pk, attachment.pk]) in body
    assert reverse("backoffice:family", args=[alice.family.pk]) in body
    assert reverse("backoffice:request", args=[pending.pk]) in body
    assert reverse("backoffice:request", args=[done.pk]) not in body


def test_staff_reading_a_conversation_leaves_the_households_read_state_alone(staff_client, staff, alice):
    thread = _ask(alice)
    services.reply_by_staff(thread.pk, staff=staff, body="Réponse")
    before = list(ThreadRead.objects.values_list("user_id", "read_at"))
    staff_client.get(reverse("backoffice:message_thread", args=[thread.pk]))
    assert list(ThreadRead.objects.values_list("user_id", "read_at")) == before
    assert not ThreadRead.objects.filter(user=staff).exists()
    assert services.unread_count(alice.family.pk, alice) == 1


def test_a_reply_notifies_the_household_and_answers_the_conversation(staff_client, alice,
                                                                       django_capture_on_commit_callbacks):
    thread = _ask(alice)
    url = reverse("backoffice:message_thread", args=[thread.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"body": "Bonjour, c'est noté.", "files": [_upload()]})
    assert response.status_code == 302, response.content.decode()[:2000]
    thread.refresh_from_db()
    assert thread.state == Thread.State.ANSWERED
    reply = thread.messages.last()
    assert reply.from_commune and not reply.internal and reply.body == "Bonjour, c'est noté."
    assert attachments.of(reply).count() == 1
    email = OutgoingEmail.objects.get(to=alice.email)
    assert "Bonjour, c'est noté." in email.text_body
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert services.unread_count(alice.family.pk, alice) == 1


def _upload(name="reponse.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


def test_an_internal_note_is_never_shown_to_the_household_nor_emailed(staff_client, client, alice,
                                                                        django_capture_on_commit_callbacks):
    thread = _ask(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("backoffice:message_thread", args=[thread.pk]),
                                     {"body": "Famille déjà relancée deux fois.", "internal": "on"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.state == Thread.State.NEW
    assert thread.messages.filter(internal=True).count() == 1
    assert not OutgoingEmail.objects.exists() and not mail.outbox
    url_table.prepare(alice)  # the service rules the portal asks a household to accept first
    client.force_login(alice)
    page = client.get(reverse("portal:thread", args=[thread.pk]))
    assert page.status_code == 200
    assert "Bonjour, une question." in page.content.decode()
    assert "relancée" not in page.content.decode()


def test_an_answer_template_is_inserted_without_javascript_and_nothing_typed_is_lost(staff_client, alice):
    thread = _ask(alice)
    template = AnswerTemplate.objects.create(title="Pièce reçue", body="Nous avons bien reçu votre pièce.")
    AnswerTemplate.objects.create(title="Ancienne", body="Ne plus proposer.", is_active=False)
    url = reverse("backoffice:message_thread", args=[thread.pk])
    page = staff_client.get(url).content.decode()
    assert "Insérer la réponse type" in page and "Pièce reçue" in page and "Ancienne" not in page

    response = staff_client.post(url, {"template": template.pk, "body": "Bonjour Madame,", "internal": "on",
                                       "inserer": "1"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form["body"].value() == "Bonjour Madame,\n\nNous avons bien reçu votre pièce."
    assert form["internal"].value() is True
    assert "Bonjour Madame,\n\nNous avons bien reçu votre pièce.</textarea>" in response.content.decode()
    assert thread.messages.count() == 1  # nothing sent

    response = staff_client.post(url, {"template": "", "body": "Déjà écrit", "inserer": "1"})
    body = response.content.decode()
    assert "Choisissez la réponse type à insérer." in body and "Déjà écrit</textarea>" in body
    assert thread.messages.count() == 1


def test_an_empty_reply_gets_a_message_next_to_the_field(staff_client, alice):
    thread = _ask(alice)
    response = staff_client.post(reverse("backoffice:message_thread", args=[thread.pk]), {"body": "  "})
    assert response.status_code == 200
    assert "Écrivez la réponse" in response.content.decode()
    assert thread.messages.count() == 1


def test_assign_close_and_reopen(staff_client, staff, alice):
    colleague = UserFactory(username="agent.bis", role="agent", first_name="Inès", last_name="Martin")
    thread = _ask(alice)
    assign = reverse("backoffice:message_assign", args=[thread.pk])
    assert staff_client.post(assign, {"to": "moi"}).status_code == 302
    thread.refresh_from_db()
    assert thread.assigned_to == staff
    staff_client.post(assign, {"to": colleague.pk})
    thread.refresh_from_db()
    assert thread.assigned_to == colleague
    staff_client.post(assign, {"to": "personne"})
    thread.refresh_from_db()
    assert thread.assigned_to is None
    # A leader (or anyone but an agent or administrator) cannot follow a conversation.
    leader = UserFactory(role="leader")
    response = staff_client.post(assign, {"to": leader.pk})
    assert response.status_code == 200 and "Choisissez un membre du personnel de la liste." in response.content.decode()

    assert staff_client.post(reverse("backoffice:message_close", args=[thread.pk])).status_code == 302
    thread.refresh_from_db()
    assert thread.state == Thread.State.CLOSED and thread.closed_at is not None
    page = staff_client.get(reverse("backoffice:message_thread", args=[thread.pk])).content.decode()
    assert "Rouvrir la conversation" in page
    assert staff_client.post(reverse("backoffice:message_reopen", args=[thread.pk])).status_code == 302
    thread.refresh_from_db()
    assert thread.state == Thread.State.WAITING and thread.closed_at is None


def test_a_decision_notice_is_not_reopened(staff_client, alice):
    notice = Thread.objects.create(family=alice.family, subject="Demande n° 3 : validée", origin="decision",
                                   state="closed", closed_at=timezone.now(), last_message_at=timezone.now())
    page = staff_client.get(reverse("backoffice:message_thread", args=[notice.pk])).content.decode()
    assert "Rouvrir la conversation" not in page
    response = staff_client.post(reverse("backoffice:message_reopen", args=[notice.pk]), follow=True)
    assert "Un avis de décision reste clos" in response.content.decode()
    notice.refresh_from_db()
    assert notice.state == Thread.State.CLOSED


def test_an_attachment_of_another_conversation_answers_404(staff_client, alice, bob):
    mine = _ask(alice, uploads=[_pdf("alice.pdf")])
    other = _ask(bob, uploads=[_pdf("bob.pdf")])
    own = attachments.of(mine.messages.first()).get()
    foreign = attachments.of(other.messages.first()).get()
    assert staff_client.get(reverse("backoffice:message_attachment", args=[mine.pk, own.pk])).status_code == 200
    assert staff_client.get(reverse("backoffice:message_attachment", args=[mine.pk, foreign.pk])).status_code == 404
    # A file that belongs to something else than a message (a request's document) is not reachable either.
    from enfance.changes.models import ChangeRequest

    change = ChangeRequest.objects.create(family=alice.family, request_type="tax", kind="fields", created_by=alice,
                                          target_id=alice.family.tax_info.pk)
    document = attachments.store(_pdf("avis.pdf"), owner=change, role="document")
    assert staff_client.get(reverse("backoffice:message_attachment", args=[mine.pk, document.pk])).status_code == 404


def test_a_leader_gets_403_on_every_messages_url(leader_client, alice):
    scope = url_table.prepare(alice)[alice][0]
    names = [name for name in TABLE if name.startswith(MESSAGE_URLS)]
    assert len(names) >= 15
    for name in names:
        path = url_table.url_for(name, scope)
        response = leader_client.post(path) if TABLE[name].post_only else leader_client.get(path)
        assert response.status_code == 403, f"{path}: {response.status_code}"


# --- a message to one household ---------------------------------------------------------------------------

def test_the_household_page_lists_its_conversations_and_leads_to_a_new_one(staff_client, staff, alice, bob,
                                                                           django_capture_on_commit_callbacks):
    _ask(alice, "Ancienne question")
    _ask(bob, "Question de Bob")
    page = staff_client.get(reverse("backoffice:family", args=[alice.family.pk])).content.decode()
    assert "Conversations" in page and "Ancienne question" in page and "Question de Bob" not in page
    new_url = reverse("backoffice:message_new", args=[alice.family.pk])
    assert new_url in page and "Écrire au foyer" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(new_url, {"subject": "Dossier incomplet", "topic": _topic("Dossier").pk,
                                               "body": "Il manque l'attestation d'assurance."})
    thread = Thread.objects.get(subject="Dossier incomplet")
    assert response.status_code == 302 and response["Location"] == reverse("backoffice:message_thread",
                                                                            args=[thread.pk])
    assert thread.family == alice.family and thread.origin == Thread.Origin.COMMUNE
    assert thread.assigned_to == staff and thread.topic.name == "Dossier"
    assert [m.to for m in mail.outbox] == [[alice.email]]
    page = staff_client.get(reverse("backoffice:family", args=[alice.family.pk])).content.decode()
    assert page.index("Dossier incomplet") < page.index("Ancienne question")


def test_a_message_to_a_household_keeps_what_was_typed_when_refused(staff_client, alice):
    response = staff_client.post(reverse("backoffice:message_new", args=[alice.family.pk]),
                                 {"subject": "", "body": "Un texte déjà écrit"})
    body = response.content.decode()
    assert response.status_code == 200 and 'class="error"' in body
    assert response.context["form"].errors["subject"] == ["Indiquez l'objet du message."]
    assert "Un texte déjà écrit</textarea>" in body
    assert not Thread.objects.exists()


def test_an_archived_household_receives_no_message(staff_client, staff, alice):
    family_services.archive_family(alice.family, actor=staff, reason="départ")
    response = staff_client.get(reverse("backoffice:message_new", args=[alice.family.pk]))
    assert response.status_code == 302
    with pytest.raises(services.MessagingError):
        services.start_by_commune(family=alice.family, staff=staff, subject="Objet", topic=None, body="Texte")
    assert not Thread.objects.exists()


# --- broadcasts -----------------------------------------------------------------------------------------

SCHOOL = "École Jean Moulin"


@pytest.fixture
def school_world(db):
    """Two children of the Roux household at the school, Jade (shared with Garnier) there too, Petit elsewhere."""
    roux, _, (first, second) = make_household("Roux", children=2)
    for child in (first, second):
        child.school, child.school_class = SCHOOL, "CE1"
        child.save(update_fields=["school", "school_class"])
    second.school_class = "CM2"
    second.save(update_fields=["school_class"])
    lefort, _, (jade,) = make_household("Lefort", children=1)
    garnier, _, _ = make_household("Garnier", children=0)
    jade.school, jade.school_class = "école jean moulin", "CM2"
    jade.save(update_fields=["school", "school_class"])
    ChildLink.objects.create(family=garnier, child=jade)
    petit, _, (other,) = make_household("Petit", children=1)
    other.school = "École Pagnol"
    other.save(update_fields=["school"])
    return {"roux": roux, "lefort": lefort, "garnier": garnier, "petit": petit}


def _broadcast_data(**extra):
    return {"audience": "school", "school": SCHOOL, "school_class": "", "subject": "Sortie au musée",
            "body": "La classe part au musée jeudi.", "topic": "", **extra}


def test_a_broadcast_shows_how_many_households_and_logins_before_it_is_sent(staff_client, school_world):
    response = staff_client.post(reverse("backoffice:broadcast_new"), {**_broadcast_data(), "etape": "apercu"})
    assert response.status_code == 200
    assert (response.context["households"], response.context["logins"]) == (3, 3)
    body = response.content.decode()
    assert "3 foyers recevront ce message" in body and "3 identifiants" in body
    assert 'value="envoyer"' in body and not Broadcast.objects.exists()
    response = staff_client.post(reverse("backoffice:broadcast_new"),
                                 {**_broadcast_data(audience="class", school_class="cm2"), "etape": "apercu"})
    assert (response.context["households"], response.context["logins"]) == (3, 3)  # Roux, Lefort, Garnier
    response = staff_client.post(reverse("backoffice:broadcast_new"),
                                 {**_broadcast_data(audience="class", school="ECOLE JEAN MOULIN ", school_class="ce1")})
    assert (response.context["households"], response.context["logins"]) == (1, 1)  # typed without accents
    assert not Broadcast.objects.exists()


def test_a_broadcast_to_a_school_reaches_each_household_once(staff_client, school_world,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("backoffice:broadcast_new"), {**_broadcast_data(), "etape": "envoyer"})
    assert response.status_code == 302 and response["Location"] == reverse("backoffice:broadcasts")
    broadcast = Broadcast.objects.get()
    assert broadcast.state == Broadcast.State.SENT and broadcast.households_count == 3
    reached = sorted(Thread.objects.filter(broadcast=broadcast).values_list("family__guardians__last_name",
                                                                           flat=True).distinct())
    assert reached == ["Garnier", "Lefort", "Roux"]  # Roux's two children: one conversation; Jade: both homes
    assert Thread.objects.filter(broadcast=broadcast, family=school_world["roux"]).count() == 1
    assert not Thread.objects.filter(family=school_world["petit"]).exists()
    page = staff_client.get(reverse("backoffice:broadcasts")).content.decode()
    assert "Sortie au musée" in page and "Envoyé" in page


def test_a_broadcast_confirmed_twice_is_sent_once(staff_client, school_world, django_capture_on_commit_callbacks):
    for _ in range(2):  # a double click on "Envoyer", or the confirmation page sent again
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(reverse("backoffice:broadcast_new"),
                                         {**_broadcast_data(), "etape": "envoyer"})
        assert response.status_code == 302
    assert Broadcast.objects.count() == 1
    assert Thread.objects.filter(family=school_world["roux"]).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("backoffice:broadcast_new"),
                          {**_broadcast_data(body="Un autre message."), "etape": "envoyer"})
    assert Broadcast.objects.count() == 2


def test_a_broadcast_reaching_nobody_is_refused_with_a_message(staff_client, school_world):
    response = staff_client.post(reverse("backoffice:broadcast_new"),
                                 {**_broadcast_data(school="École inconnue"), "etape": "envoyer"})
    assert response.status_code == 200
    assert "Aucun foyer ne recevrait ce message" in response.content.decode()
    assert not Broadcast.objects.exists()


def test_the_broadcast_form_suggests_the_schools_and_classes_that_exist(staff_client, school_world):
    body = staff_client.get(reverse("backoffice:broadcast_new")).content.decode()
    assert 'list="ecoles-connues"' in body and f'<option value="{SCHOOL}">' in body
    assert '<option value="école jean moulin">' not in body  # one school, however it is typed
    assert '<option value="CM2">' in body and '<option value="CE1">' in body


def test_modifying_a_previewed_broadcast_keeps_what_was_typed(staff_client, school_world):
    response = staff_client.post(reverse("backoffice:broadcast_new"), {**_broadcast_data(), "etape": "modifier"})
    body = response.content.decode()
    assert "La classe part au musée jeudi.</textarea>" in body and not Broadcast.objects.exists()


# --- topics and answer templates --------------------------------------------------------------------------

def test_administrators_keep_topics_and_deactivate_rather_than_delete(admin_client_):
    response = admin_client_.post(reverse("backoffice:topics_new"), {"name": "  Périscolaire ", "position": 5,
                                                                     "is_active": "on"})
    assert response.status_code == 302
    topic = Topic.objects.get(name="Périscolaire")
    response = admin_client_.post(reverse("backoffice:topics_new"), {"name": "périscolaire", "position": 6})
    assert "Ce thème existe déjà." in response.content.decode()
    admin_client_.post(reverse("backoffice:topics_edit", args=[topic.pk]), {"name": "Périscolaire", "position": 5})
    topic.refresh_from_db()
    assert not topic.is_active
    page = admin_client_.get(reverse("backoffice:topics")).content.decode()
    assert "Périscolaire" in page and "retiré" in page


def test_administrators_keep_answer_templates(admin_client_):
    response = admin_client_.post(reverse("backoffice:answer_templates_new"),
                                  {"title": "Accusé de réception", "body": "Bien reçu.", "is_active": "on"})
    assert response.status_code == 302
    template = AnswerTemplate.objects.get()
    admin_client_.post(reverse("backoffice:answer_templates_edit", args=[template.pk]),
                       {"title": "Accusé de réception", "body": "Bien reçu, merci."})
    template.refresh_from_db()
    assert template.body == "Bien reçu, merci." and not template.is_active
    assert client_for(UserFactory(role="agent")).get(reverse("backoffice:answer_templates")).status_code == 403



def test_a_broadcast_without_its_audience_points_each_radio_at_the_error(staff_client):
    body = staff_client.post(reverse("backoffice:broadcast_new"), _broadcast_data(audience="")).content.decode()
    radios = re.findall(r'<input type="radio"[^>]*>', body)
    assert radios and all('aria-describedby="id_audience_error"' in r and 'aria-invalid="true"' in r for r in radios)
    assert 'id="id_audience_error"' in body and 'id="erreurs"' in body
