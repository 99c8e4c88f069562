"""Booking, cancelling and the waiting list: every rule checked on the server, inside the transaction.

Capacity lives in PlaceDay rows, one per place and day; a booking remembers the rows it took (`taken`). Every
write locks, in this order: the PlaceDay rows it reads (sorted by day, then place id), the children whose
bookings of the day decide it (sorted by id), then the bookings it changes. One order for everyone, so two
transactions never wait for each other in a circle, however many lines a submission has; two units sharing
a room serialise on its row, and different days never wait for each other (only the PlaceDay row is
locked, not the place). A waiting position is given under those locks, hence unique and contiguous: 1, 2, 3
in the order the server took the lock.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from enfance.core import audit
from enfance.core.models import AuditEntry
from enfance.families.models import Child, ChildLink

from .calendar import OpeningCalendar
from .deadlines import RuleError, is_before, rule_from_json
from .models import Booking, PlaceDay, Registration, Unit, school_level

State = Booking.State
# Deadlines counted in open days reach this far back (60 open days are about 84 calendar days).
CALENDAR_REACH = datetime.timedelta(days=120)


class BookingRefused(Exception):
    """A booking or a cancellation the rules refuse; `message` says why, in French, to the family."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Override:
    """Staff booking past a deadline or a full unit: recorded in the audit trail with its reason."""

    reason: str
    deadline: bool = True
    capacity: bool = False


@dataclass(frozen=True)
class Line:
    child: Child
    unit: Unit
    day: datetime.date


def age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _when(moment):
    return date_format(timezone.localtime(moment), "l j F Y à H:i")


def _deadline(rule_json, day, calendar):
    try:
        return rule_from_json(rule_json).deadline(day, calendar)
    except RuleError as exc:
        raise BookingRefused(exc.args[0]) from None


def _check(unit, child, day, now, calendar, override):
    """Refusals that depend on no booking: a closed day, the deadline, the child's age."""
    activity = unit.activity
    if not activity.is_active:
        raise BookingRefused(_("Cette activité n'est pas proposée."))
    closed = calendar.closed_because(day) or calendar.activity_closed_because(activity.pk, day)
    if closed:
        raise BookingRefused(_("Fermé ce jour-là (%(why)s).") % {"why": closed})
    not_running = _not_running(activity, day, calendar)
    if not_running:
        raise BookingRefused(not_running)
    opening = next((o for o in _openings(activity) if o.first_day <= day <= o.last_day), None)
    if opening is not None and is_before(now, opening.opens_at) and not (override and override.deadline):
        raise BookingRefused(_("Les réservations pour ce jour ouvrent le %(when)s.") % {"when": _when(opening.opens_at)})
    late = False
    deadline = _deadline(activity.booking_rule, day, calendar)
    if not is_before(now, deadline) and not (override and override.deadline):
        late_deadline = _deadline(activity.late_rule, day, calendar) if activity.late_rule else None
        if late_deadline is None or not is_before(now, late_deadline):
            raise BookingRefused(_("Les réservations pour ce jour sont closes depuis le %(when)s.")
                                 % {"when": _when(late_deadline or deadline)})
        late = True
    if activity.needs_registration and not Registration.objects.filter(
            child=child, activity=activity, first_day__lte=day, last_day__gte=day).exists():
        raise BookingRefused(_("%(name)s n'est pas inscrit(e) à %(activity)s pour ce jour.")
                             % {"name": child.first_name, "activity": activity.name})
    age = age_on(child.birth_date, day)
    if (activity.min_age is not None and age < activity.min_age) or \
            (activity.max_age is not None and age > activity.max_age):
        raise BookingRefused(_("%(name)s n'a pas l'âge de cette activité ce jour-là.") % {"name": child.first_name})
    if activity.schools and child.school not in activity.schools:
        raise BookingRefused(_("%(activity)s accueille les élèves de : %(schools)s.")
                             % {"activity": activity.name, "schools": ", ".join(activity.schools)})
    if activity.school_levels:
        level = school_level(child.school_class)
        if not level:
            raise BookingRefused(_("Indiquez la classe de %(name)s dans son dossier : %(activity)s est réservé(e) "
                                   "à certains niveaux.") % {"name": child.first_name, "activity": activity.name})
        if level not in activity.school_levels:
            raise BookingRefused(_("%(activity)s n'accueille pas les élèves de %(level)s.")
                                 % {"activity": activity.name, "level": level})
    return late


WEEKDAY_NAMES = ["lundis", "mardis", "mercredis", "jeudis", "vendredis", "samedis", "dimanches"]


def _not_running(activity, day, calendar):
    """Why `activity` does not run on `day` (an open day), or "": not on that weekday, not in school holidays
    (or only then)."""
    weekdays = activity.weekdays if isinstance(activity.weekdays, list) and activity.weekdays else [0, 1, 2, 3, 4]
    if day.weekday() not in weekdays:
        return _("%(activity)s ne fonctionne pas les %(weekday)s.") % {
            "activity": activity.name, "weekday": WEEKDAY_NAMES[day.weekday()]}
    holidays = day in calendar.school_holidays
    if holidays and activity.runs == activity.Runs.SCHOOL_DAYS:
        return _("%(activity)s ne fonctionne pas pendant les %(holidays)s.") % {
            "activity": activity.name, "holidays": calendar.school_holidays[day]}
    if not holidays and activity.runs == activity.Runs.HOLIDAYS:
        return _("%(activity)s ne fonctionne que pendant les vacances scolaires.") % {"activity": activity.name}
    return ""


def _openings(activity):
    """The activity's booking openings (book_many prefetches them with the units)."""
    return activity.openings.all()


def _check_the_childs_day(unit, child, day):
    """Refusals that depend on the child's other bookings of the day (under the child's lock)."""
    live = Booking.objects.filter(child=child, day=day).exclude(state=State.CANCELLED)
    if live.filter(unit__in=unit.excludes.all()).exists():
        raise BookingRefused(_("Une autre réservation de ce jour n'est pas compatible avec celle-ci."))
    if unit.requires_id and not live.filter(unit_id=unit.requires_id, state=State.BOOKED).exists():
        raise BookingRefused(_("Cette réservation demande d'abord : %(unit)s.") % {"unit": unit.requires.name})


def _lock_places(keys):
    """{(day, place id): PlaceDay} for these keys, the rows created if need be, locked by (day, place id)."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    days = {day for day, _place in keys}
    places = {place for _day, place in keys}
    existing = set(PlaceDay.objects.filter(day__in=days, place_id__in=places).values_list("day", "place_id"))
    for day, place_id in keys:
        if (day, place_id) not in existing:
            try:
                with transaction.atomic():
                    PlaceDay.objects.create(place_id=place_id, day=day)
            except IntegrityError:
                pass  # made meanwhile by another booking
    rows = (PlaceDay.objects.select_for_update(of=("self",), no_key=True)
            .filter(day__in=days, place_id__in=places).select_related("place").order_by("day", "place_id"))
    return {(row.day, row.place_id): row for row in rows if (row.day, row.place_id) in set(keys)}


def _lock_children(child_ids):
    list(Child.objects.select_for_update(no_key=True).filter(pk__in=sorted(set(child_ids))).order_by("pk")
         .values_list("pk", flat=True))


def _has_room(rows):
    return all(row.booked < row.place.capacity for row in rows)


def _take(rows, delta):
    PlaceDay.objects.filter(pk__in=[row.pk for row in rows]).update(booked=F("booked") + delta)
    for row in rows:
        row.booked += delta


def _record_override(override, user, family, child, booking, what):
    audit.record(actor=user, action=AuditEntry.Action.OVERRIDE, family=family, child=child, obj=booking,
                 changes={what: ["", override.reason]}, note=override.reason)


def book_many(*, family, lines, user, now=None, override=None, registration=None):
    """Book each line (child, unit, day) for `family`, in one transaction: [(line, Booking or BookingRefused)].

    A line the rules refuse does not stop the others; its BookingRefused says why. Booking what the child
    already has gives that booking. `override` (staff only) passes a deadline, or a full unit, and is recorded.
    """
    now = now or timezone.now()
    if not lines:
        return []
    units = {u.pk: u for u in Unit.objects.filter(pk__in={line.unit.pk for line in lines})
             .select_related("activity", "requires").prefetch_related("places", "activity__openings")}
    linked = set(ChildLink.objects.filter(family=family, child__in=[line.child for line in lines])
                 .values_list("child_id", flat=True))
    days = [line.day for line in lines]
    calendar = OpeningCalendar.load(min(days) - CALENDAR_REACH, max(days))
    results, accepted = [], []
    for line in lines:
        unit = units[line.unit.pk]
        try:
            if line.child.pk not in linked:
                raise BookingRefused(_("Cet enfant n'est pas rattaché à votre foyer."))
            late = _check(unit, line.child, line.day, now, calendar, override)
        except BookingRefused as refusal:
            results.append((line, refusal))
            continue
        results.append((line, None))
        accepted.append((len(results) - 1, late))
    with transaction.atomic():
        rows = _lock_places((results[i][0].day, place.pk) for i, _late in accepted
                            for place in units[results[i][0].unit.pk].places.all())
        _lock_children(results[i][0].child.pk for i, _late in accepted)
        for index, late in accepted:
            line = results[index][0]
            unit = units[line.unit.pk]
            try:
                booking = _book_locked(family, line, unit, [rows[(line.day, p.pk)] for p in unit.places.all()],
                                       user, override, registration, late)
            except BookingRefused as refusal:
                results[index] = (line, refusal)
            else:
                results[index] = (line, booking)
    return results


def _book_locked(family, line, unit, rows, user, override, registration=None, late=False):
    child, day = line.child, line.day
    _check_the_childs_day(unit, child, day)
    existing = Booking.objects.filter(child=child, unit=unit, day=day).exclude(state=State.CANCELLED).first()
    if existing is not None:
        if existing.family_id != family.pk:
            raise BookingRefused(_("Réservé par l'autre foyer."))
        return existing
    # Children already waiting for this unit go first, even if a place has just appeared.
    queue = Booking.objects.filter(unit=unit, day=day, state=State.WAITING)
    forced = bool(override and override.capacity)
    if forced or (_has_room(rows) and not queue.exists()):
        _take(rows, +1)
        booking = Booking.objects.create(child=child, family=family, unit=unit, day=day, state=State.BOOKED,
                                         created_by=user, registration=registration, late=late)
        booking.taken.set(rows)
    else:
        last = queue.aggregate(n=Max("waiting_position"))["n"] or 0
        booking = Booking.objects.create(child=child, family=family, unit=unit, day=day, state=State.WAITING,
                                         waiting_position=last + 1, created_by=user, registration=registration,
                                         late=late)
    if override:
        _record_override(override, user, family, child, booking, _("réservation hors délai ou au-delà des places"))
    return booking


def book(*, family, child, unit, day, user, now=None, override=None):
    """One booking (see book_many); refused with BookingRefused."""
    ((_line, result),) = book_many(family=family, lines=[Line(child, unit, day)], user=user, now=now,
                                   override=override)
    if isinstance(result, BookingRefused):
        raise result
    return result


def _sharing_places(unit):
    """The places of every unit that shares a place with `unit` (their waiting lists may take a freed place)."""
    own = list(unit.places.values_list("pk", flat=True))
    return set(Unit.objects.filter(places__in=own).values_list("places", flat=True)) | set(own)


SHIFT = 1_000_000


def _close_gap(unit_id, day, position):
    """The children after `position` move up one. In two steps: one UPDATE of n to n - 1 would meet, row by
    row, the position it moves into (the unique constraint is checked per row)."""
    after = Booking.objects.filter(unit_id=unit_id, day=day, state=State.WAITING)
    after.filter(waiting_position__gt=position).update(waiting_position=F("waiting_position") + SHIFT)
    after.filter(waiting_position__gt=SHIFT).update(waiting_position=F("waiting_position") - SHIFT - 1)


def _off_the_list(booking, state, **fields):
    """Take `booking` off its waiting list (now `state`) and close the gap it leaves."""
    position = booking.waiting_position
    booking.state, booking.waiting_position = state, None
    for name, value in fields.items():
        setattr(booking, name, value)
    booking.save(update_fields=["state", "waiting_position", *fields])
    _close_gap(booking.unit_id, booking.day, position)


def cancel(booking, *, family, user, now=None, override=None):
    """Cancel one booking (see cancel_many): the bookings promoted from a waiting list; BookingRefused."""
    ((_booking, result),) = cancel_many([booking], family=family, user=user, now=now, override=override)
    if isinstance(result, BookingRefused):
        raise result
    return result


def cancel_many(bookings_, *, family, user, now=None, override=None):
    """Cancel bookings of `family` (or leave their waiting lists), in one transaction taking every lock first:
    [(booking, promoted bookings or BookingRefused)].

    A booked place can be cancelled until the activity's cancellation deadline (staff may override it); a
    place given from the waiting list and not yet accepted can be declined at any time; leaving a waiting
    list is always allowed. A booking another one of the day requires (the half day under its meal) is
    cancelled after it: in one call, the dependants go first. Cancelling twice changes nothing.
    """
    now = now or timezone.now()
    if not bookings_:
        return []
    ids = [b.pk for b in bookings_]
    found = {b.pk: b for b in Booking.objects.filter(pk__in=ids).select_related("unit__activity")}
    keys = set()
    for booking in found.values():
        places = _sharing_places(booking.unit) | set(booking.taken.values_list("place_id", flat=True))
        keys |= {(booking.day, pk) for pk in places}
    days = [b.day for b in found.values()]
    calendar = OpeningCalendar.load(min(days) - CALENDAR_REACH, max(days))
    outcomes = {}
    with transaction.atomic():
        rows = _lock_places(keys)
        _lock_children(b.child_id for b in found.values())
        locked = {b.pk: b for b in Booking.objects.select_for_update(no_key=True).filter(pk__in=ids)
                  .select_related("unit__activity").order_by("pk")}
        # Dependants (a meal) before what they require (its half day).
        for booking in sorted(locked.values(), key=lambda b: (b.unit.requires_id is None, b.day, b.pk)):
            day_rows = {key: row for key, row in rows.items() if key[0] == booking.day}
            try:
                outcomes[booking.pk] = _cancel_locked(booking, family, user, now, override, day_rows, calendar)
            except BookingRefused as refusal:
                outcomes[booking.pk] = refusal
    return [(b, outcomes.get(b.pk, [])) for b in bookings_]


def _cancel_locked(booking, family, user, now, override, rows, calendar):
    if booking.family_id != family.pk:
        raise BookingRefused(_("Cette réservation n'est pas celle de votre foyer."))
    if booking.state == State.CANCELLED:
        return []
    if booking.state == State.WAITING:
        _off_the_list(booking, State.CANCELLED, cancelled_at=now)
        return []
    dependent = (Booking.objects.filter(child_id=booking.child_id, day=booking.day, unit__requires=booking.unit_id)
                 .exclude(state=State.CANCELLED).select_related("unit").first())
    if dependent is not None:
        raise BookingRefused(_("Annulez d'abord : %(unit)s, qui a besoin de cette réservation.")
                             % {"unit": dependent.unit.name})
    deadline = _deadline(booking.unit.activity.cancellation_rule, booking.day, calendar)
    declining = booking.awaits_acceptance
    if not is_before(now, deadline) and not declining:
        if not (override and override.deadline):
            raise BookingRefused(_("L'annulation pour ce jour n'est plus possible depuis le %(when)s : "
                                   "déclarez plutôt une absence.") % {"when": _when(deadline)})
        _record_override(override, user, family, booking.child, booking, _("annulation hors délai"))
    taken = set(booking.taken.values_list("pk", flat=True))
    _take([row for row in rows.values() if row.pk in taken], -1)
    booking.state, booking.cancelled_at = State.CANCELLED, now
    booking.save(update_fields=["state", "cancelled_at"])
    return _promote(rows, booking.day, now, calendar)


def accept(booking, *, family, now=None):
    """The household takes the place given to it from the waiting list after the cancellation deadline."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update(no_key=True).get(pk=booking.pk)
        if booking.family_id != family.pk:
            raise BookingRefused(_("Cette réservation n'est pas celle de votre foyer."))
        if booking.state != State.BOOKED or not booking.needs_acceptance:
            raise BookingRefused(_("Cette réservation n'attend pas votre accord."))
        if booking.accepted_at is None:
            booking.accepted_at = now
            booking.save(update_fields=["accepted_at"])
    return booking


def _offer_expiry(booking, now):
    """A place offered after the cancellation deadline waits for the household's answer acceptance_hours, and
    never past the start of its day."""
    start = timezone.make_aware(datetime.datetime.combine(booking.day, datetime.time()))
    return min(now + datetime.timedelta(hours=booking.unit.activity.acceptance_hours), start)


def _promote(rows, day, now, calendar):
    """Give freed places to the children waiting, first come first served, while their unit's places have room
    (a half day may take a place a whole day waiting could not) and what their unit requires is booked."""
    by_place = {place_id: row for (_day, place_id), row in rows.items()}
    units = Unit.objects.filter(places__in=list(by_place)).values("pk")
    waiting = list(Booking.objects.select_for_update(of=("self",), no_key=True)
                   .filter(day=day, state=State.WAITING, unit_id__in=units)
                   .select_related("unit__activity").order_by("pk"))
    places_of, promoted = {}, []
    for candidate in waiting:
        if candidate.unit_id not in places_of:
            places_of[candidate.unit_id] = list(candidate.unit.places.values_list("pk", flat=True))
        needed = [by_place[pk] for pk in places_of[candidate.unit_id] if pk in by_place]
        if len(needed) != len(places_of[candidate.unit_id]) or not _has_room(needed):
            continue
        if candidate.unit.requires_id and not Booking.objects.filter(
                child_id=candidate.child_id, day=day, unit_id=candidate.unit.requires_id,
                state=State.BOOKED).exists():
            continue
        _take(needed, +1)
        # Its position now: the promotions before it in its own list moved it up.
        candidate.waiting_position = Booking.objects.values_list("waiting_position", flat=True).get(pk=candidate.pk)
        deadline = _deadline(candidate.unit.activity.cancellation_rule, day, calendar)
        must_accept = not is_before(now, deadline)
        expires = _offer_expiry(candidate, now) if must_accept else None
        _off_the_list(candidate, State.BOOKED, needs_acceptance=must_accept, offer_expires_at=expires)
        candidate.taken.set(needed)
        promoted.append(candidate)
    return promoted
