"""The demo's online payments, through the sandbox bank as a household would: one paid (its latest invoice
settled, the receipt told), one refused, so that the family's and staff's pages show real use."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from enfance.billing.models import Invoice

from . import attempts
from .models import PaymentEvent, SandboxOperation


def _url_for(name, token):
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[token])


def populate():
    """Pay online, at the sandbox bank, the latest invoice of the 4th household billed; refuse the 5th's card."""
    if not settings.PAYMENT_SANDBOX:
        return 0
    latest = list(Invoice.objects.filter(state=Invoice.State.ISSUED, kind=Invoice.Kind.INVOICE)
                  .select_related("regie", "family").order_by("-issued_at", "number")[:5])
    done = 0
    for invoice, outcome in zip(latest[3:5], (SandboxOperation.Outcome.PAID, SandboxOperation.Outcome.REFUSED),
                                strict=False):
        login = invoice.family.logins.first()
        try:
            attempt = attempts.start(regie=invoice.regie, family=invoice.family, user=login,
                                     invoice_ids=[invoice.pk], url_for=_url_for)
        except attempts.PaymentRefused:
            continue  # nothing left on it, or no e-mail for the bank
        SandboxOperation.objects.filter(reference=attempt.reference).update(outcome=outcome, decided_at=timezone.now())
        attempts.check(attempt, source=PaymentEvent.Source.RETURN)
        done += 1
    return done
