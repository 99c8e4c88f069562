"""Which identifier signs in: the username in any case, or the login's e-mail address; closed logins."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse

from enfance.accounts import services
from enfance.accounts.models import User
from tests.factories import PASSWORD, FamilyFactory, GuardianFactory, UserFactory

INCORRECT = "Identifiant ou mot de passe incorrect"


def login(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def logged_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_the_username_is_case_insensitive(client, alice):
    assert login(client, "  Famille.ALICE ").status_code == 302
    assert logged_in_as(client) == str(alice.pk)


@pytest.mark.django_db
def test_a_guardian_logs_in_with_the_email_address_of_their_login(client, alice):
    assert login(client, alice.email.upper()).status_code == 302
    assert logged_in_as(client) == str(alice.pk)


@pytest.mark.django_db
def test_the_login_page_says_the_email_address_is_accepted(client):
    assert "adresse électronique de votre compte" in client.get(reverse("accounts:login")).content.decode()


@pytest.mark.django_db
def test_an_address_shared_by_two_open_logins_signs_in_neither(client, alice):
    UserFactory(username="famille.alice2", family=alice.family, email=alice.email.upper())
    body = login(client, alice.email).content.decode()
    assert INCORRECT in body
    assert logged_in_as(client) is None


@pytest.mark.django_db
def test_an_address_shared_with_a_closed_login_signs_in_the_open_one(client, alice, staff):
    old = UserFactory(username="famille.alice.ancien", family=alice.family, email=alice.email)
    services.close_login(old, actor=staff)
    assert login(client, alice.email).status_code == 302
    assert logged_in_as(client) == str(alice.pk)


@pytest.mark.django_db
def test_a_wrong_password_by_email_address_gets_the_usual_message(client, alice):
    body = login(client, alice.email, "mauvais-mot-2026").content.decode()
    assert INCORRECT in body and logged_in_as(client) is None


def test_axes_counts_the_identifier_in_lower_case():
    from enfance.accounts.backends import axes_username

    request = RequestFactory().post("/connexion/", {"username": " Famille.Alice "})
    assert axes_username(request) == "famille.alice"
    assert axes_username(request, {"username": "ALICE@Example.org"}) == "alice@example.org"


@pytest.mark.django_db
def test_a_suggested_username_never_differs_from_another_by_case_only():
    family = FamilyFactory()
    guardian = GuardianFactory(family=family, last_name="Martin")
    UserFactory(username="Famille.Martin", family=family)
    assert services.suggest_username(family, guardian) == "famille.martin2"


@pytest.mark.django_db
def test_a_closed_login_with_its_right_password_is_told_it_is_closed(client, alice, staff):
    services.close_login(alice, actor=staff)
    body = login(client, alice.username).content.decode()
    assert "Ce compte est fermé" in body and INCORRECT not in body
    assert logged_in_as(client) is None


@pytest.mark.django_db
def test_a_closed_login_with_a_wrong_password_is_not_told_it_exists(client, alice, staff):
    services.close_login(alice, actor=staff)
    body = login(client, alice.username, "mauvais-mot-2026").content.decode()
    assert INCORRECT in body and "fermé" not in body


@pytest.mark.django_db
def test_a_closed_login_never_holds_a_session(client, alice, staff):
    from enfance.accounts.backends import LoginBackend

    client.force_login(alice)
    assert client.get(reverse("portal:home")).status_code == 200
    services.close_login(alice, actor=staff)
    assert client.get(reverse("portal:home")).status_code == 302
    assert LoginBackend().get_user(alice.pk) is None


@pytest.mark.django_db
def test_authenticate_hands_a_closed_login_only_to_its_right_password(alice, staff):
    services.close_login(alice, actor=staff)
    request = RequestFactory().post("/connexion/")
    assert authenticate(request, username=alice.username, password="mauvais-mot-2026") is None
    user = authenticate(request, username=alice.username, password=PASSWORD)
    assert user == alice and not user.is_active  # for the form to refuse with its own message


@pytest.mark.django_db
def test_the_missing_dossier_message_still_shows(client):
    family = FamilyFactory(dossier_received_on=None)
    user = UserFactory(family=family, username="famille.attente")
    body = login(client, "FAMILLE.attente").content.decode()
    assert "dossier papier signé" in body
    assert logged_in_as(client) is None
    assert User.objects.get(pk=user.pk).is_active
