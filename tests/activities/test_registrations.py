"""Registrations: approval books the weekly pattern on every open day the rules allow; a new pattern or the
end of a registration cancels what no longer fits; activities that need one refuse the children without."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from enfance.activities import registrations
from enfance.activities.bookings import BookingRefused
from enfance.activities.models import Activity, Booking, CalendarPeriod, Registration
from tests.activities.test_bookings import book, centre, household

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
D = datetime.date
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)  # Tuesday 1 December


FIRST, LAST = D(2026, 12, 1), D(2026, 12, 18)


def approve(family, child, activity, pattern, first=FIRST, last=LAST, now=NOW):
    return registrations.approve(family=family, child=child, activity=activity, first_day=first, last_day=last,
                                 pattern=pattern, user=None, now=now)


def days_booked(child, unit):
    return list(Booking.objects.filter(child=child, unit=unit, state="booked").order_by("day")
                .values_list("day", flat=True))


def test_approval_books_every_monday_and_wednesday_of_the_period_the_rules_allow():
    whole, half, meal = centre(capacity=10, needs_registration=True)
    family, (child,) = household()
    CalendarPeriod.objects.create(kind="closure", label="Grève", first_day=D(2026, 12, 16), last_day=D(2026, 12, 16))
    registration, results = approve(family, child, whole.activity, {"0": [whole.pk], "2": [half.pk, meal.pk]})
    # Wednesday 2 December's deadline (Tuesday 18:00) is ahead; the 16th is closed, so not in the pattern.
    assert days_booked(child, whole) == [D(2026, 12, 7), D(2026, 12, 14)]
    assert days_booked(child, half) == [D(2026, 12, 2), D(2026, 12, 9)]
    assert days_booked(child, meal) == [D(2026, 12, 2), D(2026, 12, 9)]  # each after its half day
    assert not [r for _line, r in results if isinstance(r, BookingRefused)]
    assert registration.pattern == {"0": [whole.pk], "2": [half.pk, meal.pk]}


def test_an_activity_that_needs_a_registration_refuses_a_child_without_one():
    whole, _half, _meal = centre(needs_registration=True)
    family, (child,) = household()
    with pytest.raises(BookingRefused, match="n'est pas inscrit\\(e\\) à Centre de loisirs pour ce jour"):
        book(family, child, whole, now=NOW)
    approve(family, child, whole.activity, {}, first=D(2026, 12, 9), last=D(2026, 12, 9))
    assert book(family, child, whole, now=NOW).state == "booked"


def test_a_new_pattern_from_a_day_cancels_what_no_longer_fits_and_books_the_rest():
    whole, half, _meal = centre(capacity=10)
    family, (child,) = household()
    registration, _ = approve(family, child, whole.activity, {"0": [whole.pk]})
    cancelled, booked = registrations.change_pattern(registration, from_day=D(2026, 12, 10),
                                                     pattern={"3": [half.pk]}, user=None, now=NOW)
    assert days_booked(child, whole) == [D(2026, 12, 7)]
    assert days_booked(child, half) == [D(2026, 12, 10), D(2026, 12, 17)]
    assert [b.day for b, result in cancelled if not isinstance(result, BookingRefused)] == [D(2026, 12, 14)]


def test_ending_a_registration_cancels_its_days_and_keeps_those_past_their_deadline():
    whole, _half, _meal = centre(capacity=10)
    family, (child,) = household()
    registration, _ = approve(family, child, whole.activity, {"0": [whole.pk], "1": [whole.pk]})
    late = datetime.datetime(2026, 12, 7, 19, 0, tzinfo=PARIS)  # Tuesday the 8th's deadline has passed
    outcomes = registrations.end(registration, from_day=D(2026, 12, 8), user=None, now=late)
    kept = [b.day for b, result in outcomes if isinstance(result, BookingRefused)]
    assert kept == [D(2026, 12, 8)]
    # Tuesday 1st was past its deadline when the registration was approved (Monday 30 November 18:00).
    assert days_booked(child, whole) == [D(2026, 12, 7), D(2026, 12, 8)]
    # It still covers the day that stayed booked.
    assert Registration.objects.get(pk=registration.pk).last_day == D(2026, 12, 8)


@pytest.mark.parametrize("pattern, message", [
    ([1, 2], "Semaine type invalide"),
    ({"8": []}, "Semaine type invalide"),
    ({"lundi": []}, "Semaine type invalide"),
    ({"0": "x"}, "Semaine type invalide"),
    ({"0": [999999]}, "n'est pas une prestation de Centre de loisirs"),
    ({"0": [[1]]}, "Semaine type invalide"),
    ({"0": [True]}, "Semaine type invalide"),
    ({"0": [1.0]}, "Semaine type invalide"),
    ({"00": []}, "Semaine type invalide"),
    ({"0": [1] * 50}, "Semaine type invalide"),
])
def test_a_pattern_that_cannot_be_is_refused_in_french(pattern, message):
    whole, _half, _meal = centre()
    family, (child,) = household()
    with pytest.raises(BookingRefused, match=message):
        approve(family, child, whole.activity, pattern)
    assert not Registration.objects.exists()


def test_a_registration_of_another_households_child_or_over_another_is_refused():
    whole, _half, _meal = centre()
    family, (child,) = household()
    stranger, _ = household(0)
    with pytest.raises(BookingRefused, match="pas rattaché"):
        approve(stranger, child, whole.activity, {})
    approve(family, child, whole.activity, {})
    with pytest.raises(BookingRefused, match="déjà inscrit"):
        approve(family, child, whole.activity, {}, first=D(2026, 12, 10), last=D(2027, 1, 10))
    other_activity = Activity.objects.create(name="Cantine", kind="canteen", booking_rule={}, cancellation_rule={})
    assert registrations.covering(child, other_activity, D(2026, 12, 2)) is None
    assert registrations.covering(child, whole.activity, D(2026, 12, 2)) is not None


def test_a_new_pattern_never_cancels_what_was_booked_by_hand_or_by_another_registration():
    whole, half, _meal = centre(capacity=10)
    family, (child,) = household()
    earlier, _ = approve(family, child, whole.activity, {"0": [whole.pk]}, first=D(2026, 12, 1), last=D(2026, 12, 8))
    later, _ = approve(family, child, whole.activity, {"0": [whole.pk]}, first=D(2026, 12, 9), last=LAST)
    by_hand = book(family, child, half, day=D(2026, 12, 16), now=NOW)
    registrations.change_pattern(later, from_day=D(2026, 12, 1), pattern={}, user=None, now=NOW)
    assert days_booked(child, whole) == [D(2026, 12, 7)]  # the earlier registration's Monday stays
    assert Booking.objects.get(pk=by_hand.pk).state == "booked"
