"""Changing a place's capacity: a raise gives the new room to the children waiting on its future days (first
come, first served); a cut never cancels anybody, it is refused while a future day has more children booked.

Under the lock order of bookings.py: the place's future PlaceDay rows (with those of the places its units
share, by day then place id), then the waiting bookings promoted. A booking whose locking statement began
before the change committed and waited on these locks decided with the capacity it read then; a second pass
after the commit gives it the room anyway (a raise) or reports the day it filled beyond the cut (`over`).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enfance.core import audit
from enfance.core.models import AuditEntry

from . import bookings, snapshot
from .models import Place, PlaceDay


class CapacityRefused(Exception):
    """A cut below what is already booked: `message` (French) names the days, `days` [(day, booked)]."""

    def __init__(self, message, days):
        super().__init__(message)
        self.message = message
        self.days = days


@dataclass
class CapacityChange:
    place: Place
    old: int
    new: int
    promoted: list = field(default_factory=list)  # bookings taken off a waiting list
    over: list = field(default_factory=list)  # [(day, booked)] filled beyond a cut by a booking racing it


def _days_text(days):
    shown = [_("%(booked)s le %(day)s") % {"booked": booked, "day": date_format(day, "l j F Y")}
             for day, booked in days[:10]]
    more = len(days) - len(shown)
    text = ", ".join(shown)
    if more:
        text += ngettext(" et %(n)s autre jour", " et %(n)s autres jours", more) % {"n": more}
    return text


def refusal_message(capacity, days):
    return ngettext(
        "Impossible de passer à %(capacity)s place : des enfants sont déjà réservés au-delà ce jour-là (%(days)s). "
        "Annulez ou déplacez d'abord des réservations.",
        "Impossible de passer à %(capacity)s places : des enfants sont déjà réservés au-delà ces jours-là "
        "(%(days)s). Annulez ou déplacez d'abord des réservations.", capacity) % {
        "capacity": capacity, "days": _days_text(days)}


def _future_days(place, today):
    return list(PlaceDay.objects.filter(place=place, day__gte=today).order_by("day").values_list("day", flat=True))


def set_capacity(place, capacity, *, actor, now=None):
    """Give `place` this capacity from now on: a CapacityChange; CapacityRefused for a cut below a future day's
    bookings (nothing changed then)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
        raise ValueError(capacity)
    change = CapacityChange(place=place, old=place.capacity, new=capacity)

    def save(rows):
        current = Place.objects.values_list("capacity", flat=True).get(pk=place.pk)
        change.old = current
        over = sorted((row.day, row.booked) for (day, place_id), row in rows.items()
                      if place_id == place.pk and row.booked > capacity)
        if over:
            raise CapacityRefused(refusal_message(capacity, over), over)
        Place.objects.filter(pk=place.pk).update(capacity=capacity)
        snapshot.changed()  # an update() sends no post_save
        for (_day, place_id), row in rows.items():
            if place_id == place.pk:
                row.place.capacity = capacity
        if current != capacity:
            audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=place,
                         changes={"capacity": [str(current), str(capacity)]})

    with transaction.atomic():
        change.promoted = bookings.promote_days([place.pk], _future_days(place, today), now=now, under_locks=save)
    place.capacity = capacity
    if change.new > change.old:
        # A booking that waited on the locks above with the old capacity may have joined the list meanwhile.
        change.promoted += bookings.promote_days([place.pk], _future_days(place, today), now=now)
    elif change.new < change.old:
        def check(rows):
            change.over = sorted((row.day, row.booked) for (_day, place_id), row in rows.items()
                                 if place_id == place.pk and row.booked > capacity)

        bookings.promote_days([place.pk], _future_days(place, today), now=now, under_locks=check)
    return change
