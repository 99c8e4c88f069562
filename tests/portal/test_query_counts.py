"""Portal pages run a fixed number of queries, whatever the household's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enfance.changes.models import ChangeRequest
from tests.factories import AuthorizedPersonFactory, VaccinationFactory, make_household
from tests.helpers import session_queries

# Each page's queries besides the session's, whatever the household's size: the login with its household and
# the inbox count (one query), then the page's own.
PAGES = [
    ("portal:home", False, 7),  # + the household's records, its guardians, children, pending requests, its balances (2)
    ("portal:information", False, 7),  # + the QF valid today (portal_queries.quotient_today)
    ("portal:requests", False, 2),
    ("portal:child", True, 4),
    ("portal:child_health", True, 4),  # + the child with its health record, vaccinations, pending requests
    ("portal:thread_new", False, 2),  # + the topics, once
    ("portal:preferences", False, 2),
]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def household(name, size):
    family, login, children = make_household(name, children=size)
    for child in children:
        for _ in range(size):
            AuthorizedPersonFactory(family=family, child=child)
            VaccinationFactory(child=child)
    for i in range(size * 3):
        ChangeRequest.objects.create(family=family, child=children[0], created_by=login, request_type="health",
                                     kind="fields", status="pending" if i % 2 else "rejected")
    return login, children[0]


@pytest.mark.parametrize("name, with_child, expected", PAGES)
def test_portal_page_queries_do_not_grow_with_the_household(client, db, name, with_child, expected):
    small, small_child = household("Petit", 1)
    large, large_child = household("Grand", 4)
    counts = []
    for login, child in ((small, small_child), (large, large_child)):
        client.force_login(login)
        url = reverse(name, args=[child.pk] if with_child else [])
        count_queries(client, url)  # warm the session and caches
        counts.append(count_queries(client, url))
    assert counts[0] == counts[1], f"{name}: {counts[0]} queries for 1 child, {counts[1]} for 4"
    expected += session_queries()
    assert counts[1] == expected, f"{name}: {counts[1]} queries, {expected} expected"
