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
import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

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


def digest(value, *, length=None):
    """An HMAC (keyed by the site's secret) of a secret or a setting: says whether it is the same as another,
    without saying it, and cannot be tried offline. `length`: the first characters only (the régie's history)."""
    found = hmac.new(settings.SECRET_KEY.encode(), str(value).encode(), hashlib.sha256).hexdigest()
    return found[:length] if length else found


def fingerprint(settings_):
    """A digest of a régie's whole payment settings (secrets included): the régie's form carries the one of the
    settings its page was built from, and the save refuses when the régie's are no longer those."""
    return digest(json.dumps(settings_ or {}, sort_keys=True, default=str))


class SecretChanged(LookupError):
    """An attempt's notice cannot be checked: the régie's secret is no longer the one the attempt started with
    (rotated, or another shop), or the attempt kept no digest of it."""


def options_of(name, regie):
    """What an attempt keeps of its régie's settings when it starts: its notices are checked, and the bank asked
    about it, with these, even after staff change the régie's (another bank, another shop or client number).
    A signed-notice bank's secrets are never kept: only an HMAC digest of each secret in use ("digests"); its
    notice is checked with the régie's current secret while that secret's digest is the attempt's (provider)."""
    if name == PAYFIP:
        options = regie.payment_settings or {}
        return {"numcli": options.get("numcli", ""), "saisie": options.get("saisie", "T")}
    if name == EOPAYMENT:
        from .providers.signed import BACKENDS

        current = regie.payment_settings or {}
        kind = current.get("backend", "")
        backend = BACKENDS.get(kind)
        options = dict(current.get("options") or {})
        secrets = backend.secrets if backend else tuple(options)  # an unknown backend: nothing kept
        in_use = backend.secrets_in_use(options) if backend else ()
        return {"backend": kind,
                "options": {key: value for key, value in options.items() if key not in secrets},
                "digests": {key: digest(options[key]) for key in in_use if options.get(key)}}
    return {}


def can_ask(name):
    """Whether the bank `name` can be asked about an operation (the others only send their signed notices)."""
    return name in (PAYFIP, SANDBOX)


def settings_changed(attempt, regie, *, regie_changed=False):
    """Whether the régie's payment settings are no longer those the attempt started with (another bank, another
    shop or client number, another mode, another secret): such an attempt is never reused for a new payment.
    An attempt of before options were kept (its backend's name only) knows nothing of its settings: it counts as
    changed when the régie's are (`regie_changed`, said by the régie's save) or name another backend."""
    name = provider_name(regie)
    if attempt.provider != name:
        return True
    stored, now = attempt.provider_options or {}, options_of(name, regie)
    if name == EOPAYMENT and "options" not in stored:
        return regie_changed or stored.get("backend") != now.get("backend")
    if name == EOPAYMENT:  # a secret kept on an older attempt is ignored: its digests are what it knows
        stored = {**stored, "options": _without_secrets(stored.get("backend"), stored.get("options") or {}),
                  "digests": stored.get("digests") or {}}
    return stored != now


def _without_secrets(kind, options):
    from .providers.signed import BACKENDS

    backend = BACKENDS.get(kind)
    secrets = backend.secrets if backend else tuple(options)
    return {key: value for key, value in options.items() if key not in secrets}


def attempt_is_test(attempt):
    """Whether the attempt is a bank's test transaction (no money taken): the bank said so, or the settings it
    started with are a test mode (PayFiP's T, SystemPay's TEST, Sips' test platform). The sandbox's payments are
    the demonstration's money, recorded as such: not test transactions here."""
    if attempt.provider == SANDBOX:
        return False
    if attempt.test:
        return True
    options = attempt.provider_options or {}
    if attempt.provider == PAYFIP:
        return options.get("saisie", "T") == "T"
    if attempt.provider == EOPAYMENT and "options" in options:
        from .providers.signed import BACKENDS

        backend = BACKENDS.get(options.get("backend"))
        return backend is not None and backend.is_test(options["options"])
    return False


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
        if options and "options" in options:  # the attempt's own settings, and the régie's secrets if still its
            return SignedNoticeProvider(options.get("backend", ""), attempt_options(options, current))
        kind = (options or {}).get("backend") or current.get("backend", "")
        if current.get("provider") != EOPAYMENT or current.get("backend") != kind:
            # An attempt that kept its backend's name only (before options were kept), and staff moved the régie
            # to another bank since: that bank's secrets are gone, nothing can be checked.
            raise LookupError(f"the régie no longer pays through {kind!r}")
        return SignedNoticeProvider(kind, current.get("options") or {})
    raise LookupError(f"no payment provider {name!r}")


def attempt_options(stored, current):
    """The options a signed-notice bank's notice for an attempt is checked with: the attempt's own (`stored`,
    from options_of), with each secret in use taken from the régie's settings now (`current`) only when its
    digest is the one the attempt kept (same backend, same key). SecretChanged otherwise: the notice is not
    read. A secret stored on an older attempt is ignored; a secret not in use gets an unguessable value, so
    nothing signed with any key checks against it."""
    import secrets as random

    from .providers.signed import BACKENDS

    kind = stored.get("backend", "")
    backend = BACKENDS.get(kind)
    if backend is None:
        raise LookupError(f"payment backend {kind!r} is not enabled")
    options = _without_secrets(kind, stored.get("options") or {})
    digests = stored.get("digests") or {}
    now = (current.get("options") or {}) if current.get("provider") == EOPAYMENT and current.get(
        "backend") == kind else {}
    in_use = backend.secrets_in_use(options)
    for name in backend.secrets:
        if name not in in_use:
            options[name] = random.token_hex(32)
            continue
        value = now.get(name)
        if not digests.get(name) or not value or not hmac.compare_digest(digest(value), digests[name]):
            raise SecretChanged(f"the régie's {name} is no longer the one this attempt started with")
        options[name] = value
    return options


def provider_label(name, options, test=None, *, mode=True):
    """The bank in words for staff's lists and pages: PayFiP, SystemPay, PayZen, Sips 2.0 or Banque de test,
    with "(test)" or "(production)" from the settings `options` the attempt started with (options_of). `test`:
    what the bank said of a payment, for an attempt whose settings do not say. `mode` False: the name alone."""
    options = options or {}
    shown_mode = mode
    mode = None
    if name == SANDBOX:
        return _("Banque de test")
    if name == PAYFIP:
        label = "PayFiP"
        mode = {"T": _("test"), "X": _("activation"), "W": _("production")}.get(options.get("saisie"))
    elif name == EOPAYMENT:
        from .providers.signed import BACKENDS

        backend = BACKENDS.get(options.get("backend"))
        label = backend.short_label if backend else (options.get("backend") or _("Banque"))
        if backend is not None and "options" in options:
            mode = _("test") if backend.is_test(options["options"]) else _("production")
    else:
        label = name or "—"
    if mode is None and test is not None:
        mode = _("test") if test else _("production")
    return f"{label} ({mode})" if mode and shown_mode else label


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
    description of the backend (providers.signed.rules: required, choices, form): the dict to store. A secret
    typed back as MASK keeps the stored one (`stored`: the régie's options before the change). Each message
    names the option and what it accepts."""
    from .providers.signed import BACKENDS, rules

    if kind not in BACKENDS:
        raise ValidationError({"backend": _("Choisissez la banque.")})
    backend = BACKENDS[kind]
    refused = [name for name in backend.refused_options if name in typed]
    if refused:
        raise ValidationError({"options": [
            _("« %(name)s » est refusé : le paiement est débité aussitôt, en une fois (pas de remise différée). "
              "Retirez cette ligne.") % {"name": name} for name in refused] + [kept_message()]})
    known = {rule.name: rule for rule in rules(kind)}
    unknown = sorted(set(typed) - set(known))
    if unknown:
        raise ValidationError({"options": [
            _("Paramètre inconnu de cette banque : %(names)s.") % {"names": ", ".join(unknown)},
            _("Ceux de %(bank)s : %(known)s.") % {"bank": backend.short_label, "known": ", ".join(known)},
            kept_message()]})
    cleaned, errors = {}, []
    for name, rule in known.items():
        value = str(typed.get(name, "") or "").strip()
        if value == MASK and rule.secret:
            value = str(stored.get(name, "") or "")
            if not value:
                errors.append(_("« %(name)s » : ressaisissez ce secret (il n'est pas enregistré pour cette "
                                "banque).") % {"name": name})
                continue
        if not value:
            if rule.required:
                errors.append(_("« %(name)s » est obligatoire (%(accepted)s).")
                              % {"name": name, "accepted": accepted(rule)})
            continue
        if rule.choices and value not in rule.choices:
            if value in rule.refused:
                errors.append(_("« %(name)s » : %(values)s seulement (paiement débité aussitôt, en une fois).")
                              % {"name": name, "values": _either(rule.choices)})
            else:
                errors.append(_("« %(name)s » : %(values)s, pas « %(typed)s ».")
                              % {"name": name, "values": _either(rule.choices), "typed": value[:40]})
            continue
        if rule.form == "bool":
            value = value.lower() in ("1", "true", "oui", "yes")
        try:
            valid = rule.check(value) if rule.check and not isinstance(value, bool) else True
        except Exception:
            valid = False
        if not valid:
            errors.append(_("« %(name)s » n'a pas la forme attendue par la banque : %(accepted)s.")
                          % {"name": name, "accepted": accepted(rule)})
            continue
        cleaned[name] = value
    if not errors:
        errors = _mode_errors(backend, cleaned)
    if errors:
        raise ValidationError({"options": errors + [kept_message()]})
    return cleaned


def kept_message():
    return _("Rien n'est enregistré tant que ce n'est pas corrigé ; votre saisie est conservée dans le champ "
             "(les secrets déjà enregistrés restent masqués).")


def _either(values):
    quoted = [f"« {value} »" for value in values]
    if len(quoted) < 2:
        return "".join(quoted)
    return _("%(first)s ou %(last)s") % {"first": ", ".join(quoted[:-1]), "last": quoted[-1]}


def accepted(rule):
    """What the option `rule` (providers.signed.Rule) accepts, in words."""
    if rule.choices:
        return _either(rule.choices)
    if rule.form == "bool":
        return _("oui ou non")
    if rule.form == "digits":
        if rule.length:
            return _("%(n)d chiffres") % {"n": rule.length}
        if rule.max_length:
            return _("un nombre, %(n)d chiffres au plus") % {"n": rule.max_length}
        return _("un nombre")
    if rule.form == "alnum":
        return _("lettres et chiffres, sans espace ni signe") if not rule.length else (
            _("%(n)d lettres ou chiffres") % {"n": rule.length})
    if rule.form == "url":
        return _("une adresse web, https://…")
    return _("un texte donné par la banque")


CAPTIONS = {
    "service_url": _lazy("Adresse du service de paiement (ne la changez que si la banque le demande)"),
    "secret_test": _lazy("Clé de test (le « certificat » de test de l'espace de la banque)"),
    "secret_production": _lazy("Clé de production (obligatoire en mode PRODUCTION)"),
    "signature_algo": _lazy("Algorithme de signature, celui choisi dans l'espace de la banque"),
    "vads_ctx_mode": _lazy("Mode : TEST pour les essais, PRODUCTION pour les vrais paiements"),
    "vads_site_id": _lazy("Identifiant de la boutique"),
    "vads_payment_config": _lazy("Paiement en une fois"),
    "capture_day": _lazy("Délai avant la remise en banque, en jours (vide : aussitôt)"),
    "platform": _lazy("Plateforme : test (simulation) ou prod (vrais paiements)"),
    "merchant_id": _lazy("Identifiant du commerçant donné par la banque"),
    "secret_key": _lazy("Clé secrète donnée par la banque"),
    "key_version": _lazy("Version de la clé"),
    "currency_code": _lazy("Monnaie : 978, l'euro"),
    "capture_mode": _lazy("Mode de remise en banque"),
    "payment_means": _lazy("Cartes acceptées (vide : toutes celles du contrat)"),
    "timezone": _lazy("Fuseau horaire du serveur de la banque"),
}


def parameter_table(kind):
    """The rows of the table staff read beside the options of the bank `kind`: name, what it is, whether it is
    required, what it accepts and its default, from eopayment's own description (providers.signed.rules)."""
    from .providers.signed import rules

    rows = []
    for rule in rules(kind):
        required = _("oui") if rule.required else _("non")
        if rule.name == "secret_production" and kind in ("systempayv2", "payzen"):
            required = _("en mode PRODUCTION")  # _mode_errors
        rows.append({"name": rule.name, "caption": CAPTIONS.get(rule.name, rule.caption), "required": required,
                     "accepted": accepted(rule), "default": rule.default_shown(), "secret": rule.secret})
    return rows


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


SEPARATOR = re.compile(r"\s*[=:]\s*")


def parse_options_text(text):
    """Staff's "name = value" (or "name: value") lines as a dict (ValidationError for a line that is not one, or
    for a name written twice: never "the last one wins", a new secret above its masked line would be dropped).
    The name ends at the first "=" or ":", so a value may hold either (an address, a key ending in "=")."""
    options, lines = {}, {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = SEPARATOR.split(line, maxsplit=1)
        name = parts[0].strip()
        if len(parts) < 2 or not name or " " in name:
            raise ValidationError({"options": [
                _("Ligne %(number)d : écrivez « nom = valeur » ou « nom : valeur ».") % {"number": number},
                kept_message()]})
        if name in lines:
            raise ValidationError({"options": [
                _("« %(name)s » est écrit deux fois (lignes %(first)d et %(second)d) : gardez une seule ligne.")
                % {"name": name, "first": lines[name], "second": number}, kept_message()]})
        lines[name] = number
        options[name] = parts[1].strip()
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
                option = "#" + digest(option, length=8)
            parts.append(f"{name}={option}")
    return ", ".join(parts)
