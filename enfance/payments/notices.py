"""The receipt of a card payment, told to the household through the notification mechanism."""

import logging

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.billing.money import euros
from enfance.messaging import notifications

from .models import PaymentAttempt

logger = logging.getLogger(__name__)

notifications.register(notifications.Kind(
    "card_payment", gettext_lazy("Le reçu d'un paiement par carte"), "payments/email/paid.txt",
    help_text=gettext_lazy("Votre paiement en ligne est enregistré sur votre compte.")))


def tell_paid(attempt_id):
    """After the commit that recorded the payment; a failure is logged (the payment stays recorded)."""
    try:
        attempt = PaymentAttempt.objects.select_related("regie", "family", "payment").get(pk=attempt_id)
        if attempt.payment is None:
            return 0
        numbers = list(attempt.invoices.values_list("number", flat=True))
        return notifications.notify("card_payment", family=attempt.family, context={
            "attempt": attempt, "amount": euros(attempt.amount), "regie": attempt.regie.name,
            "when": date_format(timezone.localtime(attempt.finished_at), "j F Y à H:i"),
            "numbers": ", ".join(numbers), "statement_path": reverse("portal:statement"),
            "receipt_path": reverse("payments:result", args=[attempt.token]),
        }, reference=_("Paiement %(refdet)s") % {"refdet": attempt.refdet})
    except Exception:
        logger.exception("The receipt of payment attempt %s failed", attempt_id)
        return 0
