# ruff: noqa: F811  (the `world` fixture is imported, then named by the tests)
"""Review of issue 8 (bad input and access): each test demonstrates a bug found in review."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enfance.activities import bookings
from enfance.activities.models import Absence, Unit
from enfance.core.models import HealthAccessLog
from enfance.families.models import Family
from tests.portal.test_activity_views import WEEK, _children, key, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _safe(call):
    try:
        return call().status_code
    except Exception as exc:  # noqa: BLE001 - what a browser would get as a 500
        return f"500 ({type(exc).__name__}: {exc})"


@pytest.mark.parametrize("day", ["00010101", "99991231"])
def test_a_checkbox_for_year_1_or_9999_is_refused_not_a_500(world, client, alice, day):
    """parse_key accepts any strptime date; _prejudge then computes min(days) - CALENDAR_REACH (OverflowError)."""
    _made, canteen = world
    client.force_login(alice)
    first, _second = _children(alice)
    status = _safe(lambda: client.post(reverse("portal:calendar"),
                                       {"mois": "2026-12", "b": [f"{first.pk}.{canteen.pk}.{day}"]}))
    assert status in (200, 302), status


def test_the_bulk_form_with_year_1_is_refused_not_a_500(world, client, alice):
    _made, canteen = world
    client.force_login(alice)
    first, _second = _children(alice)
    status = _safe(lambda: client.post(reverse("portal:bookings_bulk"), {
        "action": "book", "children": [first.pk], "unit": canteen.pk, "weekdays": ["0", "1", "2", "3", "4"],
        "first_day": "0001-01-01", "last_day": "0001-01-31"}))
    assert status in (200, 302), status


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_attendance_sheet_of_year_1_or_9999_is_a_404_not_a_500(world, staff, day):
    """attendance_sheet: previous/following = day -/+ 1 day overflows (the kitchen's views bound the years)."""
    made, _canteen = world
    client = Client()
    client.force_login(staff)
    url = reverse("backoffice:attendance_sheet", kwargs={"activity_id": made["canteen_e"].pk, "day": day})
    status = _safe(lambda: client.get(url))
    assert status in (200, 404), status


def test_a_leader_does_not_read_the_health_record_of_a_child_outside_their_activities(world, leader, alice):
    """Issue 8: leaders "read only the children of those activities". leader_families gives the whole household
    of a child booked in the leader's activity, and child_health / child_detail use it: the sibling who only eats
    at the canteen is readable (health data included) by the Wednesday centre's leader."""
    made, _canteen = world
    made["wednesday"].leaders.add(leader)
    first, second = _children(alice)
    whole = Unit.objects.get(activity=made["wednesday"], name="Journée avec repas")
    bookings.book(family=alice.family, child=first, unit=whole, day=datetime.date(2026, 12, 16), user=None)
    client = Client()
    client.force_login(leader)
    assert client.get(reverse("backoffice:child_health", args=[first.pk])).status_code == 200
    response = client.get(reverse("backoffice:child_health", args=[second.pk]))
    assert response.status_code == 404, f"sibling's health page answered {response.status_code}"
    assert not HealthAccessLog.objects.filter(child=second).exists()


def test_justifying_an_absence_of_an_archived_household_is_refused(world, staff, alice):
    """absence_justify never calls refuse_archived_family (family_bookings and family_absence do)."""
    _made, canteen = world
    first, _second = _children(alice)
    booking = bookings.book(family=alice.family, child=first, unit=canteen, day=WEEK[0], user=None)
    absence = Absence.objects.create(booking=booking, reason="other", declared_at=timezone.now())
    Family.objects.filter(pk=alice.family_id).update(archived_at=timezone.now())
    client = Client()
    client.force_login(staff)
    client.post(reverse("backoffice:absence_justify", args=[absence.pk]), {"justification": "vu"})
    absence.refresh_from_db()
    assert absence.justified_by_id is None, "an archived household's absence was changed"
