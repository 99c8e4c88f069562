"""E-mails as people receive them: staff's own words verbatim, an HTML part, the reset e-mail naming the account."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from enfance.changes import services as change_services
from enfance.changes.models import ChangeRequest
from enfance.core.models import OutgoingEmail
from tests.changes.test_requests import edit_url, guardian_data

pytestmark = pytest.mark.django_db


def html_part(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_a_refusal_gives_the_staff_words_verbatim_and_escaped_in_html(alice_client, alice, staff,
                                                                      django_capture_on_commit_callbacks):
    guardian = alice.family.guardians.get(rank=1)
    alice_client.post(edit_url("responsable"), guardian_data(guardian, mobile_phone="0699887766"))
    change = ChangeRequest.objects.get()
    reason = "Numéro d'un autre foyer & non joignable <vérifié le 2/03>"
    with django_capture_on_commit_callbacks(execute=True):
        change_services.reject(change.pk, staff=staff, reason=reason)
    [message] = mail.outbox
    assert reason in message.body and "&#x27;" not in message.body
    assert "Numéro d&#x27;un autre foyer &amp; non joignable &lt;vérifié le 2/03&gt;" in html_part(message)
    row = OutgoingEmail.objects.get()
    assert row.state == OutgoingEmail.State.SENT and row.reference == f"Demande n° {change.pk}"
    assert row.to == alice.email and message.to == [alice.email]


def test_the_reset_email_names_the_account_and_goes_through_the_outbox(client, alice,
                                                                       django_capture_on_commit_callbacks):
    guardian = alice.guardian
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": alice.email})
    assert response.status_code == 302
    [message] = mail.outbox
    assert "()" not in message.body
    assert f"identifiant {alice.username}" in message.body
    assert f"Bonjour {guardian.first_name} {guardian.last_name}," in message.body
    assert f"<strong>{alice.username}</strong>" in html_part(message)
    assert message.subject == "Nouveau mot de passe pour le Portail Famille"
    link = re.search(r"https?://\S+/reinitialisation/\S+/", message.body).group(0)
    assert link.startswith("http://127.0.0.1:8000/")  # the configured site, not the request's Host header
    row = OutgoingEmail.objects.get()
    assert row.state == OutgoingEmail.State.SENT and row.reference == f"Mot de passe oublié ({alice.username})"


def test_a_reset_asked_while_the_mail_server_is_down_is_kept(client, alice, settings,
                                                             django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.core.test_outbox.DownBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": alice.email})
    assert response.status_code == 302  # the family is not shown a server error
    row = OutgoingEmail.objects.get()
    assert row.state == OutgoingEmail.State.PENDING and row.attempts == 1 and "SMTP" in row.last_error
    assert alice.username in row.text_body
