"""Pending changes are visible where the family looks: the child page and the health page."""

from django.urls import reverse

from tests.helpers import text


def test_the_child_page_marks_the_records_with_a_request_waiting(alice_client, alice):
    child = alice.family.children.first()
    url = reverse("portal:child", args=[child.pk])
    assert "demande en attente" not in text(alice_client.get(url))
    person = child.authorized_persons.filter(family=alice.family).first()
    alice_client.post(reverse("portal:authorized_person", args=[child.pk, person.pk]), {
        "last_name": person.last_name, "first_name": "Autre", "relation": person.relation, "phone": person.phone,
        "can_pick_up": "on"})
    page = text(alice_client.get(url))
    assert page.count("demande en attente") == 2  # the section and the person
    assert "Vos demandes en attente de validation" in page


def test_the_health_page_marks_the_health_record_and_the_vaccination(alice_client, alice):
    child = alice.family.children.first()
    url = reverse("portal:child_health", args=[child.pk])
    assert "demande en attente" not in text(alice_client.get(url))
    alice_client.post(reverse("portal:edit_child", args=[child.pk, "donnees-sanitaires"]),
                      {"doctor_name": "Dr Nouveau", "doctor_phone": "", "allergies": "Kiwi"})
    vaccination = child.vaccinations.first()
    alice_client.post(reverse("portal:vaccination_remove", args=[child.pk, vaccination.pk]))
    page = text(alice_client.get(url))
    assert page.count("demande en attente") == 3  # the health card, the vaccinations card and the vaccine
    assert "Vos demandes en attente de validation" in page
