"""Occupancy per place and day against capacity, the waiting lists, the daily lists by site and group, and the
kitchen's forecast limited to open days."""

import datetime

import pytest

from enfance.activities import kitchen, occupancy
from enfance.activities.catalogue import create_catalogue
from enfance.activities.models import Absence, Booking, CalendarPeriod, PlaceDay
from tests.factories import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 12, 7)  # a school week (the Christmas holidays start on the 19th)


def book(child, family, unit, day, *, state=Booking.State.BOOKED, position=None):
    """A booking written directly (the rules are tested in test_bookings.py), its places taken."""
    booking = Booking.objects.create(child=child, family=family, unit=unit, day=day, state=state,
                                     waiting_position=position)
    if state == Booking.State.BOOKED:
        for place in unit.places.all():
            row, _ = PlaceDay.objects.get_or_create(place=place, day=day)
            row.booked += 1
            row.save(update_fields=["booked"])
            booking.taken.add(row)
    return booking


@pytest.fixture
def catalogue():
    return create_catalogue(MONDAY)


def unit_of(activity, name=None):
    units = activity.units.all()
    return units.get(name=name) if name else units.order_by("pk").first()


def test_a_week_counts_each_place_and_day_against_its_capacity(catalogue):
    meal = unit_of(catalogue["canteen_e"])
    family = FamilyFactory()
    for n in range(3):
        book(ChildFactory(family=family, first_name=f"E{n}"), family, meal, MONDAY)
    week = occupancy.week(MONDAY + datetime.timedelta(days=2))  # any day: its week
    assert week.monday == MONDAY and week.days == [MONDAY + datetime.timedelta(days=n) for n in range(5)]
    rows = {row.place.name: row for row in week.places}
    refectory = rows["Réfectoire de l'école primaire"]
    assert [(d.booked, d.capacity) for d in refectory.days] == [(3, 160), (0, 160), (0, 160), (0, 160), (0, 160)]
    assert refectory.site == "École primaire de Tourrettes"
    # A place nobody booked this week has no PlaceDay row: 0 every day.
    assert [d.booked for d in rows["Garderie du soir"].days] == [0] * 5
    assert not PlaceDay.objects.filter(place=rows["Garderie du soir"].place).exists()
    # Sorted by site, then place.
    assert [(r.site, r.place.name) for r in week.places] == sorted((r.site, r.place.name) for r in week.places)


def test_full_and_nearly_full_days(catalogue):
    count = occupancy.DayCount(MONDAY, booked=40, capacity=40)
    assert count.is_full and count.free == 0 and not count.is_nearly_full
    assert occupancy.DayCount(MONDAY, booked=36, capacity=40).is_nearly_full
    assert not occupancy.DayCount(MONDAY, booked=35, capacity=40).is_nearly_full
    assert occupancy.DayCount(MONDAY, booked=42, capacity=40).free == 0  # staff overbooked with an override


def test_the_waiting_lists_of_the_week_in_order(catalogue):
    whole = unit_of(catalogue["wednesday"], "Journée avec repas")
    half = unit_of(catalogue["wednesday"], "Matinée")
    wednesday = MONDAY + datetime.timedelta(days=2)
    family = FamilyFactory(reference="W00042")
    kids = [ChildFactory(family=family, first_name=name) for name in ("Zoé", "Adam", "Lina")]
    book(kids[0], family, whole, wednesday, state=Booking.State.WAITING, position=2)
    book(kids[1], family, whole, wednesday, state=Booking.State.WAITING, position=1)
    book(kids[2], family, half, wednesday, state=Booking.State.WAITING, position=1)
    book(kids[2], family, half, wednesday + datetime.timedelta(days=7), state=Booking.State.WAITING, position=1)
    week = occupancy.week(MONDAY)
    assert [(w.day, w.unit.name, [(b.waiting_position, b.child.first_name, b.family.reference) for b in w.entries])
            for w in week.waiting] == [
        (wednesday, "Journée avec repas", [(1, "Adam", "W00042"), (2, "Zoé", "W00042")]),
        (wednesday, "Matinée", [(1, "Lina", "W00042")]),
    ]


def test_a_week_costs_four_queries_however_full(catalogue, django_assert_num_queries):
    whole = unit_of(catalogue["wednesday"], "Journée avec repas")
    family = FamilyFactory()
    with django_assert_num_queries(4):
        occupancy.week(MONDAY)
    for n in range(6):
        child = ChildFactory(family=family, first_name=f"E{n}")
        book(child, family, whole, MONDAY + datetime.timedelta(days=2), state=Booking.State.WAITING, position=n + 1)
        book(child, family, unit_of(catalogue["canteen_m"]), MONDAY)
    with django_assert_num_queries(4):
        week = occupancy.week(MONDAY)
    assert len(week.waiting[0].entries) == 6


def test_closed_days_are_named_and_a_weekend_shown_only_when_someone_comes(catalogue):
    CalendarPeriod.objects.create(kind=CalendarPeriod.Kind.CLOSURE, label="Grève", first_day=MONDAY,
                                  last_day=MONDAY)
    week = occupancy.week(MONDAY)
    assert week.closed_days == [(MONDAY, "Grève")]
    assert len(week.days) == 5
    saturday = MONDAY + datetime.timedelta(days=5)
    family = FamilyFactory()
    book(ChildFactory(family=family), family, unit_of(catalogue["wednesday"], "Matinée"), saturday)
    week = occupancy.week(MONDAY)
    assert week.days[-1] == saturday and week.closed[saturday] == ""


def test_the_daily_list_by_site_and_group(catalogue):
    wednesday = MONDAY + datetime.timedelta(days=2)
    whole = unit_of(catalogue["wednesday"], "Journée avec repas")
    half = unit_of(catalogue["wednesday"], "Matinée")
    family = FamilyFactory()
    small = ChildFactory(family=family, first_name="Petit", last_name="Zorro", birth_date=datetime.date(2022, 1, 5))
    big = ChildFactory(family=family, first_name="Grand", last_name="Abel", birth_date=datetime.date(2017, 1, 5))
    big2 = ChildFactory(family=family, first_name="Moyen", last_name="Bert", birth_date=datetime.date(2018, 1, 5))
    too_old = ChildFactory(family=family, first_name="Ado", birth_date=datetime.date(2013, 1, 5))
    book(small, family, whole, wednesday)
    book(big2, family, half, wednesday)
    absent = book(big, family, whole, wednesday)
    Absence.objects.create(booking=absent, reason="illness", declared_at="2026-12-08T08:00:00Z")
    book(too_old, family, whole, wednesday)  # in no group (written directly, past the age rule)
    book(ChildFactory(family=family, first_name="Attend"), family, whole, wednesday, state=Booking.State.WAITING,
         position=1)
    book(ChildFactory(family=family, first_name="Autre jour"), family, whole, wednesday + datetime.timedelta(7))
    sections = occupancy.daily_list(catalogue["wednesday"], wednesday)
    centre = "Centre de loisirs de Tourrettes"
    assert [(s.site, s.group, [(b.child.first_name, b.unit.name) for b in s.bookings]) for s in sections] == [
        (centre, "Maternelles (3-5 ans)", [("Petit", "Journée avec repas")]),
        (centre, "Élémentaires (6-11 ans)", [("Grand", "Journée avec repas"), ("Moyen", "Matinée")]),
        (centre, "Sans groupe", [("Ado", "Journée avec repas")]),
    ]
    assert sections[1].bookings[0].absence.reason == "illness"


def test_the_daily_list_of_an_activity_without_groups_by_site(catalogue, django_assert_num_queries):
    family = FamilyFactory()
    for name in ("Bruno", "Alice"):
        book(ChildFactory(family=family, first_name=name, last_name="Martin"), family,
             unit_of(catalogue["canteen_m"]), MONDAY)
    with django_assert_num_queries(4):
        sections = occupancy.daily_list(catalogue["canteen_m"], MONDAY)
    assert [(s.site, s.group, [b.child.first_name for b in s.bookings]) for s in sections] == [
        ("École maternelle Les Oliviers", "", ["Alice", "Bruno"])]


def test_the_kitchen_forecast_keeps_open_days_only(catalogue, django_assert_num_queries):
    friday = MONDAY + datetime.timedelta(days=4)
    CalendarPeriod.objects.create(kind=CalendarPeriod.Kind.CLOSURE, label="Pont", first_day=friday, last_day=friday)
    family = FamilyFactory()
    child = ChildFactory(family=family, diet="vegetarian")
    meal = unit_of(catalogue["canteen_e"])
    book(child, family, meal, MONDAY)
    book(child, family, meal, friday)  # booked before the closure: not cooked
    with django_assert_num_queries(2):
        days = kitchen.forecast_days(MONDAY)
    assert days[0].day == MONDAY and (days[0].meals, days[0].by_diet) == (1, {"vegetarian": 1})
    assert friday not in [d.day for d in days]
    assert all(d.day.weekday() < 5 for d in days) and len(days) == 9  # two weeks, the bridge day aside
    assert days[1].rows == [] and days[1].meals == 0
    assert [label for label, _ in days[0].diets] == ["Menu standard", "Sans porc", "Végétarien", "Panier repas (PAI)"]
    assert [meals for _, meals in days[0].rows[0].diets] == [0, 0, 1, 0]
