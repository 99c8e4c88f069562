"""Which bank a régie's families pay through, from its payment settings (Regie.payment_settings):

    {"provider": "payfip", "numcli": "123456", "saisie": "T"}   PayFiP (saisie T test, X activation, W production)
    {"provider": "sandbox"}                                     the sandbox bank (demonstrations and tests only)
    {"provider": "eopayment", "backend": "systempayv2", "options": {...}}
                                                                a bank whose notices are signed (providers/signed.py:
                                                                SystemPay, PayZen, Sips), eopayment's options
    {"link": "https://…"}                                       no online payment: the commune's own payment page

A régie with no provider pays at the sandbox bank where it is allowed (settings.PAYMENT_SANDBOX), else nowhere
online; settings.PAYMENT_FALLBACK_URL is the link for every régie without one.
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

PAYFIP, SANDBOX, EOPAYMENT = "payfip", "sandbox", "eopayment"
MASK = "********"  # a secret shown back to staff; typed back unchanged, the stored one is kept
NUMCLI = re.compile(r"^[0-9]{6}$")


def provider_name(regie):
    name = (regie.payment_settings or {}).get("provider") or ""
    if not name and settings.PAYMENT_SANDBOX:
        return SANDBOX
    if name == SANDBOX and not settings.PAYMENT_SANDBOX:
        return ""  # a demonstration's setting left in production pays nowhere rather than at a fake bank
    if name == EOPAYMENT:
        from .providers.signed import BACKENDS

        return name if (regie.payment_settings or {}).get("backend") in BACKENDS else ""
    return name if name in (PAYFIP, SANDBOX) else ""


def fallback_url(regie):
    return (regie.payment_settings or {}).get("link") or settings.PAYMENT_FALLBACK_URL


def options_of(name, regie):
    """What an attempt keeps of its régie's settings when it starts: the bank is asked about it with these,
    even after staff change the régie's (a new client number, the commune's link instead)."""
    if name == PAYFIP:
        options = regie.payment_settings or {}
        return {"numcli": options.get("numcli", ""), "saisie": options.get("saisie", "T")}
    if name == EOPAYMENT:
        # The backend only: its options hold secrets, read from the régie when the bank's notice comes.
        return {"backend": (regie.payment_settings or {}).get("backend", "")}
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
    if name == EOPAYMENT:
        from .providers.signed import SignedNoticeProvider

        current = regie.payment_settings or {}
        kind = (options or {}).get("backend") or current.get("backend", "")
        if current.get("provider") != EOPAYMENT or current.get("backend") != kind:
            # Staff moved the régie to another bank since: this one's secrets are gone, nothing can be checked.
            raise LookupError(f"the régie no longer pays through {kind!r}")
        return SignedNoticeProvider(kind, current.get("options") or {})
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
    elif name == EOPAYMENT:
        kind = options.get("backend") or ""
        cleaned.update(provider=EOPAYMENT, backend=kind,
                       options=clean_backend_options(kind, options.get("options") or {}, options.get("stored") or {}))
    elif name:
        raise ValidationError({"provider": _("Prestataire inconnu.")})
    return cleaned


def clean_backend_options(kind, typed, stored):
    """A signed-notice bank's options as staff typed them ({name: text}), checked against eopayment's own
    description of the backend (required, choices, its validation): the dict to store. A secret typed back as
    MASK keeps the stored one (`stored`: the régie's options before the change)."""
    from .providers.signed import BACKENDS, parameters

    if kind not in BACKENDS:
        raise ValidationError({"backend": _("Choisissez la banque.")})
    backend = BACKENDS[kind]
    known = {p["name"]: p for p in parameters(kind)}
    unknown = sorted(set(typed) - set(known))
    if unknown:
        raise ValidationError({"options": _("Paramètre inconnu de cette banque : %(names)s.")
                               % {"names": ", ".join(unknown)}})
    cleaned, errors = {}, []
    for name, parameter in known.items():
        value = str(typed.get(name, "") or "").strip()
        if value == MASK and name in backend.secrets:
            value = str(stored.get(name, "") or "")
            if not value:
                errors.append(_("« %(name)s » : ressaisissez ce secret (il n'est pas enregistré pour cette "
                                "banque).") % {"name": name})
                continue
        if not value:
            if name in backend.must_type or (parameter.get("required") and parameter.get("default") in (None, "")):
                errors.append(_("« %(name)s » est obligatoire.") % {"name": name})
            continue
        allowed = dict(backend.allowed).get(name)
        if allowed and value not in allowed:
            errors.append(_("« %(name)s » : seule la valeur %(values)s est acceptée (paiement débité aussitôt, "
                            "en une fois).") % {"name": name, "values": " ou ".join(allowed)})
            continue
        choices = [c[0] if isinstance(c, (list, tuple)) else c for c in parameter.get("choices") or ()]
        if choices and value not in [str(c) for c in choices]:
            errors.append(_("« %(name)s » : choisissez parmi %(choices)s.")
                          % {"name": name, "choices": ", ".join(map(str, choices))})
            continue
        if parameter.get("type") is bool:
            value = value.lower() in ("1", "true", "oui", "yes")
        check = parameter.get("validation")
        try:
            valid = check(value) if check and not isinstance(value, bool) else True
        except Exception:
            valid = False
        if not valid:
            errors.append(_("« %(name)s » n'a pas la forme attendue par la banque.") % {"name": name})
            continue
        cleaned[name] = value
    if not errors:
        errors = _mode_errors(backend, cleaned)
    if errors:
        raise ValidationError({"options": errors})
    return cleaned


def _mode_errors(backend, options):
    """What a régie in production needs: its production secret (SystemPay), its own merchant and key rather
    than the published simulation ones (Sips)."""
    from .providers.signed import _Sips, _SystemPay

    if isinstance(backend, _SystemPay) and options.get("vads_ctx_mode") == "PRODUCTION" and not options.get(
            "secret_production"):
        return [_("« secret_production » est obligatoire en mode PRODUCTION.")]
    if isinstance(backend, _Sips) and options.get("platform") == "prod" and (
            options.get("merchant_id", "").startswith("0020010000000")
            or options.get("secret_key", "").startswith("0020010000000")):
        return [_("En production, « merchant_id » et « secret_key » sont ceux que la banque a donnés à la régie, "
                  "pas ceux de la simulation.")]
    return []


def parse_options_text(text):
    """Staff's "name = value" lines as a dict (ValidationError for a line that is not one)."""
    options = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ValidationError({"options": _("Ligne %(number)d : écrivez « nom = valeur ».") % {"number": number}})
        options[name.strip()] = value.strip()
    return options


def options_text(settings_):
    """A régie's signed-notice bank options as "name = value" lines, its secrets masked."""
    from .providers.signed import BACKENDS

    backend = BACKENDS.get(settings_.get("backend"))
    secret = (lambda name: name in backend.secrets) if backend else (lambda name: True)  # unknown: all masked
    return "\n".join(f"{name} = {MASK if secret(name) and value else value}"
                     for name, value in sorted((settings_.get("options") or {}).items()))


def shown(settings_):
    """A régie's payment settings in words for its history: a secret as a digest, which says that it changed
    without saying it."""
    from .providers.signed import BACKENDS

    backend = BACKENDS.get(settings_.get("backend"))
    parts = []
    for key, value in sorted((settings_ or {}).items()):
        if key != "options":
            parts.append(f"{key}={value}")
            continue
        for name, option in sorted((value or {}).items()):
            if backend is None or name in backend.secrets:
                # Keyed by the site's secret: the digest says a secret changed, and cannot be tried offline.
                option = "#" + hmac.new(settings.SECRET_KEY.encode(), str(option).encode(),
                                        hashlib.sha256).hexdigest()[:8]
            parts.append(f"{name}={option}")
    return ", ".join(parts)
