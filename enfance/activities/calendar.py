"""Which days are school days, public holidays, school holidays or closures.

Public holidays come from the `holidays` package (Easter and its moveable feasts included); the school
holidays of the commune's zone are data (CalendarPeriod rows) that staff can edit, first filled from the
same package's French school calendar (fill_school_holidays).
"""

import datetime
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
from django.conf import settings
from django.db import transaction

from .models import CalendarPeriod

WEEKEND = (5, 6)  # Saturday, Sunday


@lru_cache(maxsize=32)
def public_holidays(year):
    """{date: name} of France's public holidays in `year` (metropolitan France)."""
    return dict(holidays.France(years=year, language="fr"))


def is_public_holiday(day):
    return day in public_holidays(day.year)


@dataclass
class OpeningCalendar:
    """The calendar of a span of days, read once: `closed` maps each closed day to its reason."""

    school_holidays: dict = field(default_factory=dict)  # date -> label
    closures: dict = field(default_factory=dict)  # date -> label
    activity_closures: dict = field(default_factory=dict)  # (activity id, date) -> label

    @classmethod
    def load(cls, first_day, last_day):
        """The periods that touch [first_day, last_day], in one query."""
        return cls.of(CalendarPeriod.objects.filter(first_day__lte=last_day, last_day__gte=first_day),
                      first_day, last_day)

    @classmethod
    def of(cls, periods, first_day, last_day):
        """The calendar of [first_day, last_day] from CalendarPeriod rows already read (the others ignored)."""
        calendar = cls()
        for period in periods:
            day = max(period.first_day, first_day)
            while day <= min(period.last_day, last_day):
                if period.kind == CalendarPeriod.Kind.SCHOOL_HOLIDAYS:
                    calendar.school_holidays[day] = period.label
                elif period.activity_id:
                    calendar.activity_closures[(period.activity_id, day)] = period.label
                else:
                    calendar.closures[day] = period.label
                day += datetime.timedelta(days=1)
        return calendar

    def closed_because(self, day):
        """Why the commune's services are shut on `day` (a weekend, a public holiday, a closure), or ""."""
        if day in self.closures:
            return self.closures[day]
        if is_public_holiday(day):
            return public_holidays(day.year)[day]
        if day.weekday() in WEEKEND:
            return "week-end"
        return ""

    def activity_closed_because(self, activity_id, day):
        """Why one activity is shut on `day` although the commune's services are open (a training day of the
        leisure centre), or ""."""
        return self.activity_closures.get((activity_id, day), "")

    def is_open_day(self, day):
        """A working day for deadlines counted in open days ("3 jours ouvrés"): not a weekend, a public
        holiday or a closure. School holidays are open days: the leisure centre works."""
        return not self.closed_because(day)

    def is_school_day(self, day):
        return self.is_open_day(day) and day not in self.school_holidays


def school_holiday_periods(school_year_start, zone=None):
    """[(label, first day, last day)] of the zone's school holidays from 1 September of `school_year_start`'s
    year to the next 31 August, from the `holidays` package (consecutive days of one name make one period)."""
    zone = zone or settings.SCHOOL_ZONE
    first, last = datetime.date(school_year_start.year, 9, 1), datetime.date(school_year_start.year + 1, 8, 31)
    days = holidays.France(years=[first.year, last.year], categories=("school",), subdiv=zone, language="fr")
    periods = []
    for day in sorted(d for d in days if first <= d <= last):
        label = days[day]
        if periods and periods[-1][0] == label and periods[-1][2] + datetime.timedelta(days=1) == day:
            periods[-1][2] = day
        else:
            periods.append([label, day, day])
    return [tuple(p) for p in periods]


@transaction.atomic
def fill_school_holidays(school_year_start, zone=None):
    """Add the zone's school holidays of that school year that are not there yet (staff may have edited the
    ones that are): the number of periods added."""
    added = 0
    for label, first_day, last_day in school_holiday_periods(school_year_start, zone):
        _period, created = CalendarPeriod.objects.get_or_create(
            kind=CalendarPeriod.Kind.SCHOOL_HOLIDAYS, first_day=first_day,
            defaults={"label": label, "last_day": last_day})
        added += created
    return added
