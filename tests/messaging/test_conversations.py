"""Conversations between a household and the commune: the family's side, read state per login, notifications
with their preferences and one-click opt-out, the decision on a request in the inbox, broadcasts."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Exists, OuterRef
from django.test import Client
from django.urls import reverse

from enfance.changes import services as requests
from enfance.core import attachments
from enfance.families import categories, request_types
from enfance.families.forms import TaxInfoForm
from enfance.families.models import ChildLink, Family
from enfance.messaging import notifications, services
from enfance.messaging.models import Broadcast, Message, Thread, Topic
from tests.factories import ChildFactory, UserFactory, make_household
from tests.helpers import text
from tests.url_table import MINIMAL_PDF


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def second_login(login):
    guardian = login.family.guardians.get(rank=2)
    return UserFactory(username=f"{login.username}.conjoint", family=login.family, guardian=guardian)


def new_thread(client, **extra):
    topic, _ = Topic.objects.get_or_create(name="Restauration scolaire")  # flushed by transactional tests
    data = {"topic": topic.pk, "subject": "Repas du mercredi", "body": "Bonjour, l'enfant mange-t-il ?",
            **extra}
    return client.post(reverse("portal:thread_new"), data)


def test_a_family_writes_to_the_commune_with_a_pdf_and_reads_the_reply(alice, staff,
                                                                      django_capture_on_commit_callbacks):
    client = browser(alice)
    Topic.objects.get_or_create(name="Restauration scolaire")
    page = text(client.get(reverse("portal:thread_new")))
    assert "Restauration scolaire" in page and 'enctype="multipart/form-data"' in page
    response = new_thread(client, files=[SimpleUploadedFile("certificat.pdf", MINIMAL_PDF, "application/pdf")])
    thread = Thread.objects.get()
    assert response.url == reverse("portal:thread", args=[thread.pk])
    assert thread.state == Thread.State.NEW and thread.family == alice.family
    document = attachments.of(thread.messages.get()).get()
    assert document.content_type == "application/pdf"
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_by_staff(thread.pk, staff=staff, body="Oui, le repas est prévu.")
    thread.refresh_from_db()
    assert thread.state == Thread.State.ANSWERED and thread.assigned_to == staff
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "Oui, le repas est prévu." in mail.outbox[0].body and "desabonnement" in mail.outbox[0].body
    assert "&#x27;" not in mail.outbox[0].body
    page = text(client.get(reverse("portal:thread", args=[thread.pk])))
    assert "Oui, le repas est prévu." in page and "certificat.pdf" in page
    download = client.get(reverse("portal:message_attachment", args=[thread.pk, document.pk]))
    assert download["Content-Type"] == "application/pdf"


def test_a_bad_file_is_refused_next_to_the_field_and_what_was_typed_is_kept(alice):
    client = browser(alice)
    response = new_thread(client, subject="Facture de mars",
                          files=[SimpleUploadedFile("facture.pdf", b"<html>pas un pdf</html>", "application/pdf")])
    body = text(response)
    assert response.status_code == 200
    assert "facture.pdf : Ce fichier n'est pas lisible" in body and 'value="Facture de mars"' in body
    assert "l'enfant mange-t-il ?" in body
    assert not Thread.objects.exists()
    too_many = [SimpleUploadedFile(f"p{i}.pdf", MINIMAL_PDF, "application/pdf") for i in range(4)]
    assert "Joignez au plus 3 fichiers." in text(new_thread(client, files=too_many))


def test_read_state_is_per_login_and_the_count_is_on_every_page(alice, staff):
    conjoint = second_login(alice)
    thread = services.start_by_commune(family=alice.family, staff=staff, subject="Sortie au musée",
                                       topic=None, body="Pensez au pique-nique.")
    alice_client, conjoint_client = browser(alice), browser(conjoint)
    for client in (alice_client, conjoint_client):
        for url in (reverse("portal:home"), reverse("portal:information"), reverse("portal:requests")):
            assert "1 conversation non lue" in re.sub(r"<[^>]+>", "", text(client.get(url))), url
    # The conversation's own page no longer counts it: it is read as it is shown.
    page = re.sub(r"<[^>]+>", "", text(alice_client.get(reverse("portal:thread", args=[thread.pk]))))
    assert "conversation non lue" not in page and "Pensez au pique-nique." in page
    assert services.unread_count(alice.family_id, alice) == 0
    assert services.unread_count(alice.family_id, conjoint) == 1
    # A new message from the commune is unread again; the family's own replies are not.
    services.reply_by_family(thread.pk, family=alice.family, user=alice, body="Merci")
    assert services.unread_count(alice.family_id, alice) == 0
    services.reply_by_staff(thread.pk, staff=staff, body="Bonne sortie")
    assert services.unread_count(alice.family_id, alice) == 1


def test_the_menus_count_agrees_with_the_inbox_flags_whatever_was_read(alice, staff):
    """The menu's count and the inbox's flags agree, for each login, whatever each one read."""
    conjoint = second_login(alice)
    never_answered = services.start_by_family(family=alice.family, user=alice, subject="Q", topic=None, body="?")
    answered = services.start_by_family(family=alice.family, user=alice, subject="R", topic=None, body="?")
    services.reply_by_staff(answered.pk, staff=staff, body="Oui")
    read_then_new = services.start_by_commune(family=alice.family, staff=staff, subject="S", topic=None, body="1")
    services.mark_read(Thread.objects.get(pk=read_then_new.pk), alice)
    services.reply_by_staff(read_then_new.pk, staff=staff, body="2")
    read = services.start_by_commune(family=alice.family, staff=staff, subject="T", topic=None, body="1")
    services.mark_read(Thread.objects.get(pk=read.pk), alice)
    other_family, _login, _ = make_household("Autre", children=0)
    services.start_by_commune(family=other_family, staff=staff, subject="U", topic=None, body="1")
    for login in (alice, conjoint):
        flags = {t.pk: t.unread for t in services.threads_for_family(alice.family, login)}
        assert services.unread_count(alice.family_id, login) == sum(flags.values())
    assert {t.pk for t in services.threads_for_family(alice.family, alice) if t.unread} == {
        answered.pk, read_then_new.pk}
    assert services.unread_count(alice.family_id, conjoint) == 3
    assert never_answered.pk not in {t.pk for t in services.threads_for_family(alice.family, conjoint) if t.unread}


def test_the_inbox_flags_hold_when_the_query_is_a_subquery(alice, staff):
    """The raw SQL follows the table's alias (U0 in a subquery), not the table's name."""
    services.start_by_commune(family=alice.family, staff=staff, subject="Info", topic=None, body="Bonjour")
    unread = services.threads_for_family(alice.family, alice).filter(unread=True)
    assert list(Family.objects.filter(Exists(unread.filter(family=OuterRef("pk"))))) == [alice.family]
    assert Thread.objects.filter(pk__in=unread.values("pk")).count() == 1


def test_reading_never_moves_the_read_time_backwards(alice, staff):
    thread = services.start_by_commune(family=alice.family, staff=staff, subject="Info", topic=None, body="1")
    stale = Thread.objects.get(pk=thread.pk)  # a page loaded before the commune's second message
    services.reply_by_staff(thread.pk, staff=staff, body="2")
    assert services.mark_read(Thread.objects.get(pk=thread.pk), alice) is True
    assert services.mark_read(stale, alice) is False
    assert services.unread_count(alice.family_id, alice) == 0


def test_the_menus_count_is_on_the_password_page_too(alice, staff):
    services.start_by_commune(family=alice.family, staff=staff, subject="Info", topic=None, body="Bonjour")
    page = re.sub(r"<[^>]+>", "", text(browser(alice).get(reverse("accounts:password_change"))))
    assert "Messagerie" in page and "1 conversation non lue" in page


def test_another_household_never_sees_a_conversation_even_of_a_shared_child(alice, staff):
    family_b, login_b, _ = make_household("Autre", children=0)
    ChildLink.objects.create(family=family_b, child=alice.family.children.first())
    thread = services.start_by_family(family=alice.family, user=alice, subject="Garde", topic=None, body="Question")
    other = browser(login_b)
    assert "Garde" not in text(other.get(reverse("portal:inbox")))
    assert other.get(reverse("portal:thread", args=[thread.pk])).status_code == 404
    assert other.post(reverse("portal:thread", args=[thread.pk]), {"body": "intrus"}).status_code == 404
    assert not Message.objects.filter(body="intrus").exists()


def test_internal_notes_are_never_shown_to_the_family(alice, staff):
    thread = services.start_by_family(family=alice.family, user=alice, subject="Allergie", topic=None, body="Question")
    services.reply_by_staff(thread.pk, staff=staff, body="Vérifier avec la cuisine", internal=True)
    assert "Vérifier avec la cuisine" not in text(browser(alice).get(reverse("portal:thread", args=[thread.pk])))
    assert services.unread_count(alice.family_id, alice) == 0 and not mail.outbox


def test_a_closed_conversation_takes_no_reply(alice, staff):
    thread = services.start_by_family(family=alice.family, user=alice, subject="Question", topic=None, body="?")
    services.close(thread.pk)
    client = browser(alice)
    page = text(client.get(reverse("portal:thread", args=[thread.pk])))
    assert "Cette conversation est close" in page and "Envoyer la réponse" not in page
    response = client.post(reverse("portal:thread", args=[thread.pk]), {"body": "Encore une question"})
    assert "Cette conversation est close" in text(response)
    assert thread.messages.count() == 1


def _tax_request(login):
    form = TaxInfoForm(data={"year": "2025", "reference_income": "39999", "tax_shares": "2"},
                       instance=login.family.tax_info)
    assert form.is_valid(), form.errors
    return request_types.submit_form(user=login, family=login.family, category=categories.get("tax"), form=form,
                                     kind="fields")


def test_a_decision_appears_in_the_inbox_linked_to_the_request(alice, staff, django_capture_on_commit_callbacks):
    change = _tax_request(alice)
    with django_capture_on_commit_callbacks(execute=True):
        requests.reject(change.pk, staff=staff, reason="Joindre l'avis d'imposition")
    thread = Thread.objects.get(change_request=change)
    assert thread.origin == Thread.Origin.DECISION and thread.is_closed
    page = text(browser(alice).get(reverse("portal:thread", args=[thread.pk])))
    assert "Joindre l'avis d'imposition" in page and reverse("portal:request", args=[change.pk]) in page
    assert len(mail.outbox) == 1 and "refusée" in mail.outbox[0].subject


def test_a_login_that_turned_decisions_off_gets_no_e_mail_but_still_the_message(alice, staff,
                                                                               django_capture_on_commit_callbacks):
    client = browser(alice)
    page = text(client.get(reverse("portal:preferences")))
    assert "La décision sur l'une de mes demandes" in page and "toujours envoyés" in page
    client.post(reverse("portal:preferences"), {"message": "on"})  # decision unticked
    assert notifications.preferences(alice) == {"message": True, "decision": False, "place_offered": False,
                                                "invoice_issued": False, "reminder": True, "card_payment": False}
    change = _tax_request(alice)
    with django_capture_on_commit_callbacks(execute=True):
        requests.approve(change.pk, staff=staff)
    assert not mail.outbox
    assert Thread.objects.filter(change_request=change).exists()


def test_the_one_click_link_turns_a_kind_off_without_logging_in(alice, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_by_commune(family=alice.family, staff=staff, subject="Info", topic=None, body="Bonjour")
    link = next(line for line in mail.outbox[0].body.splitlines() if "/notifications/desabonnement/" in line)
    # The same link in the headers, for the mail client's own button (RFC 8058).
    assert mail.outbox[0].extra_headers == {"List-Unsubscribe": f"<{link.strip()}>",
                                            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    path = link.strip().removeprefix("http://127.0.0.1:8000")
    anonymous = Client(enforce_csrf_checks=True)
    page = text(anonymous.get(path))
    assert "Ne plus recevoir de courriel pour « Un message de la mairie »" in page
    assert notifications.preferences(alice)["message"] is True  # opening the link changes nothing
    assert anonymous.post(path).status_code == 200  # a mail client's one-click POST carries no CSRF token
    assert notifications.preferences(alice)["message"] is False
    assert anonymous.get(path[:-6] + "abcde/").status_code == 404
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.start_by_commune(family=alice.family, staff=staff, subject="Info 2", topic=None, body="Re")
    assert not mail.outbox


def test_account_e_mails_always_go_whatever_the_preferences(alice, django_capture_on_commit_callbacks):
    for kind in notifications.optional_kinds():
        notifications.set_preference(alice, kind.key, False)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("accounts:password_reset"), {"email": alice.email})
    assert len(mail.outbox) == 1
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers


@pytest.fixture
def school_world(alice, bob):
    """Alice has two children at Les Pins, Bob one at Le Moulin, a third household shares Alice's first child."""
    alice_children = list(alice.family.children.order_by("pk"))
    for child in alice_children:
        child.school, child.school_class = "École Les Pins", "CE1"
        child.save()
    bob_child = bob.family.children.first()
    bob_child.school = "École du Moulin"
    bob_child.save()
    shared_family, shared_login, _ = make_household("Partage", children=0)
    ChildLink.objects.create(family=shared_family, child=alice_children[0])
    archived, _, _ = make_household("Parti", children=0)
    ChildFactory(family=archived, school="École Les Pins")
    archived.archived_at = "2026-01-01T00:00:00Z"
    archived.save()
    return alice, bob, shared_family


def test_a_broadcast_to_a_school_reaches_each_household_once(school_world, staff,
                                                             django_capture_on_commit_callbacks):
    alice, bob, shared_family = school_world
    assert services.preview(Broadcast.Audience.SCHOOL, school="école les pins") == (2, 2)  # households, logins
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = services.create_broadcast(staff=staff, subject="Kermesse", body="Samedi à 10 h.", topic=None,
                                              audience=Broadcast.Audience.SCHOOL, school="École Les Pins")
    threads = Thread.objects.filter(broadcast=broadcast)
    assert sorted(threads.values_list("family_id", flat=True)) == sorted([alice.family_id, shared_family.pk])
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.SENT and broadcast.households_count == 2
    assert services.deliver_broadcast(broadcast.pk) == 0 and threads.count() == 2  # safe to run twice
    assert "Kermesse" in text(browser(alice).get(reverse("portal:inbox")))
    assert "Kermesse" not in text(browser(bob).get(reverse("portal:inbox")))


def test_a_resumed_broadcast_skips_the_households_already_reached(school_world, staff):
    alice, bob, shared_family = school_world
    broadcast = Broadcast.objects.create(subject="Grève", body="Pas de cantine jeudi.", audience="all",
                                         created_by=staff)
    services.deliver_broadcast(broadcast.pk)
    Broadcast.objects.filter(pk=broadcast.pk).update(state=Broadcast.State.SENDING)
    Thread.objects.filter(broadcast=broadcast, family=bob.family).delete()  # as if the worker died before Bob
    assert services.deliver_broadcast(broadcast.pk) == 1
    assert Thread.objects.filter(broadcast=broadcast).count() == 3


def test_the_demo_commune_has_conversations_in_use(db):
    from django.core.management import call_command

    from enfance.accounts.models import User
    from enfance.messaging.models import AnswerTemplate

    call_command("seed_demo", verbosity=0)
    martin = User.objects.get(username="famille.martin")
    states = set(Thread.objects.filter(family=martin.family).values_list("state", flat=True))
    assert {Thread.State.ANSWERED, Thread.State.NEW} <= states
    assert attachments.Attachment.objects.filter(owner_type="messaging.message").exists()
    benali = User.objects.get(username="famille.benali")
    assert services.unread_count(benali.family_id, benali) >= 1
    assert Broadcast.objects.filter(state=Broadcast.State.SENT, households_count__gte=2).exists()
    assert AnswerTemplate.objects.count() >= 3


def test_a_reopened_conversation_returns_to_where_it_was(alice, staff):
    thread = services.start_by_family(family=alice.family, user=alice, subject="Question", topic=None, body="?")
    services.reply_by_staff(thread.pk, staff=staff, body="Réponse")
    services.close(thread.pk)
    assert services.reopen(thread.pk).state == Thread.State.ANSWERED  # the commune wrote last
    services.reply_by_family(thread.pk, family=alice.family, user=alice, body="Merci, encore une chose")
    services.close(thread.pk)
    assert services.reopen(thread.pk).state == Thread.State.WAITING


def test_the_broadcast_form_has_no_blank_audience(staff):
    from enfance.messaging.forms import BroadcastForm

    form = BroadcastForm()
    assert [value for value, _label in form.fields["audience"].choices] == ["all", "school", "class", "activity"]


def test_a_reply_to_a_conversation_closed_meanwhile_is_shown_back_to_copy(alice, staff):
    thread = services.start_by_family(family=alice.family, user=alice, subject="Question", topic=None, body="?")
    client = browser(alice)
    services.close(thread.pk)  # while the family was typing
    page = text(client.post(reverse("portal:thread", args=[thread.pk]), {"body": "MON TEXTE LONG"}))
    assert "Cette conversation est close" in page and "MON TEXTE LONG" in page
    assert thread.messages.count() == 1


def test_a_failing_decision_notice_leaves_the_decision_standing(alice, staff, monkeypatch):
    def broken(request):
        raise RuntimeError("template error")

    monkeypatch.setattr(services, "_decision_notice", broken)
    change = _tax_request(alice)
    requests.approve(change.pk, staff=staff)
    change.refresh_from_db()
    assert change.status == "approved"


def test_staff_cannot_answer_a_decision_notice(alice, staff):
    change = _tax_request(alice)
    requests.reject(change.pk, staff=staff, reason="Non")
    notice = Thread.objects.get(change_request=change)
    with pytest.raises(services.MessagingError):
        services.reply_by_staff(notice.pk, staff=staff, body="Re")


def test_a_subject_keeps_to_one_line(alice):
    new_thread(browser(alice), subject="Ligne1\r\nFAUX CORPS")
    assert Thread.objects.get().subject == "Ligne1 FAUX CORPS"


def test_reading_marks_up_to_the_message_shown_never_later(alice, staff):
    import datetime

    thread = services.start_by_commune(family=alice.family, staff=staff, subject="Info", topic=None, body="Bonjour")
    shown = Thread.objects.get(pk=thread.pk)
    later = shown.last_commune_message_at + datetime.timedelta(seconds=5)
    Thread.objects.filter(pk=thread.pk).update(last_commune_message_at=later)  # a reply committed meanwhile
    services.mark_read(shown, alice)
    assert services.unread_count(alice.family_id, alice) == 1


def test_a_message_not_sent_says_its_files_must_be_chosen_again_and_takes_the_family_to_the_errors(alice):
    client = browser(alice)
    response = new_thread(client, body="", files=[SimpleUploadedFile("a.pdf", MINIMAL_PDF, "application/pdf")])
    page = text(response)
    assert "choisissez-les de nouveau" in page and not Thread.objects.exists()
    assert 'id="erreurs"' in page and f'action="{reverse("portal:thread_new")}#erreurs"' in page
    # Without a file chosen, nothing to say about files.
    assert "choisissez-les de nouveau" not in text(new_thread(client, body=""))


def test_the_family_reads_where_its_conversations_stand_in_its_own_words(alice, staff):
    asked = services.start_by_family(family=alice.family, user=alice, subject="Q", topic=None, body="?")
    answered = services.start_by_family(family=alice.family, user=alice, subject="R", topic=None, body="?")
    services.reply_by_staff(answered.pk, staff=staff, body="Oui")
    told = services.start_by_commune(family=alice.family, staff=staff, subject="Info", topic=None, body="1")
    services.close(told.pk)
    client = browser(alice)
    inbox = text(client.get(reverse("portal:inbox")))
    assert "Votre message" in inbox and "Message de la mairie" in inbox and "terminée" in inbox
    assert "La famille" not in inbox and ">close<" not in inbox
    assert "En attente de la réponse de la mairie" in text(client.get(reverse("portal:thread", args=[asked.pk])))
    assert "La mairie a répondu" in text(client.get(reverse("portal:thread", args=[answered.pk])))
    told_page = text(client.get(reverse("portal:thread", args=[told.pk])))
    assert "Conversation terminée" in told_page and "Répondue" not in told_page
