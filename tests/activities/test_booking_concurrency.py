"""Bookings at once on PostgreSQL: the places' row locks give exactly the capacity, the rest waiting in the
order the lock was taken, with no error and no deadlock."""

import datetime

import pytest
from django.db import connection

from enfance.activities import bookings
from enfance.activities.models import Booking, PlaceDay
from tests.activities.test_bookings import BEFORE, WEDNESDAY, centre, household, waiting_positions
from tests.changes.test_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")


def booker(family, child, unit):
    return lambda: bookings.book(family=family, child=child, unit=unit, day=WEDNESDAY, user=None, now=BEFORE)


def test_50_households_at_once_for_10_places():
    whole, _half, _meal = centre(capacity=10)
    households = [household(1) for _ in range(50)]
    results = run_together(*(booker(family, child, whole) for family, (child,) in households))
    assert not [r for r in results if isinstance(r, Exception)]
    assert Booking.objects.filter(state="booked").count() == 10
    assert waiting_positions(whole) == list(range(1, 41))
    assert PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY).booked == 10
    # Positions follow the order in which the lock was taken, which is the order of creation.
    ordered = list(Booking.objects.filter(state="waiting").order_by("created_at", "pk")
                   .values_list("waiting_position", flat=True))
    assert ordered == list(range(1, 41))


def test_two_units_sharing_the_last_place_race_and_one_waits():
    whole, half, _meal = centre(capacity=1)
    (family_a, (a,)), (family_b, (b,)) = household(1), household(1)
    for _round in range(5):
        Booking.objects.all().delete()
        PlaceDay.objects.all().delete()
        results = run_together(booker(family_a, a, whole), booker(family_b, b, half))
        assert not [r for r in results if isinstance(r, Exception)]
        assert sorted(r.state for r in results) == ["booked", "waiting"]
        assert PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY).booked == 1


def test_a_cancellation_racing_a_booking_on_the_last_place_ends_consistent():
    whole, _half, _meal = centre(capacity=1)
    (family_a, (a,)), (family_b, (b,)), (family_c, (c,)) = household(1), household(1), household(1)
    for _round in range(5):
        Booking.objects.all().delete()
        PlaceDay.objects.all().delete()
        held = bookings.book(family=family_a, child=a, unit=whole, day=WEDNESDAY, user=None, now=BEFORE)
        bookings.book(family=family_b, child=b, unit=whole, day=WEDNESDAY, user=None, now=BEFORE)  # waiting 1
        results = run_together(
            lambda held=held: bookings.cancel(held, family=family_a, user=None, now=BEFORE),
            booker(family_c, c, whole),
        )
        assert not [r for r in results if isinstance(r, Exception)]
        booked = set(Booking.objects.filter(state="booked").values_list("child_id", flat=True))
        # B, first on the list, always gets A's place; C either waits behind or came first and waits anyway.
        assert booked == {b.pk}
        assert waiting_positions(whole) == [1]
        assert PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY).booked == 1


def test_a_booking_held_on_one_day_never_delays_another_day():
    import threading

    from django.db import connections, transaction

    whole, _half, _meal = centre(capacity=10)
    (family_a, (a,)), (family_b, (b,)) = household(1), household(1)
    booked, release, outcome = threading.Event(), threading.Event(), {}

    def hold():
        try:
            with transaction.atomic():
                bookings.book(family=family_a, child=a, unit=whole, day=WEDNESDAY, user=None, now=BEFORE)
                booked.set()
                release.wait(10)
        finally:
            connections.close_all()

    def other_day():
        try:
            booked.wait(10)
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
            thursday = WEDNESDAY + datetime.timedelta(days=1)
            outcome["b"] = bookings.book(family=family_b, child=b, unit=whole, day=thursday, user=None,
                                         now=BEFORE).state
        except Exception as exc:  # noqa: BLE001
            outcome["b"] = exc
        finally:
            release.set()
            connections.close_all()

    threads = [threading.Thread(target=hold), threading.Thread(target=other_day)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcome["b"] == "booked"


def test_two_submissions_of_several_days_for_one_child_never_deadlock():
    whole, half, _meal = centre(capacity=10)
    family_a, (child,) = household(1)
    family_b = household(0)[0]
    child.links.create(family=family_b)
    thursday = WEDNESDAY + datetime.timedelta(days=1)
    for _round in range(5):
        Booking.objects.all().delete()
        PlaceDay.objects.update(booked=0)
        results = run_together(
            lambda: bookings.book_many(family=family_a, user=None, now=BEFORE, lines=[
                bookings.Line(child, half, WEDNESDAY), bookings.Line(child, whole, thursday)]),
            lambda: bookings.book_many(family=family_b, user=None, now=BEFORE, lines=[
                bookings.Line(child, whole, thursday), bookings.Line(child, half, WEDNESDAY)]),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        assert Booking.objects.filter(state="booked").count() == 2  # one household got each day


def test_a_pattern_change_racing_the_registrations_end_books_nothing_past_the_end():
    """Both lock the registration first: whichever goes second reads the other's outcome, so no day after the
    registration's last day is left booked, whatever the order."""
    from enfance.activities import registrations
    from enfance.activities.models import Registration
    from tests.activities.test_registrations import FIRST, LAST, NOW

    whole, half, _meal = centre(capacity=10)
    for _round in range(5):
        Booking.objects.all().delete()
        PlaceDay.objects.all().delete()
        Registration.objects.all().delete()
        family, (child,) = household(1)
        registration, _ = registrations.approve(family=family, child=child, activity=whole.activity,
                                                first_day=FIRST, last_day=LAST, pattern={"0": [whole.pk]},
                                                user=None, now=NOW)
        ending = Registration.objects.get(pk=registration.pk)
        results = run_together(
            lambda registration=registration: registrations.change_pattern(registration, from_day=datetime.date(2026, 12, 9),
                                                 pattern={"2": [half.pk], "3": [half.pk]}, user=None, now=NOW),
            lambda ending=ending: registrations.end(ending, from_day=datetime.date(2026, 12, 10), user=None, now=NOW),
        )
        assert not [r for r in results if isinstance(r, Exception)]
        last_day = Registration.objects.get(pk=registration.pk).last_day
        assert last_day == datetime.date(2026, 12, 9)
        live = Booking.objects.filter(child=child).exclude(state="cancelled")
        assert not live.filter(day__gt=last_day).exists(), list(live.values_list("day", "unit__name"))
