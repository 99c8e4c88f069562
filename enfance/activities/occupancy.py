"""How full each place is, day by day, against its capacity, and who waits for a place; the daily list of the
children booked for an activity, by site and group.

The booked count is PlaceDay.booked (a day without its row: nobody booked). A waiting list belongs to a unit
and a day (Booking.waiting_position 1, 2, 3...). A week is read in a fixed number of queries, whatever the
number of places, days and children waiting.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .calendar import WEEKEND, OpeningCalendar
from .models import Booking, Place, PlaceDay


def monday_of(day):
    return day - datetime.timedelta(days=day.weekday())


@dataclass
class DayCount:
    day: datetime.date
    booked: int
    capacity: int
    closed: str = ""  # why the commune's services are shut that day, or ""

    @property
    def free(self):
        return max(self.capacity - self.booked, 0)

    @property
    def is_full(self):
        return self.booked >= self.capacity

    @property
    def is_nearly_full(self):
        """Nine places in ten taken, or more."""
        return not self.is_full and self.booked * 10 >= self.capacity * 9


@dataclass
class PlaceRow:
    place: Place
    site: str
    days: list  # [DayCount], one per day of the week shown


@dataclass
class WaitingList:
    day: datetime.date
    unit: object  # Unit, its activity selected
    entries: list = field(default_factory=list)  # [Booking], by position, child and family selected


@dataclass
class Week:
    monday: datetime.date
    days: list  # the days shown: Monday to Friday, and a weekend day only when someone is booked or waits
    closed: dict  # day -> why it is shut ("" when open)
    places: list  # [PlaceRow], by site then place name
    waiting: list  # [WaitingList], by day, activity and unit

    @property
    def closed_days(self):
        """[(day, why)] of the days shown on which the commune's services are shut."""
        return [(day, why) for day, why in self.closed.items() if why]

    @property
    def previous(self):
        return self.monday - datetime.timedelta(days=7)

    @property
    def next(self):
        return self.monday + datetime.timedelta(days=7)


def _closed(calendar, day):
    """Why the services are shut on `day`; a weekend day is shown only when some activity runs then."""
    why = calendar.closed_because(day)
    return "" if day.weekday() in WEEKEND and why == "week-end" else why


def week(monday):
    """The week starting on `monday` (any day: its week's Monday), in four queries."""
    monday = monday_of(monday)
    sunday = monday + datetime.timedelta(days=6)
    calendar = OpeningCalendar.load(monday, sunday)
    places = list(Place.objects.select_related("site"))
    counts = dict(((row.place_id, row.day), row.booked) for row in
                  PlaceDay.objects.filter(day__range=(monday, sunday)).only("place_id", "day", "booked"))
    waiting = list(Booking.objects.filter(state=Booking.State.WAITING, day__range=(monday, sunday))
                   .select_related("child", "family", "unit__activity")
                   .only("day", "waiting_position", "child", "child__first_name", "child__last_name", "family",
                         "family__reference", "unit", "unit__name", "unit__activity", "unit__activity__name")
                   .order_by("day", "unit__activity__name", "unit__name", "unit_id", "waiting_position"))
    busy_days = {day for (_place, day), booked in counts.items() if booked} | {b.day for b in waiting}
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    days = [day for day in days if day.weekday() not in WEEKEND or day in busy_days]
    closed = {day: _closed(calendar, day) for day in days}
    rows = [PlaceRow(place, place.site.name if place.site else _("(sans site)"),
                     [DayCount(day, counts.get((place.pk, day), 0), place.capacity, closed[day]) for day in days])
            for place in places]
    # Sorted here, not by the database: the same order whatever its collation.
    rows.sort(key=lambda row: (row.site, row.place.name))
    lists = []
    for booking in waiting:
        if not lists or (lists[-1].day, lists[-1].unit.pk) != (booking.day, booking.unit_id):
            lists.append(WaitingList(booking.day, booking.unit))
        lists[-1].entries.append(booking)
    return Week(monday, days, closed, rows, lists)


@dataclass
class ListSection:
    site: str
    group: str  # the group's name, or "" when the activity has no groups
    bookings: list = field(default_factory=list)  # [Booking], child and unit selected, by child's name


def daily_list(activity, day):
    """[ListSection] of the children booked for `activity` on `day`: by site (of the unit's places), then by
    group (the first of the activity's groups that admits the child that day), in four queries."""
    from django.db.models import Prefetch

    from .models import Group, Unit

    groups = list(Group.objects.filter(activity=activity).order_by("name", "pk"))
    units = Unit.objects.filter(activity=activity).prefetch_related(
        Prefetch("places", queryset=Place.objects.select_related("site").order_by("name", "pk")))
    sites = {}
    for unit in units:
        names = sorted({p.site.name for p in unit.places.all() if p.site})
        sites[unit.pk] = ", ".join(names) or _("(sans site)")
    bookings = (Booking.objects.filter(unit__activity=activity, day=day, state=Booking.State.BOOKED)
                .select_related("child", "unit", "absence"))
    no_group = _("Sans groupe")
    sections = {}
    for booking in bookings:
        group = next((g.name for g in groups if g.admits(booking.child, day)), no_group) if groups else ""
        site = sites.get(booking.unit_id, _("(sans site)"))
        sections.setdefault((site, group), ListSection(site, group)).bookings.append(booking)
    order = {g.name: n for n, g in enumerate(groups)}
    result = sorted(sections.values(), key=lambda s: (s.site, order.get(s.group, len(order))))
    for section in result:
        section.bookings.sort(key=lambda b: (b.child.last_name.casefold(), b.child.first_name.casefold(), b.pk))
    return result
