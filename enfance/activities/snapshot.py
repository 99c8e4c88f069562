"""The catalogue and the opening calendar as the portal's calendar displays them, kept in each process between
staff's changes.

The calendar page is the one families open most on the day bookings open, and its units, places, exclusions,
openings and calendar periods change a few times a year. Each page asks the shared cache for one version token
instead of running five queries; any save or delete of those rows replaces the token on commit, and until then
the connection that changed them reads them afresh (its own uncommitted rows) without keeping them. A snapshot also expires after SNAPSHOT_SECONDS whatever happens, for
changes made behind the ORM's back. Display only: a submission judges again from the database, under its locks.
"""

import threading
import time
import uuid

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Prefetch
from django.db.models.signals import m2m_changed, post_delete, post_save

from .calendar import OpeningCalendar
from .models import Activity, BookingOpening, CalendarPeriod, Place, Unit

VERSION_KEY = "activities:catalogue-version"
SNAPSHOT_SECONDS = 60
MAX_CALENDARS = 64  # spans of days: the months families look at

_lock = threading.Lock()
_snapshot = {"version": None, "loaded_at": 0.0, "units": None, "periods": None, "calendars": {}}


def _version():
    token = cache.get(VERSION_KEY)
    if token is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        token = cache.get(VERSION_KEY)
    return token


def changed(**_kwargs):
    """The catalogue or the calendar changed: every process reloads its snapshot at its next page, once the
    change is committed. Until then this connection reads the catalogue afresh and keeps nothing of it (an
    uncommitted row must never reach the process's snapshot: it may be rolled back)."""
    connection.catalogue_changed = True
    transaction.on_commit(_replace, robust=True)


def _replace():
    connection.catalogue_changed = False
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def _load():
    units = list(Unit.objects.filter(activity__is_active=True).select_related("activity")
                 .prefetch_related("places", "excludes", Prefetch("activity__openings"))
                 .order_by("activity__name", "name"))
    for unit in units:
        # Read once: every `.all()` of a prefetched relation builds a new queryset, for hundreds of cells.
        unit.place_list = list(unit.places.all())
        unit.exclude_ids = [other.pk for other in unit.excludes.all()]
        unit.activity.opening_list = list(unit.activity.openings.all())
    return units, list(CalendarPeriod.objects.all())


def current(first_day, last_day):
    """(units, calendar): the active units, read-only, with `place_list`, `exclude_ids` and their activity's
    `opening_list`; and the OpeningCalendar of [first_day, last_day], shared with every page of that span
    (its memo of deadlines with it)."""
    if getattr(connection, "catalogue_changed", False):
        if connection.in_atomic_block:
            units, periods = _load()
            return units, OpeningCalendar.of(periods, first_day, last_day)
        connection.catalogue_changed = False  # the transaction that changed it is over (committed or not)
    version = _version()
    with _lock:
        if (_snapshot["version"] != version or _snapshot["units"] is None
                or time.monotonic() - _snapshot["loaded_at"] > SNAPSHOT_SECONDS):
            units, periods = _load()
            _snapshot.update(version=version, loaded_at=time.monotonic(), units=units, periods=periods,
                             calendars={})
        calendars = _snapshot["calendars"]
        calendar = calendars.get((first_day, last_day))
        if calendar is None:
            if len(calendars) >= MAX_CALENDARS:
                calendars.clear()
            calendar = calendars[(first_day, last_day)] = OpeningCalendar.of(_snapshot["periods"], first_day,
                                                                              last_day)
        return _snapshot["units"], calendar


for _model in (Activity, Unit, Place, BookingOpening, CalendarPeriod):
    post_save.connect(changed, sender=_model, dispatch_uid=f"snapshot-save-{_model.__name__}")
    post_delete.connect(changed, sender=_model, dispatch_uid=f"snapshot-delete-{_model.__name__}")
for _through in (Unit.places.through, Unit.excludes.through):
    m2m_changed.connect(changed, sender=_through, dispatch_uid=f"snapshot-m2m-{_through.__name__}")
