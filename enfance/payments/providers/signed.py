"""Banks whose notices are signed, through eopayment's own backends: SystemPay, PayZen, Sips 2.0.

These banks cannot be asked about an operation afterwards (eopayment has no `payment_status` for them):
they tell by a notice, posted by their server (and also carried by the payer's return), that they sign
with the shop's own secret. So, unlike PayFiP, a notice is read here, but only once eopayment has checked
its signature, only for the fields the bank signed (the result, the operation's reference, the amount),
and only when it fits the régie's settings (SystemPay's mode, Sips' merchant). Whether a payment is real
or a test is the régie's setting, never the notice's. The caller (attempts.receive) still applies it
under the attempt's lock and only when the reference is the attempt's own.

Not every eopayment backend qualifies: TIPI reads an unsigned query string and calls it signed, and the
dummy backend may be told to trust anything; Paybox signs every shop's notices with its one key, over
fields that name no shop, so a notice paid at any Paybox shop (its public test shop included) with our
reference would check; the backends that ask a bank's API (Mollie, Saga,
Worldline, Keyware) would need their HTTP calls wired and tested first. `BACKENDS` lists what is
enabled; a régie's settings name one of them and its options (config.clean checks them against
eopayment's own description of the backend).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import eopayment
from eopayment import systempayv2
from eopayment.common import FORM, URL, ResponseError

from .base import CANCELLED, ERROR, EXPIRED, PAID, PENDING, REFUSED, Notice, Outcome, Provider, ProviderError, Started

CENT = Decimal("0.01")
STATES = {
    eopayment.PAID: PAID,
    eopayment.DENIED: REFUSED,
    eopayment.CANCELLED: CANCELLED,
    eopayment.EXPIRED: EXPIRED,
    eopayment.WAITING: PENDING,
    eopayment.ACCEPTED: PENDING,  # authorised, not captured yet: no money taken
    eopayment.RECEIVED: PENDING,
    eopayment.ERROR: ERROR,
}
# What we fill per attempt (its own URLs): never typed by staff.
PER_ATTEMPT = ("normal_return_url", "automatic_return_url", "callback")


@dataclass(frozen=True)
class Backend:
    """What we know of one bank beyond eopayment: which of its notice's fields are signed, which options staff
    must type themselves, and the rules a notice must meet against the régie's own settings."""

    label: str
    short_label: str  # the bank's name alone, as staff's lists show it
    amount_field: str  # the signed field that says the amount, in cents
    currency_field: str  # the signed field that says the currency (ISO 4217's number: 978 is the euro)
    by_order_id: bool  # the operation's reference comes back as the response's order_id (else transaction_id)
    secrets: tuple  # options never shown back to staff
    must_type: tuple = ()  # options staff must type even when eopayment has a default (a published test key)
    allowed: tuple = ()  # ((option, (values...)), ...): the values we accept (immediate capture only)
    refused_options: tuple = ("capture_day",)  # eopayment's options we never take (deferred capture)

    def signed_field(self, name) -> bool:
        return True

    def check(self, options, response):
        """ProviderError when the notice does not fit the régie's settings."""

    def is_test(self, options) -> bool:
        raise NotImplementedError

    def secrets_in_use(self, options) -> tuple:
        """The secrets a notice of a payment made with `options` is signed with (the attempt keeps their digest)."""
        return self.secrets


class _SystemPay(Backend):
    def mode(self, options):
        return options.get("vads_ctx_mode") or "TEST"  # eopayment's default

    def signed_field(self, name):
        return name.startswith("vads_")  # SystemPay signs its vads_ fields only

    def check(self, options, response):
        # eopayment picks the secret by the notice's own vads_ctx_mode: a notice in the other mode (or "test" in
        # lower case) is checked with the other secret. Only the régie's mode is ever taken.
        if response.bank_data.get("vads_ctx_mode") != self.mode(options):
            raise ProviderError("the notice's vads_ctx_mode is not the régie's", code="mode")

    def is_test(self, options):
        return self.mode(options) != "PRODUCTION"

    def secrets_in_use(self, options):
        return ("secret_production",) if self.mode(options) == "PRODUCTION" else ("secret_test",)


class _Sips(Backend):
    TEST_MERCHANT_ID = "002001000000001"
    TEST_KEY = "002001000000001_KEY1"

    def check(self, options, response):
        if response.bank_data.get("merchantId") != options.get("merchant_id"):
            raise ProviderError("the notice names another merchant", code="merchant")

    def is_test(self, options):
        return options.get("platform") != "prod"


BACKENDS = {
    "systempayv2": _SystemPay("SystemPay (Banque Populaire, Caisse d'Épargne)", "SystemPay", "vads_amount",
                              "vads_currency", False, ("secret_test", "secret_production"),
                              must_type=("secret_test", "vads_site_id"),
                              allowed=(("vads_payment_config", ("SINGLE",)),)),
    "payzen": _SystemPay("PayZen (Lyra)", "PayZen", "vads_amount", "vads_currency", False,
                         ("secret_test", "secret_production"), must_type=("secret_test", "vads_site_id"),
                         allowed=(("vads_payment_config", ("SINGLE",)),)),
    "sips2": _Sips("Sips 2.0 (Mercanet, Sherlock's, Scellius…)", "Sips 2.0", "amount", "currencyCode", True,
                   ("secret_key",), must_type=("merchant_id", "secret_key"),
                   allowed=(("capture_mode", ("AUTHOR_CAPTURE", "IMMEDIATE")),)),
}
MAX_KEPT_FIELDS, MAX_KEPT_LENGTH = 60, 300


def parameters(kind):
    """eopayment's description of the backend's options, those staff set (not the per-attempt URLs)."""
    return [p for p in eopayment.get_backend(kind).description["parameters"]
            if p["name"] not in PER_ATTEMPT and p.get("scope", "global") == "global"]


# The form of the options whose eopayment check is a function we cannot read (tests/payments/
# test_staff_payment_ux.py probes eopayment's checks with them, so that a change of eopayment shows).
FORMS = {"service_url": "url", "secret_test": "alnum", "secret_production": "alnum"}


@dataclass(frozen=True)
class Rule:
    """What one option of a backend accepts, from eopayment's description (and SystemPay's own parameter table
    for its vads_ fields), narrowed by what we allow (Backend.allowed). No words: config.py says them in French."""

    name: str
    caption: str  # eopayment's
    required: bool  # staff must type it: no default, or a published test value that must never be used
    default: object
    choices: tuple  # the values accepted (empty: any of the right form)
    refused: tuple  # values eopayment knows that we refuse (deferred or split capture)
    form: str  # "digits", "alnum", "url", "bool" or "" (any text)
    length: int | None  # exactly this many characters
    max_length: int | None
    secret: bool
    check: object  # eopayment's validation function, or None

    def default_shown(self):
        """The default staff may rely on, as text ('' when none, or when it must be typed anyway)."""
        if self.required or self.secret or self.default in (None, "") or callable(self.default):
            return ""
        return str(self.default)


def rules(kind):
    """The options staff set for the backend `kind`, each as a Rule, in eopayment's order."""
    backend = BACKENDS[kind]
    allowed = dict(backend.allowed)
    found = []
    for parameter in parameters(kind):
        name = parameter["name"]
        if name in backend.refused_options:
            continue
        spec = systempayv2.PARAMETER_MAP.get(name) if isinstance(backend, _SystemPay) else None
        known = [c[0] if isinstance(c, (list, tuple)) else c for c in (parameter.get("choices") or
                                                                     (spec.choices if spec else None) or ())]
        known = [str(c) for c in known if c != ""]
        choices = tuple(c for c in known if c in allowed[name]) if name in allowed else tuple(known)
        if name in allowed and not known:
            choices = tuple(allowed[name])
        form = FORMS.get(name, "")
        if parameter.get("type") is bool:
            form = "bool"
        elif spec is not None and spec.ptype == "n":
            form = "digits"
        elif spec is not None and spec.ptype in ("an", "a"):
            form = "alnum" if not choices else ""
        found.append(Rule(
            name=name, caption=str(parameter.get("caption") or name),
            required=name in backend.must_type or bool(parameter.get("required") and parameter.get("default")
                                                       in (None, "")),
            default=parameter.get("default"), choices=choices,
            refused=tuple(c for c in known if c not in choices), form=form,
            length=spec.length if spec else None,
            max_length=(spec.max_length if spec else None) or parameter.get("max_length"),
            secret=name in backend.secrets, check=parameter.get("validation")))
    return found


def cents(value) -> Decimal | None:
    if isinstance(value, (list, tuple)):  # Paybox's fields come as parse_qs lists
        value = value[0] if value else None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return (Decimal(number) / 100).quantize(CENT) if number >= 0 else None


class SignedNoticeProvider(Provider):
    """One of BACKENDS with the régie's options (a dict of eopayment options, secrets included)."""

    can_ask = False
    minimal_amount = Decimal("1.00")

    def __init__(self, kind: str, options: dict):
        if kind not in BACKENDS:
            raise LookupError(f"payment backend {kind!r} is not enabled")
        self.kind, self.backend, self.options = kind, BACKENDS[kind], dict(options or {})

    def __repr__(self):
        return f"<SignedNoticeProvider {self.kind}>"  # never the options: they hold the secrets

    def _payment(self, **urls):
        missing = [name for name in self.backend.must_type if not self.options.get(name)]
        if missing:
            # Never eopayment's defaults (Sips' published simulation key): settings saved some other way than
            # staff's form (config.clean) are refused here too.
            raise ProviderError(f"{self.kind}: the régie's settings lack {', '.join(missing)}", code="settings")
        return eopayment.Payment(self.kind, {**self.options, **urls})

    def start(self, *, attempt_id, amount, email, refdet, year, description, notify_url, return_url) -> Started:
        if amount < self.minimal_amount:
            raise ValueError("amount under the bank's minimum")
        try:
            payment = self._payment(normal_return_url=return_url, automatic_return_url=notify_url)
        except ProviderError as error:
            raise ValueError(str(error)) from error  # our settings, not the bank: "payez à la régie"
        try:
            reference, kind, data = payment.request(Decimal(amount), email=email, orderid=refdet)
        except ValueError:  # eopayment's own checks of what we send (an amount, a reference): not the bank's
            raise
        except Exception as error:  # eopayment raises what its backend raises: never let it be a 500
            raise ProviderError(f"{self.kind} refused the request: {type(error).__name__}", code="request") from error
        if kind == FORM:
            fields = tuple((str(f["name"]), str(f["value"])) for f in data.fields)
            return Started(reference=str(reference), url=data.url, form=fields,
                           raw={"backend": self.kind, "reference": str(reference), "url": data.url})
        if kind == URL:
            return Started(reference=str(reference), url=str(data), raw={"backend": self.kind,
                                                                         "reference": str(reference)})
        raise ProviderError(f"{self.kind} answered a kind of request we cannot send ({kind})", code="request")

    def status(self, *, reference, started_at) -> Outcome:
        raise ProviderError(f"{self.kind} cannot be asked: its signed notices tell", code="cannot_ask")

    def read_notice(self, notice: Notice) -> Outcome | None:
        content = notice.content
        if not content:
            return None  # a return without the bank's fields: nothing to read, the notification will tell
        try:
            response = self._payment().response(content)
        except ProviderError:
            raise
        except ResponseError as error:
            raise ProviderError(f"{self.kind}: unreadable notice ({error})", code="unreadable") from error
        except Exception as error:  # a malformed notice must never be a server error
            raise ProviderError(f"{self.kind}: unreadable notice ({type(error).__name__})",
                                code="unreadable") from error
        if response.signed is not True:
            raise ProviderError(f"{self.kind}: the notice's signature does not check", code="signature")
        self.backend.check(self.options, response)
        reference = response.order_id if self.backend.by_order_id else response.transaction_id
        state = STATES.get(response.result, ERROR)
        amount = cents(response.bank_data.get(self.backend.amount_field))
        # Signed too: a notice in another currency (or naming none) is never taken for euros (attempts.apply).
        currency = response.bank_data.get(self.backend.currency_field)
        if isinstance(currency, (list, tuple)):
            currency = currency[0] if currency else ""
        # Test or real is the régie's setting, never the notice's word.
        return Outcome(state=state, reference=str(reference or ""), amount=amount if state == PAID else None,
                       raw=self._loggable(response.bank_data), test=self.backend.is_test(self.options),
                       message=str(response.bank_status or "")[:300], currency=str(currency or "").strip()[:10])

    def claimed_reference(self, notice: Notice) -> str:
        """The reference a notice claims, unchecked (eopayment's guess): only to file a refusal."""
        try:
            return str(eopayment.get_backend(self.kind).guess(
                method=notice.method, query_string=notice.query_string, body=notice.body) or "")
        except Exception:
            return ""

    def _loggable(self, data) -> dict:
        """What the attempt's events keep of a notice: the fields the bank signed only (anything else is
        anybody's), as short strings; the signature dropped, it proves nothing once stored."""
        kept = {}
        for key, value in (data or {}).items():
            key = str(key)
            if key.lower() in ("signature", "seal") or not self.backend.signed_field(key):
                continue
            if len(kept) >= MAX_KEPT_FIELDS:
                break
            if isinstance(value, (list, tuple)):
                value = value[0] if value else ""
            kept[key[:80]] = str(value)[:MAX_KEPT_LENGTH]
        return kept



def claimed_references(notice: Notice) -> set:
    """The references a notice claims, unchecked, by each enabled backend's guess: only to find which attempt's
    own settings check it (attempts.receive_for_regie)."""
    found = set()
    for kind in BACKENDS:
        try:
            reference = eopayment.get_backend(kind).guess(method=notice.method, query_string=notice.query_string,
                                                          body=notice.body)
        except Exception:
            continue
        if reference:
            found.add(str(reference)[:80])
    return found
