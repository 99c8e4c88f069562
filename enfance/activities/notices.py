"""What households are told about their bookings without asking: a place freed for a child waiting, and the
expiry of a place offered that nobody accepted (run by the sweep)."""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.messaging import notifications

from .models import Booking

logger = logging.getLogger(__name__)

notifications.register(notifications.Kind(
    "place_offered", gettext_lazy("Une place libérée sur une liste d'attente"), "activities/email/place_offered.txt",
    help_text=gettext_lazy("Votre enfant attendait une place : elle lui est attribuée.")))


def tell_promoted(booking_ids):
    """E-mail the households of these bookings, just taken off a waiting list: into the outbox in the promotion's
    own transaction, so that a crash after its commit cannot lose the notice (a place to accept is withdrawn if
    nobody hears of it) and a rolled back promotion tells nobody. In a savepoint each: one failed notice neither
    stops the others nor undoes the cancellation that freed the place."""
    for booking in Booking.objects.filter(pk__in=booking_ids, state=Booking.State.BOOKED).select_related(
            "child", "unit__activity", "family").prefetch_related("family__logins"):
        try:
            with transaction.atomic():
                notifications.notify("place_offered", family=booking.family, context={
                    "booking": booking, "day": date_format(booking.day, "l j F Y"),
                    "expires": (date_format(timezone.localtime(booking.offer_expires_at), "l j F à H:i")
                                if booking.awaits_acceptance and booking.offer_expires_at else ""),
                }, reference=_("Réservation de %(name)s") % {"name": booking.child.first_name})
        except Exception:
            logger.exception("Notice of promoted booking %s failed", booking.pk)


def expire_offers(now=None):
    """Places offered from a waiting list after the cancellation deadline and not accepted in time go to the
    next child waiting (declining them is what cancel does): the number of offers withdrawn."""
    from . import bookings

    now = now or timezone.now()
    expired = list(Booking.objects.filter(state=Booking.State.BOOKED, needs_acceptance=True, accepted_at__isnull=True)
                   .filter(Q(offer_expires_at__lte=now)).select_related("family").order_by("day", "pk")[:500])
    withdrawn = 0
    for booking in expired:
        ((_b, result),) = bookings.cancel_many([booking], family=booking.family, user=None, now=now)
        withdrawn += not isinstance(result, bookings.BookingRefused)
    return withdrawn
