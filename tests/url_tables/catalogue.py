"""Rows of the permission matrix (tests/url_table.py) for the activities: catalogue. Agents and administrators
only (leaders read nothing here); the builders make the usual catalogue (create_catalogue, idempotent)."""

from tests.url_table import AGENT, STAFF, Route


def _catalogue():
    from enfance.activities.catalogue import create_catalogue

    return create_catalogue()


def _activity(s):
    return {"activity_id": _catalogue()["wednesday"].pk}


def _unit(s):
    return {"unit_id": _catalogue()["wednesday"].units.order_by("pk").first().pk}


def _group(s):
    return {"group_id": _catalogue()["wednesday"].groups.order_by("pk").first().pk}


def _opening(s):
    from enfance.activities.models import BookingOpening

    holidays = _catalogue()["holidays"]
    opening = holidays.openings.order_by("pk").first()
    if opening is None:  # no spring holidays found for the school year: one made by hand
        import datetime

        from django.utils import timezone

        opening = BookingOpening.objects.create(activity=holidays, first_day=datetime.date(2030, 4, 1),
                                                last_day=datetime.date(2030, 4, 5), opens_at=timezone.now())
    return {"opening_id": opening.pk}


def _place(s):
    from enfance.activities.models import Place

    _catalogue()
    return {"place_id": Place.objects.order_by("pk").first().pk}


def _site(s):
    from enfance.activities.models import Site

    _catalogue()
    return {"site_id": Site.objects.order_by("pk").first().pk}


def _period(s):
    from enfance.activities.models import CalendarPeriod

    _catalogue()
    return {"period_id": CalendarPeriod.objects.order_by("pk").first().pk}


def _registration(s):
    import datetime

    from enfance.activities.models import Registration
    from enfance.core.dates import school_year_start

    activity = _catalogue()["holidays"]
    start = school_year_start()
    registration, _ = Registration.objects.get_or_create(
        child=s.child, family=s.family, activity=activity,
        defaults={"first_day": start, "last_day": datetime.date(start.year + 1, 8, 31)})
    return {"registration_id": registration.pk}


def _delete(s):
    # A group: deleting it (the POST) is not what the matrix does; it opens the confirmation page.
    return {"kind": "groupe", "object_id": _group(s)["group_id"]}


ROUTES = {
    "backoffice:activities": Route(STAFF, role=AGENT),
    "backoffice:activity_new": Route(STAFF, role=AGENT),
    "backoffice:activity": Route(STAFF, kwargs=_activity, role=AGENT),
    "backoffice:activity_edit": Route(STAFF, kwargs=_activity, role=AGENT),
    # an empty POST gets the activity page again, with the form's errors
    "backoffice:activity_register": Route(STAFF, kwargs=_activity, role=AGENT, post_only=True),
    "backoffice:registration_end": Route(STAFF, kwargs=_registration, role=AGENT),
    "backoffice:unit_new": Route(STAFF, kwargs=_activity, role=AGENT),
    "backoffice:unit_edit": Route(STAFF, kwargs=_unit, role=AGENT),
    "backoffice:group_new": Route(STAFF, kwargs=_activity, role=AGENT),
    "backoffice:group_edit": Route(STAFF, kwargs=_group, role=AGENT),
    "backoffice:opening_new": Route(STAFF, kwargs=_activity, role=AGENT),
    "backoffice:opening_edit": Route(STAFF, kwargs=_opening, role=AGENT),
    "backoffice:places": Route(STAFF, role=AGENT),
    "backoffice:place_new": Route(STAFF, role=AGENT),
    "backoffice:place_edit": Route(STAFF, kwargs=_place, role=AGENT),
    "backoffice:site_new": Route(STAFF, role=AGENT),
    "backoffice:site_edit": Route(STAFF, kwargs=_site, role=AGENT),
    "backoffice:catalogue_delete": Route(STAFF, kwargs=_delete, role=AGENT),
    "backoffice:calendar": Route(STAFF, role=AGENT),
    # an empty POST: a French message and back to the calendar
    "backoffice:calendar_fill": Route(STAFF, role=AGENT, post_only=True, ok=302),
    "backoffice:period_new": Route(STAFF, role=AGENT),
    "backoffice:period_edit": Route(STAFF, kwargs=_period, role=AGENT),
}
