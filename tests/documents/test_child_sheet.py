"""The child sheet: health data and authorised persons on the complete sheet only, the household's own data only
on the portal, each staff download of the complete sheet logged, leaders kept to the simple sheet of their
activities' children."""

import datetime

import pytest
from django.urls import reverse

from enfance.activities import catalogue
from enfance.activities.models import Registration
from enfance.core.models import HealthAccessLog
from enfance.documents import child_sheet
from enfance.families.models import HealthRecord
from tests.conftest import login_client
from tests.factories import VaccinationFactory
from tests.helpers import first_child

from .pdf import text

pytestmark = pytest.mark.django_db

HEALTH = ["Arachide", "Dr Martin", "04 94 00 00 00", "Ventoline au besoin", "Protocole PAI arachide", "DTPolio",
          "ROR", "Menu standard"]


@pytest.fixture
def child(alice):
    child = first_child(alice)
    HealthRecord.objects.filter(child=child).update(treatments="Ventoline au besoin", has_pai=True,
                                                    pai_details="Protocole PAI arachide")
    VaccinationFactory(child=child, vaccine="ROR", date=datetime.date(2019, 9, 1))
    child.school_class = "CE1 de Mme Roux"
    child.photo_consent = True
    child.save()
    return child


def _pdf(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    return text(response.content)


def test_the_simple_sheet_has_no_health_data_nor_authorised_persons(child, alice):
    person = child.authorized_persons.get()
    body = text(child_sheet.render(child, complete=False, family=alice.family).pdf)
    for expected in ("Fiche enfant", "Mairie de Tourrettes", child.first_name, child.last_name, "née le 04/05/2018",
                     "École Marcel Pagnol", "CE1 de Mme Roux", "Droit à l'image accordé Oui",
                     "Autorisé à partir seul Non", alice.family.reference, "Madame Claire Alice", "06 12 34 56 78"):
        assert expected in body, expected
    for absent in [*HEALTH, person.last_name, "confidentiel"]:
        assert absent not in body, absent


def test_the_complete_sheet_adds_them(child, alice):
    person = child.authorized_persons.get()
    body = text(child_sheet.render(child, complete=True, family=alice.family).pdf)
    assert "Fiche enfant complète" in body and "Document confidentiel" in body
    for expected in [*HEALTH, f"{person.first_name} {person.last_name}", person.relation, person.phone,
                     "Peut venir chercher l'enfant"]:
        assert expected in body, expected


def test_a_household_downloads_its_own_childs_sheets_only(client, child, alice, bob):
    login_client(client, alice)
    response = client.get(reverse("portal:child_sheet", args=[child.pk]))
    assert child.first_name in _pdf(response)
    expected_name = f"fiche-enfant-{child.first_name}-{child.last_name}.pdf".lower()
    assert response["Content-Disposition"] == f'inline; filename="{expected_name}"'
    assert "Arachide" in _pdf(client.get(reverse("portal:child_sheet_complete", args=[child.pk])))
    login_client(client, bob)
    for name in ("portal:child_sheet", "portal:child_sheet_complete"):
        assert client.get(reverse(name, args=[child.pk])).status_code == 404


def test_the_portal_links_its_sheets(client, child, alice):
    login_client(client, alice)
    for page in ("portal:child", "portal:child_health"):
        body = client.get(reverse(page, args=[child.pk])).content.decode()
        assert reverse("portal:child_sheet", args=[child.pk]) in body
        assert reverse("portal:child_sheet_complete", args=[child.pk]) in body


def test_in_shared_custody_each_household_sees_only_its_own_side(client, shared_custody):
    jade, roux, garnier = shared_custody["jade"], shared_custody["roux"], shared_custody["garnier"]
    login_client(client, roux.logins.get())
    body = _pdf(client.get(reverse("portal:child_sheet_complete", args=[jade.pk])))
    assert "Mamie Roux" in body and roux.reference in body
    assert "Papy Garnier" not in body and garnier.reference not in body and "Garnier" not in body


def test_staff_see_both_households_and_each_complete_download_is_logged(client, staff, shared_custody):
    jade = shared_custody["jade"]
    login_client(client, staff)
    simple = _pdf(client.get(reverse("backoffice:child_sheet", args=[jade.pk])))
    assert shared_custody["roux"].reference in simple and shared_custody["garnier"].reference in simple
    assert not HealthAccessLog.objects.exists()
    url = reverse("backoffice:child_sheet_complete", args=[jade.pk])
    body = _pdf(client.get(url))
    assert "Mamie Roux" in body and "Papy Garnier" in body and "nommées par ce foyer" in body
    [entry] = HealthAccessLog.objects.all()
    assert (entry.user, entry.child, entry.path) == (staff, jade, url)


@pytest.fixture
def wednesday_child(alice, leader):
    made = catalogue.create_catalogue()
    made["wednesday"].leaders.add(leader)
    child = first_child(alice)
    today = datetime.date.today()
    Registration.objects.create(child=child, family=alice.family, activity=made["wednesday"], first_day=today,
                                last_day=today + datetime.timedelta(days=60))
    return child


def test_a_leader_gets_the_simple_sheet_of_their_activitys_children_only(client, leader, alice, wednesday_child):
    sibling = alice.family.children.exclude(pk=wednesday_child.pk).get()
    login_client(client, leader)
    body = _pdf(client.get(reverse("backoffice:child_sheet", args=[wednesday_child.pk])))
    assert wednesday_child.first_name in body and "Arachide" not in body
    assert client.get(reverse("backoffice:child_sheet", args=[sibling.pk])).status_code == 404
    assert client.get(reverse("backoffice:child_sheet_complete", args=[wednesday_child.pk])).status_code == 403
    assert not HealthAccessLog.objects.exists()


def test_the_staff_pages_link_the_sheets_by_role(client, staff, leader, alice, wednesday_child):
    family_page = reverse("backoffice:family", args=[alice.family_id])
    complete = reverse("backoffice:child_sheet_complete", args=[wednesday_child.pk])
    login_client(client, staff)
    body = client.get(family_page).content.decode()
    assert reverse("backoffice:child_sheet", args=[wednesday_child.pk]) in body and complete in body
    assert complete in client.get(reverse("backoffice:child_health", args=[wednesday_child.pk])).content.decode()
    login_client(client, leader)
    body = client.get(family_page).content.decode()
    assert reverse("backoffice:child_sheet", args=[wednesday_child.pk]) in body and complete not in body
