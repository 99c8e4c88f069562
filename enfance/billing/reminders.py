"""Reminders ("relances") of overdue invoices: the household is told by e-mail (the notification kind "reminder")
and the reminder is kept on its record (Reminder), in one transaction per household.

An invoice is reminded at most once a day: the second click of a double submit, or a second agent working on the
same list, finds the reminder of the first and sends nothing.
"""

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enfance.accounts.models import User
from enfance.core import audit
from enfance.core.models import AuditEntry
from enfance.core.templatetags.enfance import day_month
from enfance.families.models import Family
from enfance.messaging import notifications

from . import ledger
from .models import Invoice, Reminder
from .money import ZERO, euros, money
from .portal_queries import period_text

KIND = "reminder"
MAX_INVOICES = 200  # in one reminder

notifications.register(notifications.Kind(
    KIND, gettext_lazy("Une relance de factures non réglées"), "billing/email/reminder.txt",
    help_text=gettext_lazy("La mairie vous rappelle une facture dont la date limite de paiement est passée."),
    always=True))


class ReminderRefused(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def reminded_today(invoice_ids, today=None):
    """The ids among these of the invoices a reminder already named today (Paris day)."""
    today = today or timezone.localdate()
    return set(Reminder.invoices.through.objects.filter(invoice_id__in=invoice_ids,
                                                        reminder__sent_at__date=today)
               .values_list("invoice_id", flat=True))


def send(regie, family, invoices, user, *, today=None):
    """Remind the household of these overdue invoices of the régie: the e-mail to its logins that want it, the
    Reminder on its record and a line of the audit trail, together or not at all.

    The invoices (objects or ids) must be the household's, issued by the régie, past their due date and not
    settled; those already reminded today are left out. ReminderRefused when nothing is left to remind. The
    Reminder returned carries `emails`, the number of e-mails queued (0: no login with an address wants them,
    the reminder is to be sent on paper)."""
    today = today or timezone.localdate()
    ids = list(dict.fromkeys(getattr(i, "pk", i) for i in invoices))[:MAX_INVOICES]
    if not ids:
        raise ReminderRefused(_("Choisissez au moins une facture à relancer."))
    with transaction.atomic():
        # The household's row is the lock payments take too: two reminders of one household are written one
        # after the other, and the second sees the first.
        logins = Prefetch("logins", queryset=User.objects.select_related("guardian"))
        family = Family.objects.select_for_update(no_key=True).prefetch_related(logins).get(pk=family.pk)
        found = list(Invoice.objects.filter(pk__in=ids, regie=regie, family=family, state=Invoice.State.ISSUED,
                                            kind=Invoice.Kind.INVOICE).order_by("due_on", "issued_at", "pk"))
        if len(found) != len(ids):
            raise ReminderRefused(_("Une des factures choisies n'est pas une facture émise de ce foyer par cette "
                                    "régie."))
        left = ledger.remaining(found)
        due = [i for i in found if left[i.pk] > 0 and i.due_on is not None and i.due_on < today]
        if not due:
            raise ReminderRefused(_("Ces factures ne sont plus à relancer : elles sont réglées ou pas encore "
                                    "échues."))
        already = reminded_today([i.pk for i in due], today)
        due = [i for i in due if i.pk not in already]
        if not due:
            raise ReminderRefused(_("Le foyer %(ref)s a déjà été relancé aujourd'hui pour ces factures : aucune "
                                    "nouvelle relance n'est envoyée.") % {"ref": family.reference})
        amount = money(sum((left[i.pk] for i in due), ZERO))
        reminder = Reminder.objects.create(regie=regie, family=family, amount=amount, sent_by=user)
        reminder.invoices.set(due)
        reminder.emails = notifications.notify(KIND, family=family, context=_context(regie, family, due, left,
                                                                                       amount),
                                               reference=_("Relance n° %(id)s") % {"id": reminder.pk})
        numbers = ", ".join(i.number for i in due)
        audit.record(actor=user, action=AuditEntry.Action.CREATE, obj=reminder, family=family,
                     object_type="reminder",
                     object_repr=_("Relance de la régie %(regie)s : %(numbers)s") % {"regie": regie.name,
                                                                                    "numbers": numbers},
                     changes={_("factures"): ["", numbers], _("montant restant dû"): ["", euros(amount)],
                              _("courriels"): ["", str(reminder.emails)]})
    return reminder


def _context(regie, family, invoices, left, amount):
    return {
        "regie": regie,
        "amount": euros(amount),
        "invoices": [{"number": i.number, "issued": day_month(i.issued_at, "Y"), "due": day_month(i.due_on, "Y"),
                      "total": euros(i.total), "left": euros(left[i.pk]), "period": period_text(i.first_day, i.last_day)}
                     for i in invoices],
    }
