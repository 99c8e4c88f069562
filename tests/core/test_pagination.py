"""Long staff lists: one shared pagination include whose links keep the page's filters."""

import html

from django.urls import reverse

from enfance.core.pagination import PER_PAGE
from enfance.families.models import NewHouseholdApplication


def _applications(n, **fields):
    NewHouseholdApplication.objects.bulk_create(
        NewHouseholdApplication(payload={"guardians": [{"first_name": "Inès", "last_name": f"N{i}"}]}, **fields)
        for i in range(n)
    )


def test_pre_registrations_beyond_the_first_page_are_reachable(staff_client):
    # Bug: the list was cut at 50 rows with no link to the next page.
    _applications(PER_PAGE + 1, status=NewHouseholdApplication.Status.REJECTED)
    url = reverse("backoffice:applications")
    body = html.unescape(staff_client.get(url, {"etat": "tous"}).content.decode())
    assert "Page 1 sur 2" in body
    assert 'href="?etat=tous&page=2"' in body
    assert "Page 2 sur 2" in html.unescape(staff_client.get(url, {"etat": "tous", "page": 2}).content.decode())


def test_page_links_keep_the_filters_and_drop_the_old_page_number(staff_client):
    _applications(2 * PER_PAGE + 1)
    body = staff_client.get(reverse("backoffice:applications"), {"etat": "pending", "page": 2}).content.decode()
    assert 'href="?etat=pending&amp;page=1"' in body
    assert 'href="?etat=pending&amp;page=3"' in body


def test_a_single_page_has_no_page_links(staff_client):
    _applications(3)
    assert 'class="pagination"' not in staff_client.get(reverse("backoffice:applications")).content.decode()
