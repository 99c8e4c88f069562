"""Our own interface to an online payment provider (plain Python, no Django).

The services talk to a `Provider`; each bank sits behind one adapter (payfip.py for the
DGFiP's PayFiP). Two rules shape it:

- an outcome is only ever read from the bank over its own channel: `status()` asks the bank
  about the reference stored on our attempt. For most banks the notification and the payer's
  return only say "go and ask"; nothing they carry is trusted. A bank that cannot be asked
  (SystemPay, Paybox, Sips: `can_ask` False) signs its notices instead, with a secret or a key
  it shares with nobody else: `read_notice()` reads one only once its signature checks, and
  the reference it names must be the attempt's.
- the amount asked for comes from our records (`start(amount=...)`), and the amount the bank
  reports as paid comes back in `Outcome.amount` so that the caller can compare the two.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

PENDING = "pending"  # the payer has not decided yet (or the bank does not know yet)
PAID = "paid"
REFUSED = "refused"  # the card or the debit was refused
CANCELLED = "cancelled"  # the payer gave up on the bank's page
EXPIRED = "expired"  # the operation is over without a payment (abandoned, forgotten by the bank)
ERROR = "error"  # the bank answered something we cannot interpret

STATES = (PENDING, PAID, REFUSED, CANCELLED, EXPIRED, ERROR)
EURO = "978"  # ISO 4217's number of the euro, the only currency a régie is paid in
FINAL_STATES = frozenset({PAID, REFUSED, CANCELLED, EXPIRED})


class ProviderError(Exception):
    """Talking to the bank went wrong: network, SOAP fault, an answer we cannot read.

    `str(error)` is safe to log (no e-mail address, no card data); `code` is the bank's error
    code when it gave one (PayFiP's "P1", "R3"...), else a short word of ours.
    """

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Started:
    """A payment operation opened at the bank."""

    reference: str  # the bank's identifier of the operation (PayFiP's idop): store it on the attempt
    url: str  # where to send the payer
    raw: dict = field(default_factory=dict)
    form: tuple = ()  # ((name, value), ...) that the payer's browser POSTs to `url`; empty: a plain link


@dataclass(frozen=True)
class Notice:
    """What a bank's notification or the payer's return brought, as received (nothing in it trusted yet)."""

    method: str
    query_string: str
    body: bytes = b""

    @property
    def content(self) -> str:
        """The form data: the POST's body if it has one, else the query string."""
        if self.method == "POST" and self.body:
            return self.body.decode("utf-8", "replace")
        return self.query_string


@dataclass(frozen=True)
class Outcome:
    """What the bank says about an operation, asked over its own channel."""

    state: str
    reference: str
    amount: Decimal | None  # the bank's montant for the operation (a payment only when state is paid)
    raw: dict
    test: bool  # a test transaction (PayFiP saisie "T"): never a real payment
    message: str = ""  # a short explanation, safe to log
    # The currency the bank names (ISO 4217's number, "978" the euro; "" when a notice names none); None when the
    # bank only ever works in euros and does not say (PayFiP, the sandbox). Anything but the euro is left to staff.
    currency: str | None = None

    def __post_init__(self):
        if self.state not in STATES:
            raise ValueError(f"unknown payment state {self.state!r}")

    @property
    def in_euros(self) -> bool:
        return self.currency is None or self.currency == EURO

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class Provider:
    """What the payment services expect of a bank adapter."""

    minimal_amount: Decimal = Decimal("0.01")
    maximal_amount: Decimal | None = None
    can_ask: bool = True  # status() asks the bank; False: only a signed notice tells (read_notice)

    def start(
        self,
        *,
        attempt_id,
        amount: Decimal,
        email: str,
        refdet: str,
        year: int | str,
        description: str,
        notify_url: str,
        return_url: str,
    ) -> Started:
        """Open an operation at the bank for `amount` (from our records) and return where to send
        the payer. `notify_url` and `return_url` are this attempt's own URLs. Raises ValueError
        for bad input (before any network call) and ProviderError when the bank could not be
        reached or refused the request."""
        raise NotImplementedError

    def status(self, *, reference: str, started_at: datetime.datetime) -> Outcome:
        """Ask the bank, over its own channel, what became of the operation `reference`, opened
        at `started_at` (aware). Raises ProviderError when the bank could not answer."""
        raise NotImplementedError

    def read_notice(self, notice: Notice) -> Outcome | None:
        """For a bank that signs its notices: the Outcome a notice proves once its signature checks, or None
        when it carries nothing to read (a bare return). Raises ProviderError for a notice that does not
        check (forged, altered, unreadable). Banks that are asked (the default) trust no notice: None."""
        return None
