"""The usual catalogue (enfance/activities/catalogue.py): its rules are valid and it is made once."""

import datetime

import pytest

from enfance.activities import catalogue
from enfance.activities.models import Activity, BookingOpening, CalendarPeriod, Unit

pytestmark = pytest.mark.django_db


def test_the_catalogue_is_valid_and_made_once():
    made = catalogue.create_catalogue(datetime.date(2026, 12, 2))
    for activity in made.values():
        activity.full_clean()
    counts = (Activity.objects.count(), Unit.objects.count(), BookingOpening.objects.count())
    catalogue.create_catalogue(datetime.date(2026, 12, 2))
    assert (Activity.objects.count(), Unit.objects.count(), BookingOpening.objects.count()) == counts
    assert CalendarPeriod.objects.filter(kind="school_holidays").exists()
    opening = BookingOpening.objects.get()
    assert opening.opens_at.month == 3 and opening.opens_at.day == 1 and opening.first_day.month == 4
