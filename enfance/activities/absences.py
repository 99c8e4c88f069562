"""Absences: declared by the household (or staff) for a day or a range of days, and whether each is billed.

Declared before the activity's cancellation deadline, an absence cancels the booking (the place goes to the
first child waiting) and is not billed. After it, the booking stays (the meal is ordered) and the absence is
billed, unless the child is ill and a medical certificate comes within the activity's certificate_days of
the illness's first day; even then, the illness's first waiting_days are billed ("jours de carence"). Staff
may justify an absence. billing() says which, and why, in words a family understands.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import bookings
from .bookings import CALENDAR_REACH, BookingRefused, _deadline
from .calendar import OpeningCalendar
from .deadlines import is_before
from .models import Absence, Booking

MAX_DAYS = 62


@dataclass(frozen=True)
class Billing:
    billed: bool | None  # None: not known yet, a certificate may still come
    why: str


def _day(day):
    return date_format(day, "l j F Y")


def declare(*, family, child, first_day, last_day, reason, user, note="", now=None, asked_at=None):
    """The absences of `child` from `first_day` to `last_day`, one per day booked by `family` (any unit), in one
    transaction. Before its cancellation deadline (or for a place given from the waiting list and not accepted)
    the booking is cancelled with the others, dependants first; after it, it stays.

    Declaring again keeps the first declaration. Refused (BookingRefused) when the range is backwards or too
    long, or when the household booked nothing in it. `asked_at`: when the household declared it (a request
    checked by hand later); the deadlines are those of that moment.
    """
    now = now or timezone.now()
    asked_at = asked_at or now
    if last_day < first_day:
        raise BookingRefused(_("Le dernier jour de l'absence est avant le premier."))
    if (last_day - first_day).days >= MAX_DAYS:
        raise BookingRefused(_("Signalez une absence de %(n)s jours au plus à la fois.") % {"n": MAX_DAYS})
    in_range = Booking.objects.filter(family=family, child=child, day__range=(first_day, last_day))
    booked = list(in_range.filter(Q(state=Booking.State.BOOKED) | Q(absence__isnull=False))
                  .select_related("unit__activity").order_by("day", "unit_id"))
    if not booked:
        raise BookingRefused(_("Aucune réservation de ce foyer pour %(name)s sur ces jours.")
                             % {"name": child.first_name})
    calendar = OpeningCalendar.load(first_day - CALENDAR_REACH, last_day)
    with transaction.atomic():
        absences, to_cancel = [], []
        for booking in booked:
            absence, created = Absence.objects.get_or_create(
                booking=booking, defaults={"reason": reason, "note": note, "declared_at": asked_at,
                                           "declared_by": user})
            absences.append(absence)
            if created and booking.state == Booking.State.BOOKED and _cancels(booking, asked_at, calendar):
                to_cancel.append(booking)
        bookings.cancel_many(to_cancel, family=family, user=user, now=now, asked_at=asked_at)
    return absences


def _cancels(booking, now, calendar):
    """Whether an absence of this booking cancels it: still before its cancellation deadline, or a place given
    from the waiting list the household has not accepted."""
    if booking.awaits_acceptance:
        return True
    deadline = _deadline(booking.unit.activity.cancellation_rule, booking.day, calendar)
    return is_before(now, deadline)


@dataclass
class _ChildDays:
    """What decides a child's illnesses around some days, read once: the days it was absent ill (with the
    certificates received for them) and the days it was booked and came."""

    ill: dict  # day -> earliest certificate received that day's absence, or None
    came: set

    @classmethod
    def load(cls, child_ids, first_day, last_day):
        rows = (Booking.objects.filter(child_id__in=child_ids, day__range=(first_day, last_day))
                .exclude(state=Booking.State.WAITING)
                .values_list("child_id", "day", "state", "absence__reason", "absence__certificate_received_at"))
        by_child = {child_id: cls({}, set()) for child_id in child_ids}
        for child_id, day, state, reason, certificate in rows:
            days = by_child[child_id]
            if reason == Absence.Reason.ILLNESS:
                known = days.ill.get(day)
                days.ill[day] = min(filter(None, (known, certificate)), default=None)
            elif reason is None and state == Booking.State.BOOKED:
                days.came.add(day)
        return by_child

    def episode(self, day):
        """The days of the illness `day` belongs to: only a day the child was booked and came ends it (a
        weekend, a holiday or a day without booking does not)."""
        days = {day}
        for step in (-1, 1):
            other = day + datetime.timedelta(days=step)
            while abs((other - day).days) <= MAX_DAYS:
                if other in self.ill:
                    days.add(other)
                elif other in self.came:
                    break
                other += datetime.timedelta(days=step)
        return days


def _episode(absence):
    """The days of the illness this absence belongs to (see _ChildDays.episode)."""
    day, window = absence.booking.day, datetime.timedelta(days=MAX_DAYS)
    child_id = absence.booking.child_id
    return _ChildDays.load([child_id], day - 2 * window, day + 2 * window)[child_id].episode(day)


def _open_days_between(first, last, calendar):
    """Open days from `first` to `last` included."""
    count, day = 0, first
    while day <= last:
        count += calendar.is_open_day(day)
        day += datetime.timedelta(days=1)
    return count


def billing(absence, now=None):
    """Whether this absence is billed, and why."""
    return billing_many([absence], now=now)[absence.pk]


def billing_many(absences, now=None):
    """{absence id: Billing} for many absences (a household's month) in a fixed number of queries."""
    return billing_loaded(list(Absence.objects.filter(pk__in=[a.pk for a in absences])
                               .select_related("booking__unit__activity")), now=now)


def billing_loaded(absences, now=None):
    """billing_many for absences read with select_related("booking__unit__activity") (a billing run reads a
    month's by join: an IN list of their ids would pass SQLite's limit of variables)."""
    now = now or timezone.now()
    if not absences:
        return {}
    days = [a.booking.day for a in absences]
    window = datetime.timedelta(days=MAX_DAYS)
    calendar = OpeningCalendar.load(min(days) - CALENDAR_REACH, max(days) + window)
    children = _ChildDays.load({a.booking.child_id for a in absences}, min(days) - 2 * window, max(days) + 2 * window)
    return {a.pk: _billing(a, now, calendar, children[a.booking.child_id]) for a in absences}


def _billing(absence, now, calendar, child_days):
    booking = absence.booking
    activity = booking.unit.activity
    if absence.justified_by_id:
        return Billing(False, _("Justifiée par la mairie : non facturée."))
    if booking.awaits_acceptance:
        return Billing(False, _("Place proposée sur liste d'attente et non acceptée : non facturée."))
    deadline = _deadline(activity.cancellation_rule, booking.day, calendar)
    if is_before(absence.declared_at, deadline) or booking.state == Booking.State.CANCELLED:
        return Billing(False, _("Signalée avant le délai d'annulation : non facturée."))
    late = _("Signalée après le délai d'annulation (%(when)s)") % {
        "when": date_format(timezone.localtime(deadline), "j F Y à H:i")}
    if absence.reason != Absence.Reason.ILLNESS:
        return Billing(True, _("%(late)s : facturée.") % {"late": late})
    episode = child_days.episode(booking.day)
    start = min(episode)
    if activity.waiting_days and _open_days_between(start, booking.day, calendar) <= activity.waiting_days:
        return Billing(True, ngettext(
            "Jour de carence : le premier jour d'une maladie est facturé.",
            "Jour de carence : les %(n)s premiers jours d'une maladie sont facturés.",
            activity.waiting_days) % {"n": activity.waiting_days})
    last_day = start + datetime.timedelta(days=activity.certificate_days)
    # One certificate covers the whole illness, days declared after it included.
    received = min(filter(None, (child_days.ill.get(day) for day in episode)), default=None)
    if received and timezone.localdate(received) <= last_day:
        return Billing(False, _("Maladie justifiée par un certificat médical : non facturée."))
    if timezone.localdate(now) <= last_day:
        return Billing(None, _("Facturée, sauf si un certificat médical arrive au plus tard le %(day)s.")
                       % {"day": _day(last_day)})
    return Billing(True, _("Facturée : pas de certificat médical reçu au plus tard le %(day)s.")
                   % {"day": _day(last_day)})


def add_certificate(absence, *, at=None):
    """A medical certificate came for this absence: it covers every absence of the same illness. The number
    of absences it covers."""
    at = at or timezone.now()
    return Absence.objects.filter(booking__child_id=absence.booking.child_id, reason=Absence.Reason.ILLNESS,
                                  booking__day__in=_episode(absence),
                                  certificate_received_at__isnull=True).update(certificate_received_at=at)
