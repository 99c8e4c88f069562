"""The town hall's contact details come from the settings and show in the footer and on "contactez la mairie" pages."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from enfance.core.context_processors import phone_uri
from tests.helpers import text


@pytest.fixture
def contact(settings):
    settings.COMMUNE_ADDRESS = "12 avenue des Tilleuls, 83440 Tourrettes"
    settings.COMMUNE_PHONE = "04 94 11 22 33"
    settings.COMMUNE_EMAIL = "accueil@tourrettes.example"
    settings.COMMUNE_HOURS = "le mardi de 9 h à 12 h"


def assert_contact(body):
    assert "12 avenue des Tilleuls, 83440 Tourrettes" in body
    assert '<a href="tel:+33494112233">04 94 11 22 33</a>' in body
    assert '<a href="mailto:accueil@tourrettes.example">accueil@tourrettes.example</a>' in body
    assert "Accueil le mardi de 9 h à 12 h" in body


def test_the_portal_footer_gives_the_town_halls_contact(contact, alice_client):
    assert_contact(text(alice_client.get(reverse("portal:home"))))


def test_the_login_and_accessibility_pages_give_it_too(contact, client):
    assert_contact(text(client.get(reverse("accounts:login"))))
    body = text(client.get(reverse("public:accessibility")))
    assert "contactez la mairie" in body
    assert body.count('href="tel:+33494112233"') == 2  # in the text and in the footer


def test_the_error_page_gives_it_without_a_request_context(contact):
    body = text(server_error(RequestFactory().get("/")))
    assert "contactez la mairie" in body
    assert_contact(body)


def test_the_demo_commune_has_believable_defaults():
    from django.conf import settings

    assert "83440 Tourrettes" in settings.COMMUNE_ADDRESS
    assert settings.COMMUNE_PHONE.startswith("04 ") and "@" in settings.COMMUNE_EMAIL and settings.COMMUNE_HOURS


@pytest.mark.parametrize("typed, uri", [("04 94 11 22 33", "+33494112233"), ("04.94.11.22.33", "+33494112233"),
                                        ("+33 4 94 11 22 33", "+33494112233"), ("0033 4 94 11 22 33", "+33494112233")])
def test_tel_links_are_international(typed, uri):
    assert phone_uri(typed) == uri
