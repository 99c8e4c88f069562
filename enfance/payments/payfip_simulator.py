"""A local PayFiP web service, at the HTTP layer: TEST INFRASTRUCTURE ONLY.

It answers the real SOAP operations of the DGFiP's ``PaiementSecuriseService`` (the WSDL
bundled with eopayment, service address ``https://www.payfip.gouv.fr/tpa/services/securite``)
so that eopayment's ``payfip_ws`` backend, zeep and our adapter all run for real, only the
last hop (the socket) being replaced:

- ``creerPaiementSecurise`` validates the request, records it and hands out a new random
  operation identifier (idop);
- ``recupererDetailPaiementSecurise`` answers the fault P5 (result not known yet) while the
  payer has not decided, the outcome once they have (resultrans P paid, R refused, A
  cancelled, with dattrans/heurtrans in Europe/Paris, numauto, montant in cents...), and P1
  for an identifier it does not know (never issued, or forgotten: see ``expire``);
- ``recupererDetailClient`` describes a known client number.

Faults have the real JAX-WS shape that eopayment's ``PayFiP.fault_to_exception`` reads: HTTP
500, ``faultstring`` the Java exception class, ``detail/FonctionnelleErreur`` with code,
descriptif, libelle, severite. The functional codes are our reading of the public DGFiP
integration guide as other integrations quote it; check them against the guide before relying
on the exact code anywhere but in tests:

====  =================================================================
T1    numcli is not 6 digits
T2    numcli unknown to PayFiP (register it with ``register_client``)
S1    saisie is not T, X or W
M1    montant is not a whole number of cents
M3    montant below 1 euro (100 cents)
M5    montant above 100,000 euros (10,000,000 cents)
A1    mel missing
A2    mel malformed (no @, or not 6 to 80 characters)
R3    refdet is not 6 to 30 letters and digits
N1    urlnotif missing, not http(s) or longer than 250 characters
D1    urlredirect missing, not http(s) or longer than 250 characters
P1    idOp unknown ("IdOp incorrect.")
P5    result of the transaction not known yet
====  =================================================================

What the payer does at the treasury's page is played by ``simulator.pay(idop)``,
``refuse(idop)``, ``cancel(idop)`` and ``expire(idop)`` (the night clean-up: the idop is then
unknown, P1). ``simulator.fail_next(kind)`` makes the next call fail ("network", "timeout",
"technical" fault, "garbage" answer). ``simulator.requests()`` lists the SOAP calls received,
with their fields, for tests asserting what was sent.

The state is module-level and guarded by a lock: the Django live server and the PostgreSQL
concurrency tests call it from several threads.

Use::

    from enfance.payments import payfip_simulator
    session = payfip_simulator.simulated_session()   # payfip.gouv.fr answered here, others refused
    provider = PayFiPProvider("123456", "T", session=session)

Opt-in: production code never imports this module (the PayFiP adapter does not know it). It
refuses to be imported unless running tests (pytest, or ``ENFANCE_TESTING``) or explicitly
enabled with ``ENFANCE_PAYFIP_SIMULATOR=1`` (a demo without a bank); a deployment that loads it
by mistake fails loudly instead of accepting payments nobody made.
"""

from __future__ import annotations

import copy
import datetime
import os
import re
import sys
import threading
import uuid
import zoneinfo
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import requests
from lxml import etree
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


def _opted_in():
    flag = {"1", "true", "yes", "on"}
    return (
        "pytest" in sys.modules
        or os.environ.get("ENFANCE_TESTING", "").lower() in flag
        or os.environ.get("ENFANCE_PAYFIP_SIMULATOR", "").lower() in flag
    )


if not _opted_in():
    raise ImportError(
        "enfance.payments.payfip_simulator is test infrastructure: set ENFANCE_PAYFIP_SIMULATOR=1 to use it outside tests"
    )


BASE_URL = "https://www.payfip.gouv.fr/"
SERVICE_PATH = "/tpa/services/securite"
SERVICE_URL = BASE_URL.rstrip("/") + SERVICE_PATH
DEFAULT_NUMCLI = "123456"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
EXCEPTIONS = "fr.gouv.finances.cp.tpa.webservice.exceptions."

REFDET_RE = re.compile(r"^[A-Za-z0-9]{6,30}$")
NUMCLI_RE = re.compile(r"^[0-9]{6}$")
CENTS_RE = re.compile(r"^[0-9]{1,11}$")

# resultrans codes of the real service (V and Z are the direct-debit variants)
PAID, REFUSED, CANCELLED = "P", "R", "A"

FAILURES = ("network", "timeout", "technical", "garbage")

MESSAGES = {
    "T1": "Le numéro de client doit comporter 6 chiffres.",
    "T2": "Le numéro de client doit être préexistant dans la base PayFiP.",
    "S1": "Le mode de saisie est incorrect.",
    "M1": "Le format du montant n'est pas correct.",
    "M3": "Le montant doit être supérieur ou égal à 1 euro.",
    "M5": "Le montant dépasse le montant maximum autorisé.",
    "A1": "L'adresse électronique n'est pas renseignée.",
    "A2": "L'adresse électronique est incorrecte.",
    "R3": "Le format du paramètre REFDET n'est pas conforme.",
    "N1": "L'URL de notification n'est pas valide.",
    "D1": "L'URL de redirection n'est pas valide.",
    "P1": "IdOp incorrect.",
    "P5": "Résultat de la transaction non connu.",
}


@dataclass
class SimulatedPayment:
    idop: str
    numcli: str
    exer: str
    refdet: str
    montant: str
    mel: str
    urlnotif: str
    urlredirect: str
    saisie: str
    objet: str | None
    created_at: datetime.datetime
    resultrans: str | None = None  # None while the payer has not decided
    decided_at: datetime.datetime | None = None
    numauto: str | None = None


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    clients: dict = field(default_factory=dict)
    payments: dict = field(default_factory=dict)
    received: list = field(default_factory=list)
    failures: list = field(default_factory=list)


class _Fault(Exception):
    def __init__(self, code, kind="FonctionnelleErreur"):
        super().__init__(code)
        self.code = code
        self.kind = kind


class PayFiPSimulator:
    """The simulated service's memory, and what the payer does at the treasury's page."""

    def __init__(self):
        self._state = _State()
        self.reset()

    # -- test controls -------------------------------------------------------------------

    def reset(self):
        """Forget every payment, request and injected failure; know only DEFAULT_NUMCLI."""
        with self._state.lock:
            self._state.payments.clear()
            self._state.received.clear()
            self._state.failures.clear()
            self._state.clients.clear()
            self._state.clients[DEFAULT_NUMCLI] = ("COMMUNE DE DEMO", "REGIE ENFANCE", "")

    def register_client(self, numcli, libelle1="COMMUNE", libelle2="REGIE", libelle3=""):
        with self._state.lock:
            self._state.clients[numcli] = (libelle1, libelle2, libelle3)

    def requests(self, operation=None):
        """The SOAP calls received, oldest first: dicts with operation, url and fields."""
        with self._state.lock:
            received = copy.deepcopy(self._state.received)
        return [item for item in received if operation is None or item["operation"] == operation]

    def payment(self, idop) -> SimulatedPayment:
        with self._state.lock:
            return copy.copy(self._state.payments[idop])

    def last_idop(self):
        with self._state.lock:
            if not self._state.payments:
                raise LookupError("no payment was created")
            return next(reversed(self._state.payments))

    def fail_next(self, kind, times=1):
        """Make the next `times` calls fail: "network" (connection refused), "timeout", "technical"
        (a TechDysfonctionnementErreur fault) or "garbage" (HTTP 200 that is not SOAP)."""
        if kind not in FAILURES:
            raise ValueError(f"unknown failure {kind!r}, choose from {FAILURES}")
        with self._state.lock:
            self._state.failures.extend([kind] * times)

    def pay(self, idop, *, at=None, numauto=None, montant=None):
        """The payer pays by card. `montant` (cents) makes the bank report another amount than the
        one asked for, to test that the caller compares them."""
        return self._decide(idop, PAID, at, numauto or f"{uuid.uuid4().int % 10**6:06d}", montant)

    def refuse(self, idop, *, at=None):
        """The payer's bank refuses the card."""
        return self._decide(idop, REFUSED, at, None)

    def cancel(self, idop, *, at=None):
        """The payer gives up on the treasury's page."""
        return self._decide(idop, CANCELLED, at, None)

    def expire(self, idop):
        """The operation was never finished and PayFiP's night clean-up forgot it: P1 from then on."""
        with self._state.lock:
            payment = self._state.payments.pop(idop)
            if payment.resultrans is not None:
                self._state.payments[idop] = payment
                raise ValueError(f"operation {idop} is already decided ({payment.resultrans})")

    def notification(self, idop):
        """What PayFiP posts to urlnotif once the payer has decided: (url, form data).
        eopayment's guess() recognises the body `idOp=<idop>`."""
        payment = self.payment(idop)
        return payment.urlnotif, {"idOp": idop}

    def _decide(self, idop, resultrans, at, numauto, montant=None):
        with self._state.lock:
            payment = self._state.payments.get(idop)
            if payment is None:
                raise KeyError(f"unknown operation {idop}")
            if payment.resultrans is not None:
                raise ValueError(f"operation {idop} is already decided ({payment.resultrans})")
            payment.resultrans = resultrans
            payment.decided_at = (at or datetime.datetime.now(PARIS)).astimezone(PARIS)
            payment.numauto = numauto
            if montant is not None:
                payment.montant = str(montant)
            return copy.copy(payment)

    # -- the web service -----------------------------------------------------------------

    def _take_failure(self):
        with self._state.lock:
            return self._state.failures.pop(0) if self._state.failures else None

    def handle(self, url, body):
        """Answer one SOAP call: (status, body bytes)."""
        try:
            operation, fields = _parse_envelope(body)
        except ValueError as error:
            return 500, _client_fault(str(error))
        with self._state.lock:
            self._state.received.append({"operation": operation, "url": url, "fields": dict(fields)})
        handler = {
            "creerPaiementSecurise": self._create,
            "recupererDetailPaiementSecurise": self._detail,
            "recupererDetailClient": self._client,
        }.get(operation)
        if handler is None:
            return 500, _client_fault(f"Cannot find dispatch method for {operation}")
        try:
            return 200, _response(operation, handler(fields))
        except _Fault as fault:
            return 500, _functional_fault(fault.code, fault.kind)

    def _create(self, fields):
        numcli = fields.get("numcli") or ""
        if not NUMCLI_RE.match(numcli):
            raise _Fault("T1")
        with self._state.lock:
            known = numcli in self._state.clients
        if not known:
            raise _Fault("T2")
        saisie = fields.get("saisie") or ""
        if saisie not in ("T", "X", "W"):
            raise _Fault("S1")
        montant = fields.get("montant") or ""
        if not CENTS_RE.match(montant):
            raise _Fault("M1")
        if int(montant) < 100:
            raise _Fault("M3")
        if int(montant) > 10_000_000:
            raise _Fault("M5")
        mel = fields.get("mel") or ""
        if not mel:
            raise _Fault("A1")
        if "@" not in mel or not 6 <= len(mel) <= 80:
            raise _Fault("A2")
        if not REFDET_RE.match(fields.get("refdet") or ""):
            raise _Fault("R3")
        if not _valid_url(fields.get("urlnotif")):
            raise _Fault("N1")
        if not _valid_url(fields.get("urlredirect")):
            raise _Fault("D1")
        payment = SimulatedPayment(
            idop=str(uuid.uuid4()),
            numcli=numcli,
            exer=fields.get("exer") or "",
            refdet=fields["refdet"],
            montant=str(int(montant)),
            mel=mel,
            urlnotif=fields["urlnotif"],
            urlredirect=fields["urlredirect"],
            saisie=saisie,
            objet=fields.get("objet"),
            created_at=datetime.datetime.now(PARIS),
        )
        with self._state.lock:
            self._state.payments[payment.idop] = payment
        return {"idOp": payment.idop}

    def _detail(self, fields):
        with self._state.lock:
            payment = self._state.payments.get(fields.get("idOp") or "")
            payment = copy.copy(payment) if payment else None
        if payment is None:
            raise _Fault("P1")
        if payment.resultrans is None:
            raise _Fault("P5")
        return {
            "dattrans": payment.decided_at.strftime("%d%m%Y"),
            "exer": payment.exer,
            "heurtrans": payment.decided_at.strftime("%H%M"),
            "idOp": payment.idop,
            "mel": payment.mel,
            "montant": payment.montant,
            "numauto": payment.numauto,
            "numcli": payment.numcli,
            "objet": payment.objet,
            "refdet": payment.refdet,
            "resultrans": payment.resultrans,
            "saisie": payment.saisie,
        }

    def _client(self, fields):
        numcli = fields.get("numCli") or ""
        with self._state.lock:
            labels = self._state.clients.get(numcli)
        if labels is None:
            raise _Fault("T2" if NUMCLI_RE.match(numcli) else "T1")
        return {"libelleN1": labels[0], "libelleN2": labels[1], "libelleN3": labels[2], "numcli": numcli}


simulator = PayFiPSimulator()


def _valid_url(value):
    if not value or len(value) > 250:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _parse_envelope(body):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise ValueError(f"Couldn't create SOAP message due to exception: {error}") from None
    envelope = etree.QName(root)
    if envelope.namespace != SOAP_ENV or envelope.localname != "Envelope":
        raise ValueError("not a SOAP 1.1 envelope")
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    if soap_body is None or len(soap_body) == 0:
        raise ValueError("empty SOAP body")
    call = soap_body[0]
    name = etree.QName(call)
    if name.namespace != TNS:
        raise ValueError(f"unknown namespace {name.namespace}")
    fields = {}
    arg0 = call.find("arg0")
    if arg0 is not None:
        for child in arg0:
            if isinstance(child.tag, str):
                fields[etree.QName(child).localname] = child.text
    return name.localname, fields


def _envelope(inner):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{SOAP_ENV}"><S:Body>{inner}</S:Body></S:Envelope>'
    ).encode()


def _response(operation, values):
    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in values.items() if value is not None)
    return _envelope(f'<ns2:{operation}Response xmlns:ns2="{TNS}"><return>{inner}</return></ns2:{operation}Response>')


def _functional_fault(code, kind="FonctionnelleErreur"):
    message = escape(MESSAGES.get(code, code))
    return _envelope(
        "<S:Fault>"
        "<faultcode>S:Server</faultcode>"
        f"<faultstring>{EXCEPTIONS}{kind}</faultstring>"
        f'<detail><ns2:{kind} xmlns:ns2="{TNS}">'
        f"<code>{code}</code><descriptif>{message}</descriptif><libelle>{message}</libelle>"
        "<severite>2</severite>"
        f"</ns2:{kind}></detail>"
        "</S:Fault>"
    )


def _client_fault(message):
    return _envelope(f"<S:Fault><faultcode>S:Client</faultcode><faultstring>{escape(message)}</faultstring></S:Fault>")


class PayFiPAdapter(BaseAdapter):
    """Answers requests to www.payfip.gouv.fr from the simulator instead of the network."""

    def __init__(self, sim=None):
        super().__init__()
        self.simulator = sim or simulator

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        failure = self.simulator._take_failure()
        if failure == "network":
            raise requests.ConnectionError("simulated: connection refused by www.payfip.gouv.fr", request=request)
        if failure == "timeout":
            raise requests.ReadTimeout("simulated: www.payfip.gouv.fr did not answer in time", request=request)
        path = urlsplit(request.url).path
        if failure == "technical":
            status, body = 500, _functional_fault("999", "TechDysfonctionnementErreur")
        elif failure == "garbage":
            status, body = 200, b"<html><body>Maintenance en cours</body></html>"
        elif request.method == "POST" and path == SERVICE_PATH:
            raw = request.body or b""
            status, body = self.simulator.handle(request.url, raw.encode() if isinstance(raw, str) else raw)
        else:
            status, body = 404, b"Not Found"
        return _build_response(request, status, body)

    def close(self):
        pass


class RefusingAdapter(BaseAdapter):
    """Anything but the simulated service: refused before any socket is opened."""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        raise requests.ConnectionError(
            f"simulated session: {urlsplit(request.url).netloc} is not the simulated PayFiP", request=request
        )

    def close(self):
        pass


def _build_response(request, status, body):
    response = requests.Response()
    response.status_code = status
    response.reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}.get(status, "")
    is_xml = body.startswith(b"<?xml")
    response.headers = CaseInsensitiveDict({"Content-Type": "text/xml; charset=utf-8" if is_xml else "text/html"})
    response._content = body
    response.encoding = "utf-8"
    response.url = request.url
    response.request = request
    return response


def simulated_session(sim=None) -> requests.Session:
    """A requests session answering www.payfip.gouv.fr from the simulator, refusing any other host."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: nothing should even try to leave
    session.mount("http://", RefusingAdapter())
    session.mount("https://", RefusingAdapter())
    session.mount(BASE_URL, PayFiPAdapter(sim))
    return session
