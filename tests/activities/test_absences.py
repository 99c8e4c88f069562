"""Absences: before the cancellation deadline a cancellation; after it billed, unless an illness is justified
by a certificate in time; the first days of an illness billed anyway; staff may justify."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from enfance.activities import absences
from enfance.activities.bookings import BookingRefused
from enfance.activities.models import Absence, Booking
from tests.activities.test_bookings import book, centre, household
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
D = datetime.date
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (D(2026, 12, 7 + i) for i in range(5))
NEXT_MONDAY = D(2026, 12, 14)


def at(day, hour=9):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=PARIS)


@pytest.fixture
def week():
    return week_of()


def week_of():
    """A child booked for the whole day every day from Tuesday 8 to Monday 14 December (the weekend closed)."""
    whole, _half, _meal = centre(capacity=1, certificate_days=3, waiting_days=1)
    family, (child, other) = household(2)
    early = at(D(2026, 12, 1))
    for day in (TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, NEXT_MONDAY):
        book(family, child, whole, day=day, now=early)
    book(family, other, whole, day=THURSDAY, now=early)  # waiting for Thursday's only place
    return family, child, other, whole


def declare(family, child, first, last, reason="illness", now=None):
    return absences.declare(family=family, child=child, first_day=first, last_day=last, reason=reason, user=None,
                            now=now or at(TUESDAY, 8))


def test_an_absence_before_the_cancellation_deadline_cancels_and_frees_the_place(week):
    family, child, other, _whole = week
    (absence,) = declare(family, child, THURSDAY, THURSDAY, reason="other", now=at(TUESDAY, 8))
    assert Booking.objects.get(child=child, day=THURSDAY).state == "cancelled"
    assert Booking.objects.get(child=other, day=THURSDAY).state == "booked"  # the first waiting got it
    assert absences.billing(absence, now=at(THURSDAY)) == absences.Billing(
        False, "Signalée avant le délai d'annulation : non facturée.")


def test_an_absence_after_the_deadline_for_another_reason_is_billed_and_says_when_the_deadline_was(week):
    family, child, _other, _whole = week
    (absence,) = declare(family, child, WEDNESDAY, WEDNESDAY, reason="other", now=at(TUESDAY, 19))
    assert Booking.objects.get(child=child, day=WEDNESDAY).state == "booked"  # the meal is ordered
    result = absences.billing(absence, now=at(WEDNESDAY))
    assert result.billed is True and "après le délai d'annulation (8 décembre 2026 à 18:00)" in result.why


def test_an_illness_first_day_is_billed_the_next_ones_wait_for_a_certificate(week):
    family, child, _other, _whole = week
    # Ill since Wednesday, declared on Friday evening: past the deadlines of Wednesday, Thursday and Friday,
    # not of Monday's (Sunday 18:00), which is cancelled.
    declared = {a.booking.day: a for a in declare(family, child, WEDNESDAY, NEXT_MONDAY, now=at(FRIDAY, 20))}
    assert set(declared) == {WEDNESDAY, THURSDAY, FRIDAY, NEXT_MONDAY}
    first = absences.billing(declared[WEDNESDAY], now=at(FRIDAY, 21))
    assert first.billed is True and "Jour de carence" in first.why
    assert Booking.objects.get(child=child, day=NEXT_MONDAY).state == "cancelled"
    pending = absences.billing(declared[FRIDAY], now=at(FRIDAY, 21))
    assert pending.billed is None and "au plus tard le samedi 12 décembre 2026" in pending.why
    # The certificate, in time, covers the whole illness (across the weekend) but not its first day.
    assert absences.add_certificate(declared[FRIDAY], at=at(D(2026, 12, 12), 17)) == 4
    assert absences.billing(Absence.objects.get(pk=declared[FRIDAY].pk), now=at(NEXT_MONDAY)).billed is False
    assert absences.billing(Absence.objects.get(pk=declared[THURSDAY].pk), now=at(NEXT_MONDAY)).billed is False
    assert absences.billing(Absence.objects.get(pk=declared[WEDNESDAY].pk), now=at(NEXT_MONDAY)).billed is True


def test_an_illness_declared_the_first_morning_cancels_the_days_still_open(week):
    family, child, _other, _whole = week
    declared = {a.booking.day: a for a in declare(family, child, WEDNESDAY, FRIDAY, now=at(WEDNESDAY, 7))}
    assert Booking.objects.get(child=child, day=WEDNESDAY).state == "booked"
    assert Booking.objects.get(child=child, day=THURSDAY).state == "cancelled"
    assert "Jour de carence" in absences.billing(declared[WEDNESDAY], now=at(WEDNESDAY)).why
    assert absences.billing(declared[FRIDAY], now=at(WEDNESDAY)).billed is False


def test_without_a_certificate_in_time_an_illness_is_billed(week):
    family, child, _other, _whole = week
    declared = {a.booking.day: a for a in declare(family, child, WEDNESDAY, FRIDAY, now=at(FRIDAY, 20))}
    late = absences.billing(declared[FRIDAY], now=at(NEXT_MONDAY))
    assert late.billed is True and "pas de certificat médical reçu au plus tard le samedi 12 décembre" in late.why
    absences.add_certificate(declared[FRIDAY], at=at(NEXT_MONDAY))
    assert absences.billing(Absence.objects.get(pk=declared[FRIDAY].pk), now=at(NEXT_MONDAY)).billed is True


def test_a_new_illness_after_a_school_day_present_starts_again(week):
    family, child, _other, _whole = week
    (wednesday,) = declare(family, child, WEDNESDAY, WEDNESDAY, now=at(TUESDAY, 20))
    (friday,) = declare(family, child, FRIDAY, FRIDAY, now=at(FRIDAY, 7))  # Thursday present: a new illness
    assert "Jour de carence" in absences.billing(friday, now=at(FRIDAY)).why
    assert absences.add_certificate(friday, at=at(FRIDAY)) == 1
    assert Absence.objects.get(pk=wednesday.pk).certificate_received_at is None


def test_staff_may_justify_an_absence(week):
    family, child, _other, _whole = week
    (absence,) = declare(family, child, WEDNESDAY, WEDNESDAY, reason="other", now=at(TUESDAY, 20))
    absence.justified_by = UserFactory(role="agent")
    absence.save(update_fields=["justified_by"])
    assert absences.billing(absence).billed is False


def test_declaring_again_keeps_the_first_declaration(week):
    family, child, _other, _whole = week
    (first,) = declare(family, child, WEDNESDAY, WEDNESDAY, reason="other", now=at(TUESDAY, 20))
    (again,) = declare(family, child, WEDNESDAY, WEDNESDAY, reason="illness", now=at(WEDNESDAY, 7))
    assert again.pk == first.pk and again.reason == "other"


def test_an_absence_that_cannot_be_is_refused_in_french(week):
    family, child, other, _whole = week
    with pytest.raises(BookingRefused, match="avant le premier"):
        declare(family, child, FRIDAY, WEDNESDAY)
    with pytest.raises(BookingRefused, match="62 jours au plus"):
        declare(family, child, D(2026, 12, 1), D(2027, 3, 1))
    with pytest.raises(BookingRefused, match="Aucune réservation de ce foyer"):
        declare(family, other, MONDAY, MONDAY)
    stranger, _ = household(0)
    with pytest.raises(BookingRefused, match="Aucune réservation"):
        declare(stranger, child, WEDNESDAY, WEDNESDAY)
    assert not Absence.objects.exists()


def test_an_absence_on_a_half_day_and_its_meal_cancels_both_at_once():
    _whole, half, meal = centre(capacity=5)
    family, (child,) = household()
    for day in (WEDNESDAY, THURSDAY):
        book(family, child, half, day=day, now=at(D(2026, 12, 1)))
        book(family, child, meal, day=day, now=at(D(2026, 12, 1)))
    declared = declare(family, child, WEDNESDAY, THURSDAY, reason="other", now=at(TUESDAY, 8))
    assert len(declared) == 4
    assert set(Booking.objects.values_list("state", flat=True)) == {"cancelled"}


def test_declaring_twice_before_the_deadline_gives_the_same_absences():
    family, child, _other, _whole = week_of()
    first = declare(family, child, THURSDAY, FRIDAY, reason="other", now=at(TUESDAY, 8))
    again = declare(family, child, THURSDAY, FRIDAY, reason="other", now=at(TUESDAY, 9))
    assert [a.pk for a in again] == [a.pk for a in first]


def test_a_place_given_and_not_accepted_is_declined_by_an_absence_and_never_billed():
    from enfance.activities import bookings
    from enfance.activities.bookings import Override

    family, child, other, _whole = week_of()
    held = Booking.objects.get(child=child, day=THURSDAY)
    # Past Thursday's cancellation deadline, the evening before: the place offered must be accepted by midnight.
    (given,) = bookings.cancel(held, family=family, user=None, now=at(WEDNESDAY, 20), override=Override("Malade"))
    assert given.child_id == other.pk and given.needs_acceptance
    (absence,) = declare(family, other, THURSDAY, THURSDAY, reason="other", now=at(WEDNESDAY, 21))
    assert Booking.objects.get(pk=given.pk).state == "cancelled"
    assert absences.billing(Absence.objects.get(pk=absence.pk), now=at(FRIDAY)).billed is False


def test_a_day_without_booking_does_not_end_an_illness():
    family, child, _other, whole = week_of()
    Booking.objects.filter(child=child, day=THURSDAY).delete()  # no canteen for this child on Thursdays
    declared = {a.booking.day: a for a in declare(family, child, WEDNESDAY, FRIDAY, now=at(FRIDAY, 20))}
    assert set(declared) == {WEDNESDAY, FRIDAY}
    assert "Jour de carence" not in absences.billing(declared[FRIDAY], now=at(FRIDAY, 21)).why
    assert absences.add_certificate(declared[WEDNESDAY], at=at(FRIDAY, 21)) == 2


def test_a_certificate_covers_the_days_of_the_illness_declared_after_it():
    family, child, _other, _whole = week_of()
    (wednesday,) = declare(family, child, WEDNESDAY, WEDNESDAY, now=at(WEDNESDAY, 20))
    absences.add_certificate(wednesday, at=at(THURSDAY, 9))
    (thursday,) = declare(family, child, THURSDAY, THURSDAY, now=at(THURSDAY, 10))
    assert absences.billing(thursday, now=at(NEXT_MONDAY)).billed is False


def test_the_billing_of_a_month_of_absences_costs_the_same_queries_as_of_one():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    whole, _half, _meal = centre(capacity=30, certificate_days=3, waiting_days=1)
    family, children = household(3)
    days = [D(2026, 12, 1) + datetime.timedelta(days=i) for i in range(31)]
    for child in children:
        for day in days:
            if day.weekday() < 5 and day != D(2026, 12, 25):
                book(family, child, whole, day=day, now=at(D(2026, 11, 20)))
    declared = []
    for child in children:
        declared += declare(family, child, days[0], days[-1], now=at(D(2026, 12, 31), 20))
    assert len(declared) == 3 * 22
    with CaptureQueriesContext(connection) as one:
        absences.billing_many(declared[:1], now=at(D(2027, 1, 4)))
    with CaptureQueriesContext(connection) as month:
        results = absences.billing_many(declared, now=at(D(2027, 1, 4)))
    assert len(month) == len(one) <= 4
    assert sum(r.billed is True for r in results.values()) == 66  # no certificate: all billed
