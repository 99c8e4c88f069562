"""Identifiers in posted forms: another household's identifier answers 404 and changes nothing,
and an identifier slipped into the posted fields is ignored."""

import pytest
from django.test import Client
from django.urls import reverse

from enfance.changes.models import ChangeRequest
from enfance.core.audit import snapshot
from enfance.families.models import AuthorizedPerson, Child, Family, Guardian, HealthRecord, Vaccination
from tests import url_table
from tests.url_table import PORTAL_WITH_ID, TABLE

pytestmark = pytest.mark.django_db

VALID = {
    # Values that every portal form of the matching kind accepts, so that a 404 is the identifier's doing.
    "last_name": "Intrus", "first_name": "Ève", "relation": "Voisine", "phone": "0600000000", "can_pick_up": "on",
    "vaccine": "ROR", "date": "2020-01-01", "doctor_name": "Dr Intrus", "allergies": "Intrus",
    "birth_date": "2018-01-01", "sex": "F", "diet": "standard", "accept": "on",
}


def state():
    """Everything a request could change, as people read it."""
    rows = []
    for model in (Family, Guardian, Child, HealthRecord, Vaccination, AuthorizedPerson):
        rows += [(model.__name__, obj.pk, tuple(sorted(snapshot(obj).items()))) for obj in model.objects.all()]
    return sorted(rows), ChangeRequest.objects.count(), list(ChangeRequest.objects.values_list("status", flat=True))


@pytest.fixture
def world(alice, bob):
    return url_table.prepare(alice, bob)


@pytest.mark.parametrize("name", url_table.names(PORTAL_WITH_ID))
def test_posting_with_another_households_identifier_answers_404_and_changes_nothing(name, world, alice, bob):
    client = Client()
    client.force_login(alice)
    before = state()
    for scope in world[bob]:
        for kwargs in url_table.all_kwargs(name, scope):
            response = client.post(reverse(name, kwargs=kwargs), VALID)
            assert response.status_code in (404, 405), f"alice posting to {reverse(name, kwargs=kwargs)}"
            if response.status_code == 405:
                assert not TABLE[name].post_only
    assert state() == before


def test_identifiers_slipped_into_the_fields_are_ignored(world, alice, bob):
    client = Client()
    client.force_login(alice)
    bob_child = world[bob][0].child
    alice_child = world[alice][0].child
    url = reverse("portal:edit_child", args=[alice_child.pk, "donnees-sanitaires"])
    client.post(url, {**VALID, "allergies": "Pollen", "child": bob_child.pk, "child_id": bob_child.pk,
                      "family": bob.family.pk, "family_id": bob.family.pk, "id": bob_child.pk, "pk": bob_child.pk})
    change = ChangeRequest.objects.get(request_type="health")
    assert change.family == alice.family and change.child == alice_child
    assert ChangeRequest.objects.filter(family=bob.family, request_type="health").count() == 0
