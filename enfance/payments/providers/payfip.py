"""PayFiP (the DGFiP's card payment service for public bodies) through eopayment's ``payfip_ws``.

One eopayment ``Payment`` is built per call, with the attempt's own notification and return
URLs; its SOAP client is given our HTTP session (tests and the simulator plug in there) and the
WSDL already parsed by this thread (parsing it is the slow part of a call).

eopayment 3.15 rules worth knowing (see ``payfip_ws.Payment.payment_status``):

- fault P5 (result not known yet) reads as *pending* for 120 minutes after ``started_at``, then
  as *expired*; P1 (unknown idop: never received, or forgotten by PayFiP's night clean-up) reads
  as *expired* at once. So ``started_at`` must be the real start of the attempt.
- a *cancelled* answer reads as *pending* for the first 2 minutes after the bank's own
  dattrans/heurtrans (minute precision, Europe/Paris): the payer may still come back and pay
  with the same idop. Ask again later; do not close the attempt on that pending.
- eopayment logs the request's keyword arguments (the payer's e-mail among them) at DEBUG level:
  keep the ``eopayment`` logger at INFO or above in production.
"""

from __future__ import annotations

import datetime
import re
import threading
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import eopayment
import requests
import zeep
import zeep.wsdl
from eopayment import payfip_ws
from requests.adapters import BaseAdapter
from zeep.transports import Transport

from .base import CANCELLED, ERROR, EXPIRED, PAID, PENDING, REFUSED, Outcome, Provider, ProviderError, Started

SAISIE_CHOICES = ("T", "X", "W")  # test, activation (first real payments), production
REFDET_RE = re.compile(r"^[A-Za-z0-9]{6,30}$")
NUMCLI_RE = re.compile(r"^[0-9]{6}$")
IDOP_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")
CENTS_RE = re.compile(r"^[0-9]{1,11}$")
CENT = Decimal("0.01")
MAX_URL_LENGTH = 250  # PayFiP's limit on urlnotif and urlredirect

STATES = {
    eopayment.PAID: PAID,
    eopayment.DENIED: REFUSED,
    eopayment.CANCELLED: CANCELLED,
    eopayment.WAITING: PENDING,
    eopayment.EXPIRED: EXPIRED,
    eopayment.ERROR: ERROR,
}
DEFAULT_MESSAGES = {
    PENDING: "PayFiP does not know the result yet",
    EXPIRED: "the operation expired or is unknown to PayFiP",
}

_local = threading.local()


class _NoNetwork(BaseAdapter):
    """Loading the bundled WSDL reads local files only: never let it try the network."""

    def send(self, request, **kwargs):
        raise requests.ConnectionError(f"no network while loading the PayFiP WSDL: {request.url}")

    def close(self):
        pass


def _wsdl_document(wsdl_url):
    # One parsed WSDL per thread: zeep makes no promise that a Document may be shared between
    # threads, and every call gets its own Client (and so its own transport and session).
    documents = _local.__dict__.setdefault("documents", {})
    document = documents.get(wsdl_url)
    if document is None:
        session = requests.Session()
        session.trust_env = False
        session.mount("http://", _NoNetwork())
        session.mount("https://", _NoNetwork())
        document = documents[wsdl_url] = zeep.wsdl.Document(wsdl_url, Transport(session=session))
    return document


def _default_session():
    # Production: one session per thread keeps the TLS connection to PayFiP alive between calls.
    session = _local.__dict__.get("session")
    if session is None:
        session = _local.session = requests.Session()
    return session


class _PayFiP(payfip_ws.PayFiP):
    """eopayment's SOAP wrapper, its zeep client built on this thread's parsed WSDL."""

    @property
    def client(self):
        client = self.__dict__.get("_enfance_client")
        if client is None:
            try:
                document = _wsdl_document(self.wsdl_url)
            except Exception as error:
                raise payfip_ws.PayFiPError("WSDL", f"could not load the PayFiP WSDL: {error}") from error
            client = self.__dict__["_enfance_client"] = zeep.Client(document, **(self.zeep_client_kwargs or {}))
        return client


def cents_to_decimal(value) -> Decimal | None:
    """PayFiP's montant (a string of cents) as euros, None when absent or unreadable."""
    if value is None or not CENTS_RE.match(str(value)):
        return None
    return (Decimal(int(value)) / 100).quantize(CENT)


class PayFiPProvider(Provider):
    """Card payment through PayFiP's web service (``creerPaiementSecurise`` then
    ``recupererDetailPaiementSecurise``)."""

    minimal_amount = Decimal("1.00")
    maximal_amount = Decimal("100000.00")

    def __init__(self, numcli, saisie, *, session: requests.Session | None = None, timeout: float = 15):
        numcli = str(numcli)
        if not NUMCLI_RE.match(numcli):
            raise ValueError("PayFiP numcli must be the 6 digits given by the DGFiP")
        if saisie not in SAISIE_CHOICES:
            raise ValueError("PayFiP saisie must be T (test), X (activation) or W (production)")
        self.numcli = numcli
        self.saisie = saisie
        self.session = session
        self.timeout = timeout

    def __repr__(self):
        return f"<PayFiPProvider numcli={self.numcli} saisie={self.saisie}>"

    # -- eopayment plumbing --------------------------------------------------------------

    def _backend(self, *, notify_url="", return_url=""):
        payment = eopayment.Payment(
            eopayment.PAYFIP_WS,
            {
                "numcli": self.numcli,
                "saisie": self.saisie,
                "normal_return_url": return_url,
                "automatic_return_url": notify_url,
            },
        )
        # Configuration of this instance, not a change to the library: same wrapper, our transport.
        transport = Transport(session=self.session or _default_session())
        payment.backend.payfip = _PayFiP(zeep_client_kwargs={"transport": transport})
        return payment

    def check_client(self) -> dict:
        """``recupererDetailClient``: PayFiP's labels for our numcli (a configuration check)."""
        try:
            response = self._backend().backend.payfip.get_info_client(self.numcli, timeout=self.timeout)
        except payfip_ws.PayFiPError as error:
            raise _provider_error(error) from error
        if response is None:
            raise ProviderError("PayFiP: empty answer to recupererDetailClient", code="answer")
        return {key: response[key] for key in response}

    # -- Provider ------------------------------------------------------------------------

    def start(self, *, attempt_id, amount, email, refdet, year, description, notify_url, return_url) -> Started:
        amount = self._clean_amount(amount)
        email = _clean_email(email)
        refdet = _clean_refdet(refdet)
        year = _clean_year(year)
        notify_url = _clean_url(notify_url, "notify_url")
        return_url = _clean_url(return_url, "return_url")
        backend = self._backend(notify_url=notify_url, return_url=return_url)
        try:
            idop, _kind, url = backend.request(
                str(amount),
                email=email,
                refdet=refdet,
                exer=year,
                subject=description or None,
                timeout=self.timeout,
            )
        except payfip_ws.PayFiPError as error:
            raise _provider_error(error) from error
        # A missing idOp comes back from eopayment as the string "None".
        if not IDOP_RE.match(idop or "") or idop == "None":
            raise ProviderError("PayFiP: creerPaiementSecurise answered without a usable idOp", code="answer")
        return Started(
            reference=idop,
            url=url,
            raw={
                "idop": idop,
                "attempt_id": str(attempt_id),
                "numcli": self.numcli,
                "saisie": self.saisie,
                "refdet": refdet,
                "exer": year,
                "montant": _cents(amount),
            },
        )

    def status(self, *, reference, started_at) -> Outcome:
        if not reference or not isinstance(reference, str):
            raise ValueError("status() needs the reference PayFiP gave at start (idop)")
        if not isinstance(started_at, datetime.datetime) or started_at.tzinfo is None:
            # eopayment would compare it with a naive local "now", and P5 would never expire without it.
            raise ValueError("started_at must be an aware datetime")
        backend = self._backend()
        try:
            response = backend.payment_status(
                transaction_id=reference, transaction_date=started_at, timeout=self.timeout
            )
        except payfip_ws.PayFiPError as error:
            raise _provider_error(error) from error
        except (AttributeError, KeyError, TypeError) as error:
            # e.g. an envelope without <return>: eopayment then reads attributes of None
            raise ProviderError(
                f"PayFiP: unreadable answer to recupererDetailPaiementSecurise ({type(error).__name__})", code="answer"
            ) from error
        return self._outcome(reference, response)

    def _outcome(self, reference, response) -> Outcome:
        state = STATES.get(response.result, ERROR)
        raw = dict(response.bank_data or {})
        if raw:
            if raw.get("idOp") not in (None, reference) or raw.get("numcli") not in (None, self.numcli):
                raise ProviderError("PayFiP: answer about another operation or client", code="answer")
            test = bool(response.test)
        else:
            test = self.saisie == "T"
        amount = cents_to_decimal(raw.get("montant"))
        if state == PAID and amount is None:
            raise ProviderError("PayFiP: paid without a readable montant", code="answer")
        message = str(response.bank_status or DEFAULT_MESSAGES.get(state, ""))
        raw["eopayment_result"] = eopayment.STATUS_NAME.get(response.result, str(response.result))
        if response.bank_status:
            raw["bank_status"] = str(response.bank_status)
        return Outcome(state=state, reference=reference, amount=amount, raw=raw, test=test, message=message)

    def _clean_amount(self, amount) -> Decimal:
        if isinstance(amount, float) or isinstance(amount, bool):
            raise ValueError("amount must be a Decimal, not a float")
        try:
            amount = Decimal(amount)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError("amount must be a number of euros") from None
        if not amount.is_finite() or amount != amount.quantize(CENT):
            raise ValueError("amount must be a whole number of cents")
        if not self.minimal_amount <= amount <= self.maximal_amount:
            raise ValueError(f"PayFiP takes amounts from {self.minimal_amount} to {self.maximal_amount} euros")
        return amount.quantize(CENT)


def _cents(amount: Decimal) -> str:
    return str(int(amount * 100))


def _clean_email(email) -> str:
    # The address is not repeated in the message: these end up in logs.
    if not isinstance(email, str) or "@" not in email or not 6 <= len(email) <= 80 or any(c.isspace() for c in email):
        raise ValueError("the payer's e-mail must be 6 to 80 characters, with an @ and no space")
    return email


def _clean_refdet(refdet) -> str:
    if not isinstance(refdet, str) or not REFDET_RE.match(refdet):
        raise ValueError("refdet must be 6 to 30 letters and digits (no space, dash or accent)")
    return refdet


def _clean_year(year) -> str:
    year = str(year)
    if not re.fullmatch(r"[0-9]{4}", year):
        raise ValueError("year (PayFiP exer) must be 4 digits")
    return year


def _clean_url(url, name) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL_LENGTH:
        raise ValueError(f"{name} must be an absolute http(s) URL of at most {MAX_URL_LENGTH} characters")
    return url


# eopayment's own words for failures that are not PayFiP functional faults
_EOPAYMENT_CODES = {
    "HTTP error": "network",  # connection, TLS, timeout
    "SOAP error": "answer",  # not a SOAP envelope, or not the expected one
    "unknown": "fault",  # a SOAP fault other than FonctionnelleErreur (TechDysfonctionnementErreur...)
    "inconnu": "fault",  # a FonctionnelleErreur without a code
    "Unexpected error": "unexpected",
    "Cound not initialize the SOAP client": "client",  # sic
    "WSDL": "client",
}


def _provider_error(error: payfip_ws.PayFiPError) -> ProviderError:
    """A PayFiPError as a ProviderError whose message is safe to log; `code` is PayFiP's code
    (P1, R3...) for a functional fault, else network, answer, fault, unexpected or client."""
    code = str(error.code or "unknown")
    code = _EOPAYMENT_CODES.get(code, code)
    detail = error.message
    if isinstance(detail, BaseException):
        detail = f"{type(detail).__name__}: {detail}"
    text = f"PayFiP {code}: {detail}"
    if len(text) > 300:
        text = text[:297] + "..."
    return ProviderError(text, code=code if len(code) <= 20 else "unexpected")
