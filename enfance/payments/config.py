"""Which bank a régie's families pay through, from its payment settings (Regie.payment_settings):

    {"provider": "payfip", "numcli": "123456", "saisie": "T"}   PayFiP (saisie T test, X activation, W production)
    {"provider": "sandbox"}                                     the sandbox bank (demonstrations and tests only)
    {"link": "https://…"}                                       no online payment: the commune's own payment page

A régie with no provider pays at the sandbox bank where it is allowed (settings.PAYMENT_SANDBOX), else nowhere
online; settings.PAYMENT_FALLBACK_URL is the link for every régie without one.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

PAYFIP, SANDBOX = "payfip", "sandbox"
NUMCLI = re.compile(r"^[0-9]{6}$")


def provider_name(regie):
    name = (regie.payment_settings or {}).get("provider") or ""
    if not name and settings.PAYMENT_SANDBOX:
        return SANDBOX
    if name == SANDBOX and not settings.PAYMENT_SANDBOX:
        return ""  # a demonstration's setting left in production pays nowhere rather than at a fake bank
    return name if name in (PAYFIP, SANDBOX) else ""


def fallback_url(regie):
    return (regie.payment_settings or {}).get("link") or settings.PAYMENT_FALLBACK_URL


def options_of(name, regie):
    """What an attempt keeps of its régie's settings when it starts: the bank is asked about it with these,
    even after staff change the régie's (a new client number, the commune's link instead)."""
    if name == PAYFIP:
        options = regie.payment_settings or {}
        return {"numcli": options.get("numcli", ""), "saisie": options.get("saisie", "T")}
    return {}


def provider(name, regie, options=None):
    """The provider object of `name`, with `options` (an attempt's, from options_of) or the régie's now."""
    if name == SANDBOX:
        if not settings.PAYMENT_SANDBOX:
            raise LookupError("the sandbox bank is refused by these settings")
        from .sandbox import SandboxProvider

        return SandboxProvider()
    if name == PAYFIP:
        from .providers.payfip import PayFiPProvider

        options = options if options is not None else options_of(name, regie)
        factory = settings.PAYFIP_SESSION_FACTORY
        return PayFiPProvider(options.get("numcli", ""), options.get("saisie", "T"),
                              session=import_string(factory)() if factory else None)
    raise LookupError(f"no payment provider {name!r}")


def for_regie(regie):
    """The régie's provider, or None when its families cannot pay online."""
    name = provider_name(regie)
    return (name, provider(name, regie)) if name else None


def clean(options):
    """Payment settings as staff type them, checked: the dict to store (ValidationError with French messages)."""
    name = options.get("provider") or ""
    link = (options.get("link") or "").strip()
    cleaned = {"link": link} if link else {}
    if name == PAYFIP:
        numcli, saisie = str(options.get("numcli") or "").strip(), options.get("saisie") or "T"
        if not NUMCLI.match(numcli):
            raise ValidationError({"numcli": _("Le numéro client PayFiP a 6 chiffres.")})
        if saisie not in ("T", "X", "W"):
            raise ValidationError({"saisie": _("Choisissez le mode : test, activation ou production.")})
        cleaned.update(provider=PAYFIP, numcli=numcli, saisie=saisie)
    elif name == SANDBOX:
        cleaned["provider"] = SANDBOX
    elif name:
        raise ValidationError({"provider": _("Prestataire inconnu.")})
    return cleaned
