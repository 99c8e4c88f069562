"""Households told that an invoice or a credit note was issued (after the run's last batch committed)."""

import logging

from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.accounts.models import User
from enfance.core.templatetags.enfance import day_month
from enfance.messaging import notifications

from .models import Invoice
from .money import euros
from .portal_queries import period_phrase

logger = logging.getLogger(__name__)

notifications.register(notifications.Kind(
    "invoice_issued", gettext_lazy("Une nouvelle facture ou un avoir"), "billing/email/invoice_issued.txt",
    help_text=gettext_lazy("La mairie a émis une facture ou un avoir pour votre foyer.")))


def tell_issued(run_id):
    """E-mail the households of the run's invoices; in a savepoint each, so that one failure stops no other.
    The number told."""
    told = 0
    for invoice in (Invoice.objects.filter(run_id=run_id, state=Invoice.State.ISSUED, notified_at__isnull=True)
                    .select_related("regie", "family", "corrects")
                    .prefetch_related(Prefetch("family__logins", queryset=User.objects.select_related("guardian")))):
        try:
            with transaction.atomic():
                # Claimed in the savepoint that queues the e-mail: told once, even if the task runs twice.
                if not Invoice.objects.filter(pk=invoice.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
                    continue
                notifications.notify("invoice_issued", family=invoice.family, context={
                    "invoice": invoice, "amount": euros(invoice.total),
                    "invoice_path": reverse("portal:invoice", args=[invoice.pk]),
                    "period": period_phrase(invoice.first_day, invoice.last_day),
                    "due": day_month(invoice.due_on, "Y") if invoice.due_on else "",
                    "previous": euros(invoice.previous_balance) if invoice.previous_balance > 0 else "",
                }, reference=_("Facture %(number)s") % {"number": invoice.number})
            told += 1
        except Exception:
            logger.exception("Notice of invoice %s failed", invoice.pk)
    return told
