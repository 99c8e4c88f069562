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
