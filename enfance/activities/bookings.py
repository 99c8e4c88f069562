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
from functools import lru_cache

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from enfance.core import audit
from enfance.core.models import AuditEntry
from enfance.families.models import Child, ChildLink

from .calendar import OpeningCalendar
from .deadlines import RuleError, is_before, rule_from_json
from .models import Booking, Place, PlaceDay, Registration, Unit, school_level

State = Booking.State
# Deadlines counted in open days reach this far back (60 open days are about 84 calendar days).
CALENDAR_REACH = datetime.timedelta(days=120)


class BookingRefused(Exception):
    """A booking or a cancellation the rules refuse; `message` says why, in French, to the family. `code` names
    the refusals callers tell apart (CANCEL_DEADLINE)."""

    CANCEL_DEADLINE = "cancel_deadline"

    def __init__(self, message, code=""):
        super().__init__(message)
        self.message, self.code = message, code


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
    registration: Registration | None = None  # booked by this registration's weekly pattern


def age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _when(moment):
    """"mercredi 2 décembre à 18 h 00", the year only when it is not this one."""
    return _when_in(moment, timezone.localdate().year, get_language())


@lru_cache(maxsize=4096)
def _when_in(moment, this_year, _language):
    # Memoised: a calendar page writes a hundred deadlines, the same ones for every household.
    local = timezone.localtime(moment)
    text = date_format(local, "l j F" if local.year == this_year else "l j F Y")
    return f"{text} à {local:%H} h {local:%M}"


def _deadline(rule_json, day, calendar):
    """The deadline of `rule_json` for `day`, memoised on the calendar (a month of lines has few distinct days)."""
    memo = calendar.__dict__.setdefault("_deadlines", {})
    key = (repr(rule_json), day)
    if key not in memo:
        try:
            memo[key] = rule_from_json(rule_json).deadline(day, calendar)
        except RuleError as exc:
            memo[key] = BookingRefused(exc.args[0])
    if isinstance(memo[key], BookingRefused):
        raise BookingRefused(memo[key].message)
    return memo[key]


def _check(unit, child, day, now, calendar, override, registered):
    """Refusals that depend on no booking: a closed day, the deadline, the child's age. `registered`: {(child
    id, activity id): [(first day, last day)]} of the registrations that matter. (late, whether the override's
    deadline was needed: only then is it recorded)."""
    activity = unit.activity
    if not activity.is_active:
        raise BookingRefused(_("Cette activité n'est pas proposée."))
    closed = calendar.closed_because(day) or calendar.activity_closed_because(activity.pk, day)
    if closed:
        raise BookingRefused(_("Fermé ce jour-là (%(why)s).") % {"why": closed})
    not_running = _not_running(activity, day, calendar)
    if not_running:
        raise BookingRefused(not_running)
    passes = bool(override and override.deadline)
    opening = next((o for o in _openings(activity) if o.first_day <= day <= o.last_day), None)
    early = opening is not None and is_before(now, opening.opens_at)
    if early and not passes:
        raise BookingRefused(_("Les réservations pour ce jour ouvrent le %(when)s.") % {"when": _when(opening.opens_at)})
    late = False
    deadline = _deadline(activity.booking_rule, day, calendar)
    closed_by_deadline = not is_before(now, deadline)
    if closed_by_deadline and not passes:
        late_deadline = _deadline(activity.late_rule, day, calendar) if activity.late_rule else None
        if late_deadline is None or not is_before(now, late_deadline):
            raise BookingRefused(_("Les réservations pour ce jour sont closes depuis le %(when)s.")
                                 % {"when": _when(late_deadline or deadline)})
        late = True
    if activity.needs_registration and not any(first <= day <= last
                                               for first, last in registered.get((child.pk, activity.pk), ())):
        raise BookingRefused(_("%(name)s n'est pas inscrit(e) à %(activity)s pour ce jour.")
                             % {"name": child.first_name, "activity": activity.name})
    refusal = eligibility_refusal(activity, child, day)
    if refusal:
        raise BookingRefused(refusal)
    return late, passes and (early or closed_by_deadline)


def eligibility_refusal(activity, child, day):
    """Why `child` may not take part in `activity` on `day` (age, school, school level), or ""."""
    age = age_on(child.birth_date, day)
    if (activity.min_age is not None and age < activity.min_age) or \
            (activity.max_age is not None and age > activity.max_age):
        return _("%(name)s n'a pas l'âge de cette activité ce jour-là.") % {"name": child.first_name}
    if activity.schools and child.school not in activity.schools:
        return _("%(activity)s accueille les élèves de : %(schools)s.") % {
            "activity": activity.name, "schools": ", ".join(activity.schools)}
    if activity.school_levels:
        level = school_level(child.school_class)
        if not level:
            return _("Indiquez la classe de %(name)s dans son dossier : %(activity)s est réservé(e) à certains "
                     "niveaux.") % {"name": child.first_name, "activity": activity.name}
        if level not in activity.school_levels:
            return _("%(activity)s n'accueille pas les élèves de %(level)s.") % {
                "activity": activity.name, "level": level}
    return ""


WEEKDAY_NAMES = ["lundis", "mardis", "mercredis", "jeudis", "vendredis", "samedis", "dimanches"]


def runs_on(activity, day, calendar):
    """Whether `activity` runs on `day` (its weekdays, school days or holidays): _not_running without words."""
    weekdays = activity.weekdays if isinstance(activity.weekdays, list) and activity.weekdays else [0, 1, 2, 3, 4]
    if day.weekday() not in weekdays:
        return False
    holidays = day in calendar.school_holidays
    return not ((holidays and activity.runs == activity.Runs.SCHOOL_DAYS)
                or (not holidays and activity.runs == activity.Runs.HOLIDAYS))


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


def _lock_places(keys):
    """{(day, place id): PlaceDay} for these keys, the rows created if need be, locked by (day, place id)."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    days = {day for day, _place in keys}
    places = {place for _day, place in keys}
    wanted = set(keys)
    existing = set(PlaceDay.objects.filter(day__in=days, place_id__in=places).values_list("day", "place_id"))
    missing = [PlaceDay(place_id=place_id, day=day) for day, place_id in keys if (day, place_id) not in existing]
    if missing:
        # One INSERT; a row made meanwhile by another booking is skipped (the unique constraint).
        PlaceDay.objects.bulk_create(missing, ignore_conflicts=True)
    rows = [row for row in PlaceDay.objects.select_for_update(no_key=True).filter(day__in=days, place_id__in=places)
            .order_by("day", "place_id") if (row.day, row.place_id) in wanted]
    # The places read once the rows are locked, in a statement of their own: a capacity changed by the
    # transaction we waited for is the one we judge with (a join in the locking statement would see the old one).
    by_pk = {place.pk: place for place in Place.objects.filter(pk__in={row.place_id for row in rows})}
    for row in rows:
        row.place = by_pk[row.place_id]
    return {(row.day, row.place_id): row for row in rows}


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
    booked, _cancelled = change_many(family=family, book=lines, user=user, now=now, override=override,
                                     registration=registration)
    return booked


def _prejudge(family, book, now, override, other_days=()):
    """The rules that need no lock, for each line to book: (units, calendar, [(line, None or BookingRefused)],
    [(index of a line still to book, whether it is late, whether it needed the override's deadline)])."""
    units = {u.pk: u for u in Unit.objects.filter(pk__in={line.unit.pk for line in book})
             .select_related("activity", "requires").prefetch_related("places", "excludes", "activity__openings")}
    linked = set(ChildLink.objects.filter(family=family, child__in=[line.child for line in book])
                 .values_list("child_id", flat=True))
    days = [line.day for line in book] + list(other_days)
    calendar = OpeningCalendar.load(min(days) - CALENDAR_REACH, max(days)) if days else OpeningCalendar()
    registered = {}
    needing = {u.activity_id for u in units.values() if u.activity.needs_registration}
    if needing and book:
        for child_id, activity_id, first, last in Registration.objects.filter(
                child__in={line.child.pk for line in book}, activity__in=needing, first_day__lte=max(days),
                last_day__gte=min(days)).values_list("child_id", "activity_id", "first_day", "last_day"):
            registered.setdefault((child_id, activity_id), []).append((first, last))
    results, accepted = [], []
    for line in book:
        unit = units[line.unit.pk]
        try:
            if line.child.pk not in linked:
                raise BookingRefused(_("Cet enfant n'est pas rattaché à votre foyer."))
            late, overrode = _check(unit, line.child, line.day, now, calendar, override, registered)
        except BookingRefused as refusal:
            results.append((line, refusal))
            continue
        results.append((line, None))
        accepted.append((len(results) - 1, late, overrode))
    return units, calendar, results, accepted


def refusals(*, family, lines, now=None):
    """{key: BookingRefused} for the lines ({key: Line}) the rules refuse before any capacity is looked at
    (a closed day, a deadline, an age): what a request of bookings refuses as soon as it is submitted."""
    if not lines:
        return {}
    keys = list(lines)
    _units, _calendar, results, _accepted = _prejudge(family, [lines[k] for k in keys], now or timezone.now(), None)
    return {key: result for key, (_line, result) in zip(keys, results, strict=True) if result is not None}


def change_many(*, family, book=(), cancel=(), user, now=None, override=None, registration=None, asked_at=None):
    """Cancel the bookings `cancel`, then book the lines `book`, for `family` in one transaction that takes every
    lock first (the places of both, then the children, then the bookings): a household swapping a half day
    for a whole day in one submission never waits in a circle with another.

    (book results [(line, Booking or BookingRefused)], cancel results [(booking, promoted or BookingRefused)]).
    Every child promoted from a waiting list is told once the transaction commits. `asked_at`: when the
    household asked (a request checked by hand is judged against the deadlines of that moment); what happens
    now (a promotion, whether it must be accepted and until when) is judged at `now`.
    """
    now = now or timezone.now()
    asked_at = asked_at or now
    book, cancel = list(book), list(cancel)
    if not book and not cancel:
        return [], []
    found = {b.pk: b for b in Booking.objects.filter(pk__in=[b.pk for b in cancel]).select_related("unit__activity")}
    units, calendar, results, accepted = _prejudge(family, book, asked_at, override, [b.day for b in found.values()])
    keys = {(results[i][0].day, place.pk) for i, _late, _o in accepted for place in units[results[i][0].unit.pk].places.all()}
    sharing = _sharing_places_of({b.unit_id for b in found.values()})
    taken_of = {}
    for booking_id, place_id in Booking.taken.through.objects.filter(booking_id__in=list(found)).values_list(
            "booking_id", "placeday__place_id"):
        taken_of.setdefault(booking_id, set()).add(place_id)
    for booking in found.values():
        keys |= {(booking.day, pk) for pk in sharing[booking.unit_id] | taken_of.get(booking.pk, set())}
    outcomes, promoted = {}, []
    with transaction.atomic():
        rows = _lock_places(keys)
        _lock_children({results[i][0].child.pk for i, _late, _o in accepted} | {b.child_id for b in found.values()})
        locked = {b.pk: b for b in Booking.objects.select_for_update(no_key=True).filter(pk__in=list(found))
                  .select_related("unit__activity").order_by("pk")}
        batch = _Cancels(locked.values(), rows, now)
        # Dependants (a meal) before what they require (its half day).
        for booking in sorted(locked.values(), key=lambda b: (b.unit.requires_id is None, b.day, b.pk)):
            try:
                outcomes[booking.pk] = _cancel_locked(booking, family, user, now, override, calendar, asked_at,
                                                      batch)
            except BookingRefused as refusal:
                outcomes[booking.pk] = refusal
        for _day, booking_id, given in batch.flush(calendar):
            outcomes[booking_id] = given
            promoted.extend(given)
        held = _Held([results[i][0] for i, _late, _o in accepted])
        for index, late, overrode in accepted:
            line = results[index][0]
            unit = units[line.unit.pk]
            try:
                booking = _book_locked(family, line, unit, [rows[(line.day, p.pk)] for p in unit.places.all()],
                                       user, override if overrode else None, line.registration or registration,
                                       late, held, capacity_override=override)
            except BookingRefused as refusal:
                results[index] = (line, refusal)
            else:
                results[index] = (line, booking)
        held.flush()
        if promoted:
            from .notices import tell_promoted

            # After the commit, not under the places' locks: rendering e-mails there held up every booking of
            # the day. notice_pending, written with the promotion, lets the sweep tell what a crash lost.
            transaction.on_commit(lambda: tell_promoted([b.pk for b in promoted]), robust=True)
    return results, [(b, outcomes.get(b.pk, [])) for b in cancel]


class _Held:
    """What a submission's bookings depend on, read once under its locks (the PlaceDay rows keep every waiting
    list of their units still, the children's rows their bookings) and kept up to date line after line: the
    children's live bookings of the days, the last waiting position of each unit and day. The places taken
    are written once at the end (flush): PlaceDay counts and Booking.taken rows."""

    def __init__(self, lines):
        children, days = {line.child.pk for line in lines}, {line.day for line in lines}
        self.live = {}
        if not lines:
            self.last = {}
        else:
            for booking in (Booking.objects.filter(child_id__in=children, day__in=days)
                            .exclude(state=State.CANCELLED).order_by("pk")):
                self.live.setdefault((booking.child_id, booking.day), []).append(booking)
            self.last = {(unit_id, day): n for unit_id, day, n in Booking.objects.filter(
                unit_id__in={line.unit.pk for line in lines}, day__in=days, state=State.WAITING).order_by()
                .values("unit_id", "day").annotate(n=Max("waiting_position")).values_list("unit_id", "day", "n")}
        self.taken, self.added, self.new, self.overrides = [], {}, [], []

    def take(self, booking, rows):
        for row in rows:
            row.booked += 1
            self.added[row.pk] = self.added.get(row.pk, 0) + 1
        self.taken.append((booking, rows))

    def flush(self):
        """The bookings in one INSERT (in the order they were judged, so their keys follow the lock order),
        the places they took, the PlaceDay counts, the overrides' audit entries."""
        Booking.objects.bulk_create(self.new)
        by_count = {}
        for pk, n in self.added.items():
            by_count.setdefault(n, []).append(pk)
        for n, pks in sorted(by_count.items()):
            PlaceDay.objects.filter(pk__in=sorted(pks)).update(booked=F("booked") + n)
        Booking.taken.through.objects.bulk_create([Booking.taken.through(booking_id=booking.pk, placeday_id=row.pk)
                                                   for booking, rows in self.taken for row in rows])
        for override, user, family, child, booking in self.overrides:
            _record_override(override, user, family, child, booking, _("réservation hors délai ou au-delà des places"))
        self.taken, self.added, self.new, self.overrides = [], {}, [], []


def _check_the_childs_day(unit, live):
    """Refusals that depend on the child's other bookings of the day (`live`, read under the child's lock)."""
    excluded = {other.pk for other in unit.excludes.all()}
    if excluded and any(b.unit_id in excluded for b in live):
        raise BookingRefused(_("Une autre réservation de ce jour n'est pas compatible avec celle-ci."))
    if unit.requires_id and not any(b.unit_id == unit.requires_id and b.state == State.BOOKED for b in live):
        raise BookingRefused(_("Cette réservation demande d'abord : %(unit)s.") % {"unit": unit.requires.name})


def _book_locked(family, line, unit, rows, user, override, registration, late, held, capacity_override=None):
    """`override`: the override whose deadline this line needed (recorded); `capacity_override`: the one that may
    pass a full unit (recorded only when the unit was full)."""
    child, day = line.child, line.day
    live = held.live.setdefault((child.pk, day), [])
    _check_the_childs_day(unit, live)
    existing = next((b for b in live if b.unit_id == unit.pk), None)
    if existing is not None:
        if existing.family_id != family.pk:
            raise BookingRefused(_("Réservé par l'autre foyer."))
        return existing
    # Children already waiting for this unit go first, even if a place has just appeared.
    last = held.last.get((unit.pk, day)) or 0
    room = _has_room(rows) and not last
    forced = bool(capacity_override and capacity_override.capacity) and not room
    if forced:
        override = capacity_override
    if forced or room:
        booking = Booking(child=child, family=family, unit=unit, day=day, state=State.BOOKED, created_by=user,
                          registration=registration, late=late)
        held.take(booking, rows)
    else:
        booking = Booking(child=child, family=family, unit=unit, day=day, state=State.WAITING,
                          waiting_position=last + 1, created_by=user, registration=registration, late=late)
        held.last[(unit.pk, day)] = last + 1
    held.new.append(booking)
    live.append(booking)
    if override:
        held.overrides.append((override, user, family, child, booking))
    return booking


def book(*, family, child, unit, day, user, now=None, override=None):
    """One booking (see book_many); refused with BookingRefused."""
    ((_line, result),) = book_many(family=family, lines=[Line(child, unit, day)], user=user, now=now,
                                   override=override)
    if isinstance(result, BookingRefused):
        raise result
    return result


def _sharing_places_of(unit_ids):
    """{unit id: the places of every unit that shares a place with it} (their waiting lists may take a place it
    frees), in two queries. Through a subquery: values_list("places") after filter(places__in=...) would reuse
    the filter's join and give back only the unit's own places."""
    if not unit_ids:
        return {}
    through = Unit.places.through.objects
    own = {}
    for unit_id, place_id in through.filter(unit_id__in=unit_ids).values_list("unit_id", "place_id"):
        own.setdefault(unit_id, set()).add(place_id)
    sharing_units = Unit.objects.filter(places__in={p for places in own.values() for p in places}).values("pk")
    units_of_place, places_of_unit = {}, {}
    for unit_id, place_id in through.filter(unit_id__in=sharing_units).values_list("unit_id", "place_id"):
        units_of_place.setdefault(place_id, set()).add(unit_id)
        places_of_unit.setdefault(unit_id, set()).add(place_id)
    return {unit_id: places | {p for place in places for other in units_of_place.get(place, ())
                               for p in places_of_unit[other]}
            for unit_id, places in ((u, own.get(u, set())) for u in unit_ids)}


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


def cancel_many(bookings_, *, family, user, now=None, override=None, asked_at=None):
    """Cancel bookings of `family` (or leave their waiting lists), in one transaction taking every lock first:
    [(booking, promoted bookings or BookingRefused)].

    A booked place can be cancelled until the activity's cancellation deadline (staff may override it); a
    place given from the waiting list and not yet accepted can be declined at any time; leaving a waiting
    list is always allowed. A booking another one of the day requires (the half day under its meal) is
    cancelled after it: in one call, the dependants go first. Cancelling twice changes nothing.
    """
    _booked, cancelled = change_many(family=family, cancel=bookings_, user=user, now=now, override=override,
                                     asked_at=asked_at)
    return cancelled


class _Cancels:
    """The cancellations of one change_many, done together once every lock is held: the dependants of the
    cancelled bookings read once, the bookings and the PlaceDay counts written once, and the freed places given
    to the children waiting once per day (flush), with one read of the waiting lists."""

    def __init__(self, bookings_, rows, now):
        bookings_ = list(bookings_)
        self.rows, self.now = rows, now
        self.cancelled, self.freed, self.days = [], {}, {}
        self.dependants = {}
        units = {b.unit_id for b in bookings_}
        if units:
            for dependant in (Booking.objects.filter(child_id__in={b.child_id for b in bookings_},
                                                     day__in={b.day for b in bookings_}, unit__requires__in=units)
                              .exclude(state=State.CANCELLED).select_related("unit")):
                self.dependants.setdefault((dependant.child_id, dependant.day, dependant.unit.requires_id),
                                           []).append(dependant)
        self.taken = {}
        for booking_id, placeday_id in Booking.taken.through.objects.filter(
                booking_id__in=[b.pk for b in bookings_]).values_list("booking_id", "placeday_id"):
            self.taken.setdefault(booking_id, set()).add(placeday_id)

    def dependant(self, booking):
        gone = {b.pk for b in self.cancelled}
        return next((d for d in self.dependants.get((booking.child_id, booking.day, booking.unit_id), ())
                     if d.pk not in gone), None)

    def cancel(self, booking):
        taken = self.taken.get(booking.pk, set())
        for row in self.rows.values():
            if row.pk in taken:
                row.booked -= 1
                self.freed[row.pk] = self.freed.get(row.pk, 0) + 1
        booking.state, booking.cancelled_at = State.CANCELLED, self.now
        self.cancelled.append(booking)
        self.days[booking.day] = booking.pk  # the day's promotions are told as this booking's

    def flush(self, calendar):
        """Write the cancellations, then promote: [(day, booking id, bookings promoted that day)]."""
        if not self.cancelled:
            return []
        Booking.objects.filter(pk__in=[b.pk for b in self.cancelled]).update(state=State.CANCELLED,
                                                                           cancelled_at=self.now)
        by_count = {}
        for pk, n in self.freed.items():
            by_count.setdefault(n, []).append(pk)
        for n, pks in sorted(by_count.items()):
            PlaceDay.objects.filter(pk__in=sorted(pks)).update(booked=F("booked") - n)
        waiting = _waiting_lists(self.rows, list(self.days))
        return [(day, booking_id, _promote({k: r for k, r in self.rows.items() if k[0] == day}, day, self.now,
                                           calendar, waiting.get(day, [])))
                for day, booking_id in sorted(self.days.items())]


def _cancel_locked(booking, family, user, now, override, calendar, asked_at, batch):
    if booking.family_id != family.pk:
        raise BookingRefused(_("Cette réservation n'est pas celle de votre foyer."))
    if booking.state == State.CANCELLED:
        return []
    if booking.state == State.WAITING:
        _off_the_list(booking, State.CANCELLED, cancelled_at=now)
        return []
    dependent = batch.dependant(booking)
    if dependent is not None:
        raise BookingRefused(_("Annulez d'abord : %(unit)s, qui a besoin de cette réservation.")
                             % {"unit": dependent.unit.name})
    deadline = _deadline(booking.unit.activity.cancellation_rule, booking.day, calendar)
    declining = booking.awaits_acceptance
    if not is_before(asked_at or now, deadline) and not declining:
        if not (override and override.deadline):
            raise BookingRefused(_("L'annulation pour ce jour n'est plus possible depuis le %(when)s : "
                                   "déclarez plutôt une absence.") % {"when": _when(deadline)},
                                 BookingRefused.CANCEL_DEADLINE)
        _record_override(override, user, family, booking.child, booking, _("annulation hors délai"))
    batch.cancel(booking)
    return []


def accept(booking, *, family, now=None):
    """The household takes the place given to it from the waiting list after the cancellation deadline."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update(no_key=True).get(pk=booking.pk)
        if booking.family_id != family.pk:
            raise BookingRefused(_("Cette réservation n'est pas celle de votre foyer."))
        if booking.state != State.BOOKED or not booking.needs_acceptance:
            raise BookingRefused(_("Cette réservation n'attend pas votre accord."))
        if booking.accepted_at is None and booking.offer_expires_at and not is_before(now, booking.offer_expires_at):
            raise BookingRefused(_("Le délai pour accepter cette place est passé : elle va à l'enfant suivant."))
        if booking.accepted_at is None:
            booking.accepted_at = now
            booking.save(update_fields=["accepted_at"])
    return booking


def _offer_expiry(booking, now):
    """A place offered after the cancellation deadline waits for the household's answer acceptance_hours, and
    never past the start of its day."""
    start = timezone.make_aware(datetime.datetime.combine(booking.day, datetime.time()))
    return min(now + datetime.timedelta(hours=booking.unit.activity.acceptance_hours), start)


def _waiting_lists(rows, days):
    """{day: [the bookings waiting for a unit using these places, first come first]}, locked, in one query."""
    if not days or not rows:
        return {}
    units = Unit.objects.filter(places__in={place_id for _day, place_id in rows}).values("pk")
    lists = {}
    for booking in (Booking.objects.select_for_update(of=("self",), no_key=True)
                    .filter(day__in=days, state=State.WAITING, unit_id__in=units)
                    .select_related("unit__activity").order_by("pk")):
        lists.setdefault(booking.day, []).append(booking)
    return lists


def _promote(rows, day, now, calendar, waiting=None):
    """Give freed places to the children waiting, first come first served, while their unit's places have room
    (a half day may take a place a whole day waiting could not) and what their unit requires is booked.
    `waiting`: the day's waiting bookings, locked (read here when not given)."""
    by_place = {place_id: row for (_day, place_id), row in rows.items()}
    if waiting is None:
        waiting = _waiting_lists(rows, [day]).get(day, [])
    if not waiting:
        return []
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
        deadline = _deadline(candidate.unit.activity.cancellation_rule, day, calendar)
        must_accept = not is_before(now, deadline)
        expires = _offer_expiry(candidate, now) if must_accept else None
        if expires is not None and not is_before(now, expires):
            continue  # the day has begun: no time left to accept, the child stays on the list
        _take(needed, +1)
        # Its position now: the promotions before it in its own list moved it up.
        candidate.waiting_position = Booking.objects.values_list("waiting_position", flat=True).get(pk=candidate.pk)
        _off_the_list(candidate, State.BOOKED, needs_acceptance=must_accept, offer_expires_at=expires,
                      notice_pending=True)
        candidate.taken.set(needed)
        promoted.append(candidate)
    return promoted


def promote_days(place_ids, days, *, now=None, under_locks=None):
    """Give the room that appeared on `days` at these places (a capacity raised) to the children waiting, first
    come first served: the bookings promoted, their households told once the transaction commits.

    The lock order of every write: the PlaceDay rows of the places of every unit using one of these places (a
    whole day waiting needs its lunch and afternoon rows too), by day then place id, then the waiting bookings
    `_promote` changes. `under_locks(rows)`, when given, runs first under those locks (capacity.set_capacity
    saves the new capacity there, or raises to change nothing)."""
    now = now or timezone.now()
    days = sorted(set(days))
    place_ids = set(place_ids)
    # Through a subquery: values_list("places") after filter(places__in=...) would reuse the filter's join and
    # give back only these places.
    users = Unit.objects.filter(places__in=place_ids).values("pk")
    sharing = set(Unit.places.through.objects.filter(unit_id__in=users).values_list("place_id", flat=True)) | place_ids
    calendar = OpeningCalendar.load(days[0] - CALENDAR_REACH, days[-1]) if days else None
    promoted = []
    with transaction.atomic():
        rows = _lock_places((day, pk) for day in days for pk in sharing)
        if under_locks is not None:
            under_locks(rows)
        for day in days:
            promoted.extend(_promote({key: row for key, row in rows.items() if key[0] == day}, day, now, calendar))
        if promoted:
            from .notices import tell_promoted

            # After the commit, not under the places' locks: rendering e-mails there held up every booking of
            # the day. notice_pending, written with the promotion, lets the sweep tell what a crash lost.
            transaction.on_commit(lambda: tell_promoted([b.pk for b in promoted]), robust=True)
    return promoted
