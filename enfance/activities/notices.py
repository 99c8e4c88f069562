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
    """E-mail the households of these bookings, taken off a waiting list, whose notice is still pending: after
    the promotion's commit (a rolled back promotion tells nobody), and from the sweep for a notice a crash lost
    (a place to accept is withdrawn if nobody hears of it). Each notice clears its booking's flag in the
    transaction that writes its e-mails, so it goes once whoever sends it, and stays pending if it fails."""
    for booking in Booking.objects.filter(pk__in=booking_ids, state=Booking.State.BOOKED, notice_pending=True
                                          ).select_related("child", "unit__activity", "family").prefetch_related(
                                              "family__logins"):
        try:
            with transaction.atomic():
                if not Booking.objects.filter(pk=booking.pk, notice_pending=True).update(notice_pending=False):
                    continue  # told meanwhile (the sweep and the commit's callback at once)
                notifications.notify("place_offered", family=booking.family, context={
                    "booking": booking, "day": date_format(booking.day, "l j F Y"),
                    "expires": (date_format(timezone.localtime(booking.offer_expires_at), "l j F à H:i")
                                if booking.awaits_acceptance and booking.offer_expires_at else ""),
                }, reference=_("Réservation de %(name)s") % {"name": booking.child.first_name})
        except Exception:
            logger.exception("Notice of promoted booking %s failed", booking.pk)


def tell_lost_notices():
    """The sweep: promotions whose notice never went (a crash after their commit, a failed notice), for days not
    gone by. The number of bookings looked at."""
    pending = list(Booking.objects.filter(notice_pending=True, state=Booking.State.BOOKED,
                                          day__gte=timezone.localdate()).order_by("day", "pk")
                   .values_list("pk", flat=True)[:500])
    if pending:
        tell_promoted(pending)
    return len(pending)


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
