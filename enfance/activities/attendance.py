"""The daily attendance sheet ("pointage"): who is expected, who came, when they left and with whom.

`sheet(activity, day, site=None, group=None)` builds the rows of one activity's day in a fixed number of
queries, whatever the number of children: the children booked (state "booked") for the activity's units
(those using a place of `site`, when given), without the places given from the waiting list that the
household has not accepted yet (`Booking.awaits_acceptance`), plus the children already marked on the day
(those present without a booking); `group` keeps the children it admits (`Group.admits`).

Writes are `mark` (present, absent, present without a booking), `record_departure` (the time and who
collected the child) and `remove` (a child added by mistake). Each updates the one row of (child, unit,
day) with update_or_create in a transaction, saving only the fields it sets: calling it twice records one
row, and two leaders marking two children at once never undo each other's mark; a presence marked again
keeps its departure, a departure recorded keeps the presence.

Leaders reach only the activities they lead (`activities_for`); agents and administrators reach all.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.db.models.lookups import Contains
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from enfance.core.db import fold, folded
from enfance.families.models import AuthorizedPerson, Child, ChildLink, Guardian

from .calendar import OpeningCalendar
from .models import Activity, Attendance, Booking, Place, Registration, Site

Status = Attendance.Status
PRESENT_STATUSES = (Status.PRESENT, Status.UNBOOKED)
# The households of an activity, whose children may be added to its sheet: those with a registration or a
# booking within this many days of the sheet's day (the same reach as families.access.leader_families).
HOUSEHOLD_REACH = datetime.timedelta(days=31)
MAX_CANDIDATES = 20
MAX_SEARCH_TERMS = 6


class AttendanceError(Exception):
    """A mark the rules refuse; `message` says why, in French, and `field` which field it is about."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotOnSheet(AttendanceError):
    """The child or the unit is not on this activity's sheet of the day (the views answer 404)."""


# --- access --------------------------------------------------------------------------------------------

def activities_for(user):
    """The activities whose sheets a staff member may open and fill: a leader's own (Activity.leaders);
    every activity for agents and administrators; none for anybody else."""
    if not (user.is_authenticated and user.is_staff_member):
        return Activity.objects.none()
    if user.can_edit_records:
        return Activity.objects.all()
    return Activity.objects.filter(leaders=user)


def get_activity_for(user, activity_id):
    """The activity for the sheet's pages; one the user does not lead answers 404 like a missing one."""
    return get_object_or_404(activities_for(user), pk=activity_id)


def sites_of(activity):
    """The sites where the activity's units take place, by name."""
    return list(Site.objects.filter(places__units__activity=activity).distinct().order_by("name"))


# --- the sheet -----------------------------------------------------------------------------------------

@dataclass
class Person:
    """Someone who may (or must not) collect a child, as the sheet shows them."""

    name: str
    relation: str
    phone: str


@dataclass
class Entry:
    """One unit of a child's day: its booking (none for a child present without one) and its mark."""

    child_id: int
    unit: object
    booking: Booking | None
    attendance: Attendance | None

    @property
    def status(self):
        return self.attendance.status if self.attendance else ""

    @property
    def is_present(self):
        return self.status in PRESENT_STATUSES

    @property
    def picked_up(self):
        """Whether children leave this unit with someone who collects them (evening care, the leisure centre),
        rather than for class (the canteen, morning care): the sheet records their departure."""
        kind = self.unit.activity.kind
        slots = {place.slot for place in self.unit.places.all()}
        return kind != Activity.Kind.CANTEEN and not (kind == Activity.Kind.CARE and slots <= {Place.Slot.MORNING})

    @property
    def key(self):
        """Unique on the page: the ids of its forms' fields."""
        return f"{self.child_id}-{self.unit.pk}"


@dataclass
class Row:
    """A child on the sheet, with what the leader must know to receive them and let them go."""

    child: Child
    entries: list = field(default_factory=list)
    allergy: bool = False
    pai: bool = False
    absence_declared: bool = False  # the household declared an absence after the cancellation deadline
    pick_up: list = field(default_factory=list)  # guardians and persons allowed to collect the child
    forbidden: list = field(default_factory=list)  # persons who must not collect the child

    @property
    def anchor(self):
        return f"enfant-{self.child.pk}"

    @property
    def has_health_flag(self):
        return self.allergy or self.pai


@dataclass
class Sheet:
    activity: Activity
    day: datetime.date
    site: Site | None
    group: object
    units: list
    rows: list
    closed: str = ""  # why the activity is shut that day, if it is

    def _count(self, test):
        return sum(1 for row in self.rows for entry in row.entries if test(entry))

    @property
    def expected(self):
        return self._count(lambda e: e.booking is not None)

    @property
    def present(self):
        return self._count(lambda e: e.status == Status.PRESENT)

    @property
    def absent(self):
        return self._count(lambda e: e.status == Status.ABSENT)

    @property
    def unbooked(self):
        return self._count(lambda e: e.status == Status.UNBOOKED)

    @property
    def to_mark(self):
        return self._count(lambda e: not e.status)

    def row_for(self, child_id):
        return next((row for row in self.rows if row.child.pk == child_id), None)


def expected_bookings(day, unit_ids):
    """The bookings of the day the children are expected for: booked, and accepted if it had to be."""
    return (Booking.objects.filter(unit_id__in=unit_ids, day=day, state=Booking.State.BOOKED)
            .exclude(needs_acceptance=True, accepted_at__isnull=True))


def units_of(activity, site=None):
    """The activity's units, those using a place of `site` when given (two queries)."""
    units = list(activity.units.prefetch_related("places"))
    if site is not None:
        units = [unit for unit in units if any(place.site_id == site.pk for place in unit.places.all())]
    return units


def pick_up_people(child_ids):
    """{child id: (allowed, forbidden)}: the guardians of the child's households and the persons they named
    who may collect it, and those who must not; two queries."""
    people = {child_id: ([], []) for child_id in child_ids}
    if not people:
        return people
    guardians = (Guardian.objects.filter(family__child_links__child_id__in=people)
                 .annotate(for_child=F("family__child_links__child_id"))
                 .order_by("family__reference", "rank"))
    for guardian in guardians:
        phone = guardian.mobile_phone or guardian.work_phone
        people[guardian.for_child][0].append(Person(f"{guardian.first_name} {guardian.last_name}",
                                                    guardian.relation or _("responsable"), phone))
    for person in AuthorizedPerson.objects.filter(child_id__in=people).order_by("last_name", "first_name", "pk"):
        allowed, forbidden = people[person.child_id]
        entry = Person(f"{person.first_name} {person.last_name}", person.relation, person.phone)
        if person.is_forbidden:
            forbidden.append(entry)
        elif person.can_pick_up:
            allowed.append(entry)
    for allowed, forbidden in people.values():
        # A name twice (both households named the grandmother) is one choice; a forbidden name never allowed.
        banned = {p.name for p in forbidden}
        seen = set()
        allowed[:] = [p for p in allowed if p.name not in banned and not (p.name in seen or seen.add(p.name))]
    return people


def sheet(activity, day, site=None, group=None):
    """The activity's attendance sheet of `day` (see the module's docstring), rows by child's name; a fixed
    number of queries: units and their places (2), bookings (1), marks (1), guardians and persons (2), the
    calendar (1)."""
    units = units_of(activity, site)
    unit_ids = [unit.pk for unit in units]
    by_unit = {unit.pk: unit for unit in units}
    rows = {}

    def row_of(child):
        row = rows.get(child.pk)
        if row is None:
            health = getattr(child, "health", None)
            row = rows[child.pk] = Row(child=child, allergy=bool(health and health.allergies.strip()),
                                       pai=bool(health and health.has_pai))
        return row

    marks = {(a.child_id, a.unit_id): a
             for a in Attendance.objects.filter(unit_id__in=unit_ids, day=day).select_related("child__health")}
    expected = expected_bookings(day, unit_ids).select_related("child__health", "absence").order_by("unit_id", "pk")
    for booking in expected:
        row = row_of(booking.child)
        attendance = marks.pop((booking.child_id, booking.unit_id), None)
        row.entries.append(Entry(booking.child_id, by_unit[booking.unit_id], booking, attendance))
        if getattr(booking, "absence", None) is not None:
            row.absence_declared = True
    for (_child_id, unit_id), attendance in sorted(marks.items()):
        # Present without a booking, or marked before the booking was cancelled.
        row_of(attendance.child).entries.append(Entry(attendance.child_id, by_unit[unit_id], None, attendance))
    if group is not None:
        rows = {pk: row for pk, row in rows.items() if group.admits(row.child, day)}
    people = pick_up_people(list(rows))
    for child_id, row in rows.items():
        row.pick_up, row.forbidden = people[child_id]
        row.entries.sort(key=lambda e: (e.unit.name, e.unit.pk))
    calendar = OpeningCalendar.load(day, day)
    closed = calendar.closed_because(day) or calendar.activity_closed_because(activity.pk, day)
    ordered = sorted(rows.values(), key=lambda r: (fold(r.child.last_name), fold(r.child.first_name), r.child.pk))
    return Sheet(activity=activity, day=day, site=site, group=group, units=units, rows=ordered, closed=closed)


def on_sheet(activity, day, child_ids):
    """Which of these children are on the activity's sheet of the day (expected, or marked): two queries."""
    unit_ids = activity.units.values("pk")
    booked = expected_bookings(day, unit_ids).filter(child_id__in=child_ids).values_list("child_id", flat=True)
    marked = (Attendance.objects.filter(unit_id__in=unit_ids, day=day, child_id__in=child_ids)
              .values_list("child_id", flat=True))
    return set(booked) | set(marked)


# --- children present without a booking -----------------------------------------------------------------

def candidates(activity, day, q="", *, limit=MAX_CANDIDATES):
    """Children of the activity's households (a registration or a booking within HOUSEHOLD_REACH of the
    day) whose first or last name match every word of `q` (accents and case ignored), by name."""
    since, until = day - HOUSEHOLD_REACH, day + HOUSEHOLD_REACH
    registered = Registration.objects.filter(activity=activity, last_day__gte=since, first_day__lte=until)
    booked = (Booking.objects.filter(unit__activity=activity, day__gte=since, day__lte=until)
              .exclude(state=Booking.State.CANCELLED))
    households = ChildLink.objects.filter(Q(family_id__in=registered.values("family_id"))
                                          | Q(family_id__in=booked.values("family_id")))
    children = Child.objects.filter(pk__in=households.values("child_id"))
    for term in q.split()[:MAX_SEARCH_TERMS]:
        term = fold(term)
        children = children.filter(Q(Contains(folded("last_name"), term)) | Q(Contains(folded("first_name"), term)))
    children = children.order_by("last_name", "first_name", "pk")
    return children[:limit] if limit else children


# --- writes --------------------------------------------------------------------------------------------

def _unit_of(activity, unit_id):
    unit = activity.units.filter(pk=unit_id).first() if isinstance(unit_id, int) else None
    if unit is None:
        raise NotOnSheet(_("Cette prestation n'est pas sur la feuille de présence."))
    return unit


def _child_of(child_id):
    child = Child.objects.filter(pk=child_id).first() if isinstance(child_id, int) else None
    if child is None:
        raise NotOnSheet(_("Cet enfant n'est pas sur la feuille de présence."))
    return child


def _save(child, unit, day, user, **fields):
    attendance, _created = Attendance.objects.update_or_create(
        child=child, unit=unit, day=day, defaults={**fields, "recorded_by": user})
    return attendance


@transaction.atomic
def mark(*, activity, child_id, unit_id, day, status, user):
    """Mark a child present or absent for a unit of the activity on `day`, or present without a booking.

    A child booked is present or absent (asked "present without a booking", it is present); a child without
    a booking may be added as present without one if it belongs to one of the activity's households
    (`candidates`), else NotOnSheet. Marking absent forgets a departure recorded by mistake."""
    if status not in Status.values:
        raise AttendanceError(_("Choisissez présent ou absent."), field="status")
    unit = _unit_of(activity, unit_id)
    child = _child_of(child_id)
    booking = expected_bookings(day, [unit.pk]).filter(child=child).first()
    if booking is None:
        current = Attendance.objects.filter(child=child, unit=unit, day=day).first()
        if current is None and not candidates(activity, day, limit=None).filter(pk=child.pk).exists():
            raise NotOnSheet(_("Cet enfant n'est pas sur la feuille de présence."))
        if status == Status.ABSENT:
            raise AttendanceError(_("%(name)s n'a pas de réservation ce jour-là : retirez-le (la) de la feuille "
                                    "s'il (elle) n'est pas venu(e).") % {"name": child.first_name}, field="status")
        return _save(child, unit, day, user, status=Status.UNBOOKED, booking=None)
    if status == Status.UNBOOKED:
        status = Status.PRESENT
    fields = {"status": status, "booking": booking}
    if status == Status.ABSENT:
        fields.update(departed_at=None, collected_by="")
    return _save(child, unit, day, user, **fields)


LEFT_ALONE = "seul"


def left_alone_label():
    return _("Parti(e) seul(e)")


@transaction.atomic
def record_departure(*, activity, child_id, unit_id, day, departed_at, collected_by, user, now=None):
    """The time the child left and who collected it: a guardian of its households, a person they named who may
    collect it, or LEFT_ALONE if the child may leave alone. A child not marked yet is marked present."""
    unit = _unit_of(activity, unit_id)
    child = _child_of(child_id)
    booking = expected_bookings(day, [unit.pk]).filter(child=child).first()
    current = Attendance.objects.select_for_update().filter(child=child, unit=unit, day=day).first()
    if booking is None and current is None:
        raise NotOnSheet(_("Cet enfant n'est pas sur la feuille de présence."))
    if current is not None and current.status == Status.ABSENT:
        raise AttendanceError(_("%(name)s est noté(e) absent(e) : marquez-le (la) présent(e) avant d'indiquer "
                                "son départ.") % {"name": child.first_name}, field="departed_at")
    if not isinstance(departed_at, datetime.time):
        raise AttendanceError(_("Indiquez l'heure de départ, par exemple 17:45."), field="departed_at")
    now = timezone.localtime(now)
    if day == now.date() and departed_at > (now + datetime.timedelta(minutes=5)).time() \
            or day > now.date():
        raise AttendanceError(_("L'heure de départ ne peut pas être dans le futur."), field="departed_at")
    collected_by = (collected_by or "").strip()
    if collected_by == LEFT_ALONE:
        if not child.may_leave_alone:
            raise AttendanceError(_("%(name)s n'est pas autorisé(e) à partir seul(e).") % {"name": child.first_name},
                                  field="collected_by")
        collected_by = left_alone_label()
    else:
        allowed, forbidden = pick_up_people([child.pk])[child.pk]
        if collected_by in {p.name for p in forbidden}:
            raise AttendanceError(_("%(person)s n'est pas autorisé(e) à venir chercher %(name)s.")
                                  % {"person": collected_by, "name": child.first_name}, field="collected_by")
        if collected_by not in {p.name for p in allowed}:
            raise AttendanceError(_("Choisissez la personne venue chercher l'enfant parmi celles qui y sont "
                                    "autorisées."), field="collected_by")
    fields = {"departed_at": departed_at.replace(second=0, microsecond=0), "collected_by": collected_by}
    if current is None:
        fields.update(status=Status.PRESENT, booking=booking)
    return _save(child, unit, day, user, **fields)


@transaction.atomic
def remove(*, activity, child_id, unit_id, day):
    """Take off the sheet a child added by mistake as present without a booking; True if there was one."""
    unit = _unit_of(activity, unit_id)
    deleted, _rows = Attendance.objects.filter(child_id=child_id, unit=unit, day=day,
                                               status=Status.UNBOOKED).delete()
    return bool(deleted)
