"""A household's calendar: for each day, each child and each unit it may book, what the day holds and why.

Read in a fixed number of queries whatever the number of children and days (the portal's calendar is the page
families open most on the day bookings open): the children, then one statement for the household's bookings,
its offered places, its registrations and the rooms' counts. The rules are those of bookings.py, evaluated
without locks for display only: the server judges again when the household submits.

What does not depend on the household (which units run each day, their deadlines and closures, in words) is
worked out once per process and language for a span of days, kept with the span's calendar in the snapshot
until the first moment that changes it (a deadline, an opening, midnight): see _Plan.
"""

import datetime
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from enfance.core.dates import is_sane
from enfance.core.values import parse_id
from enfance.families import access
from enfance.families.models import Child, Family

from . import bookings, snapshot
from .bookings import _deadline, _when, eligibility_refusal, runs_on
from .deadlines import is_before
from .models import Absence, Booking, PlaceDay, Registration, Unit

State = Booking.State


class Status:
    BOOKED = "booked"
    WAITING = "waiting"
    OFFERED = "offered"  # a place from the waiting list, to accept
    ABSENT = "absent"
    OTHER_HOUSEHOLD = "other_household"
    OPEN = "open"
    LOCKED = "locked"


HELD_STATUSES = (Status.BOOKED, Status.WAITING, Status.OFFERED)


class Cell:
    """One child, one unit, one day (a plain class with slots: a month for three children is hundreds)."""

    __slots__ = ("child", "unit", "day", "status", "reason", "booking", "can_book", "can_cancel", "full", "late",
                 "deadline", "key")

    def __init__(self, child, unit, day, status, reason="", booking=None, *, key=None):
        self.child, self.unit, self.day, self.status = child, unit, day, status
        self.reason = reason  # why it is locked, or what it holds ("rang 2 sur la liste d'attente")
        self.booking = booking  # a HeldBooking
        self.can_book = self.can_cancel = False
        self.full = False  # booking it goes onto the waiting list
        self.late = False  # in the late window: booked with a surcharge
        self.deadline = None  # until when it can be booked or cancelled
        # The checkbox's value: "child id.unit id.yyyymmdd" (parse_key reads it back).
        self.key = key or f"{child.pk}.{unit.pk}.{day:%Y%m%d}"

    def __repr__(self):
        return f"<Cell {self.key} {self.status}>"

    @property
    def editable(self):
        return self.can_book or self.can_cancel

    @property
    def checked(self):
        """Whether the form's checkbox starts checked: the household holds (or waits for) it."""
        return self.status in HELD_STATUSES


class HeldBooking:
    """A live booking as the calendar reads it: a row of its statement, not a model instance."""

    __slots__ = ("pk", "child_id", "unit_id", "day", "family_id", "state", "waiting_position", "needs_acceptance",
                 "accepted_at", "offer_expires_at", "late", "has_absence", "family_reference", "child", "unit")

    def __repr__(self):
        return f"<HeldBooking {self.pk} {self.state}>"

    @property
    def id(self):
        return self.pk

    @property
    def awaits_acceptance(self):
        """A place given from the waiting list that the household has not accepted yet (Booking's)."""
        return bool(self.needs_acceptance) and self.accepted_at is None


@dataclass
class ChildDay:
    child: Child
    cells: list = field(default_factory=list)


@dataclass
class Day:
    day: datetime.date
    closed: str = ""
    children: list = field(default_factory=list)

    @property
    def has_cells(self):
        return any(child_day.cells for child_day in self.children)


@dataclass
class Week:
    monday: datetime.date
    days: list

    @property
    def label(self):
        return _week_label(self.monday, get_language())


@lru_cache(maxsize=512)
def _week_label(monday, _language):
    return _("Semaine du %(day)s") % {"day": date_format(monday, "j F Y")}


def parse_key(value):
    """(child id, unit id, day) from a checkbox value "12.3.20261207", or None."""
    parts = str(value).split(".")
    if len(parts) != 3 or not all(parse_id(p, 11) is not None for p in parts):
        return None
    try:
        day = datetime.datetime.strptime(parts[2], "%Y%m%d").date()
    except ValueError:
        return None
    return (int(parts[0]), int(parts[1]), day) if is_sane(day) else None


def units_for(child, units):
    """The units a child is offered: those of activities of its school (every school when none is named)."""
    return [u for u in units if not u.activity.schools or child.school in u.activity.schools]


CHILD_FIELDS = ("id", "first_name", "birth_date", "school", "school_class")  # what the calendar reads of a child
_children_sql = {}


def children_of(family):
    """The household's children in the calendar's order (birth date, first name), as access.children_of finds them,
    with only CHILD_FIELDS loaded (the others deferred). The ORM compiles that queryset's SQL once per process
    and database: compiling it cost twice as much as running it, on the page families open most."""
    key = connection.alias
    if key not in _children_sql:
        sentinel = Family(pk=-1)
        query = (access.children_of(sentinel).order_by("birth_date", "first_name").values_list(*CHILD_FIELDS)
                 .query.sql_with_params())
        _children_sql[key] = query if list(query[1]) == [sentinel.pk] else None
    if _children_sql[key] is None:  # the helper's filter grew other parameters: no shortcut
        return list(access.children_of(family).order_by("birth_date", "first_name").only(*CHILD_FIELDS))
    with connection.cursor() as cursor:
        cursor.execute(_children_sql[key][0], [family.pk])
        rows = cursor.fetchall()
    children = []
    for row in rows:
        child = Child.from_db(connection.alias, CHILD_FIELDS, row)
        child.birth_date = _date(child.birth_date)
        children.append(child)
    return children


@dataclass
class Page:
    """What the portal's calendar shows: the weeks and the household's offered places (of any month)."""

    weeks: list
    offered: list


def build(family, first_day, last_day, *, now=None, children=None, staff=False):
    """[Week] from the Monday of `first_day` to `last_day`, Monday to Friday (and the weekend days an activity
    runs). `staff`: the desk's view, where a day past its deadline can still be booked or cancelled (the server
    then asks for an override with its reason) and the other household of a shared child is named."""
    return _build(family, first_day, last_day, now=now, children=children, staff=staff, offers=False).weeks


def page(family, first_day, last_day, *, children, now=None):
    """The portal's Page: the weeks, and the places offered to the household from a waiting list that it has not
    accepted yet, from today on (read with the bookings, in the same statement)."""
    return _build(family, first_day, last_day, now=now, children=children, staff=False, offers=True)


def _build(family, first_day, last_day, *, now, children, staff, offers):
    now = now or timezone.now()
    first_day = first_day - datetime.timedelta(days=first_day.weekday())
    children = list(children if children is not None else
                    Child.objects.filter(links__family=family).order_by("birth_date", "first_name"))
    units, calendar = snapshot.current(first_day - bookings.CALENDAR_REACH, last_day)
    plan = _Plan.of(units, calendar, first_day, last_day, now)
    rows = _Rows.read(family, children, units, first_day, last_day, plan.today, staff=staff, offers=offers,
                      needs_registration=plan.needs_registration)
    reader = _Reader(family, now, plan, rows)
    weeks = []
    for plan_week in plan.weeks:
        week = Week(plan_week.monday, [])
        weeks.append(week)
        for plan_day in plan_week.days:
            entry = Day(plan_day.day, plan_day.closed)
            week.days.append(entry)
            states = [(run, reader.with_room(run, plan_day.day)) for run in plan_day.running]
            for child in children:
                child_day = ChildDay(child)
                entry.children.append(child_day)
                if not states:
                    continue
                offered, child_id, cells = plan.offered(child.school), child.id, child_day.cells
                for run, state in states:
                    if run.unit_id in offered:
                        cell = _cell(reader, child, child_id, run, plan_day, state)
                        if staff:
                            _for_staff(cell)
                        cells.append(cell)
    return Page(weeks, rows.offered_bookings(children, units) if offers else [])


def _for_staff(cell):
    if cell.status == Status.OTHER_HOUSEHOLD:
        cell.reason = _("Réservé par l'autre foyer (%(ref)s).") % {"ref": cell.booking.family_reference}
    elif cell.status == Status.LOCKED and cell.booking is None:
        cell.can_book = True
    elif cell.status == Status.BOOKED:
        cell.can_cancel = True


# --- what no household changes: the plan of a span ----------------------------------------------------------


@dataclass
class _UnitDay:
    """What a unit's day is for any child without a booking (the deadlines, the closures, the room): the same for
    every child and household."""

    reason: str
    can_book: bool = False
    late: bool = False
    full: bool = False
    deadline: datetime.datetime | None = None
    cancel_deadline: datetime.datetime | None = None


class _Run:
    """A unit that runs on a plan's day, what the cells read of it, and its state that day but the room's."""

    __slots__ = ("unit", "unit_id", "activity", "activity_id", "exclude_ids", "needs_registration", "by_age", "state")

    def __init__(self, unit, state):
        self.unit, self.unit_id, self.state = unit, unit.id, state
        self.activity = activity = unit.activity
        self.activity_id, self.exclude_ids, self.needs_registration = activity.id, unit.exclude_ids, \
            activity.needs_registration
        self.by_age = activity.min_age is not None or activity.max_age is not None  # eligibility depends on the day


@dataclass
class _PlanDay:
    day: datetime.date
    closed: str  # why the commune's services are shut that day, or ""
    ymd: str  # "20261207", for the checkboxes' values
    running: list  # [_Run]: the active units whose activity runs that day


@dataclass
class _PlanWeek:
    monday: datetime.date
    days: list


class _Plan:
    """The part of a span's calendar that depends on no household: its days, the units that run each day, and
    what each activity's day is at `since` (its deadlines, closures and openings, in words). It holds from
    `since` to `until`: the first moment one of those states changes (a deadline or an opening reached, or
    midnight: a day goes by), so it is kept with the span's calendar in the snapshot and shared by every page of
    the process in that language until then (the rooms' counts are read at each page)."""

    def __init__(self, units, calendar, first_day, last_day, now):
        self.calendar, self.since = calendar, now
        self.all_units, self.units, self.schools = units, {unit.pk: unit for unit in units}, {}
        self.today = timezone.localdate(now)
        midnight = datetime.datetime.combine(self.today + datetime.timedelta(days=1), datetime.time(),
                                             tzinfo=timezone.get_current_timezone())
        self.until = midnight
        self.deadlines, self.whens, self.activity_states = {}, {}, {}
        weekend_units = any(set(u.activity.weekdays or []) & {5, 6} for u in units)
        self.needs_registration = False  # whether a unit that runs in the span asks for a registration
        self.weeks, day = [], first_day
        while day <= last_day:
            if day.weekday() < 5 or weekend_units:
                closed = calendar.closed_because(day)
                running = [] if closed else [_Run(unit, self.activity_day(unit.activity, day)) for unit in units
                                             if runs_on(unit.activity, day, calendar)]
                monday = day - datetime.timedelta(days=day.weekday())
                if not self.weeks or self.weeks[-1].monday != monday:
                    self.weeks.append(_PlanWeek(monday, []))
                self.weeks[-1].days.append(_PlanDay(day, closed, f"{day:%Y%m%d}", running))
                self.needs_registration = self.needs_registration or any(run.needs_registration for run in running)
            day += datetime.timedelta(days=1)

    @classmethod
    def of(cls, units, calendar, first_day, last_day, now):
        """The span's plan valid at `now`, from the calendar's memo (the snapshot keeps one calendar per span and
        drops it with the catalogue), else made and kept."""
        memo = calendar.__dict__.setdefault("_plans", {})
        key = (first_day, last_day, get_language())
        plan = memo.get(key)
        if plan is None or is_before(now, plan.since) or not is_before(now, plan.until):
            plan = memo[key] = cls(units, calendar, first_day, last_day, now)
        return plan

    def offered(self, school):
        """{unit id} of the units offered to the pupils of `school`, as units_for says."""
        offered = self.schools.get(school)
        if offered is None:
            offered = self.schools[school] = {unit.pk for unit in self.all_units
                                              if not unit.activity.schools or school in unit.activity.schools}
        return offered

    def _ends(self, moment):
        """A state computed now changes at `moment` (a deadline or an opening still to come)."""
        if is_before(moment, self.until):
            self.until = moment

    def when(self, moment):
        if moment not in self.whens:
            self.whens[moment] = _when(moment)
        return self.whens[moment]

    def deadline(self, activity, name, day):
        key = (activity.pk, name, day)
        if key not in self.deadlines:
            rule = getattr(activity, name)
            try:
                self.deadlines[key] = _deadline(rule, day, self.calendar) if rule else None
            except bookings.BookingRefused:
                self.deadlines[key] = None
        return self.deadlines[key]

    def activity_day(self, activity, day):
        """The part of a unit's day that every unit of its activity shares: deadlines, closures."""
        key = (activity.pk, day)
        if key not in self.activity_states:
            self.activity_states[key] = self._activity_day(activity, day)
        return self.activity_states[key]

    def _activity_day(self, activity, day):
        now = self.since
        cancel_deadline = self.deadline(activity, "cancellation_rule", day)
        closed = self.calendar.activity_closed_because(activity.pk, day)
        if closed:
            return _UnitDay(_("Fermé ce jour-là (%(why)s).") % {"why": closed}, cancel_deadline=cancel_deadline)
        if day < self.today:
            return _UnitDay(_("Jour passé."), cancel_deadline=cancel_deadline)
        opening = next((o for o in activity.opening_list if o.first_day <= day <= o.last_day), None)
        if opening is not None and is_before(now, opening.opens_at):
            self._ends(opening.opens_at)
            return _UnitDay(_("Réservations ouvertes le %(when)s.") % {"when": self.when(opening.opens_at)},
                            cancel_deadline=cancel_deadline)
        deadline = self.deadline(activity, "booking_rule", day)
        late = False
        if deadline is None or not is_before(now, deadline):
            late_deadline = self.deadline(activity, "late_rule", day) if activity.late_rule else None
            if late_deadline is None or not is_before(now, late_deadline):
                reason = _("Réservations closes depuis le %(when)s.") % {"when": self.when(deadline)} if deadline \
                    else _("Réservations closes.")
                return _UnitDay(reason, cancel_deadline=cancel_deadline)
            late, deadline = True, late_deadline
        self._ends(deadline)
        if late:
            reason = _("Réservation tardive jusqu'au %(when)s, majorée de %(amount)s €.") % {
                "when": self.when(deadline), "amount": f"{activity.late_surcharge or 0:.2f}".replace(".", ",")}
        else:
            reason = _("Réservable jusqu'au %(when)s.") % {"when": self.when(deadline)}
        return _UnitDay(reason, can_book=True, late=late, deadline=deadline, cancel_deadline=cancel_deadline)


# --- what the household holds: one statement ----------------------------------------------------------------


def _in(values):
    return ", ".join(["%s"] * len(values))


def _date(value):
    """A date column as the driver gives it (SQLite: text within a compound statement)."""
    return value if value is None or isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _moment(value):
    """An aware datetime from a timestamp column (SQLite: naive UTC text)."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


class _Rows:
    """The page's reads but the children, in ONE statement of five parts with the same fifteen columns: the
    children's live bookings of the span (with whether an absence is declared, and the household's reference
    for the desk), the
    household's offered places from today on, the children's registrations, the rooms' counts and the units
    with a waiting list. Raw SQL: building these five querysets through the ORM cost about 3 ms of Python a
    page, running them a tenth of that. The first part gives every column its type (PostgreSQL types a UNION
    pair by pair)."""

    BOOKING, OFFER, REGISTRATION, COUNT, WAITING = range(5)

    def __init__(self):
        self.booked, self.offers, self.registered, self.counts, self.waiting = {}, [], {}, {}, set()

    @classmethod
    def read(cls, family, children, units, first_day, last_day, today, *, staff, offers, needs_registration=True):
        rows = cls()
        qn = connection.ops.quote_name
        booking, absence = qn(Booking._meta.db_table), qn(Absence._meta.db_table)
        child_ids = [child.pk for child in children]
        unit_ids = [unit.pk for unit in units]
        place_ids = sorted({place.pk for unit in units for place in unit.place_list})
        parts, params = [], []
        columns = ("b.id, b.child_id, b.unit_id, b.day, b.day, b.family_id, b.state, b.waiting_position, "
                   "b.needs_acceptance, b.accepted_at, b.offer_expires_at, b.late")
        if child_ids:
            reference, join = "''", ""
            if staff:
                reference = "f.reference"
                join = f" LEFT JOIN {qn(Family._meta.db_table)} f ON f.id = b.family_id"
            parts.append(f"SELECT {cls.BOOKING}, {columns},"
                         f" EXISTS (SELECT 1 FROM {absence} a WHERE a.booking_id = b.id), {reference} FROM {booking} b"
                         f"{join} WHERE b.child_id IN ({_in(child_ids)}) AND b.day BETWEEN %s AND %s AND b.state <> %s")
            params += [*child_ids, first_day, last_day, State.CANCELLED]
        if offers:
            parts.append(f"SELECT {cls.OFFER}, {columns}, NULL, '' FROM {booking} b"
                         f" WHERE b.family_id = %s AND b.state = %s AND b.needs_acceptance = %s"
                         f" AND b.accepted_at IS NULL AND b.day >= %s")
            params += [family.pk, State.BOOKED, True, today]
        if child_ids and needs_registration:
            parts.append(f"SELECT {cls.REGISTRATION}, NULL, r.child_id, r.activity_id, r.first_day, r.last_day, NULL,"
                         f" NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
                         f" FROM {qn(Registration._meta.db_table)} r WHERE r.child_id IN ({_in(child_ids)})"
                         f" AND r.first_day <= %s AND r.last_day >= %s")
            params += [*child_ids, last_day, first_day]
        if place_ids:
            parts.append(f"SELECT {cls.COUNT}, NULL, NULL, p.place_id, p.day, NULL, NULL, NULL, p.booked, NULL,"
                         f" NULL, NULL, NULL, NULL, NULL FROM {qn(PlaceDay._meta.db_table)} p"
                         f" WHERE p.place_id IN ({_in(place_ids)}) AND p.day BETWEEN %s AND %s")
            params += [*place_ids, first_day, last_day]
        if unit_ids:
            # DISTINCT in a subquery: in the part itself it would type the NULLs as text.
            parts.append(f"SELECT {cls.WAITING}, NULL, NULL, w.unit_id, w.day, NULL, NULL, NULL, NULL, NULL,"
                         f" NULL, NULL, NULL, NULL, NULL FROM (SELECT DISTINCT unit_id, day FROM {booking}"
                         f" WHERE unit_id IN ({_in(unit_ids)}) AND day BETWEEN %s AND %s AND state = %s) w")
            params += [*unit_ids, first_day, last_day, State.WAITING]
        if not parts:
            return rows
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for row in cursor.fetchall():
                kind = row[0]
                if kind == cls.COUNT:
                    rows.counts[(row[3], _date(row[4]))] = row[8]
                elif kind == cls.WAITING:
                    rows.waiting.add((row[3], _date(row[4])))
                elif kind == cls.REGISTRATION:
                    rows.registered.setdefault((row[2], row[3]), []).append((_date(row[4]), _date(row[5])))
                else:
                    held = HeldBooking()
                    (held.pk, held.child_id, held.unit_id, day, _day, held.family_id, held.state,
                     held.waiting_position, held.needs_acceptance, held.accepted_at, held.offer_expires_at, held.late,
                     absent, held.family_reference) = row[1:]
                    held.day = _date(day)
                    held.accepted_at, held.offer_expires_at = _moment(held.accepted_at), _moment(held.offer_expires_at)
                    held.has_absence = kind == cls.BOOKING and bool(absent)
                    if kind == cls.BOOKING:
                        rows.booked[(held.child_id, held.unit_id, held.day)] = held
                    else:
                        rows.offers.append(held)
        return rows

    def offered_bookings(self, children, units):
        """The offered places, each with its `child` and `unit` (that of the snapshot, with its activity), in
        the bookings' order. A unit no longer in the snapshot (its activity withdrawn) is read apart: rare."""
        by_child = {child.pk: child for child in children}
        by_unit = {unit.pk: unit for unit in units}
        missing = {held.unit_id for held in self.offers if held.unit_id not in by_unit}
        if missing:
            by_unit.update((unit.pk, unit) for unit in Unit.objects.filter(pk__in=missing).select_related("activity"))
        missing = {held.child_id for held in self.offers if held.child_id not in by_child}
        if missing:
            by_child.update((child.pk, child) for child in Child.objects.filter(pk__in=missing))
        for held in self.offers:
            held.child, held.unit = by_child[held.child_id], by_unit[held.unit_id]
        return sorted(self.offers, key=lambda held: (held.day, held.unit_id, held.pk))


# --- the cells ----------------------------------------------------------------------------------------------


class _Reader:
    """The household's rows and the page's per-day states, memoised (a month for three children is hundreds of
    cells)."""

    def __init__(self, family, now, plan, rows):
        self.family_id, self.now, self.plan = family.pk, now, plan
        self.booked, self.registered, self.counts, self.waiting = rows.booked, rows.registered, rows.counts, \
            rows.waiting
        self.eligibility = {}
        self.full_reason = _("Complet : une réservation va sur la liste d'attente.")
        self.other_household = _("Réservé par l'autre foyer.")
        self.absent = _("Absence signalée.")
        self.registration_needed = _("Inscription nécessaire : demandez-la dans « Inscriptions ».")

    def when(self, moment):
        return self.plan.when(moment)

    def with_room(self, run, day):
        """The unit's _UnitDay with its room: full when a waiting list exists or a place is at capacity."""
        shared = run.state
        if not shared.can_book:
            return shared
        unit = run.unit
        full = (unit.pk, day) in self.waiting or any(self.counts.get((p.pk, day), 0) >= p.capacity
                                                     for p in unit.place_list)
        if not full:
            return shared
        return _UnitDay(self.full_reason, can_book=True, late=shared.late, full=True, deadline=shared.deadline,
                        cancel_deadline=shared.cancel_deadline)

    def refusal(self, run, child, child_id, day):
        """eligibility_refusal, once per child and activity (and day, when it has an age range)."""
        key = (child_id, run.activity_id, day if run.by_age else None)
        refusal = self.eligibility.get(key)
        if refusal is None:
            refusal = self.eligibility[key] = eligibility_refusal(run.activity, child, day)
        return refusal


def _cell(reader, child, child_id, run, plan_day, state):
    day, unit_id = plan_day.day, run.unit_id
    cell = Cell(child, run.unit, day, Status.LOCKED, key=f"{child_id}.{unit_id}.{plan_day.ymd}")
    booking = reader.booked.get((child_id, unit_id, day))
    if booking is not None:
        return _booked_cell(reader, cell, booking, state)
    if state.can_book:
        refusal = reader.refusal(run, child, child_id, day)
        if refusal:
            cell.reason = refusal
            return cell
        if run.needs_registration and not any(first <= day <= last for first, last
                                              in reader.registered.get((child_id, run.activity_id), ())):
            cell.reason = reader.registration_needed
            return cell
        clash = _clash(reader, child_id, run, day)
        if clash is not None:
            cell.reason = _("Pas compatible avec « %(unit)s », déjà réservé ce jour-là.") % {"unit": clash.unit.name}
            return cell
        cell.status, cell.can_book = Status.OPEN, True
        cell.late, cell.full, cell.deadline = state.late, state.full, state.deadline
    cell.reason = state.reason
    return cell


def _clash(reader, child_id, run, day):
    """The child's live booking of the day that the unit excludes (a whole day against a half day), with its
    `unit`, or None."""
    for other_id in run.exclude_ids:
        booking = reader.booked.get((child_id, other_id, day))
        if booking is not None:
            booking.unit = reader.plan.units.get(other_id)
            if booking.unit is None:  # an inactive unit: not in the snapshot (rare)
                booking.unit = Unit.objects.select_related("activity").get(pk=other_id)
            return booking
    return None


def _booked_cell(reader, cell, booking, state):
    cell.booking = booking
    if booking.family_id != reader.family_id:
        cell.status, cell.reason = Status.OTHER_HOUSEHOLD, reader.other_household
        return cell
    if booking.has_absence:
        cell.status, cell.reason = Status.ABSENT, reader.absent
        return cell
    if booking.state == State.WAITING:
        cell.status, cell.can_cancel = Status.WAITING, True
        cell.reason = _("Liste d'attente : rang %(n)s.") % {"n": booking.waiting_position}
        return cell
    if booking.awaits_acceptance:
        cell.status, cell.can_cancel = Status.OFFERED, True
        cell.reason = _("Place libérée pour vous : acceptez-la avant le %(when)s.") % {
            "when": reader.when(booking.offer_expires_at)} if booking.offer_expires_at else _("Place à accepter.")
        return cell
    cell.status, cell.deadline = Status.BOOKED, state.cancel_deadline
    if state.cancel_deadline is not None and is_before(reader.now, state.cancel_deadline):
        cell.can_cancel = True
        cell.reason = _("Annulable jusqu'au %(when)s.") % {"when": reader.when(state.cancel_deadline)}
    else:
        cell.reason = _("Annulation close : signalez plutôt une absence.")
    if booking.late:
        cell.reason = _("Réservation tardive (majorée). ") + cell.reason
    return cell


def next_deadline(weeks):
    """The first cell still bookable and its deadline: "next open day: book before ..."."""
    cells = [c for w in weeks for d in w.days for cd in d.children for c in cd.cells if c.can_book and c.deadline]
    return min(cells, key=lambda c: (c.deadline, c.day), default=None)
