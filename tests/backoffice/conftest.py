"""Back office fixtures: a leader's client, a shared-custody pair of households, query counting."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from enfance.families.models import ChildLink
from tests.conftest import login_client
from tests.factories import AuthorizedPersonFactory, make_household


@pytest.fixture
def leader_client(client, leader):
    return login_client(client, leader)


@pytest.fixture
def shared_custody(db):
    """Roux and Garnier: separated parents; Jade belongs to both households, each names its own people."""
    roux, roux_login, (jade,) = make_household("Roux", children=1)
    garnier, garnier_login, _ = make_household("Garnier", children=0)
    ChildLink.objects.create(family=garnier, child=jade)
    roux_person = AuthorizedPersonFactory(family=roux, child=jade, first_name="Mamie", last_name="Roux",
                                          relation="Grand-mère")
    garnier_person = AuthorizedPersonFactory(family=garnier, child=jade, first_name="Papy", last_name="Garnier",
                                             relation="Grand-père")
    return {"roux": roux, "garnier": garnier, "jade": jade, "roux_person": roux_person,
            "garnier_person": garnier_person}


def client_for(user):
    return login_client(Client(), user)


def count_queries(func):
    with CaptureQueriesContext(connection) as ctx:
        response = func()
    assert response.status_code == 200
    return len(ctx.captured_queries)
