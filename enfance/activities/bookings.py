"""Booking, cancelling and the waiting list: every rule checked on the server, inside the transaction.

Capacity lives in PlaceDay rows, one per place and day. A booking locks the rows of its unit's places; a
cancellation locks the rows of every place of every unit that shares one with its unit (the promotion from
the waiting list may give the freed place to any of them). Locks are always taken in the order of the places'
ids, so two transactions never wait for each other in a circle; two units sharing a room serialise on its
row. A waiting position is given under those locks, hence unique and contiguous: 1, 2, 3 in the order the
server took the lock.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from enfance.families.models import Child, ChildLink

from .calendar import OpeningCalendar
from .deadlines import rule_from_json
from .models import Booking, PlaceDay, Unit

State = Booking.State


class BookingRefused(Exception):
    """A booking or a cancellation the rules refuse; `message` says why, in French, to the family."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Override:
    """Staff booking past a deadline or a full unit: recorded with its reason."""

    reason: str
    deadline: bool = True
    capacity: bool = False


def _age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _when(moment):
    return date_format(timezone.localtime(moment), "l j F Y à H:i")


def _check(unit, child, day, now, calendar, override):
    """Refusals that depend on no booking: a closed day, the deadline, the child's age."""
    activity = unit.activity
    if not activity.is_active:
        raise BookingRefused(_("Cette activité n'est pas proposée."))
    closed = calendar.closed_because(day)
    if closed:
        raise BookingRefused(_("Fermé ce jour-là (%(why)s).") % {"why": closed})
    deadline = rule_from_json(activity.booking_rule).deadline(day, calendar)
    if now >= deadline and not (override and override.deadline):
        raise BookingRefused(_("Les réservations pour ce jour sont closes depuis le %(when)s.")
                             % {"when": _when(deadline)})
    age = _age_on(child.birth_date, day)
    if (activity.min_age is not None and age < activity.min_age) or \
            (activity.max_age is not None and age > activity.max_age):
        raise BookingRefused(_("%(name)s n'a pas l'âge de cette activité ce jour-là.") % {"name": child.first_name})


def _check_the_childs_day(unit, child, day):
    """Refusals that depend on the child's other bookings of the day (under the child's lock)."""
    live = Booking.objects.filter(child=child, day=day).exclude(state=State.CANCELLED)
    if live.filter(unit__in=unit.excludes.all()).exists():
        raise BookingRefused(_("Une autre réservation de ce jour n'est pas compatible avec celle-ci."))
    if unit.requires_id and not live.filter(unit_id=unit.requires_id, state=State.BOOKED).exists():
        raise BookingRefused(_("Cette réservation demande d'abord : %(unit)s.") % {"unit": unit.requires.name})


def _lock_places(place_ids, day):
    """The PlaceDay rows of these places on this day, created if need be, locked in the order of their ids."""
    place_ids = sorted(set(place_ids))
    existing = set(PlaceDay.objects.filter(place_id__in=place_ids, day=day).values_list("place_id", flat=True))
    for place_id in place_ids:
        if place_id not in existing:
            try:
                with transaction.atomic():
                    PlaceDay.objects.create(place_id=place_id, day=day)
            except IntegrityError:
                pass  # made meanwhile by another booking
    return list(PlaceDay.objects.select_for_update().filter(place_id__in=place_ids, day=day)
                .select_related("place").order_by("place_id"))


def _has_room(rows):
    return all(row.booked < row.place.capacity for row in rows)


def _take(rows, delta):
    PlaceDay.objects.filter(pk__in=[row.pk for row in rows]).update(booked=F("booked") + delta)
    for row in rows:
        row.booked += delta


def book(*, family, child, unit, day, user, now=None, override=None):
    """Book `unit` for `child` on `day` for `family`: the booking, booked or on the waiting list.

    Refused with BookingRefused (its message for the family) when a rule says no. Booking what the child
    already has returns that booking. `override` (staff only) passes a deadline, or a full unit.
    """
    now = now or timezone.now()
    unit = Unit.objects.select_related("activity", "requires").get(pk=unit.pk)
    if not ChildLink.objects.filter(family=family, child=child).exists():
        raise BookingRefused(_("Cet enfant n'est pas rattaché à votre foyer."))
    calendar = OpeningCalendar.load(day - datetime.timedelta(days=62), day)
    _check(unit, child, day, now, calendar, override)
    place_ids = list(unit.places.values_list("pk", flat=True))
    with transaction.atomic():
        rows = _lock_places(place_ids, day)
        # The child's row: its bookings of the day decide exclusions and requirements, whatever the places.
        Child.objects.select_for_update().filter(pk=child.pk).first()
        _check_the_childs_day(unit, child, day)
        existing = Booking.objects.filter(child=child, unit=unit, day=day).exclude(state=State.CANCELLED).first()
        if existing is not None:
            if existing.family_id != family.pk:
                raise BookingRefused(_("Réservé par l'autre foyer."))
            return existing
        if _has_room(rows) or (override and override.capacity):
            _take(rows, +1)
            return Booking.objects.create(child=child, family=family, unit=unit, day=day, state=State.BOOKED,
                                          created_by=user)
        last = Booking.objects.filter(unit=unit, day=day, state=State.WAITING).aggregate(n=Max("waiting_position"))
        return Booking.objects.create(child=child, family=family, unit=unit, day=day, state=State.WAITING,
                                      waiting_position=(last["n"] or 0) + 1, created_by=user)


def _sharing_places(unit):
    """The places of every unit that shares a place with `unit` (their waiting lists may take a freed place)."""
    own = list(unit.places.values_list("pk", flat=True))
    return sorted(set(Unit.objects.filter(places__in=own).values_list("places", flat=True)) | set(own))


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
    """Cancel a booking of `family` (or leave the waiting list); the bookings promoted from a waiting list.

    A booked place can be cancelled until the activity's cancellation deadline (staff may override it);
    leaving a waiting list is always allowed. Cancelling twice changes nothing the second time.
    """
    now = now or timezone.now()
    unit = Unit.objects.select_related("activity").get(pk=booking.unit_id)
    with transaction.atomic():
        rows = {row.place_id: row for row in _lock_places(_sharing_places(unit), booking.day)}
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.family_id != family.pk:
            raise BookingRefused(_("Cette réservation n'est pas celle de votre foyer."))
        if booking.state == State.CANCELLED:
            return []
        if booking.state == State.WAITING:
            _off_the_list(booking, State.CANCELLED, cancelled_at=now)
            return []
        calendar = OpeningCalendar.load(booking.day - datetime.timedelta(days=62), booking.day)
        deadline = rule_from_json(unit.activity.cancellation_rule).deadline(booking.day, calendar)
        if now >= deadline and not (override and override.deadline):
            raise BookingRefused(_("L'annulation pour ce jour n'est plus possible depuis le %(when)s : "
                                   "déclarez plutôt une absence.") % {"when": _when(deadline)})
        own = list(unit.places.values_list("pk", flat=True))
        _take([rows[pk] for pk in own], -1)
        booking.state, booking.cancelled_at = State.CANCELLED, now
        booking.save(update_fields=["state", "cancelled_at"])
        return _promote(rows, booking.day, now, calendar)


def _promote(rows, day, now, calendar):
    """Give freed places to the children waiting, first come first served, while their unit's places have room
    (a half day may take a place a whole day waiting could not)."""
    units = Unit.objects.filter(places__in=list(rows)).values("pk")
    waiting = list(Booking.objects.select_for_update(of=("self",)).filter(day=day, state=State.WAITING,
                                                                         unit_id__in=units)
                   .select_related("unit__activity").order_by("created_at", "pk"))
    places_of, promoted = {}, []
    for candidate in waiting:
        if candidate.unit_id not in places_of:
            places_of[candidate.unit_id] = list(candidate.unit.places.values_list("pk", flat=True))
        needed = [rows[pk] for pk in places_of[candidate.unit_id] if pk in rows]
        if len(needed) != len(places_of[candidate.unit_id]) or not _has_room(needed):
            continue
        _take(needed, +1)
        # Its position now: the promotions before it in its own list moved it up.
        candidate.waiting_position = Booking.objects.values_list("waiting_position", flat=True).get(pk=candidate.pk)
        deadline = rule_from_json(candidate.unit.activity.cancellation_rule).deadline(day, calendar)
        _off_the_list(candidate, State.BOOKED, needs_acceptance=now >= deadline)
        promoted.append(candidate)
    return promoted
