"""« Identifiant oublié ? »: the usernames of an address, sent to it, without telling who is known."""

import pytest
from django.core import mail
from django.urls import reverse, reverse_lazy

from enfance.accounts import services
from tests.factories import UserFactory

URL = reverse_lazy("accounts:username_reminder")
REMINDERS_PER_HOUR = 5  # enfance.accounts.views.REMINDERS_PER_HOUR, checked below


def ask(client, email, address="127.0.0.1", **extra):
    return client.post(URL, {"email": email}, REMOTE_ADDR=address, **extra)


@pytest.mark.django_db
def test_the_login_page_links_to_the_username_reminder(client):
    assert f'href="{URL}"' in client.get(reverse("accounts:login")).content.decode()


@pytest.mark.django_db
def test_a_household_with_two_logins_gets_both_and_not_a_closed_one(client, alice, staff,
                                                                      django_capture_on_commit_callbacks):
    UserFactory(username="famille.alice.marc", family=alice.family, email=alice.email)
    closed = UserFactory(username="famille.alice.ancien", family=alice.family, email=alice.email)
    services.close_login(closed, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, alice.email.upper())
    assert response.status_code == 302 and response.url == reverse("accounts:username_reminder_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email]
    assert "identifiants" in message.subject
    assert "- famille.alice\n" in message.body and "- famille.alice.marc\n" in message.body
    assert "famille.alice.ancien" not in message.body
    assert reverse("accounts:login") in message.body


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(client, alice.email)
        unknown = ask(client, "personne@example.org")
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert client.get(known.url).status_code == 200


@pytest.mark.django_db
def test_an_invalid_address_is_kept_with_a_french_message(client):
    body = ask(client, "alice.example.org").content.decode()
    assert "Saisissez une adresse électronique valide" in body
    assert 'value="alice.example.org"' in body


@pytest.mark.django_db
def test_reminders_are_limited_per_client_address_counting_only_valid_requests(
        client, alice, django_capture_on_commit_callbacks):
    from enfance.accounts import views

    assert views.REMINDERS_PER_HOUR == REMINDERS_PER_HOUR
    for _ in range(REMINDERS_PER_HOUR + 3):
        assert ask(client, "pas-une-adresse").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(REMINDERS_PER_HOUR):
            assert ask(client, alice.email).status_code == 302
        refused = ask(client, alice.email)
        elsewhere = ask(client, alice.email, address="192.0.2.9")
    assert len(mail.outbox) == REMINDERS_PER_HOUR + 1
    body = refused.content.decode()
    assert refused.status_code == 429
    assert "réessayez dans 60 minutes" in body and f'value="{alice.email}"' in body
    assert elsewhere.status_code == 302
