"""Review of issue 8: the cancellation path's queries grow with its lines (N+1)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enfance.activities import bookings
from enfance.activities.models import Activity, Booking, Place, Unit
from tests.activities.test_bookings import BEFORE, DAY_BEFORE_RULE, household

pytestmark = pytest.mark.django_db


def _canteen():
    activity = Activity.objects.create(name=f"Cantine {Activity.objects.count()}", kind="canteen", booking_rule=DAY_BEFORE_RULE,
                                       cancellation_rule=DAY_BEFORE_RULE)
    place = Place.objects.create(name=f"Réfectoire {Place.objects.count()}", slot="lunch", capacity=100)
    unit = Unit.objects.create(activity=activity, name="Repas")
    unit.places.set([place])
    return unit


def _days(n):
    day, out = datetime.date(2026, 12, 14), []
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day += datetime.timedelta(days=1)
    return out


def _cancel_queries(n):
    unit = _canteen()
    family, (child,) = household(1)
    lines = [bookings.Line(child, unit, d) for d in _days(n)]
    bookings.book_many(family=family, lines=lines, user=None, now=BEFORE)
    live = list(Booking.objects.filter(child=child))
    with CaptureQueriesContext(connection) as ctx:
        bookings.cancel_many(live, family=family, user=None, now=BEFORE)
    Booking.objects.all().delete()
    return len(ctx)


def test_cancelling_32_days_costs_about_what_cancelling_4_does():
    four, thirty_two = _cancel_queries(4), _cancel_queries(32)
    assert thirty_two <= four + 10, f"4 cancellations: {four} queries, 32 cancellations: {thirty_two}"
