"""Registrations: a child registered to an activity for a period, with a weekly pattern that books its days.

Approving a registration (the registry's request type will call approve) creates it and books, through the
booking rules, every open day of the period matching the pattern; changing the pattern from a day, or
ending the registration, cancels what no longer fits (the days past their cancellation deadline stay: the
result says which).
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import bookings
from .bookings import BookingRefused, Line
from .calendar import OpeningCalendar
from .models import Booking, Registration, Unit

MAX_PERIOD = datetime.timedelta(days=400)


def _clean_pattern(activity, pattern):
    """{weekday (0 Monday): [units of this activity]}, from {"0": [unit ids]}; BookingRefused when it cannot be."""
    invalid = BookingRefused(_("Semaine type invalide."))
    if not isinstance(pattern, dict):
        raise invalid
    units = {u.pk: u for u in Unit.objects.filter(activity=activity)}
    clean = {}
    for weekday, unit_ids in pattern.items():
        if not isinstance(weekday, str) or weekday not in {str(d) for d in range(7)} or not isinstance(unit_ids, list):
            raise invalid
        day = int(weekday)
        if day in clean or len(unit_ids) > len(units):
            raise invalid
        chosen = []
        for unit_id in unit_ids:
            if not isinstance(unit_id, int) or isinstance(unit_id, bool):
                raise invalid
            if unit_id not in units:
                raise BookingRefused(_("Cette prestation n'est pas une prestation de %(activity)s.")
                                     % {"activity": activity.name})
            if units[unit_id] not in chosen:
                chosen.append(units[unit_id])
        if chosen:
            clean[day] = chosen
    return clean


def _pattern_lines(child, pattern, first_day, last_day, calendar):
    lines, day = [], first_day
    while day <= last_day:
        if calendar.is_open_day(day):
            lines.extend(Line(child, unit, day) for unit in pattern.get(day.weekday(), ()))
        day += datetime.timedelta(days=1)
    # A unit's requirement first (the half day before its meal).
    return sorted(lines, key=lambda line: (line.day, line.unit.requires_id is not None, line.unit.pk))


def covering(child, activity, day):
    """The child's registration to `activity` that covers `day`, or None."""
    return Registration.objects.filter(child=child, activity=activity, first_day__lte=day, last_day__gte=day).first()


def approve(*, family, child, activity, first_day, last_day, pattern=None, user, now=None):
    """Register `child` to `activity` from `first_day` to `last_day` and book its pattern from today on:
    (registration, [(line, booking or BookingRefused)])."""
    now = now or timezone.now()
    if last_day < first_day:
        raise BookingRefused(_("La fin de l'inscription est avant son début."))
    if last_day - first_day > MAX_PERIOD:
        raise BookingRefused(_("Une inscription couvre une année scolaire au plus."))
    clean = _clean_pattern(activity, pattern or {})
    if not child.links.filter(family=family).exists():
        raise BookingRefused(_("Cet enfant n'est pas rattaché à votre foyer."))
    with transaction.atomic():
        # Serialises the approvals of one activity, so that two of one child never both see no overlap (the
        # activity row is in no booking's lock order).
        type(activity).objects.select_for_update(no_key=True).filter(pk=activity.pk).first()
        overlapping = Registration.objects.filter(child=child, activity=activity, family=family,
                                                  first_day__lte=last_day, last_day__gte=first_day)
        if overlapping.exists():
            raise BookingRefused(_("%(name)s est déjà inscrit(e) à %(activity)s sur une partie de cette période.")
                                 % {"name": child.first_name, "activity": activity.name})
        registration = Registration.objects.create(child=child, family=family, activity=activity,
                                                   first_day=first_day, last_day=last_day,
                                                   pattern={str(d): [u.pk for u in us] for d, us in clean.items()},
                                                   created_by=user)
        start = max(first_day, timezone.localdate(now))
        calendar = OpeningCalendar.load(start, last_day)
        results = bookings.book_many(family=family, user=user, now=now, registration=registration,
                                     lines=_pattern_lines(child, clean, start, last_day, calendar))
    return registration, results


def _cancel_from(registration, from_day, keep, user, now):
    """Cancel the bookings the registration's pattern made from `from_day` on that `keep(booking)` does not
    keep (never those booked by hand), in one call: [(booking, promoted or BookingRefused)]."""
    from_day = max(from_day, registration.first_day)
    live = [b for b in Booking.objects.filter(registration=registration, day__gte=from_day)
            .exclude(state=Booking.State.CANCELLED).select_related("unit") if not keep(b)]
    return bookings.cancel_many(live, family=registration.family, user=user, now=now)


def change_pattern(registration, *, from_day, pattern, user, now=None):
    """A new weekly pattern from `from_day`: (cancellations, bookings) as [(item, None or BookingRefused)]."""
    now = now or timezone.now()
    clean = _clean_pattern(registration.activity, pattern)
    wanted = {(d, u.pk) for d, units in clean.items() for u in units}
    # Two transactions, each taking its locks in the one order (see bookings): never one holding the child
    # while asking for another day's places.
    cancelled = _cancel_from(registration, from_day, lambda b: (b.day.weekday(), b.unit_id) in wanted, user, now)
    registration.refresh_from_db(fields=["last_day"])
    start = max(from_day, registration.first_day, timezone.localdate(now))
    calendar = OpeningCalendar.load(start, registration.last_day)
    booked = bookings.book_many(family=registration.family, user=user, now=now, registration=registration,
                                lines=_pattern_lines(registration.child, clean, start, registration.last_day,
                                                     calendar))
    registration.pattern = {str(d): [u.pk for u in us] for d, us in clean.items()}
    registration.save(update_fields=["pattern"])
    return cancelled, booked


def end(registration, *, from_day, user, now=None):
    """The registration ends the day before `from_day`: its bookings from then on are cancelled (those past
    their deadline stay, refused with the reason)."""
    now = now or timezone.now()
    if from_day <= registration.first_day:
        raise BookingRefused(_("L'inscription ne peut pas finir avant d'avoir commencé."))
    outcomes = _cancel_from(registration, from_day, lambda b: False, user, now)
    # The days past their deadline stay booked: the registration still covers them.
    kept = [b.day for b, result in outcomes if isinstance(result, BookingRefused)]
    registration.last_day = min(registration.last_day, max([from_day - datetime.timedelta(days=1), *kept]))
    registration.save(update_fields=["last_day"])
    return outcomes
