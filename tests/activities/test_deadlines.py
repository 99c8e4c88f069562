"""Booking and cancellation deadlines in every form communes use, across weekends, public holidays,
closures and the changes of time."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enfance.activities import deadlines
from enfance.activities.calendar import OpeningCalendar
from enfance.activities.deadlines import (
    DayOfPreviousMonth,
    DaysBefore,
    HoursBefore,
    RuleError,
    WeekdayBefore,
    is_open_for,
    rule_from_json,
    rule_to_json,
)

PARIS = ZoneInfo("Europe/Paris")
T = datetime.time
D = datetime.date
EMPTY = OpeningCalendar()


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


def test_the_day_before_at_six_closes_at_six_exactly():
    rule = DaysBefore(1, T(18, 0))
    wednesday = D(2026, 12, 9)
    assert rule.deadline(wednesday, EMPTY) == paris(2026, 12, 8, 18, 0)
    assert is_open_for(wednesday, rule, EMPTY, paris(2026, 12, 8, 17, 59, 59))
    assert not is_open_for(wednesday, rule, EMPTY, paris(2026, 12, 8, 18, 0))
    assert rule.describe() == "la veille à 18 h"


def test_open_days_skip_weekends_and_public_holidays():
    rule = DaysBefore(3, T(0, 0), open_days=True)
    # Tuesday after Whit Monday (25 May 2026): Monday, the weekend skipped; Friday, Thursday, Wednesday counted.
    assert rule.deadline(D(2026, 5, 26), EMPTY) == paris(2026, 5, 20, 0, 0)
    assert rule.describe() == "3 jours ouvrés avant, à 0 h"
    # Counted in calendar days, the weekend and the holiday count.
    assert DaysBefore(3, T(0, 0)).deadline(D(2026, 5, 26), EMPTY) == paris(2026, 5, 23, 0, 0)


def test_open_days_skip_a_closure_too():
    calendar = OpeningCalendar(closures={D(2026, 5, 21): "Grève"})
    rule = DaysBefore(3, T(0, 0), open_days=True)
    assert rule.deadline(D(2026, 5, 26), calendar) == paris(2026, 5, 19, 0, 0)
    assert calendar.closed_because(D(2026, 5, 21)) == "Grève"
    assert calendar.closed_because(D(2026, 5, 25)) == "Lundi de Pentecôte"


def test_72_hours_are_72_hours_of_clock_time_across_the_spring_change():
    # Clocks go forward on Sunday 29 March 2026: Monday 30 March begins at 22:00 UTC on the 29th.
    deadline = HoursBefore(72).deadline(D(2026, 3, 30), EMPTY)
    assert deadline == paris(2026, 3, 26, 23, 0)
    assert deadline.utcoffset() == datetime.timedelta(hours=1)
    # (in UTC: between two datetimes of one zone, Python subtracts wall-clock times)
    assert paris(2026, 3, 30, 0, 0).astimezone(datetime.UTC) - deadline.astimezone(datetime.UTC) == \
        datetime.timedelta(hours=72)
    assert HoursBefore(72).describe() == "72 heures avant le jour réservé"


def test_72_hours_across_the_autumn_change():
    # Clocks go back on Sunday 25 October 2026.
    deadline = HoursBefore(72).deadline(D(2026, 10, 27), EMPTY)
    assert deadline == paris(2026, 10, 24, 1, 0)
    assert deadline.utcoffset() == datetime.timedelta(hours=2)


def test_a_time_the_clocks_skip_moves_by_the_hour_skipped():
    deadline = DaysBefore(1, T(2, 30)).deadline(D(2026, 3, 30), EMPTY)
    assert deadline.replace(tzinfo=None) == datetime.datetime(2026, 3, 29, 3, 30)
    assert deadline.utcoffset() == datetime.timedelta(hours=2)


def test_a_time_that_happens_twice_is_its_first_occurrence():
    rule = DaysBefore(1, T(2, 30))
    deadline = rule.deadline(D(2026, 10, 26), EMPTY)
    assert deadline.astimezone(datetime.UTC) == datetime.datetime(2026, 10, 25, 0, 30, tzinfo=datetime.UTC)
    # The second 2:30 (an hour later, in winter time) is already past the deadline.
    second = datetime.datetime(2026, 10, 25, 1, 30, tzinfo=datetime.UTC)
    assert not is_open_for(D(2026, 10, 26), rule, EMPTY, second)
    assert is_open_for(D(2026, 10, 26), rule, EMPTY, second - datetime.timedelta(hours=1, seconds=1))


def test_a_deadline_at_midnight_closes_the_day_as_it_begins():
    rule = DaysBefore(0, T(0, 0))
    day = D(2026, 12, 10)
    assert is_open_for(day, rule, EMPTY, paris(2026, 12, 9, 23, 59, 59))
    assert not is_open_for(day, rule, EMPTY, paris(2026, 12, 10, 0, 0))
    assert rule.describe() == "le jour même à 0 h"


def test_thursday_noon_for_the_whole_next_week():
    rule = WeekdayBefore(3, T(12, 0))
    for day in (D(2026, 12, 14), D(2026, 12, 16), D(2026, 12, 18), D(2026, 12, 20)):
        assert rule.deadline(day, EMPTY) == paris(2026, 12, 10, 12, 0), day
    assert rule.deadline(D(2026, 12, 21), EMPTY) == paris(2026, 12, 17, 12, 0)
    assert rule.describe() == "jeudi midi de la semaine précédente"


def test_a_table_per_weekday():
    rule = rule_from_json({"kind": "per_weekday", "table": [
        {"booked": 1, "weekday": 0, "at": "11:00"}, {"booked": 0, "weekday": 4, "at": "11:00"}]})
    assert rule.deadline(D(2026, 12, 14), EMPTY) == paris(2026, 12, 11, 11, 0)  # Monday: the Friday before
    assert rule.deadline(D(2026, 12, 15), EMPTY) == paris(2026, 12, 14, 11, 0)  # Tuesday: the Monday before
    assert rule.describe() == "vendredi 11 h pour le lundi, lundi 11 h pour le mardi"
    with pytest.raises(RuleError, match="Aucun délai n'est prévu pour le mercredi"):
        rule.deadline(D(2026, 12, 16), EMPTY)


def test_a_day_of_the_previous_month_for_holiday_sessions():
    assert DayOfPreviousMonth(15, T(12, 0)).deadline(D(2027, 4, 19), EMPTY) == paris(2027, 3, 15, 12, 0)
    # The 31st of a month of 28 days is its last day.
    assert DayOfPreviousMonth(31, T(8, 0)).deadline(D(2027, 3, 2), EMPTY) == paris(2027, 2, 28, 8, 0)
    assert DayOfPreviousMonth(1, T(8, 0)).deadline(D(2027, 1, 4), EMPTY) == paris(2026, 12, 1, 8, 0)
    assert DayOfPreviousMonth(15, T(12, 0)).describe() == "le 15 du mois précédent à midi"


RULES = [
    {"kind": "days_before", "days": 1, "at": "18:00", "open_days": False},
    {"kind": "days_before", "days": 3, "at": "00:00", "open_days": True},
    {"kind": "hours_before", "hours": 72},
    {"kind": "weekday_before", "weekday": 3, "at": "12:00"},
    {"kind": "per_weekday", "table": [{"booked": 0, "weekday": 4, "at": "11:00"}]},
    {"kind": "day_of_previous_month", "day": 15, "at": "12:30"},
]


@pytest.mark.parametrize("data", RULES, ids=[r["kind"] for r in RULES])
def test_a_rule_is_stored_as_json_and_read_back(data):
    assert rule_to_json(rule_from_json(data)) == data


@pytest.mark.parametrize("data, message", [
    (None, "Règle de délai invalide"),
    ({"kind": "soon"}, "Type de délai inconnu"),
    ({"kind": "days_before", "days": -1, "at": "18:00"}, "Nombre de jours"),
    ({"kind": "days_before", "days": True, "at": "18:00"}, "Nombre de jours"),
    ({"kind": "days_before", "days": "2", "at": "18:00"}, "Nombre de jours"),
    ({"kind": "days_before", "days": 1, "at": "25:00"}, "Heure invalide"),
    ({"kind": "days_before", "days": 1}, "Heure invalide"),
    ({"kind": "weekday_before", "weekday": 7, "at": "12:00"}, "Jour de la semaine"),
    ({"kind": "per_weekday", "table": []}, "au moins un jour"),
    ({"kind": "per_weekday", "table": [{"booked": 0, "weekday": 4, "at": "11:00"},
                                       {"booked": 0, "weekday": 3, "at": "11:00"}]}, "deux délais"),
    ({"kind": "day_of_previous_month", "day": 0, "at": "12:00"}, "Jour du mois"),
])
def test_a_rule_that_cannot_be_is_refused_in_french(data, message):
    with pytest.raises(RuleError, match=message):
        rule_from_json(data)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-100, 100) | st.text(max_size=6),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                               max_size=4), max_leaves=8)
KEYS = st.fixed_dictionaries({"kind": st.sampled_from([r["kind"] for r in RULES])},
                             optional={k: JSON | st.integers(0, 40) | st.sampled_from(["00:00", "18:30", "x"])
                                       for k in ("days", "at", "open_days", "hours", "weekday", "day", "table")})


@given(st.one_of(JSON, KEYS))
def test_any_stored_value_is_a_rule_or_a_french_refusal(data):
    try:
        rule = rule_from_json(data)
    except RuleError as exc:
        assert str(exc)
    else:
        assert rule_to_json(rule)["kind"] == data["kind"]


def _in_spring_gap(day, at):
    """2:00 to 3:00 on the last Sunday of March: a wall-clock time that does not exist in Paris."""
    return day.month == 3 and day.weekday() == 6 and day.day > 24 and at.hour == 2


@given(st.dates(D(2020, 1, 1), D(2035, 12, 31)), st.integers(0, 30), st.times())
def test_days_before_lands_on_the_day_it_says_at_the_time_it_says(day, days, at):
    at = at.replace(second=0, microsecond=0)
    local = DaysBefore(days, at).deadline(day, EMPTY).astimezone(PARIS)
    target = day - datetime.timedelta(days=days)
    if _in_spring_gap(target, at):
        assert (local.date(), local.hour, local.minute) == (target, 3, at.minute)
    else:
        assert (local.date(), local.time()) == (target, at)


@given(st.dates(D(2020, 1, 1), D(2035, 12, 31)), st.integers(1, 20))
def test_open_days_before_count_exactly_that_many_open_days(day, days):
    calendar = OpeningCalendar(closures={day - datetime.timedelta(days=3): "Fermeture"})
    deadline_day = DaysBefore(days, T(9, 0), open_days=True).deadline(day, calendar).astimezone(PARIS).date()
    assert calendar.is_open_day(deadline_day)
    between = [deadline_day + datetime.timedelta(days=i) for i in range(1, (day - deadline_day).days)]
    assert sum(calendar.is_open_day(d) for d in between) == days - 1


def test_public_holidays_come_from_the_holidays_package():
    assert deadlines.local_zone() == PARIS
    calendar = OpeningCalendar()
    assert calendar.closed_because(D(2027, 3, 29)) == "Lundi de Pâques"
    assert calendar.closed_because(D(2027, 5, 6)) == "Ascension"
    assert calendar.closed_because(D(2026, 12, 12)) == "week-end"
    assert calendar.is_open_day(D(2026, 12, 11))
