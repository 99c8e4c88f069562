"""{% pay_button regie amount next=... invoices=... %}: what a page offers to pay online for one régie; and the
filters of staff's pages about an attempt (its bank in words, its events' notes in French)."""

from django import template

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


@register.filter
def bank_answer(state):
    """A bank's answer as staff read it (PaymentEvent.state: the provider interface's words)."""
    return attempts.ANSWERS.get(state, state or "—")


@register.filter
def provider_label(attempt):
    """The attempt's bank in words, with its mode from the settings it started with: "SystemPay (production)",
    "PayFiP (test)", "Banque de test" (config.provider_label; no query)."""
    return config.provider_label(attempt.provider, attempt.provider_options,
                                 test=attempt.test if attempt.state == attempt.State.PAID else None)


@register.filter
def bank_name(attempt):
    """The attempt's bank, its name alone: "SystemPay"."""
    return config.provider_label(attempt.provider, attempt.provider_options, mode=False)


@register.filter
def event_note(note):
    """An event's note in French: one of attempts.NOTES (stored in English), or what staff typed, as typed."""
    return attempts.NOTES.get(note, note)


@register.filter
def can_ask(attempt):
    """Whether the attempt's bank can be asked about it (else it only sends its signed notice)."""
    return config.can_ask(attempt.provider)
