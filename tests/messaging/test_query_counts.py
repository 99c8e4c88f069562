"""The inbox and a conversation cost a fixed number of queries, however many threads or messages."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enfance.core.attachments import PDF, CleanFile
from enfance.messaging import services
from tests.helpers import session_queries
from tests.url_table import MINIMAL_PDF


def queries(client, url):
    client.get(url)  # the first visit fills per-login caches (the service rules' status)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_inbox_costs_the_same_for_2_or_20_conversations(alice, staff):
    client = Client()
    client.force_login(alice)
    for i in range(2):
        services.start_by_commune(family=alice.family, staff=staff, subject=f"Info {i}", topic=None, body="Bonjour")
    few = queries(client, reverse("portal:inbox"))
    for i in range(18):
        services.start_by_commune(family=alice.family, staff=staff, subject=f"Autre {i}", topic=None, body="Bonjour")
    # the session, the login with the unread count, the threads: their count, the page
    assert queries(client, reverse("portal:inbox")) == few == 3 + session_queries()


def test_a_conversation_of_20_messages_costs_the_same_as_one_of_2(alice, staff):
    client = Client()
    client.force_login(alice)
    thread = services.start_by_family(family=alice.family, user=alice, subject="Question", topic=None, body="?",
                                      uploads=[CleanFile(MINIMAL_PDF, PDF, "a.pdf")])
    services.reply_by_staff(thread.pk, staff=staff, body="Réponse")
    url = reverse("portal:thread", args=[thread.pk])
    few = queries(client, url)
    for i in range(9):
        services.reply_by_family(thread.pk, family=alice.family, user=alice, body=f"Encore {i}",
                                 uploads=[CleanFile(MINIMAL_PDF, PDF, f"{i}.pdf")])
        services.reply_by_staff(thread.pk, staff=staff, body=f"Réponse {i}")
    assert thread.messages.count() == 20
    # the session, the login with the count, the conversation, its read state, messages, their attachments
    assert queries(client, url) == few == 5 + session_queries()
