"""The lockout: lifted by a new password, explained on its page, never dodged by changing case."""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from enfance.core.mail import deliver
from enfance.core.models import OutgoingEmail
from tests.factories import PASSWORD

WRONG = "mauvais-mot-2026"
NEW_PASSWORD = "Reinitialise-2026"


def login(client, username, password, address="127.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password},
                       REMOTE_ADDR=address)


def lock(client, username, address="127.0.0.1"):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, username, WRONG, address)


def reset_password(client, email, address="127.0.0.1"):
    client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=address)
    for email in OutgoingEmail.objects.filter(state=OutgoingEmail.State.PENDING):
        deliver(email.pk)  # what the e-mail task does once the request's transaction commits
    link = re.search(r"https?://[^\s]+(/reinitialisation/[^\s]+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True, REMOTE_ADDR=address)
    response = client.post(form_page.redirect_chain[-1][0],
                           {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, REMOTE_ADDR=address)
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_password_reset_lifts_the_lockout_of_that_login(client, alice):
    lock(client, alice.username)
    assert login(client, alice.username, PASSWORD).status_code == 429
    reset_password(client, alice.email)
    response = login(client, alice.username, NEW_PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


@pytest.mark.django_db
def test_a_reset_made_on_another_device_lifts_the_lockout_everywhere(client, alice):
    """Locked on the phone's address, reset from the computer: the phone may log in again."""
    lock(client, alice.username, address="10.0.0.7")
    lock(client, alice.email, address="10.0.0.7")
    reset_password(client, alice.email, address="192.0.2.44")
    assert login(client, alice.username, NEW_PASSWORD, address="10.0.0.7").status_code == 302
    client.post(reverse("accounts:logout"))
    assert login(client, alice.email, NEW_PASSWORD, address="10.0.0.7").status_code == 302


@pytest.mark.django_db
def test_a_reset_lifts_only_the_lockout_of_its_own_login(client, alice, bob):
    lock(client, alice.username)
    lock(client, bob.username)
    reset_password(client, alice.email)
    assert login(client, bob.username, PASSWORD).status_code == 429


@pytest.mark.django_db
def test_changing_case_gives_no_more_tries(client, alice):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, alice.username.upper() if i % 2 else alice.username.capitalize(), WRONG)
    assert login(client, alice.username, PASSWORD).status_code == 429


@pytest.mark.django_db
def test_lockout_page_says_how_long_to_wait_and_where_to_go(client, alice, settings):
    settings.AXES_COOLOFF_TIME = 0.5
    lock(client, alice.username)
    response = login(client, alice.username, PASSWORD)
    body = response.content.decode()
    assert response.status_code == 429
    assert "bloquée pendant 30 minutes" in body
    assert f'href="{reverse("accounts:password_reset")}"' in body
    assert f'href="{reverse("accounts:username_reminder")}"' in body
    assert f'href="{reverse("accounts:login")}"' in body


@pytest.mark.parametrize("minutes, text", [
    (15, "15 minutes"), (1, "1 minute"), (60, "1 heure"), (90, "1 heure et 30 minutes"),
    (150, "2 heures et 30 minutes"), (24 * 60 + 1, "1 jour et 1 minute"),
])
def test_durations_are_spelt_in_french(minutes, text):
    from enfance.accounts.templatetags.accounts_format import french_duration

    assert french_duration(datetime.timedelta(minutes=minutes)) == text
