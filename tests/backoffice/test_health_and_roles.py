"""Health data: every opening logged, administrators read the log. Roles: leaders read, families never enter."""


from django.urls import reverse

from enfance.core.models import HealthAccessLog
from enfance.families import access
from enfance.families.models import AuthorizedPerson, Family, Guardian, Vaccination
from tests.factories import make_household
from tests.helpers import first_child, text

from .conftest import client_for, count_queries


def test_health_page_shows_the_record_and_logs_each_opening(staff_client, staff, alice):
    child = first_child(alice)
    url = reverse("backoffice:child_health", args=[child.pk])
    response = staff_client.get(url)
    body = text(response)
    assert response.status_code == 200
    assert "Arachide" in body and "Dr Martin" in body and "DTPolio" in body and "01/06/2019" in body
    assert "chaque consultation de cette page est enregistrée" in body
    staff_client.get(url)
    logs = HealthAccessLog.objects.filter(child=child)
    assert logs.count() == 2
    assert {(log.user_id, log.path) for log in logs} == {(staff.pk, url)}


def test_leaders_open_health_pages_of_their_activities_and_are_logged(leader_client, leader, alice, monkeypatch):
    monkeypatch.setattr(access, "leader_families", lambda user: Family.objects.filter(pk=alice.family_id))
    child = first_child(alice)
    monkeypatch.setattr(access, "leader_children", lambda user: type(child).objects.filter(pk=child.pk))
    response = leader_client.get(reverse("backoffice:child_health", args=[child.pk]))
    assert response.status_code == 200
    assert HealthAccessLog.objects.filter(user=leader, child=child).count() == 1
    body = text(response)
    assert reverse("backoffice:vaccination_add", args=[child.pk]) not in body
    assert "Modifier" not in body


def test_health_access_log_is_for_administrators(admin_client_, staff, alice, bob):
    alice_child, bob_child = first_child(alice), first_child(bob)
    staff_client = client_for(staff)
    staff_client.get(reverse("backoffice:child_health", args=[alice_child.pk]))
    staff_client.get(reverse("backoffice:child_health", args=[bob_child.pk]))
    response = admin_client_.get(reverse("backoffice:health_log"))
    body = text(response)
    assert response.status_code == 200
    assert "agent.test" in body and str(alice_child) in body and str(bob_child) in body
    only_alice = admin_client_.get(reverse("backoffice:health_log"), {"enfant": alice_child.pk})
    assert [log.child_id for log in only_alice.context["page"].object_list] == [alice_child.pk]
    assert admin_client_.get(reverse("backoffice:health_log"), {"enfant": "x"}).status_code == 404


def test_health_log_is_paginated(admin_client_, admin_user, alice):
    child = first_child(alice)
    HealthAccessLog.objects.bulk_create(HealthAccessLog(user=admin_user, child=child, path="/") for _ in range(60))
    response = admin_client_.get(reverse("backoffice:health_log"))
    assert len(response.context["page"].object_list) == 50
    assert len(admin_client_.get(reverse("backoffice:health_log"), {"page": 2}).context["page"].object_list) == 10


def test_health_page_shows_health_changes_there_only(staff_client, alice):
    child = first_child(alice)
    staff_client.post(reverse("backoffice:child_edit", args=[child.pk, "donnees-sanitaires"]), {
        "doctor_name": "Dr Martin", "allergies": "Pollen", "notes": ""})
    body = text(staff_client.get(reverse("backoffice:child_health", args=[child.pk])))
    assert "Pollen" in body and "Arachide" in body  # old → new in the health page's own trail


# --- leaders: read-only ------------------------------------------------------------------------------------

def test_leaders_read_dashboard_search_and_household_pages_without_edit_links(leader_client, alice, monkeypatch):
    monkeypatch.setattr(access, "leader_families", lambda user: Family.objects.filter(pk=alice.family_id))
    assert leader_client.get(reverse("backoffice:home")).status_code == 200
    assert leader_client.get(reverse("backoffice:families"), {"q": "alice"}).status_code == 200
    response = leader_client.get(reverse("backoffice:family", args=[alice.family_id]))
    body = text(response)
    assert response.status_code == 200
    assert "**** 0189" not in body  # no bank data for leaders, even masked
    assert "/modifier/" not in body and "/supprimer/" not in body and "/ajouter/" not in body
    assert "/archiver/" not in body and "/fermer/" not in body and "/inviter/" not in body
    assert "Nouveau foyer" not in body


def edit_urls(login):
    family, child = login.family, first_child(login)
    person = AuthorizedPerson.objects.filter(family=family, child=child).first()
    vaccination = Vaccination.objects.filter(child=child).first()
    return [
        reverse("backoffice:family_create"),
        reverse("backoffice:family_edit", args=[family.pk, "adresse"]),
        reverse("backoffice:family_edit", args=[family.pk, "coordonnees-bancaires"]),
        reverse("backoffice:guardian2_remove", args=[family.pk]),
        reverse("backoffice:family_archive", args=[family.pk]),
        reverse("backoffice:child_add", args=[family.pk]),
        reverse("backoffice:child_link", args=[family.pk]),
        reverse("backoffice:authorized_person_add", args=[family.pk, child.pk]),
        reverse("backoffice:authorized_person_edit", args=[family.pk, child.pk, person.pk]),
        reverse("backoffice:authorized_person_delete", args=[family.pk, child.pk, person.pk]),
        reverse("backoffice:family_login_create", args=[family.pk]),
        reverse("backoffice:family_login_invite", args=[family.pk, login.pk]),
        reverse("backoffice:family_login_close", args=[family.pk, login.pk]),
        reverse("backoffice:child_edit", args=[child.pk, "donnees-complementaires"]),
        reverse("backoffice:child_edit", args=[child.pk, "donnees-sanitaires"]),
        reverse("backoffice:child_photo_edit", args=[child.pk]),
        reverse("backoffice:vaccination_add", args=[child.pk]),
        reverse("backoffice:vaccination_edit", args=[child.pk, vaccination.pk]),
        reverse("backoffice:vaccination_delete", args=[child.pk, vaccination.pk]),
    ]


def test_leaders_cannot_edit_anything(leader_client, alice):
    for url in edit_urls(alice):
        assert leader_client.get(url).status_code == 403, url
        assert leader_client.post(url, {"reason": "x", "last_name": "X"}).status_code == 403, url
    assert Guardian.objects.filter(family=alice.family, rank=2).exists()
    assert alice.family.archived_at is None
    assert not HealthAccessLog.objects.exists()  # refused before anything was shown


def read_urls(login):
    child = first_child(login)
    return [
        reverse("backoffice:home"),
        reverse("backoffice:families"),
        reverse("backoffice:family", args=[login.family_id]),
        reverse("backoffice:family_history", args=[login.family_id]),
        reverse("backoffice:child_health", args=[child.pk]),
        reverse("backoffice:child_photo", args=[child.pk]),
    ]


def test_families_get_403_on_staff_pages(alice_client, alice, bob):
    for url in read_urls(alice) + read_urls(bob) + edit_urls(alice):
        assert alice_client.get(url).status_code == 403, url
        assert alice_client.post(url, {}).status_code == 403, url
    assert not HealthAccessLog.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, alice):
    for url in read_urls(alice) + edit_urls(alice):
        for response in (client.get(url), client.post(url, {})):
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("accounts:login") + "?next="), url


def test_health_page_query_count_does_not_grow_with_vaccinations(staff_client, db):
    _, _, (few,) = make_household("Peu", children=1)
    _, _, (many,) = make_household("Beaucoup", children=1)
    for i in range(8):
        Vaccination.objects.create(child=many, vaccine=f"V{i}", date="2020-01-01")
    a = count_queries(lambda: staff_client.get(reverse("backoffice:child_health", args=[few.pk])))
    b = count_queries(lambda: staff_client.get(reverse("backoffice:child_health", args=[many.pk])))
    assert a == b
