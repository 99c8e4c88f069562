"""Staff search ignores accents and case on both databases, and finds a household by phone, e-mail and town."""

import pytest
from django.urls import reverse

from enfance.backoffice import queries
from enfance.families.models import Family, Guardian
from tests.factories import ChildFactory, make_household

SEARCH = reverse("backoffice:families")


def refs(response):
    return [f.reference for f in response.context["page"].object_list]


@pytest.fixture
def elodie(db):
    family, _login, _kids = make_household("Lefèvre", children=0)
    Guardian.objects.filter(family=family, rank=1).update(first_name="Élodie", mobile_phone="06 11 22 33 44",
                                                          email="elodie.lefevre@exemple.fr")
    Family.objects.filter(pk=family.pk).update(city="Fayence", home_phone="04.94.76.00.11")
    Guardian.objects.filter(family=family, rank=2).update(work_phone="04-94-39-12-34")
    return family


@pytest.fixture
def plain_elodie(db):
    family, _login, _kids = make_household("Durand", children=0)
    Guardian.objects.filter(family=family, rank=1).update(first_name="Elodie", mobile_phone="07 00 00 00 01")
    return family


@pytest.mark.parametrize("term", ["elodie", "ELODIE", "Élodie", "élodie", "ÉLODIE", "lodi"])
def test_accents_and_case_do_not_matter_either_way(staff_client, elodie, plain_elodie, term):
    assert refs(staff_client.get(SEARCH, {"q": term})) == sorted([elodie.reference, plain_elodie.reference])


def test_an_unaccented_name_is_found_by_its_accented_spelling(staff_client, elodie):
    assert refs(staff_client.get(SEARCH, {"q": "lefevre"})) == [elodie.reference]
    assert refs(staff_client.get(SEARCH, {"q": "LEFÈVRE"})) == [elodie.reference]


def test_children_names_ignore_accents(staff_client, alice, bob):
    ChildFactory(first_name="Inès", last_name="Bob", family=bob.family)
    assert refs(staff_client.get(SEARCH, {"q": "ines"})) == [bob.family.reference]
    assert refs(staff_client.get(SEARCH, {"q": "INÈS"})) == [bob.family.reference]


@pytest.mark.parametrize("typed", ["0611223344", "06 11 22 33 44", "06.11.22.33.44", "06-11-22-33-44", "22 33 44"])
def test_a_guardian_mobile_is_found_however_it_is_typed(staff_client, elodie, plain_elodie, typed):
    assert refs(staff_client.get(SEARCH, {"q": typed})) == [elodie.reference]


def test_home_phone_and_work_phone_are_searched(staff_client, elodie, plain_elodie):
    assert refs(staff_client.get(SEARCH, {"q": "0494760011"})) == [elodie.reference]
    assert refs(staff_client.get(SEARCH, {"q": "04 94 39 12 34"})) == [elodie.reference]


def test_a_phone_and_a_name_combine(staff_client, elodie, plain_elodie):
    assert refs(staff_client.get(SEARCH, {"q": "elodie 06 11 22 33 44"})) == [elodie.reference]
    assert refs(staff_client.get(SEARCH, {"q": "durand 06 11 22 33 44"})) == []


def test_email_and_town_are_searched(staff_client, elodie, plain_elodie):
    assert refs(staff_client.get(SEARCH, {"q": "elodie.lefevre@exemple"})) == [elodie.reference]
    assert refs(staff_client.get(SEARCH, {"q": "FAYENCE"})) == [elodie.reference]
    assert refs(staff_client.get(SEARCH, {"q": "fayence durand"})) == []


def test_like_wildcards_typed_by_staff_are_literal(staff_client, elodie, plain_elodie):
    assert refs(staff_client.get(SEARCH, {"q": "%"})) == []
    assert refs(staff_client.get(SEARCH, {"q": "_"})) == []


def test_child_search_for_shared_custody_ignores_accents(db, elodie):
    ChildFactory(first_name="Léa", last_name="Gérard", family=elodie)
    assert [c.first_name for c in queries.search_children("lea gerard")] == ["Léa"]
    assert [c.first_name for c in queries.search_children("LÉA")] == ["Léa"]


def test_phone_groups_are_one_search_word():
    assert queries.search_terms("martin 06 12 34 56 78") == ["martin", "0612345678"]
    assert queries.search_terms("06.12.34.56.78") == ["0612345678"]
    assert queries.search_terms("F00012 léa") == ["F00012", "léa"]
