"""The pure parts of bench/bookings_open.py and bench/hot_spot.py (bench/booking_bench.py), and their database
checks on a tiny database. The benchmarks themselves need gunicorn and a generated commune: not run here."""

import datetime
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bb():
    spec = importlib.util.spec_from_file_location("booking_bench", ROOT / "bench" / "booking_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


D = datetime.date


def test_four_consecutive_weeks_skip_a_week_with_a_closed_day(bb):
    closed = {D(2027, 1, 14)}  # a Thursday in the second week
    days = bb.pick_weeks(D(2027, 1, 1), lambda day: day not in closed)
    assert days[0] == D(2027, 1, 18) and days[-1] == D(2027, 2, 12)
    assert len(days) == 16 and {d.weekday() for d in days} == {0, 1, 3, 4}
    assert bb.months_of(days) == ["2027-01", "2027-02"]


def test_weeks_start_on_the_monday_given_or_the_next(bb):
    assert bb.pick_weeks(D(2027, 1, 4), lambda day: True, count=1)[0] == D(2027, 1, 4)
    assert bb.pick_weeks(D(2027, 1, 5), lambda day: True, count=1)[0] == D(2027, 1, 11)
    assert bb.pick_weeks(D(2027, 1, 4), lambda day: False, horizon_weeks=5) == []


def test_the_first_wednesday_open(bb):
    assert bb.pick_day(D(2026, 12, 2), lambda day: day > D(2026, 12, 10)) == D(2026, 12, 16)
    assert bb.pick_day(D(2026, 12, 3), lambda day: True) == D(2026, 12, 9)


def test_the_calendar_form_is_read_as_a_browser_posts_it(bb):
    html = ('<input type="hidden" name="csrfmiddlewaretoken" value="tok">'
            '<input type="checkbox" name="b" value="1.2.20270104" id="c1.2.20270104" checked>'
            '<input type="hidden" name="was" value="1.2.20270104">'
            '<input type="checkbox" name="b" value="1.2.20270105" id="c1.2.20270105" aria-describedby="s1">'
            '<input type="checkbox" name="x" value="9">')
    csrf, boxes, was = bb.parse_calendar_form(html)
    assert csrf == "tok" and boxes == {"1.2.20270104": True, "1.2.20270105": False} and was == {"1.2.20270104"}
    body = bb.form_body(csrf, "2027-01", {"1.2.20270104", "1.2.20270105"}, was)
    assert body == ("csrfmiddlewaretoken=tok&mois=2027-01&b=1.2.20270104&b=1.2.20270105&was=1.2.20270104")
    assert bb.key(1, 2, D(2027, 1, 4)) == "1.2.20270104"
    assert bb.request_id("/portail/demandes/12/") == 12
    assert bb.request_id("/portail/reservations/?mois=2027-01") is None


def test_the_waiting_list_check(bb):
    good = [(1, "booked", None), (2, "booked", None), (3, "waiting", 1), (5, "waiting", 2)]
    assert bb.waiting_list_problems(good, capacity=2, households=4) == []
    gap = [(1, "booked", None), (2, "booked", None), (3, "waiting", 1), (5, "waiting", 3)]
    assert bb.waiting_list_problems(gap, capacity=2, households=4)
    disorder = [(1, "booked", None), (2, "booked", None), (5, "waiting", 1), (3, "waiting", 2)]
    assert bb.waiting_list_problems(disorder, capacity=2, households=4)
    late_booking = [(1, "booked", None), (6, "booked", None), (3, "waiting", 1), (5, "waiting", 2)]
    assert bb.waiting_list_problems(late_booking, capacity=2, households=4)
    assert bb.waiting_list_problems(good, capacity=3, households=4)


@pytest.mark.django_db
def test_the_overbooking_check_and_the_reset(bb):
    from enfance.activities.models import Activity, Booking, Place, PlaceDay, Unit
    from tests.factories import ChildFactory, FamilyFactory

    family = FamilyFactory()
    child = ChildFactory(family=family)
    activity = Activity.objects.create(name="Mercredis", kind=Activity.Kind.LEISURE, booking_rule={}, cancellation_rule={})
    place = Place.objects.create(name="Salle", capacity=1)
    unit = Unit.objects.create(activity=activity, name="Journée")
    unit.places.add(place)
    day = D(2027, 1, 6)
    row = PlaceDay.objects.create(place=place, day=day, booked=1)
    booking = Booking.objects.create(child=child, family=family, unit=unit, day=day, state=Booking.State.BOOKED)
    booking.taken.add(row)
    assert bb.place_problems() == (1, [], [])
    PlaceDay.objects.filter(pk=row.pk).update(booked=2)
    checked, over, mismatched = bb.place_problems()
    assert checked == 1 and len(over) == 1 and len(mismatched) == 1
    assert bb.place_problems(days=[D(2027, 1, 13)]) == (0, [], [])
    deleted, withdrawn = bb.reset_bookings(unit_ids=[unit.pk], days=[day], family_ids=[family.pk])
    assert (deleted, withdrawn) == (1, 0)
    row.refresh_from_db()
    assert row.booked == 0 and not Booking.objects.exists() and bb.place_problems() == (1, [], [])
