"""{% pay_button regie amount next=... invoices=... %}: what a page offers to pay online for one régie."""

from django import template
from django.utils.translation import gettext_lazy as _

from enfance.billing.money import ZERO, money

from .. import attempts, config

register = template.Library()


@register.inclusion_tag("payments/_pay_button.html", takes_context=True)
def pay_button(context, regie, amount, next="", invoice=None, label=""):
    amount = money(amount or ZERO)
    invoice_ids = [invoice.pk] if invoice is not None else []
    online = bool(config.provider_name(regie))
    return {
        "regie": regie, "amount": amount, "invoice_ids": invoice_ids, "next": next, "label": label,
        "online": online and amount >= attempts.MINIMUM, "too_small": online and ZERO < amount < attempts.MINIMUM,
        "fallback": "" if online else config.fallback_url(regie), "due": amount > 0,
        "csrf_token": context.get("csrf_token"), "minimum": attempts.MINIMUM,
    }


@register.filter
def pays_online(regie):
    """Whether this régie's families can pay by card on the portal."""
    return bool(config.provider_name(regie))


_ANSWERS = {"pending": _("pas encore de résultat"), "paid": _("payé"), "refused": _("refusé"),
            "cancelled": _("annulé"), "expired": _("expiré"), "error": _("erreur")}


@register.filter
def bank_answer(state):
    """A bank's answer as staff read it (PaymentEvent.state: the provider interface's words)."""
    return _ANSWERS.get(state, state or "—")
