"""Rows of the permission matrix (tests/url_table.py) for the activities: attendance.

The sheet's pages name an activity: a leader reaches only the activities they lead, and the matrix's leader
leads none, so they get 404 exactly like for a missing activity (household=True); the rightful leader is
tested in tests/backoffice/test_attendance_views.py.
"""

from tests.url_table import STAFF, Route


def _evening_today(s):
    """The evening care of the usual catalogue, today, with the scope's child booked for it."""
    from django.utils import timezone

    from enfance.activities.catalogue import create_catalogue
    from enfance.activities.models import Booking

    evening = create_catalogue()["evening"]
    unit = evening.units.order_by("pk").first()
    today = timezone.localdate()
    if s.child is not None and not Booking.objects.filter(child=s.child, unit=unit, day=today).exclude(
            state=Booking.State.CANCELLED).exists():
        Booking.objects.create(child=s.child, family=s.family, unit=unit, day=today, state=Booking.State.BOOKED)
    return {"activity_id": evening.pk, "day": today.isoformat()}


def _evening_child(s):
    return {**_evening_today(s), "child_id": s.child.pk}


ROUTES = {
    "backoffice:attendance": Route(STAFF),  # a leader sees the activities they lead (here none)
    "backoffice:attendance_sheet": Route(STAFF, kwargs=_evening_today, household=True),
    "backoffice:attendance_add": Route(STAFF, kwargs=_evening_today, household=True),
    "backoffice:attendance_health": Route(STAFF, kwargs=_evening_child, household=True),
}
