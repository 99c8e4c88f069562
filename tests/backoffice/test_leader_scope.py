"""Activity leaders: no household outside their activities (today: none), never fiscal, C.A.F. or bank data."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from enfance.families import access, services
from enfance.families.models import CafInfo, Family, TaxInfo
from tests.helpers import first_child, png_bytes, text

from .conftest import client_for

SEARCH = reverse("backoffice:families")
ALLOCATAIRE = "7654321"


@pytest.fixture
def alice_records(alice):
    TaxInfo.objects.filter(family=alice.family).update(reference_income="41234.00")
    CafInfo.objects.filter(family=alice.family).update(allocataire_number=ALLOCATAIRE)
    services.set_photo(first_child(alice), ContentFile(png_bytes(), name="photo.png"), actor=None)
    return alice


@pytest.fixture
def bank_changed(staff, alice_records):
    """An agent changes the IBAN: an audit line about the bank account."""
    response = client_for(staff).post(reverse("backoffice:family_edit", args=[alice_records.family_id, "coordonnees-bancaires"]), {
        "holder": "Claire Alice", "iban": "FR76 1027 8060 4100 0203 4567 870", "bic": ""})
    assert response.status_code == 302
    return alice_records


def household_urls(login):
    child = first_child(login)
    return [reverse("backoffice:family", args=[login.family_id]),
            reverse("backoffice:family_history", args=[login.family_id]),
            reverse("backoffice:child_health", args=[child.pk]),
            reverse("backoffice:child_photo", args=[child.pk])]


def test_a_leader_without_activities_gets_404_on_every_household_page(leader_client, alice_records):
    for url in household_urls(alice_records):
        assert leader_client.get(url).status_code == 404, url


def test_a_leader_search_is_empty_and_says_why(leader_client, alice):
    response = leader_client.get(SEARCH, {"q": "alice"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert "vous voyez seulement les foyers dont un enfant participe à l'une de vos activités" in text(response)
    assert alice.family.reference not in text(leader_client.get(SEARCH))


def test_a_leader_dashboard_shows_no_household(leader_client, bank_changed):
    response = leader_client.get(reverse("backoffice:home"))
    assert response.context["counts"] == {"active": 0, "archived": 0}
    assert response.context["entries"] == []
    assert bank_changed.family.reference not in text(response)


def test_a_leader_household_page_shows_no_fiscal_caf_or_bank_data(leader_client, bank_changed, monkeypatch):
    monkeypatch.setattr(access, "leader_families", lambda user: Family.objects.filter(pk=bank_changed.family_id))
    family_id = bank_changed.family_id
    page = text(leader_client.get(reverse("backoffice:family", args=[family_id])))
    history = text(leader_client.get(reverse("backoffice:family_history", args=[family_id])))
    search = text(leader_client.get(SEARCH, {"q": "alice"}))
    assert bank_changed.family.reference in search  # the hook opens the household to the leader
    for body in (page, history, search):
        for secret in ("41\u202f234", "41234", ALLOCATAIRE, "0189", "7870", "Revenu fiscal", "IBAN"):
            assert secret not in body
    assert "réservées aux agents et administrateurs" in history


def test_an_agent_still_sees_everything(staff_client, bank_changed):
    family_id = bank_changed.family_id
    page = text(staff_client.get(reverse("backoffice:family", args=[family_id])))
    assert "41\u202f234" in page and ALLOCATAIRE in page and "**** 7870" in page
    history = text(staff_client.get(reverse("backoffice:family_history", args=[family_id])))
    assert "**** 7870" in history and "réservées aux agents" not in history
    assert [f.reference for f in staff_client.get(SEARCH, {"q": "alice"}).context["page"].object_list] == [
        bank_changed.family.reference]
    for url in household_urls(bank_changed):
        assert staff_client.get(url).status_code == 200, url
