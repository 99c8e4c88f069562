"""A household's calendar: for each day, each child and each unit it may book, what the day holds and why.

Read in a fixed number of queries whatever the number of children and days (the portal's calendar is the page
families open most on the day bookings open). The rules are those of bookings.py, evaluated without locks for
display only: the server judges again when the household submits.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from enfance.core.dates import is_sane
from enfance.families.models import Child

from . import bookings, snapshot
from .bookings import _deadline, _when, eligibility_refusal, runs_on
from .deadlines import is_before
from .models import Booking, PlaceDay, Registration, Unit

State = Booking.State


class Status:
    BOOKED = "booked"
    WAITING = "waiting"
    OFFERED = "offered"  # a place from the waiting list, to accept
    ABSENT = "absent"
    OTHER_HOUSEHOLD = "other_household"
    OPEN = "open"
    LOCKED = "locked"


@dataclass
class Cell:
    """One child, one unit, one day."""

    child: Child
    unit: Unit
    day: datetime.date
    status: str
    reason: str = ""  # why it is locked, or what it holds ("rang 2 sur la liste d'attente")
    booking: Booking | None = None
    can_book: bool = False
    can_cancel: bool = False
    full: bool = False  # booking it goes onto the waiting list
    late: bool = False  # in the late window: booked with a surcharge
    deadline: datetime.datetime | None = None  # until when it can be booked or cancelled

    @property
    def editable(self):
        return self.can_book or self.can_cancel

    @property
    def checked(self):
        """Whether the form's checkbox starts checked: the household holds (or waits for) it."""
        return self.status in (Status.BOOKED, Status.WAITING, Status.OFFERED)

    @property
    def key(self):
        return f"{self.child.pk}.{self.unit.pk}.{self.day:%Y%m%d}"


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
        return _("Semaine du %(day)s") % {"day": date_format(self.monday, "j F Y")}


def parse_key(value):
    """(child id, unit id, day) from a checkbox value "12.3.20261207", or None."""
    parts = str(value).split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) < 12 for p in parts):
        return None
    try:
        day = datetime.datetime.strptime(parts[2], "%Y%m%d").date()
    except ValueError:
        return None
    return (int(parts[0]), int(parts[1]), day) if is_sane(day) else None


def units_for(child, units):
    """The units a child is offered: those of activities of its school (every school when none is named)."""
    return [u for u in units if not u.activity.schools or child.school in u.activity.schools]


def build(family, first_day, last_day, *, now=None, children=None, staff=False):
    """[Week] from the Monday of `first_day` to `last_day`, Monday to Friday (and the weekend days an activity
    runs). `staff`: the desk's view, where a day past its deadline can still be booked or cancelled (the server
    then asks for an override with its reason) and the other household of a shared child is named."""
    now = now or timezone.now()
    first_day = first_day - datetime.timedelta(days=first_day.weekday())
    children = list(children if children is not None else
                    Child.objects.filter(links__family=family).order_by("birth_date", "first_name"))
    units, calendar = snapshot.current(first_day - bookings.CALENDAR_REACH, last_day)
    booked = {}
    for booking in (Booking.objects.filter(child__in=children, day__range=(first_day, last_day))
                    .exclude(state=State.CANCELLED).select_related(*(("absence", "family") if staff else ("absence",)))):
        booked[(booking.child_id, booking.unit_id, booking.day)] = booking
    registered = {}
    for registration in Registration.objects.filter(child__in=children, first_day__lte=last_day,
                                                    last_day__gte=first_day):
        registered.setdefault((registration.child_id, registration.activity_id), []).append(registration)
    place_ids = {p.pk for u in units for p in u.place_list}
    counts = {(row.place_id, row.day): row.booked for row in
              PlaceDay.objects.filter(place_id__in=place_ids, day__range=(first_day, last_day))}
    waiting = set(Booking.objects.filter(unit__in=units, day__range=(first_day, last_day), state=State.WAITING)
                  .order_by().values_list("unit_id", "day").distinct())
    offered = {child.pk: units_for(child, units) for child in children}
    weekend_units = any(set(u.activity.weekdays or []) & {5, 6} for u in units)
    reader = _Reader(family, now, calendar, booked, registered, counts, waiting)
    weeks, day = [], first_day
    while day <= last_day:
        if day.weekday() < 5 or weekend_units:
            entry = Day(day, calendar.closed_because(day))
            for child in children:
                child_day = ChildDay(child)
                if not entry.closed:
                    for unit in offered[child.pk]:
                        cell = _cell(reader, child, unit, day)
                        if cell is not None:
                            if staff:
                                _for_staff(cell)
                            child_day.cells.append(cell)
                entry.children.append(child_day)
            if not weeks or weeks[-1].monday != day - datetime.timedelta(days=day.weekday()):
                weeks.append(Week(day - datetime.timedelta(days=day.weekday()), []))
            weeks[-1].days.append(entry)
        day += datetime.timedelta(days=1)
    return weeks


def _for_staff(cell):
    if cell.status == Status.OTHER_HOUSEHOLD:
        cell.reason = _("Réservé par l'autre foyer (%(ref)s).") % {"ref": cell.booking.family.reference}
    elif cell.status == Status.LOCKED and cell.booking is None:
        cell.can_book = True
    elif cell.status == Status.BOOKED:
        cell.can_cancel = True


@dataclass
class _UnitDay:
    """What a unit's day is for any child without a booking (the deadlines, the closures, the room): computed
    once per unit and day, whatever the number of children."""

    reason: str
    can_book: bool = False
    late: bool = False
    full: bool = False
    deadline: datetime.datetime | None = None
    cancel_deadline: datetime.datetime | None = None


class _Reader:
    """The page's reads and the per-day states, memoised (a month for three children is hundreds of cells)."""

    def __init__(self, family, now, calendar, booked, registered, counts, waiting):
        self.family, self.now, self.calendar = family, now, calendar
        self.booked, self.registered, self.counts, self.waiting = booked, registered, counts, waiting
        self.today = timezone.localdate(now)
        self.states, self.activity_states, self.deadlines, self.whens = {}, {}, {}, {}
        self.full_reason = _("Complet : une réservation va sur la liste d'attente.")
        self.other_household = _("Réservé par l'autre foyer.")
        self.absent = _("Absence signalée.")
        self.registration_needed = _("Inscription nécessaire : demandez-la dans « Inscriptions ».")

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

    def unit_day(self, unit, day):
        """None when the activity does not run that day, else its _UnitDay."""
        key = (unit.pk, day)
        if key not in self.states:
            self.states[key] = self._unit_day(unit, day)
        return self.states[key]

    def _unit_day(self, unit, day):
        activity = unit.activity
        if not runs_on(activity, day, self.calendar):
            return None
        shared = self.activity_day(activity, day)
        if not shared.can_book:
            return shared
        full = (unit.pk, day) in self.waiting or any(self.counts.get((p.pk, day), 0) >= p.capacity
                                                     for p in unit.place_list)
        if not full:
            return shared
        return _UnitDay(self.full_reason, can_book=True, late=shared.late, full=True, deadline=shared.deadline,
                        cancel_deadline=shared.cancel_deadline)

    def activity_day(self, activity, day):
        """The part of a unit's day that every unit of its activity shares: deadlines, closures."""
        key = (activity.pk, day)
        if key not in self.activity_states:
            self.activity_states[key] = self._activity_day(activity, day)
        return self.activity_states[key]

    def _activity_day(self, activity, day):
        now = self.now
        cancel_deadline = self.deadline(activity, "cancellation_rule", day)
        closed = self.calendar.activity_closed_because(activity.pk, day)
        if closed:
            return _UnitDay(_("Fermé ce jour-là (%(why)s).") % {"why": closed}, cancel_deadline=cancel_deadline)
        if day < self.today:
            return _UnitDay(_("Jour passé."), cancel_deadline=cancel_deadline)
        opening = next((o for o in activity.opening_list if o.first_day <= day <= o.last_day), None)
        if opening is not None and is_before(now, opening.opens_at):
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
        if late:
            reason = _("Réservation tardive jusqu'au %(when)s, majorée de %(amount)s €.") % {
                "when": self.when(deadline), "amount": f"{activity.late_surcharge or 0:.2f}".replace(".", ",")}
        else:
            reason = _("Réservable jusqu'au %(when)s.") % {"when": self.when(deadline)}
        return _UnitDay(reason, can_book=True, late=late, deadline=deadline, cancel_deadline=cancel_deadline)


def _cell(reader, child, unit, day):
    state = reader.unit_day(unit, day)
    if state is None:
        return None  # not a day of this activity: nothing to show
    cell = Cell(child, unit, day, Status.LOCKED)
    booking = reader.booked.get((child.pk, unit.pk, day))
    if booking is not None:
        return _booked_cell(reader, cell, booking, state)
    activity = unit.activity
    if state.can_book:
        refusal = eligibility_refusal(activity, child, day)
        if refusal:
            cell.reason = refusal
            return cell
        if activity.needs_registration and not any(r.first_day <= day <= r.last_day
                                                   for r in reader.registered.get((child.pk, activity.pk), ())):
            cell.reason = reader.registration_needed
            return cell
        clash = _clash(reader, child, unit, day)
        if clash is not None:
            cell.reason = _("Pas compatible avec « %(unit)s », déjà réservé ce jour-là.") % {"unit": clash.unit.name}
            return cell
        cell.status, cell.can_book = Status.OPEN, True
        cell.late, cell.full, cell.deadline = state.late, state.full, state.deadline
    cell.reason = state.reason
    return cell


def _clash(reader, child, unit, day):
    """The child's live booking of the day that `unit` excludes (a whole day against a half day), or None."""
    for other_id in unit.exclude_ids:
        booking = reader.booked.get((child.pk, other_id, day))
        if booking is not None:
            return booking
    return None


def _booked_cell(reader, cell, booking, state):
    cell.booking = booking
    if booking.family_id != reader.family.pk:
        cell.status, cell.reason = Status.OTHER_HOUSEHOLD, reader.other_household
        return cell
    if getattr(booking, "absence", None) is not None:
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
