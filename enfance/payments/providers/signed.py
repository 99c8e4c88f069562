"""Banks whose notices are signed, through eopayment's own backends: SystemPay, PayZen, Paybox, Sips 2.0.

These banks cannot be asked about an operation afterwards (eopayment has no `payment_status` for them):
they tell by a notice, posted by their server (and also carried by the payer's return), that they sign
with a secret or a key nobody else holds. So, unlike PayFiP, a notice is read here, but only once
eopayment has checked its signature, and only for the fields the bank signed: the result, the
operation's reference, the amount, the test flag. The caller (attempts.receive) still applies it under
the attempt's lock and only when the reference is the attempt's own.

Not every eopayment backend qualifies: TIPI reads an unsigned query string and calls it signed, and the
dummy backend may be told to trust anything; the backends that ask a bank's API (Mollie, Saga,
Worldline, Keyware) would need their HTTP calls wired and tested first. `BACKENDS` lists what is
enabled; a régie's settings name one of them and its options (config.clean checks them against
eopayment's own description of the backend).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import eopayment
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
    label: str
    amount_field: str  # the signed field that says the amount, in cents
    by_order_id: bool  # the operation's reference comes back as the response's order_id (else transaction_id)
    secrets: tuple  # options never shown back to staff
    callback_flag: bool = False  # eopayment reads the server's notice with response(..., callback=True)

    def is_test(self, options, response) -> bool:
        return bool(response.test)


class _Paybox(Backend):
    def is_test(self, options, response):
        # Paybox's notices do not say it: its test platform is the régie's setting.
        return bool(response.test) or (options.get("platform") or "test") != "prod"


BACKENDS = {
    "systempayv2": Backend("SystemPay (Banque Populaire, Caisse d'Épargne)", "vads_amount", False,
                           ("secret_test", "secret_production")),
    "payzen": Backend("PayZen (Lyra)", "vads_amount", False, ("secret_test", "secret_production")),
    "paybox": _Paybox("Paybox / Verifone (Crédit Agricole, LCL…)", "montant", True, ("shared_secret", "cle"),
                      callback_flag=True),
    "sips2": Backend("Sips 2.0 (Mercanet, Sherlock's, Scellius…)", "amount", True, ("secret_key",)),
}


def parameters(kind):
    """eopayment's description of the backend's options, those staff set (not the per-attempt URLs)."""
    return [p for p in eopayment.get_backend(kind).description["parameters"]
            if p["name"] not in PER_ATTEMPT and p.get("scope", "global") == "global"]


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
        return eopayment.Payment(self.kind, {**self.options, **urls})

    def start(self, *, attempt_id, amount, email, refdet, year, description, notify_url, return_url) -> Started:
        if amount < self.minimal_amount:
            raise ValueError("amount under the bank's minimum")
        payment = self._payment(normal_return_url=return_url, automatic_return_url=notify_url)
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
        kwargs = {"callback": True} if self.backend.callback_flag and notice.from_bank else {}
        try:
            response = self._payment().response(content, **kwargs)
        except ResponseError as error:
            raise ProviderError(f"{self.kind}: unreadable notice ({error})", code="unreadable") from error
        except Exception as error:  # a malformed notice must never be a server error
            raise ProviderError(f"{self.kind}: unreadable notice ({type(error).__name__})",
                                code="unreadable") from error
        if response.signed is not True:
            raise ProviderError(f"{self.kind}: the notice's signature does not check", code="signature")
        reference = response.order_id if self.backend.by_order_id else response.transaction_id
        state = STATES.get(response.result, ERROR)
        amount = cents(response.bank_data.get(self.backend.amount_field))
        raw = _loggable(response.bank_data)
        return Outcome(state=state, reference=str(reference or ""), amount=amount if state == PAID else None,
                       raw=raw, test=self.backend.is_test(self.options, response),
                       message=str(response.bank_status or "")[:300])


def _loggable(data) -> dict:
    """The bank's fields as the attempt's events keep them: strings, no card data beyond what the bank sent
    in clear (banks never send the card number; the signature is dropped, it proves nothing once stored)."""
    kept = {}
    for key, value in (data or {}).items():
        if str(key).lower() in ("signature", "seal", "vads_hash"):
            continue
        if isinstance(value, (list, tuple)):
            value = value[0] if len(value) == 1 else list(map(str, value))
        kept[str(key)[:80]] = value if isinstance(value, (str, int, list)) else str(value)
    return kept

