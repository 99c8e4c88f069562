"""Rows of the permission matrix (tests/url_table.py) for the household's calendar, absences and registrations,
and the staff's bookings at the desk.

The builders make, for the scope's child, what the URL names: a booking offered from a waiting list, an illness
absence, a registration (created directly: the matrix tests who may open a page, not the booking rules).
"""

import datetime

from tests.url_table import AGENT, PORTAL_WITH_ID, PORTAL_WITHOUT_ID, STAFF, Route


def _future_day():
    from django.utils import timezone

    day = timezone.localdate() + datetime.timedelta(days=30)
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)  # a Monday


def _unit():
    from enfance.activities import catalogue
    from enfance.activities.models import Unit

    made = catalogue.create_catalogue()
    return Unit.objects.filter(activity=made["canteen_e"]).first()


def _booking(s, **extra):
    from enfance.activities.models import Booking

    unit = _unit()
    mine = Booking.objects.filter(child=s.child, family=s.family, unit=unit, **extra).first()
    if mine is not None:
        return mine
    # A shared child: each household's booking on a day of its own.
    day = _future_day()
    while Booking.objects.filter(child=s.child, unit=unit, day=day).exists():
        day += datetime.timedelta(days=7)
    return Booking.objects.create(child=s.child, family=s.family, unit=unit, day=day, state="booked", **extra)


def _offered(s):
    return {"booking_id": _booking(s, needs_acceptance=True).pk}


def _absence(s):
    from django.utils import timezone

    from enfance.activities.models import Absence

    absence, _ = Absence.objects.get_or_create(booking=_booking(s, needs_acceptance=False), defaults={
        "reason": "illness", "declared_at": timezone.now()})
    return {"absence_id": absence.pk}


def _registration(s):
    from enfance.activities.models import Registration

    unit = _unit()
    registration, _ = Registration.objects.get_or_create(
        child=s.child, family=s.family, activity=unit.activity,
        defaults={"first_day": _future_day() - datetime.timedelta(days=20), "last_day": _future_day(),
                  "pattern": {"0": [unit.pk]}})
    return {"registration_id": registration.pk}


ROUTES = {
    "portal:calendar": Route(PORTAL_WITHOUT_ID),
    "portal:bookings_bulk": Route(PORTAL_WITHOUT_ID),
    "portal:booking_accept": Route(PORTAL_WITH_ID, kwargs=_offered, post_only=True, ok=302),
    "portal:absences": Route(PORTAL_WITHOUT_ID),
    "portal:absence_new": Route(PORTAL_WITHOUT_ID),
    "portal:certificate_new": Route(PORTAL_WITH_ID, kwargs=_absence),
    "portal:registrations": Route(PORTAL_WITHOUT_ID),
    "portal:registration_new": Route(PORTAL_WITHOUT_ID),
    "portal:registration_change": Route(PORTAL_WITH_ID, kwargs=_registration),
    "portal:registration_end": Route(PORTAL_WITH_ID, kwargs=_registration),
}


def _family(s):
    return {"family_id": s.family.pk}


ROUTES.update({
    # bookings at the desk: agents and administrators (leaders read, they do not book for households)
    "backoffice:family_bookings": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:family_absence": Route(STAFF, kwargs=_family, role=AGENT),
    "backoffice:absence_justify": Route(STAFF, kwargs=_absence, role=AGENT, post_only=True, ok=302),
    "backoffice:requests_to_check": Route(STAFF, role=AGENT),
})
