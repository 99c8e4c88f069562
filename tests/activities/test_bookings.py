"""Booking, cancelling and the waiting list: deadlines, closed days, age, exclusions, requirements, capacity
shared between units, shared custody, and the promotion of the first child waiting."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enfance.activities import bookings
from enfance.activities.bookings import BookingRefused, Override
from enfance.activities.models import Activity, Booking, CalendarPeriod, Place, PlaceDay, Unit
from tests.factories import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
WEDNESDAY = datetime.date(2026, 12, 9)
BEFORE = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=PARIS)  # Monday noon: every deadline still ahead
DAY_BEFORE_RULE = {"kind": "days_before", "days": 1, "at": "18:00", "open_days": False}


def centre(capacity=2, **activity):
    """The leisure centre: a whole day (morning, lunch, afternoon) and a morning, sharing the morning room."""
    leisure = Activity.objects.create(name="Centre de loisirs", kind="leisure", booking_rule=DAY_BEFORE_RULE,
                                      cancellation_rule=DAY_BEFORE_RULE, **activity)
    morning = Place.objects.create(name="Salle du matin", slot="morning", capacity=capacity)
    lunch = Place.objects.create(name="Réfectoire", slot="lunch", capacity=100)
    afternoon = Place.objects.create(name="Salle de l'après-midi", slot="afternoon", capacity=100)
    whole = Unit.objects.create(activity=leisure, name="Journée")
    whole.places.set([morning, lunch, afternoon])
    half = Unit.objects.create(activity=leisure, name="Matinée")
    half.places.set([morning])
    meal = Unit.objects.create(activity=leisure, name="Repas après la matinée", requires=half)
    meal.places.set([lunch])
    whole.excludes.set([half, meal])
    return whole, half, meal


def household(children=1):
    family = FamilyFactory()
    return family, [ChildFactory(family=family, first_name=f"Enfant{i}") for i in range(children)]


def book(family, child, unit, day=WEDNESDAY, now=BEFORE, **extra):
    return bookings.book(family=family, child=child, unit=unit, day=day, user=None, now=now, **extra)


def waiting_positions(unit, day=WEDNESDAY):
    return list(Booking.objects.filter(unit=unit, day=day, state="waiting").order_by("waiting_position")
                .values_list("waiting_position", flat=True))


def test_a_booking_takes_a_place_and_booking_again_changes_nothing():
    whole, _half, _meal = centre()
    family, (child,) = household()
    first = book(family, child, whole)
    assert first.state == "booked" and book(family, child, whole) == first
    assert list(PlaceDay.objects.filter(day=WEDNESDAY).values_list("booked", flat=True)) == [1, 1, 1]


def test_a_full_unit_puts_children_on_the_waiting_list_in_order():
    whole, half, _meal = centre(capacity=2)
    family, children = household(5)
    states = [book(family, child, whole).state for child in children[:3]]
    assert states == ["booked", "booked", "waiting"]
    # The morning room is full for the half days too: 40 whole days and 20 half days never share a room of 40.
    assert book(family, children[3], half).waiting_position == 1
    assert book(family, children[4], whole).waiting_position == 2
    assert waiting_positions(whole) == [1, 2]


def test_the_deadline_is_the_servers_and_staff_may_pass_it_with_a_reason():
    whole, _half, _meal = centre()
    family, (child,) = household()
    late = datetime.datetime(2026, 12, 8, 18, 0, tzinfo=PARIS)
    with pytest.raises(BookingRefused, match="closes depuis le mardi 8 décembre( 2026)? à 18 h 00"):
        book(family, child, whole, now=late)
    assert not Booking.objects.exists()
    assert book(family, child, whole, now=late, override=Override("Appel de la mère")).state == "booked"


def test_a_closed_day_says_why():
    whole, _half, _meal = centre()
    family, (child,) = household()
    with pytest.raises(BookingRefused, match="Noël"):
        book(family, child, whole, day=datetime.date(2026, 12, 25), now=BEFORE)
    with pytest.raises(BookingRefused, match="week-end"):
        book(family, child, whole, day=datetime.date(2026, 12, 12))
    CalendarPeriod.objects.create(kind="closure", label="Grève", first_day=WEDNESDAY, last_day=WEDNESDAY)
    with pytest.raises(BookingRefused, match="Grève"):
        book(family, child, whole)


def test_an_activity_for_older_children_refuses_a_younger_one():
    whole, _half, _meal = centre(min_age=6)
    family, _ = household(0)
    young = ChildFactory(family=family, first_name="Tom", birth_date=datetime.date(2021, 12, 10))
    with pytest.raises(BookingRefused, match="Tom n'a pas l'âge"):
        book(family, young, whole)
    young.birth_date = datetime.date(2020, 12, 9)  # 6 on that very day
    young.save(update_fields=["birth_date"])
    assert book(family, young, whole).state == "booked"


def test_units_that_exclude_each_other_and_a_unit_that_requires_another():
    whole, half, meal = centre()
    family, (child, other) = household(2)
    book(family, child, whole)
    with pytest.raises(BookingRefused, match="pas compatible"):
        book(family, child, half)
    with pytest.raises(BookingRefused, match="demande d'abord : Matinée"):
        book(family, other, meal)
    book(family, other, half)
    assert book(family, other, meal).state == "booked"


def test_shared_custody_one_booking_per_child_and_the_other_household_is_told():
    whole, _half, _meal = centre()
    family, (child,) = household()
    other = FamilyFactory()
    ChildFactory._meta.model.objects.get(pk=child.pk).links.create(family=other)
    book(family, child, whole)
    with pytest.raises(BookingRefused, match="Réservé par l'autre foyer"):
        book(other, child, whole)
    stranger = FamilyFactory()
    with pytest.raises(BookingRefused, match="pas rattaché à votre foyer"):
        book(stranger, child, whole)


def test_a_cancellation_frees_the_place_for_the_first_child_waiting():
    whole, half, _meal = centre(capacity=1)
    family, (first, second, third) = household(3)
    booked = book(family, first, whole)
    book(family, second, whole)
    book(family, third, whole)
    promoted = bookings.cancel(booked, family=family, user=None, now=BEFORE)
    assert [b.child_id for b in promoted] == [second.pk]
    assert Booking.objects.get(child=second).state == "booked" and not promoted[0].needs_acceptance
    assert Booking.objects.get(child=third).waiting_position == 1  # moved up, the list stays 1, 2, 3...
    assert bookings.cancel(booked, family=family, user=None, now=BEFORE) == []  # twice: nothing more
    assert PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY).booked == 1


def test_a_freed_whole_day_can_go_to_a_half_day_waiting():
    whole, half, _meal = centre(capacity=1)
    family, (first, second) = household(2)
    booked = book(family, first, whole)
    assert book(family, second, half).state == "waiting"
    promoted = bookings.cancel(booked, family=family, user=None, now=BEFORE)
    assert [(b.child_id, b.unit_id) for b in promoted] == [(second.pk, half.pk)]


def test_leaving_the_waiting_list_is_always_allowed_and_closes_the_gap():
    whole, _half, _meal = centre(capacity=1)
    family, children = household(4)
    waiting = [book(family, child, whole) for child in children][1:]
    late = datetime.datetime(2026, 12, 9, 10, 0, tzinfo=PARIS)
    bookings.cancel(waiting[0], family=family, user=None, now=late)
    assert waiting_positions(whole) == [1, 2]
    assert Booking.objects.get(pk=waiting[2].pk).waiting_position == 2


def test_after_the_cancellation_deadline_a_booking_stays_and_a_promoted_place_must_be_accepted():
    whole, _half, _meal = centre(capacity=1)
    family, (first, second) = household(2)
    booked = book(family, first, whole)
    book(family, second, whole)
    late = datetime.datetime(2026, 12, 8, 19, 0, tzinfo=PARIS)
    with pytest.raises(BookingRefused, match="déclarez plutôt une absence"):
        bookings.cancel(booked, family=family, user=None, now=late)
    promoted = bookings.cancel(booked, family=family, user=None, now=late, override=Override("Hospitalisation"))
    assert promoted[0].needs_acceptance


def test_a_household_cancels_only_its_own_bookings():
    whole, _half, _meal = centre()
    family, (child,) = household()
    booked = book(family, child, whole)
    with pytest.raises(BookingRefused):
        bookings.cancel(booked, family=FamilyFactory(), user=None, now=BEFORE)
    assert Booking.objects.get(pk=booked.pk).state == "booked"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["book", "cancel"]), st.integers(0, 5), st.sampled_from([0, 1, 2])),
                max_size=30))
def test_no_booking_ever_exceeds_capacity_and_the_lists_stay_in_order(operations):
    Booking.objects.all().delete()
    PlaceDay.objects.all().delete()
    Unit.objects.update(requires=None)
    Unit.objects.all().delete()
    Place.objects.all().delete()
    Activity.objects.all().delete()
    whole, half, meal = centre(capacity=2)
    family, children = household(6)
    units = [whole, half, meal]
    for action, index, unit_index in operations:
        child, unit = children[index], units[unit_index]
        if action == "book":
            try:
                book(family, child, unit)
            except BookingRefused:
                pass  # an exclusion
        else:
            live = Booking.objects.filter(child=child, unit=unit).exclude(state="cancelled").first()
            if live is not None:
                before = Booking.objects.filter(state="booked").count()
                try:
                    promoted = bookings.cancel(live, family=family, user=None, now=BEFORE)
                except BookingRefused:
                    continue  # its meal still needs it
                assert not Booking.objects.filter(child=child, day=WEDNESDAY, unit=meal, state="booked").exists() \
                    or unit != half
                after = Booking.objects.filter(state="booked").count()
                assert after == before - (live.state == "booked") + len(promoted)
        # A meal is booked only with its half day.
        for booked_meal in Booking.objects.filter(unit=meal, state="booked"):
            assert Booking.objects.filter(child=booked_meal.child, day=booked_meal.day, unit=half,
                                          state="booked").exists()
        for place_day in PlaceDay.objects.select_related("place"):
            booked = Booking.objects.filter(state="booked", day=place_day.day,
                                            unit__places=place_day.place).count()
            assert place_day.booked == booked <= place_day.place.capacity
        for each in units:
            assert waiting_positions(each) == list(range(1, len(waiting_positions(each)) + 1))


def test_a_booking_another_needs_is_cancelled_after_it():
    _whole, half, meal = centre()
    family, (child,) = household()
    morning = book(family, child, half)
    lunch = book(family, child, meal)
    with pytest.raises(BookingRefused, match="Annulez d'abord : Repas après la matinée"):
        bookings.cancel(morning, family=family, user=None, now=BEFORE)
    bookings.cancel(lunch, family=family, user=None, now=BEFORE)
    bookings.cancel(morning, family=family, user=None, now=BEFORE)
    assert set(Booking.objects.values_list("state", flat=True)) == {"cancelled"}


def test_a_place_given_after_the_deadline_can_be_declined_or_accepted():
    whole, _half, _meal = centre(capacity=1)
    family, (first, second) = household(2)
    late = datetime.datetime(2026, 12, 8, 19, 0, tzinfo=PARIS)
    for _round in range(2):
        Booking.objects.all().delete()
        PlaceDay.objects.update(booked=0)
        held = book(family, first, whole)
        book(family, second, whole)
        (given_place,) = bookings.cancel(held, family=family, user=None, now=late, override=Override("Malade"))
        assert given_place.needs_acceptance and given_place.accepted_at is None
        if _round == 0:
            bookings.cancel(given_place, family=family, user=None, now=late)  # declined, whatever the deadline
            assert Booking.objects.get(pk=given_place.pk).state == "cancelled"
        else:
            bookings.accept(given_place, family=family, now=late)
            with pytest.raises(BookingRefused, match="déclarez plutôt une absence"):
                bookings.cancel(given_place, family=family, user=None, now=late)


def test_a_newcomer_waits_behind_the_children_already_waiting_when_a_place_appears():
    whole, _half, _meal = centre(capacity=1)
    family, (first, second, third) = household(3)
    book(family, first, whole)
    book(family, second, whole)
    Place.objects.filter(slot="morning").update(capacity=2)
    assert book(family, third, whole).waiting_position == 2


def test_a_booking_gives_back_the_places_it_took_even_if_its_unit_changed():
    whole, _half, _meal = centre()
    family, (child,) = household()
    booking = book(family, child, whole)
    evening = Place.objects.create(name="Salle du soir", slot="evening", capacity=10)
    whole.places.add(evening)
    bookings.cancel(booking, family=family, user=None, now=BEFORE)
    assert sorted(PlaceDay.objects.values_list("booked", flat=True)) == [0, 0, 0, 0]


def test_a_deadline_table_without_the_day_refuses_the_booking_in_french():
    whole, _half, _meal = centre()
    Activity.objects.update(booking_rule={"kind": "per_weekday",
                                          "table": [{"booked": 0, "weekday": 4, "at": "11:00"}]})
    family, (child,) = household()
    with pytest.raises(BookingRefused, match="Aucun délai n'est prévu pour le mercredi"):
        book(family, child, whole)


def test_a_staff_override_is_in_the_audit_trail_with_its_reason():
    from enfance.core.models import AuditEntry

    whole, _half, _meal = centre(capacity=1)
    family, (first, second) = household(2)
    book(family, first, whole)
    forced = book(family, second, whole, override=Override("Place supplémentaire accordée", capacity=True))
    assert forced.state == "booked"
    entry = AuditEntry.objects.get(action="override")
    assert entry.note == "Place supplémentaire accordée" and entry.family == family


def test_several_lines_at_once_each_with_its_outcome():
    whole, half, meal = centre(capacity=1)
    family, (first, second) = household(2)
    thursday = WEDNESDAY + datetime.timedelta(days=1)
    results = bookings.book_many(family=family, user=None, now=BEFORE, lines=[
        bookings.Line(first, whole, WEDNESDAY), bookings.Line(second, whole, WEDNESDAY),
        bookings.Line(first, half, WEDNESDAY), bookings.Line(first, whole, thursday),
        bookings.Line(first, whole, datetime.date(2026, 12, 12)),
    ])
    outcomes = [r.state if isinstance(r, Booking) else r.message for _line, r in results]
    assert outcomes[:2] == ["booked", "waiting"]
    assert "pas compatible" in outcomes[2] and outcomes[3] == "booked" and "week-end" in outcomes[4]


def test_a_unit_cannot_require_itself_or_a_unit_it_excludes():
    from django.core.exceptions import ValidationError

    whole, half, meal = centre()
    meal.requires = meal
    with pytest.raises(ValidationError, match="elle-même"):
        meal.clean()
    whole.requires = half
    with pytest.raises(ValidationError, match="incompatible"):
        whole.clean()


def test_an_activity_runs_on_its_weekdays_and_in_or_out_of_school_holidays():
    whole, _half, _meal = centre(weekdays=[2])  # Wednesdays only
    family, (child,) = household()
    with pytest.raises(BookingRefused, match="Centre de loisirs ne fonctionne pas les jeudis"):
        book(family, child, whole, day=WEDNESDAY + datetime.timedelta(days=1))
    CalendarPeriod.objects.create(kind="school_holidays", label="Vacances de Noël",
                                  first_day=datetime.date(2026, 12, 19), last_day=datetime.date(2027, 1, 3))
    holiday_wednesday = datetime.date(2026, 12, 23)
    with pytest.raises(BookingRefused, match="ne fonctionne pas pendant les Vacances de Noël"):
        book(family, child, whole, day=holiday_wednesday)
    Activity.objects.update(runs="holidays", weekdays=[])
    with pytest.raises(BookingRefused, match="ne fonctionne que pendant les vacances scolaires"):
        book(family, child, whole)
    assert book(family, child, whole, day=holiday_wednesday).state == "booked"


def test_bookings_of_a_session_open_at_their_date_and_time():
    from enfance.activities.models import BookingOpening

    whole, _half, _meal = centre(runs="all")
    family, (child,) = household()
    BookingOpening.objects.create(activity=whole.activity, first_day=datetime.date(2026, 12, 1),
                                  last_day=datetime.date(2026, 12, 31),
                                  opens_at=datetime.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS))
    early = datetime.datetime(2026, 12, 7, 7, 59, tzinfo=PARIS)
    with pytest.raises(BookingRefused, match="ouvrent le lundi 7 décembre( 2026)? à 08 h 00"):
        book(family, child, whole, now=early)
    assert book(family, child, whole, now=early, override=Override("Inscription au guichet")).state == "booked"
    other, (second,) = household()
    assert book(other, second, whole, now=datetime.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)).state == "booked"


@pytest.mark.parametrize("weekdays", [[7], ["1"], [True], [1, 1], "lundi", {"0": 1}])
def test_an_activity_with_impossible_weekdays_is_refused(weekdays):
    from django.core.exceptions import ValidationError

    activity = Activity(name="Essai", kind="care", booking_rule=DAY_BEFORE_RULE, cancellation_rule=DAY_BEFORE_RULE,
                        weekdays=weekdays)
    with pytest.raises(ValidationError, match="jours de la semaine"):
        activity.clean()


def test_cancelling_a_half_day_gives_its_morning_to_a_whole_day_waiting():
    """The whole day waiting shares only the morning room with the half day: the freed morning goes to it."""
    whole, half, _meal = centre(capacity=1)
    family, (a, b) = household(2)
    held = book(family, a, half)
    waiting = book(family, b, whole)
    assert waiting.state == "waiting"
    (promoted,) = bookings.cancel(held, family=family, user=None, now=BEFORE)
    assert promoted.pk == waiting.pk and Booking.objects.get(pk=waiting.pk).state == "booked"


def test_the_promoted_household_is_told_after_the_commit_and_by_the_sweep_when_that_was_lost(
        django_capture_on_commit_callbacks):
    # Queued on commit only, a notice was lost by a crash between the commit and the e-mail: the household never
    # heard of a place it had to accept. Rendered inside the transaction, it held the day's places locked.
    from django.db import transaction

    from enfance.activities import notices
    from enfance.core.models import OutgoingEmail
    from tests.factories import UserFactory

    whole, _half, _meal = centre(capacity=1)
    family, (first, second, third) = household(3)
    UserFactory(family=family, email="parent@example.org")
    told = OutgoingEmail.objects.filter(to="parent@example.org", template="activities/email/place_offered.txt")
    booked = book(family, first, whole)
    book(family, second, whole)
    with django_capture_on_commit_callbacks(execute=False) as lost:  # the process dies after the commit
        with transaction.atomic():
            bookings.cancel(booked, family=family, user=None, now=BEFORE)
            assert not told.exists()  # nothing rendered under the locks
    assert len(lost) == 1 and not told.exists()
    promoted = Booking.objects.get(child=second)
    assert promoted.state == "booked" and promoted.notice_pending
    assert notices.tell_lost_notices() == 1 and told.count() == 1
    assert notices.tell_lost_notices() == 0 and told.count() == 1  # once
    lost[0]()  # a late callback changes nothing either
    assert told.count() == 1
    # And the usual way: told by the callback after the commit.
    book(family, third, whole)
    with django_capture_on_commit_callbacks(execute=True):
        bookings.cancel(promoted, family=family, user=None, now=BEFORE)
    assert told.count() == 2 and not Booking.objects.filter(notice_pending=True).exists()


def test_an_override_is_recorded_only_where_a_rule_needed_it():
    from enfance.core.models import AuditEntry

    whole, _half, _meal = centre(capacity=1)
    family, (first, second, third) = household(3)
    override = Override("Appel de la mère", deadline=True, capacity=True)
    first_booking = book(family, first, whole, override=override)  # in time, a place free: nothing passed
    bookings.cancel(first_booking, family=family, user=None, now=BEFORE, override=Override("Sans objet", deadline=True))
    assert not AuditEntry.objects.filter(action="override").exists()
    book(family, first, whole)
    assert book(family, second, whole, override=Override("Place accordée", capacity=True)).state == "booked"
    late = datetime.datetime(2026, 12, 8, 19, 0, tzinfo=PARIS)
    assert book(family, third, whole, now=late, override=Override("Urgence", deadline=True)).state == "waiting"
    assert sorted(AuditEntry.objects.filter(action="override").values_list("note", flat=True)) == [
        "Place accordée", "Urgence"]
