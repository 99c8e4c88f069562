"""A place's capacity changed by staff: a raise promotes the children waiting on its future days, first come
first served (a whole day too, whose other rooms have room); a cut never cancels anybody, it is refused with the
days already above it. On PostgreSQL, bookings racing the change end consistent."""

import datetime

import pytest
from django.db import connection

from enfance.activities import bookings
from enfance.activities.capacity import CapacityRefused, set_capacity
from enfance.activities.models import Booking, Place, PlaceDay
from enfance.core.models import AuditEntry
from tests.activities.test_bookings import BEFORE, WEDNESDAY, book, centre, household, waiting_positions

pytestmark = pytest.mark.django_db
NEXT_WEDNESDAY = WEDNESDAY + datetime.timedelta(days=7)


def morning():
    return Place.objects.get(slot="morning")


def test_a_raise_promotes_the_children_waiting_first_come_first_served(django_capture_on_commit_callbacks):
    whole, half, _meal = centre(capacity=1)
    family, children = household(4)
    book(family, children[0], whole)
    first = book(family, children[1], whole)
    second = book(family, children[2], half)
    third = book(family, children[3], whole)
    assert [b.waiting_position for b in (first, second, third)] == [1, 1, 2]  # one list per unit
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change = set_capacity(morning(), 3, actor=None, now=BEFORE)
    assert {b.pk for b in change.promoted} == {first.pk, second.pk}
    states = dict(Booking.objects.values_list("pk", "state"))
    assert states[first.pk] == states[second.pk] == "booked" and states[third.pk] == "waiting"
    assert waiting_positions(whole) == [1]
    assert PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY).booked == 3
    # A whole day also took its lunch and afternoon rows.
    assert PlaceDay.objects.get(place__slot="lunch", day=WEDNESDAY).booked == 2
    assert morning().capacity == 3
    assert callbacks, "the promoted households are told after the commit"
    entry = AuditEntry.objects.get(object_type="place")
    assert entry.changes == {"capacity": ["1", "3"]}


def test_a_raise_promotes_on_every_future_day_and_not_on_past_ones():
    whole, _half, _meal = centre(capacity=1)
    family, children = household(4)
    for day in (WEDNESDAY, NEXT_WEDNESDAY):
        book(family, children[0], whole, day=day)
        book(family, children[1], whole, day=day)
    later = datetime.datetime.combine(WEDNESDAY + datetime.timedelta(days=1), datetime.time(8), tzinfo=BEFORE.tzinfo)
    change = set_capacity(morning(), 2, actor=None, now=later)
    assert [b.day for b in change.promoted] == [NEXT_WEDNESDAY]
    assert Booking.objects.get(day=WEDNESDAY, child=children[1]).state == "waiting"


def test_a_cut_below_a_future_days_bookings_is_refused_with_the_days_and_changes_nothing():
    whole, _half, _meal = centre(capacity=3)
    family, children = household(3)
    for child in children:
        book(family, child, whole)
    with pytest.raises(CapacityRefused) as refused:
        set_capacity(morning(), 2, actor=None, now=BEFORE)
    assert "Impossible de passer à 2 places" in refused.value.message
    assert "3 le mercredi 9 décembre 2026" in refused.value.message
    assert refused.value.days == [(WEDNESDAY, 3)]
    assert morning().capacity == 3
    assert Booking.objects.filter(state="booked").count() == 3
    assert not AuditEntry.objects.filter(object_type="place").exists()


def test_a_cut_down_to_what_is_booked_cancels_nobody_and_past_days_do_not_count():
    whole, _half, _meal = centre(capacity=3)
    family, children = household(3)
    for child in children:
        book(family, child, whole)
    book(family, children[0], whole, day=NEXT_WEDNESDAY)
    assert set_capacity(morning(), 3, actor=None, now=BEFORE).promoted == []
    later = datetime.datetime.combine(NEXT_WEDNESDAY - datetime.timedelta(days=2), datetime.time(8),
                                      tzinfo=BEFORE.tzinfo)
    change = set_capacity(morning(), 1, actor=None, now=later)  # the 9th is past: its 3 children stay
    assert change.over == [] and morning().capacity == 1
    assert Booking.objects.filter(state="booked", unit=whole).count() == 4


def test_after_a_raise_new_bookings_use_the_new_capacity():
    whole, _half, _meal = centre(capacity=1)
    family, children = household(3)
    book(family, children[0], whole)
    set_capacity(morning(), 2, actor=None, now=BEFORE)
    assert book(family, children[1], whole).state == "booked"
    assert book(family, children[2], whole).state == "waiting"


# --- PostgreSQL: bookings racing the change -----------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", [6])
def test_bookings_racing_a_raise_never_overbook_nor_leave_a_child_waiting_beside_room(rounds):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")
    from tests.changes.test_concurrency import run_together

    whole, _half, _meal = centre(capacity=2)
    families = [household(1) for _ in range(6)]
    for _round in range(rounds):
        Booking.objects.all().delete()
        PlaceDay.objects.all().delete()
        Place.objects.filter(slot="morning").update(capacity=2)
        for family, (child,) in families[:3]:  # two booked, one waiting
            book(family, child, whole)
        racers = [lambda f=f, c=c: bookings.book(family=f, child=c, unit=whole, day=WEDNESDAY, user=None, now=BEFORE)
                  for f, (c,) in families[3:]]
        results = run_together(lambda: set_capacity(morning(), 5, actor=None, now=BEFORE), *racers)
        assert not [r for r in results if isinstance(r, Exception)], results
        booked = Booking.objects.filter(state="booked").count()
        row = PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY)
        assert row.booked == booked == 5, (row.booked, booked)
        assert waiting_positions(whole) == [1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cut_racing_bookings_never_cancels_and_reports_what_it_let_in():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")
    from tests.changes.test_concurrency import run_together

    whole, _half, _meal = centre(capacity=6)
    families = [household(1) for _ in range(6)]
    for _round in range(6):
        Booking.objects.all().delete()
        PlaceDay.objects.all().delete()
        Place.objects.filter(slot="morning").update(capacity=6)
        for family, (child,) in families[:2]:
            book(family, child, whole)
        racers = [lambda f=f, c=c: bookings.book(family=f, child=c, unit=whole, day=WEDNESDAY, user=None, now=BEFORE)
                  for f, (c,) in families[2:]]
        results = run_together(lambda: set_capacity(morning(), 3, actor=None, now=BEFORE), *racers)
        change = results[0]
        row = PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY)
        booked = Booking.objects.filter(state="booked").count()
        assert row.booked == booked
        if isinstance(change, CapacityRefused):
            assert morning().capacity == 6 and change.days[0][1] > 3
        else:
            assert not isinstance(change, Exception), change
            assert morning().capacity == 3
            # Nobody cancelled; a day filled beyond the cut by a racing booking is reported.
            assert booked <= 3 or change.over == [(WEDNESDAY, booked)]
        assert not [r for r in results[1:] if isinstance(r, Exception)], results
