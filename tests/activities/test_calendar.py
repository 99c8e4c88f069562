"""The opening calendar: public holidays from the `holidays` package, the zone's school holidays as data."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from enfance.activities.calendar import OpeningCalendar, fill_school_holidays, school_holiday_periods
from enfance.activities.models import CalendarPeriod

D = datetime.date
pytestmark = pytest.mark.django_db


def test_the_zone_b_school_holidays_fill_the_calendar_once():
    periods = school_holiday_periods(D(2026, 9, 1), "Zone B")
    assert ("Vacances de la Toussaint", D(2026, 10, 17), D(2026, 11, 1)) in periods
    assert ("Vacances d'hiver", D(2027, 2, 20), D(2027, 3, 7)) in periods
    assert fill_school_holidays(D(2026, 9, 1)) == len(periods) == 6
    assert fill_school_holidays(D(2026, 9, 1)) == 0
    # Staff's edits are kept: the commune moved the end of the winter holidays.
    winter = CalendarPeriod.objects.get(label="Vacances d'hiver")
    winter.last_day = D(2027, 3, 8)
    winter.save(update_fields=["last_day"])
    fill_school_holidays(D(2026, 9, 1))
    assert CalendarPeriod.objects.get(label="Vacances d'hiver").last_day == D(2027, 3, 8)


def test_another_zone_has_other_holidays():
    assert school_holiday_periods(D(2026, 9, 1), "Zone A") != school_holiday_periods(D(2026, 9, 1), "Zone B")


def test_school_holidays_are_open_days_but_not_school_days_and_closures_close():
    CalendarPeriod.objects.create(kind="school_holidays", label="Vacances de Noël", first_day=D(2026, 12, 19),
                                  last_day=D(2027, 1, 3))
    CalendarPeriod.objects.create(kind="closure", label="Pont", first_day=D(2027, 5, 7), last_day=D(2027, 5, 7))
    calendar = OpeningCalendar.load(D(2026, 12, 1), D(2027, 6, 30))
    assert calendar.is_open_day(D(2026, 12, 21)) and not calendar.is_school_day(D(2026, 12, 21))
    assert calendar.is_school_day(D(2026, 12, 18))
    assert calendar.closed_because(D(2026, 12, 25)) == "Noël"
    assert calendar.closed_because(D(2027, 5, 7)) == "Pont"
    assert not calendar.is_open_day(D(2027, 5, 7))
    # Only the days asked for are loaded.
    assert max(calendar.school_holidays) == D(2027, 1, 3) and min(calendar.school_holidays) == D(2026, 12, 19)
    narrow = OpeningCalendar.load(D(2027, 1, 1), D(2027, 1, 2))
    assert sorted(narrow.school_holidays) == [D(2027, 1, 1), D(2027, 1, 2)]


def test_a_period_ends_after_it_begins():
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarPeriod.objects.create(kind="closure", label="Grève", first_day=D(2027, 1, 5),
                                      last_day=D(2027, 1, 4))
