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
from .models import Absence, Booking

MAX_DAYS = 62


@dataclass(frozen=True)
class Billing:
    billed: bool | None  # None: not known yet, a certificate may still come
    why: str


def _day(day):
    return date_format(day, "l j F Y")


def declare(*, family, child, first_day, last_day, reason, user, note="", now=None):
    """The absences of `child` from `first_day` to `last_day`, one per day booked by `family` (any unit), in one
    transaction. Before its cancellation deadline (or for a place given from the waiting list and not accepted)
    the booking is cancelled with the others, dependants first; after it, it stays.

    Declaring again keeps the first declaration. Refused (BookingRefused) when the range is backwards or too
    long, or when the household booked nothing in it.
    """
    now = now or timezone.now()
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
                booking=booking, defaults={"reason": reason, "note": note, "declared_at": now, "declared_by": user})
            absences.append(absence)
            if created and booking.state == Booking.State.BOOKED and _cancels(booking, now, calendar):
                to_cancel.append(booking)
        bookings.cancel_many(to_cancel, family=family, user=user, now=now)
    return absences


def _cancels(booking, now, calendar):
    """Whether an absence of this booking cancels it: still before its cancellation deadline, or a place given
    from the waiting list the household has not accepted."""
    if booking.needs_acceptance and booking.accepted_at is None:
        return True
    deadline = _deadline(booking.unit.activity.cancellation_rule, booking.day, calendar)
    return now.astimezone(datetime.UTC) < deadline.astimezone(datetime.UTC)


def _episode(absence, calendar):
    """The days of the illness this absence belongs to: the days around it on which the child was absent ill.
    Only a day the child was booked and came ends it: a weekend, a holiday or a day without booking does not."""
    booking, window = absence.booking, datetime.timedelta(days=MAX_DAYS)
    around = Booking.objects.filter(child_id=booking.child_id, day__range=(booking.day - window,
                                                                           booking.day + window))
    ill_days = set(around.filter(absence__reason=Absence.Reason.ILLNESS).values_list("day", flat=True))
    came = set(around.filter(state=Booking.State.BOOKED, absence__isnull=True).values_list("day", flat=True))
    days = {booking.day}
    for step in (-1, 1):
        day = booking.day + datetime.timedelta(days=step)
        while abs((day - booking.day).days) <= MAX_DAYS:
            if day in ill_days:
                days.add(day)
            elif day in came:
                break
            day += datetime.timedelta(days=step)
    return days


def _open_days_between(first, last, calendar):
    """Open days from `first` to `last` included."""
    count, day = 0, first
    while day <= last:
        count += calendar.is_open_day(day)
        day += datetime.timedelta(days=1)
    return count


def billing(absence, now=None):
    """Whether this absence is billed, and why."""
    now = now or timezone.now()
    booking = absence.booking
    activity = booking.unit.activity
    if absence.justified_by_id:
        return Billing(False, _("Justifiée par la mairie : non facturée."))
    if booking.needs_acceptance and booking.accepted_at is None:
        return Billing(False, _("Place proposée sur liste d'attente et non acceptée : non facturée."))
    calendar = OpeningCalendar.load(booking.day - CALENDAR_REACH, booking.day + datetime.timedelta(days=MAX_DAYS))
    deadline = _deadline(activity.cancellation_rule, booking.day, calendar)
    if absence.declared_at.astimezone(datetime.UTC) < deadline.astimezone(datetime.UTC) \
            or booking.state == Booking.State.CANCELLED:
        return Billing(False, _("Signalée avant le délai d'annulation : non facturée."))
    late = _("Signalée après le délai d'annulation (%(when)s)") % {
        "when": date_format(timezone.localtime(deadline), "j F Y à H:i")}
    if absence.reason != Absence.Reason.ILLNESS:
        return Billing(True, _("%(late)s : facturée.") % {"late": late})
    episode = _episode(absence, calendar)
    start = min(episode)
    if activity.waiting_days and _open_days_between(start, booking.day, calendar) <= activity.waiting_days:
        return Billing(True, ngettext(
            "Jour de carence : le premier jour d'une maladie est facturé.",
            "Jour de carence : les %(n)s premiers jours d'une maladie sont facturés.",
            activity.waiting_days) % {"n": activity.waiting_days})
    last_day = start + datetime.timedelta(days=activity.certificate_days)
    # One certificate covers the whole illness, days declared after it included.
    received = (Absence.objects.filter(booking__child_id=booking.child_id, booking__day__in=episode,
                                       reason=Absence.Reason.ILLNESS, certificate_received_at__isnull=False)
                .order_by("certificate_received_at").values_list("certificate_received_at", flat=True).first())
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
    day, window = absence.booking.day, datetime.timedelta(days=MAX_DAYS)
    calendar = OpeningCalendar.load(day - window, day + window)
    return Absence.objects.filter(booking__child_id=absence.booking.child_id, reason=Absence.Reason.ILLNESS,
                                  booking__day__in=_episode(absence, calendar),
                                  certificate_received_at__isnull=True).update(certificate_received_at=at)
