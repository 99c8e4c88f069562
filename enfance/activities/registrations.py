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

from enfance.families.models import ChildLink

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
    units = {u.pk: u for u in Unit.objects.filter(activity=activity).select_related("activity")}
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


def _pattern_lines(child, pattern, first_day, last_day, calendar, *, skip=frozenset()):
    """The lines of the pattern's days the activity runs (not the school holidays of a school-days activity: a
    refusal the household never asked for), but those in `skip` ((unit id, day) already booked)."""
    lines, day = [], first_day
    while day <= last_day:
        if calendar.is_open_day(day):
            lines.extend(Line(child, unit, day) for unit in pattern.get(day.weekday(), ())
                         if (unit.pk, day) not in skip and bookings.runs_on(unit.activity, day, calendar))
        day += datetime.timedelta(days=1)
    # A unit's requirement first (the half day before its meal).
    return sorted(lines, key=lambda line: (line.day, line.unit.requires_id is not None, line.unit.pk))


def covering(child, activity, day):
    """The child's registration to `activity` that covers `day`, or None."""
    return Registration.objects.filter(child=child, activity=activity, first_day__lte=day, last_day__gte=day).first()


def approve(*, family, child, activity, first_day, last_day, pattern=None, user, now=None):
    """Register `child` to `activity` from `first_day` to `last_day` and book its pattern from today on:
    (registration, [(line, booking or BookingRefused)]). BookingRefused when the child cannot be registered."""
    ((registration, results),) = approve_many(family=family, children=[child], activity=activity,
                                              first_day=first_day, last_day=last_day, pattern=pattern, user=user,
                                              now=now, strict=True)
    return registration, results


def approve_many(*, family, children, activity, first_day, last_day, pattern=None, user, now=None, strict=False):
    """Register several children of one household with one pattern, their days booked in one call (one lock
    order for all): [(registration or BookingRefused, [(line, booking or BookingRefused)])], in the children's
    order. `strict`: raise the first refusal instead."""
    now = now or timezone.now()
    if last_day < first_day:
        raise BookingRefused(_("La fin de l'inscription est avant son début."))
    if last_day - first_day > MAX_PERIOD:
        raise BookingRefused(_("Une inscription couvre une année scolaire au plus."))
    clean = _clean_pattern(activity, pattern or {})
    start = max(first_day, timezone.localdate(now))
    calendar = OpeningCalendar.load(start, last_day)
    outcomes, lines = [], []
    with transaction.atomic():
        # Serialises the approvals of one activity, so that two of one child never both see no overlap (the
        # activity row is in no booking's lock order).
        type(activity).objects.select_for_update(no_key=True).filter(pk=activity.pk).first()
        linked = set(ChildLink.objects.filter(family=family, child__in=children).values_list("child_id", flat=True))
        for child in children:
            try:
                registration = _register(family, child, activity, first_day, last_day, clean, linked, user, start)
            except BookingRefused as refusal:
                if strict:
                    raise
                outcomes.append((refusal, []))
                continue
            own = [Line(line.child, line.unit, line.day, registration)
                   for line in _pattern_lines(child, clean, start, last_day, calendar)]
            outcomes.append((registration, own))
            lines.extend(own)
        results = iter(bookings.book_many(family=family, user=user, now=now, lines=lines))
    return [(registration, [next(results) for _line in own]) for registration, own in outcomes]


def _register(family, child, activity, first_day, last_day, clean, linked, user, start):
    if child.pk not in linked:
        raise BookingRefused(_("Cet enfant n'est pas rattaché à votre foyer."))
    refusal = bookings.eligibility_refusal(activity, child, start)
    if refusal:
        raise BookingRefused(refusal)
    overlapping = Registration.objects.filter(child=child, activity=activity, family=family,
                                              first_day__lte=last_day, last_day__gte=first_day)
    if overlapping.exists():
        raise BookingRefused(_("%(name)s est déjà inscrit(e) à %(activity)s sur une partie de cette période.")
                             % {"name": child.first_name, "activity": activity.name})
    return Registration.objects.create(child=child, family=family, activity=activity, first_day=first_day,
                                       last_day=last_day, created_by=user,
                                       pattern={str(d): [u.pk for u in us] for d, us in clean.items()})


def _cancel_from(registration, from_day, keep, user, now, asked_at=None):
    """Cancel the bookings the registration's pattern made from `from_day` on that `keep(booking)` does not
    keep (never those booked by hand), in one call: [(booking, promoted or BookingRefused)]."""
    from_day = max(from_day, registration.first_day)
    live = [b for b in Booking.objects.filter(registration=registration, day__gte=from_day)
            .exclude(state=Booking.State.CANCELLED).select_related("unit") if not keep(b)]
    return bookings.cancel_many(live, family=registration.family, user=user, now=now, asked_at=asked_at)


def change_pattern(registration, *, from_day, pattern, user, now=None, asked_at=None):
    """A new weekly pattern from `from_day`: (cancellations, bookings) as [(item, result or BookingRefused)].
    The bookings are the new ones only: the days the child already has stay as they are. Deadlines are judged
    at `asked_at` (when the household asked, for a request approved later), else at `now`.

    The registration is locked first, as end() does, and read again under its lock: a pattern change racing the
    registration's end never books past the new last day. Then one call of bookings.change_many: what no longer
    fits is cancelled and the new days booked under one lock order, so a caller may wrap it in its own
    transaction (a request's approval)."""
    now = now or timezone.now()
    clean = _clean_pattern(registration.activity, pattern)
    wanted = {(d, u.pk) for d, units in clean.items() for u in units}
    given = registration
    with transaction.atomic():
        registration = Registration.objects.select_for_update(no_key=True).select_related(
            "family", "child", "activity").get(pk=registration.pk)
        from_day = max(from_day, registration.first_day)
        live = [b for b in Booking.objects.filter(registration=registration, day__gte=from_day)
                .exclude(state=Booking.State.CANCELLED).select_related("unit")
                if (b.day.weekday(), b.unit_id) not in wanted]
        start = max(from_day, timezone.localdate(now))
        calendar = OpeningCalendar.load(start, registration.last_day)
        held = set(Booking.objects.filter(child=registration.child, unit__activity=registration.activity,
                                          day__range=(start, registration.last_day))
                   .exclude(state=Booking.State.CANCELLED).values_list("unit_id", "day"))
        lines = [Line(line.child, line.unit, line.day, registration)
                 for line in _pattern_lines(registration.child, clean, start, registration.last_day, calendar,
                                            skip=held)]
        booked, cancelled = bookings.change_many(family=registration.family, book=lines, cancel=live, user=user,
                                                 now=now, asked_at=asked_at)
        registration.pattern = {str(d): [u.pk for u in us] for d, us in clean.items()}
        registration.save(update_fields=["pattern"])
    given.pattern, given.last_day = registration.pattern, registration.last_day
    return cancelled, booked


def end(registration, *, from_day, user, now=None, asked_at=None):
    """The registration ends the day before `from_day`: its bookings from then on are cancelled (those past
    their deadline, judged at `asked_at` when given, stay, refused with the reason)."""
    now = now or timezone.now()
    if from_day <= registration.first_day:
        raise BookingRefused(_("L'inscription ne peut pas finir avant d'avoir commencé."))
    given = registration
    with transaction.atomic():
        # The registration first (a pattern change approved at the same time waits), then the booking locks.
        registration = Registration.objects.select_for_update(no_key=True).select_related("family").get(
            pk=registration.pk)
        outcomes = _cancel_from(registration, from_day, lambda b: False, user, now, asked_at)
        # The days past their deadline stay booked: the registration still covers them.
        kept = [b.day for b, result in outcomes if isinstance(result, BookingRefused)]
        registration.last_day = min(registration.last_day, max([from_day - datetime.timedelta(days=1), *kept]))
        registration.save(update_fields=["last_day"])
    given.last_day = registration.last_day
    return outcomes
