"""Booking requests at once on PostgreSQL, through the registry (submit, automatic approval): the same
guarantees as the booking services, with the household and the request locked first."""


import pytest
from django.db import connection

from enfance.activities import bookings, request_types
from enfance.activities.models import Booking, PlaceDay
from enfance.changes.models import ChangeRequest
from tests.activities.test_bookings import WEDNESDAY, centre, household, waiting_positions
from tests.changes.test_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")
    from tests.activities.frozen import freeze
    from tests.activities.test_bookings import BEFORE

    freeze(monkeypatch, BEFORE)


def submitter(family, lines):
    return lambda: request_types.submit_bookings(user=None, family=family, lines=lines)


def test_50_booking_requests_at_once_for_10_places():
    whole, _half, _meal = centre(capacity=10)
    households = [household(1) for _ in range(50)]
    results = run_together(*(submitter(family, [request_types.booking_line("book", child, whole, WEDNESDAY)])
                             for family, (child,) in households))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert ChangeRequest.objects.filter(status="approved").count() == 50
    assert Booking.objects.filter(state="booked").count() == 10
    assert waiting_positions(whole) == list(range(1, 41))
    assert PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY).booked == 10


def test_a_swap_racing_a_booking_of_the_same_room_ends_consistent():
    """One household swaps its half day for a whole day in one request while another books the last place of
    the room: two different bookings touching one PlaceDay row, no deadlock, never above capacity."""
    whole, half, _meal = centre(capacity=2)
    (family_a, (a,)), (family_b, (b,)), (family_c, (c,)) = household(1), household(1), household(1)
    for _round in range(5):
        Booking.objects.all().delete()
        PlaceDay.objects.all().delete()
        bookings.book(family=family_a, child=a, unit=half, day=WEDNESDAY, user=None)
        bookings.book(family=family_c, child=c, unit=half, day=WEDNESDAY, user=None)
        swap = [request_types.booking_line("cancel", a, half, WEDNESDAY),
                request_types.booking_line("book", a, whole, WEDNESDAY)]
        results = run_together(submitter(family_a, swap),
                               submitter(family_b, [request_types.booking_line("book", b, whole, WEDNESDAY)]))
        assert not [r for r in results if isinstance(r, Exception)], results
        morning = PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY)
        live = Booking.objects.filter(day=WEDNESDAY, state="booked", taken=morning).count()
        assert morning.booked == live <= 2
        assert not Booking.objects.filter(child=a, unit=half, state="booked").exists()
        assert waiting_positions(whole) in ([], [1])
