"""The frame every portal page pays: the login loaded from the session in one precompiled statement, and the menu
rendered in Python. Both must give exactly what the ORM and the old template gave."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import Context, Engine, engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enfance.accounts.backends import LoginBackend, session_user
from enfance.accounts.models import User
from enfance.messaging import services
from tests.factories import UserFactory

# portal/_nav.html as it was before portal_frame.portal_nav: the tag must render the same bytes.
OLD_NAV = """{% load i18n enfance %}<nav class="nav" aria-label="{% translate 'Menu du Portail Famille' %}">
  <ul>
    <li><a href="{% fixed_url 'portal:home' %}"{% if section == "home" %} aria-current="page"{% endif %}>{% translate "Accueil" %}</a></li>
    <li><a href="{% fixed_url 'portal:calendar' %}"{% if section == "calendar" %} aria-current="page"{% endif %}>{% translate "Réservations" %}</a></li>
    <li><a href="{% fixed_url 'portal:registrations' %}"{% if section == "registrations" %} aria-current="page"{% endif %}>{% translate "Inscriptions" %}</a></li>
    <li><a href="{% fixed_url 'portal:invoices' %}"{% if section == "billing" %} aria-current="page"{% endif %}>{% translate "Mes factures" %}</a></li>
    <li><a href="{% fixed_url 'portal:information' %}"{% if section == "information" %} aria-current="page"{% endif %}>{% translate "Mes informations" %}</a></li>
    <li><a href="{% fixed_url 'portal:requests' %}"{% if section == "requests" %} aria-current="page"{% endif %}>{% translate "Mes demandes" %}</a></li>
    <li><a href="{% fixed_url 'portal:inbox' %}"{% if section == "inbox" %} aria-current="page"{% endif %}>{% translate "Messagerie" %}{% with n=inbox_unread %}{% if n %} <span class="count">{{ n }}<span class="visually-hidden"> {% blocktranslate count counter=n %}conversation non lue{% plural %}conversations non lues{% endblocktranslate %}</span></span>{% endif %}{% endwith %}</a></li>
    <li><a href="{% fixed_url 'portal:preferences' %}"{% if section == "preferences" %} aria-current="page"{% endif %}>{% translate "Mes préférences" %}</a></li>
    <li><a href="{% fixed_url 'accounts:password_change' %}"{% if section == "account" %} aria-current="page"{% endif %}>{% translate "Mot de passe" %}</a></li>
  </ul>
</nav>
"""  # noqa: E501

SECTIONS = [None, "", "home", "calendar", "registrations", "billing", "information", "requests", "inbox",
            "preferences", "account", "other"]


def _engine():
    return engines["django"].engine


@pytest.mark.parametrize("unread", [None, 0, 1, 2, 12, 1500, lambda: 3, lambda: 0])
@pytest.mark.parametrize("section", SECTIONS)
def test_the_menu_is_the_old_template_to_the_byte(section, unread):
    old = _engine().from_string(OLD_NAV)
    new = _engine().get_template("portal/_nav.html")
    values = {} if section is None else {"section": section}
    if unread is not None:
        values["inbox_unread"] = unread
    assert new.render(Context(values)) == old.render(Context(values))


def test_the_portal_base_still_ends_its_menu_with_a_new_line():
    page = engines["django"].from_string('{% extends "portal/base.html" %}')
    request = RequestFactory().get("/portail/")
    request.user = AnonymousUser()
    html = page.render({"section": "home", "inbox_unread": 2}, request=request)
    assert '<a href="/portail/" aria-current="page">Accueil</a>' in html
    assert 'Messagerie <span class="count">2<span class="visually-hidden"> conversations non lues</span></span>' in html
    assert "</nav>\n" in html


def test_the_menu_escapes_what_the_template_escaped():
    # Translations are not escaped ({% translate %} does not), URLs are (simple_tag escapes): same as before.
    engine = Engine(libraries={"portal_frame": "enfance.portal.templatetags.portal_frame"})
    html = engine.from_string("{% load portal_frame %}{% portal_nav %}").render(Context({"section": "<b>"}))
    assert "<b>" not in html and html.count('aria-current="page"') == 0


def _same(a, b):
    """Two User instances as alike as the ORM makes them: every field, the cached household and its fields."""
    fields = {k: v for k, v in a.__dict__.items() if k not in ("_state", "session_unread")}
    assert fields == {k: v for k, v in b.__dict__.items() if k not in ("_state", "session_unread")}
    assert a._state.db == b._state.db and a._state.adding is b._state.adding is False
    assert set(a._state.fields_cache) == set(b._state.fields_cache) == {"family"}
    if a.family is None:
        assert b.family is None
    else:
        assert {k: v for k, v in a.family.__dict__.items() if k != "_state"} == \
               {k: v for k, v in b.family.__dict__.items() if k != "_state"}
        assert b.family._state.db == a.family._state.db and b.family._state.adding is False


@pytest.mark.django_db
def test_the_session_login_is_what_the_orm_loads(alice, staff):
    for login in (alice, staff):
        expected = User.objects.for_session().filter(pk=login.pk).first()
        with CaptureQueriesContext(connection) as queries:
            loaded = session_user(login.pk)
            loaded.family  # noqa: B018  (loaded with the login: no query)
        assert len(queries) == 1
        _same(expected, loaded)
        assert loaded.session_unread == (services.unread_count(login.family_id, login) if login.family_id else 0)
    services.start_by_commune(family=alice.family, staff=staff, subject="Info", topic=None, body="Bonjour")
    assert session_user(alice.pk).session_unread == 1  # the menu's count, read with the login
    assert session_user(10**9) is None
    assert session_user(str(alice.pk)).pk == alice.pk  # as the session stores it, or as a number


@pytest.mark.django_db
def test_a_closed_login_has_no_session(alice):
    closed = UserFactory(username="ferme", role="agent", is_active=False)
    assert LoginBackend().get_user(closed.pk) is None
    assert LoginBackend().get_user(alice.pk).family == alice.family


@pytest.mark.django_db
def test_the_menu_count_follows_messages_and_reads(alice, staff, client):
    client.force_login(alice)
    url = reverse("portal:requests")
    assert 'class="count"' not in client.get(url).content.decode()
    thread = services.start_by_commune(family=alice.family, staff=staff, subject="Info", topic=None, body="Bonjour")
    assert '<span class="count">1<' in client.get(url).content.decode()
    client.get(reverse("portal:thread", args=[thread.pk]))  # read
    assert 'class="count"' not in client.get(url).content.decode()


def test_a_field_of_radio_buttons_is_a_group_named_by_its_legend():
    # A <label for="id_means"> named an id no input has: screen readers read the choices without their question.
    from django import forms

    from enfance.core.templatetags.enfance import field_row

    class Choice(forms.Form):
        means = forms.ChoiceField(label="Moyen de paiement", choices=[("cheque", "Chèque"), ("cash", "Espèces")],
                                  widget=forms.RadioSelect, help_text="Un seul moyen.")
        days = forms.MultipleChoiceField(label="Jours", choices=[("1", "Lundi")], required=False,
                                         widget=forms.CheckboxSelectMultiple)

    form = Choice(data={})
    html = field_row(form["means"])
    assert html.startswith('<fieldset class="field field-choices field-error">')
    assert "<legend>Moyen de paiement" in html and '<label for="id_means">' not in html
    assert 'aria-describedby="id_means_helptext id_means_error"' in html and 'id="id_means_error"' in html
    assert '<label for="id_means_0"><input' in html
    assert field_row(form["days"]).startswith('<fieldset class="field field-choices">')
