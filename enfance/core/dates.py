import datetime

from django.utils import timezone


def today():
    """Today in Europe/Paris (the configured time zone), not in UTC."""
    return timezone.localdate()


def school_year_start(day=None):
    """1 September of the school year that contains `day`."""
    day = day or today()
    year = day.year if day.month >= 9 else day.year - 1
    return datetime.date(year, 9, 1)


# Dates people type or URLs carry are kept to these years: beyond them a day's arithmetic (a deadline a few weeks
# before, the day after) overflows, and no commune books for year 1.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def is_sane(day):
    return FIRST_YEAR <= day.year <= LAST_YEAR
