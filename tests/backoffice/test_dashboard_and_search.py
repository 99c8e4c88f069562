from django.urls import reverse
from django.utils import timezone

from enfance.families.models import Family
from tests.factories import ChildFactory, make_household

from .conftest import count_queries

SEARCH = reverse("backoffice:families")


def refs(response):
    return [f.reference for f in response.context["page"].object_list]


def test_dashboard_shows_counts_search_box_and_recent_changes(staff_client, alice, bob, staff):
    Family.objects.filter(pk=bob.family_id).update(archived_at=timezone.now())
    staff_client.post(reverse("backoffice:family_edit", args=[alice.family_id, "adresse"]), {
        "reference": alice.family.reference, "address_line1": "9 place de la Mairie", "postal_code": "83440",
        "city": "Tourrettes", "dossier_received_on": "2026-01-05",
    })
    response = staff_client.get(reverse("backoffice:home"))
    assert response.status_code == 200
    assert response.context["counts"] == {"active": 1, "archived": 1}
    assert response.context["children_count"] == 2
    body = response.content.decode()
    assert 'name="q"' in body and f'action="{SEARCH}"' in body
    assert "Modification" in body and f'href="/gestion/familles/{alice.family_id}/"' in body
    assert "9 place de la Mairie" not in body  # values are on the household page, not here
    assert 'aria-current="page">Tableau de bord' in body


def test_search_by_guardian_family_name_is_case_insensitive(staff_client, alice, bob):
    assert refs(staff_client.get(SEARCH, {"q": "aLiCe"})) == [alice.family.reference]


def test_search_by_second_guardian_and_birth_name(staff_client, alice, bob):
    bob.family.guardians.filter(rank=2).update(last_name="Durand", birth_name="Lefebvre")
    assert refs(staff_client.get(SEARCH, {"q": "durand"})) == [bob.family.reference]
    assert refs(staff_client.get(SEARCH, {"q": "LEFEBVRE"})) == [bob.family.reference]


def test_search_by_child_first_name_and_last_name(staff_client, alice, bob):
    ChildFactory(first_name="Zoé", last_name="Vidal", family=bob.family)
    assert refs(staff_client.get(SEARCH, {"q": "vidal"})) == [bob.family.reference]
    ChildFactory(first_name="Capucine", last_name="Bob", family=alice.family)
    assert refs(staff_client.get(SEARCH, {"q": "capucine"})) == [alice.family.reference]


def test_search_words_may_match_different_things(staff_client, alice, bob):
    ChildFactory(first_name="Capucine", last_name="Bob", family=alice.family)
    assert refs(staff_client.get(SEARCH, {"q": "capucine alice"})) == [alice.family.reference]
    assert refs(staff_client.get(SEARCH, {"q": "capucine inconnu"})) == []


def test_search_by_reference_number(staff_client, alice, bob):
    Family.objects.filter(pk=bob.family_id).update(reference="F00042")
    assert refs(staff_client.get(SEARCH, {"q": "f00042"})) == ["F00042"]


def test_a_household_matching_twice_is_listed_once(staff_client, alice):
    body = staff_client.get(SEARCH, {"q": "alice"})
    assert refs(body) == [alice.family.reference]  # guardian 1, guardian 2 and both children match


def test_search_lists_reference_guardians_children_and_city(staff_client, alice):
    body = staff_client.get(SEARCH, {"q": "alice"}).content.decode()
    assert alice.family.reference in body
    assert "Claire Alice" in body and "Marc Alice" in body
    assert "Enfant1 Alice" in body and "Enfant2 Alice" in body
    assert "Tourrettes" in body


def test_archived_households_are_left_out_unless_asked(staff_client, alice, bob):
    Family.objects.filter(pk=bob.family_id).update(archived_at=timezone.now())
    assert refs(staff_client.get(SEARCH, {"q": "bob"})) == []
    response = staff_client.get(SEARCH, {"q": "bob", "archived": "on"})
    assert refs(response) == [bob.family.reference]
    assert "archivé" in response.content.decode()


def test_search_is_paginated_by_fifty(staff_client, db):
    for i in range(55):
        make_household(f"Page{i:02d}", children=0, complete=False)
    first = staff_client.get(SEARCH)
    assert len(first.context["page"].object_list) == 50
    second = staff_client.get(SEARCH, {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 sur 2" in second.content.decode()


def test_search_query_count_does_not_grow_with_households(staff_client, db):
    make_household("Seul", children=2)
    one = count_queries(lambda: staff_client.get(SEARCH))
    for i in range(29):
        make_household(f"Autre{i:02d}", children=2)
    assert Family.objects.count() == 30
    thirty = count_queries(lambda: staff_client.get(SEARCH))
    assert one == thirty
    with_query = count_queries(lambda: staff_client.get(SEARCH, {"q": "autre enfant1"}))
    assert with_query == thirty


def test_dashboard_recent_changes_never_show_health_values(staff_client, alice):
    from enfance.families.models import Child

    child = Child.objects.filter(links__family=alice.family).first()
    staff_client.post(reverse("backoffice:child_edit", args=[child.pk, "donnees-sanitaires"]),
                      {"doctor_name": "Dr Martin", "allergies": "Sésame"})
    staff_client.post(reverse("backoffice:vaccination_add", args=[child.pk]), {"vaccine": "Rougeole", "date": "2020-02-02"})
    body = staff_client.get(reverse("backoffice:home")).content.decode()
    assert "Sésame" not in body and "Arachide" not in body and "Rougeole" not in body
    assert "Données sanitaires" in body


def test_search_ignores_the_case_of_accented_letters(staff_client, db):
    family, _, _ = make_household("Élodie", children=0)
    ChildFactory(first_name="Hélène", last_name="Ébrard", family=family)
    for q in ("élodie", "ÉLODIE", "hélène", "HÉLÈNE", "ébrard"):
        assert refs(staff_client.get(SEARCH, {"q": q})) == [family.reference], q
