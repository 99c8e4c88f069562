"""The PayFiP adapter end to end: our provider, eopayment's payfip_ws backend and zeep, against
the simulated web service (only the socket is replaced)."""

import datetime
import socket
import threading
from decimal import Decimal

import pytest
import requests

from enfance.payments.payfip_simulator import SERVICE_URL, simulated_session
from enfance.payments.providers import base
from enfance.payments.providers import payfip as payfip_module
from enfance.payments.providers.base import ProviderError
from enfance.payments.providers.payfip import PayFiPProvider
from tests.payments.conftest import NUMCLI

UTC = datetime.UTC


def start_kwargs(**overrides):
    kwargs = {
        "attempt_id": 41,
        "amount": Decimal("42.50"),
        "email": "alice.martin@example.org",
        "refdet": "F2026000123",
        "year": 2026,
        "description": "Facture n° 2026-000123 — cantine",
        "notify_url": "https://enfance.example.fr/paiement/41/notification",
        "return_url": "https://enfance.example.fr/paiement/41/retour",
    }
    kwargs.update(overrides)
    return kwargs


def now():
    return datetime.datetime.now(UTC)


def test_payment_loop_pending_then_paid_with_the_banks_amount(provider, simulator):
    started_at = now()
    started = provider.start(**start_kwargs())

    assert started.url == f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={started.reference}"
    assert started.raw["montant"] == "4250"
    assert started.raw["attempt_id"] == "41"
    pending = provider.status(reference=started.reference, started_at=started_at)
    assert pending.state == base.PENDING
    assert pending.amount is None
    assert not pending.is_final

    simulator.pay(started.reference, numauto="123456")
    paid = provider.status(reference=started.reference, started_at=started_at)

    assert paid.state == base.PAID
    assert paid.is_final
    assert paid.amount == Decimal("42.50")
    assert paid.reference == started.reference
    assert paid.test is True
    assert paid.raw["refdet"] == "F2026000123"
    assert paid.raw["numauto"] == "123456"
    assert paid.raw["resultrans"] == "P"


def test_paid_amount_is_read_from_the_bank_not_from_the_request(provider, simulator):
    started = provider.start(**start_kwargs(amount=Decimal("10.00")))
    simulator.pay(started.reference, montant="999")

    outcome = provider.status(reference=started.reference, started_at=now())

    assert outcome.amount == Decimal("9.99")


def test_refused_card_reports_refused(provider, simulator):
    started = provider.start(**start_kwargs())
    simulator.refuse(started.reference)

    outcome = provider.status(reference=started.reference, started_at=now())

    assert outcome.state == base.REFUSED
    assert outcome.message == "refused CB"


def test_cancelled_more_than_two_minutes_ago_reports_cancelled(provider, simulator):
    started_at = now() - datetime.timedelta(minutes=10)
    started = provider.start(**start_kwargs())
    simulator.cancel(started.reference, at=now() - datetime.timedelta(minutes=3))

    outcome = provider.status(reference=started.reference, started_at=started_at)

    assert outcome.state == base.CANCELLED
    assert outcome.is_final


def test_cancelled_within_two_minutes_is_still_pending(provider, simulator):
    # eopayment: the payer may come back to the same idop, so "A" reads as waiting for 2 minutes
    # after the bank's own dattrans/heurtrans.
    started = provider.start(**start_kwargs())
    simulator.cancel(started.reference)

    outcome = provider.status(reference=started.reference, started_at=now())

    assert outcome.state == base.PENDING
    assert not outcome.is_final
    assert outcome.raw["resultrans"] == "A"
    assert "still waiting" in outcome.message


def test_idop_forgotten_by_payfip_reports_expired(provider, simulator):
    started = provider.start(**start_kwargs())
    simulator.expire(started.reference)

    outcome = provider.status(reference=started.reference, started_at=now())

    assert outcome.state == base.EXPIRED
    assert outcome.amount is None


def test_unknown_identifier_reports_expired(provider, simulator):
    outcome = provider.status(reference="0b3e1c9a-0000-4000-8000-000000000000", started_at=now())

    assert outcome.state == base.EXPIRED


def test_result_unknown_reads_pending_for_two_hours_then_expired(provider, simulator):
    started = provider.start(**start_kwargs())

    recent = provider.status(reference=started.reference, started_at=now() - datetime.timedelta(minutes=119))
    old = provider.status(reference=started.reference, started_at=now() - datetime.timedelta(minutes=121))

    assert recent.state == base.PENDING
    assert old.state == base.EXPIRED


def test_simulator_received_what_we_sent(provider, simulator):
    started = provider.start(**start_kwargs())
    provider.status(reference=started.reference, started_at=now())

    create, detail = simulator.requests()
    assert create["operation"] == "creerPaiementSecurise"
    assert create["url"] == SERVICE_URL
    assert create["fields"] == {
        "numcli": NUMCLI,
        "saisie": "T",
        "exer": "2026",
        "refdet": "F2026000123",
        "montant": "4250",
        "mel": "alice.martin@example.org",
        "urlnotif": "https://enfance.example.fr/paiement/41/notification",
        "urlredirect": "https://enfance.example.fr/paiement/41/retour",
        "objet": "Facture n 2026 000123 cantine",  # eopayment keeps [A-Za-z0-9 ] only
    }
    assert detail["operation"] == "recupererDetailPaiementSecurise"
    assert detail["fields"] == {"idOp": started.reference}


def test_each_attempt_sends_its_own_urls(provider, simulator):
    first = provider.start(**start_kwargs(notify_url="https://e.fr/p/1/n", return_url="https://e.fr/p/1/r"))
    second = provider.start(**start_kwargs(notify_url="https://e.fr/p/2/n", return_url="https://e.fr/p/2/r"))

    assert first.reference != second.reference
    assert (simulator.payment(first.reference).urlnotif, simulator.payment(first.reference).urlredirect) == (
        "https://e.fr/p/1/n",
        "https://e.fr/p/1/r",
    )
    assert simulator.payment(second.reference).urlnotif == "https://e.fr/p/2/n"


@pytest.mark.parametrize(
    ("amount", "cents"),
    [(Decimal("1"), "100"), (Decimal("1.05"), "105"), ("12.30", "1230"), (Decimal("100000.00"), "10000000")],
)
def test_amount_is_sent_in_cents(provider, simulator, amount, cents):
    provider.start(**start_kwargs(amount=amount))

    assert simulator.requests()[-1]["fields"]["montant"] == cents


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", Decimal("0.99"), "from 1.00 to 100000.00"),
        ("amount", Decimal("100000.01"), "from 1.00 to 100000.00"),
        ("amount", Decimal("-5"), "from 1.00 to 100000.00"),
        ("amount", Decimal("10.005"), "whole number of cents"),
        ("amount", 10.5, "not a float"),
        ("amount", "dix", "number of euros"),
        ("amount", Decimal("NaN"), "whole number of cents"),
        ("refdet", "AB123", "6 to 30 letters and digits"),
        ("refdet", "A" * 31, "6 to 30 letters and digits"),
        ("refdet", "F2026-00123", "6 to 30 letters and digits"),
        ("refdet", "FACTURÉ123", "6 to 30 letters and digits"),
        ("email", "alice.example.org", "with an @"),
        ("email", "a@b.f", "6 to 80 characters"),
        ("email", "a" * 70 + "@example.org", "6 to 80 characters"),
        ("email", "alice @example.org", "no space"),
        ("email", None, "6 to 80 characters"),
        ("year", "26", "4 digits"),
        ("notify_url", "/paiement/41/notification", "absolute http"),
        ("return_url", "ftp://e.fr/retour", "absolute http"),
        ("return_url", "https://e.fr/" + "x" * 250, "at most 250"),
    ],
)
def test_bad_input_is_refused_before_calling_the_bank(provider, simulator, field, value, message):
    with pytest.raises(ValueError, match=message):
        provider.start(**start_kwargs(**{field: value}))

    assert simulator.requests() == []


def test_bad_email_message_does_not_repeat_the_address(provider):
    with pytest.raises(ValueError) as error:
        provider.start(**start_kwargs(email="secret.person.example.org"))

    assert "secret" not in str(error.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", Decimal("1.00")), ("amount", Decimal("100000")), ("refdet", "ABC123"), ("refdet", "9" * 30)],
)
def test_boundary_values_are_accepted(provider, field, value):
    assert provider.start(**start_kwargs(**{field: value})).reference


@pytest.mark.parametrize(("numcli", "saisie"), [("12345", "T"), ("12345a", "T"), ("123456", "P"), ("123456", "")])
def test_bad_configuration_is_refused(numcli, saisie):
    with pytest.raises(ValueError, match="numcli|saisie"):
        PayFiPProvider(numcli, saisie)


def test_provider_advertises_payfip_limits():
    provider = PayFiPProvider("123456", "W")

    assert (provider.minimal_amount, provider.maximal_amount) == (Decimal("1.00"), Decimal("100000.00"))


def test_status_needs_an_aware_start_time(provider):
    with pytest.raises(ValueError, match="aware"):
        provider.status(reference="abc", started_at=datetime.datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize("operation", ["start", "status"])
@pytest.mark.parametrize(("failure", "code"), [("network", "network"), ("timeout", "network")])
def test_network_error_is_a_provider_error(provider, simulator, operation, failure, code):
    started = provider.start(**start_kwargs())
    simulator.fail_next(failure)

    with pytest.raises(ProviderError) as error:
        if operation == "start":
            provider.start(**start_kwargs())
        else:
            provider.status(reference=started.reference, started_at=now())

    assert error.value.code == code
    assert "alice.martin" not in str(error.value)


def test_technical_soap_fault_is_a_provider_error(provider, simulator):
    started = provider.start(**start_kwargs())
    simulator.fail_next("technical")

    with pytest.raises(ProviderError) as error:
        provider.status(reference=started.reference, started_at=now())

    assert error.value.code == "fault"
    assert "TechDysfonctionnementErreur" in str(error.value)


def test_functional_soap_fault_keeps_payfips_code(session, simulator):
    unknown_client = PayFiPProvider("654321", "T", session=session)

    with pytest.raises(ProviderError) as error:
        unknown_client.start(**start_kwargs())

    assert error.value.code == "T2"
    assert str(error.value).startswith("PayFiP T2: ")


def test_answer_that_is_not_soap_is_a_provider_error(provider, simulator):
    simulator.fail_next("garbage")

    with pytest.raises(ProviderError) as error:
        provider.start(**start_kwargs())

    assert error.value.code == "answer"


def test_answer_about_another_operation_is_a_provider_error(provider, simulator, monkeypatch):
    started = provider.start(**start_kwargs())
    simulator.pay(started.reference)
    real_detail = simulator._detail
    monkeypatch.setattr(simulator, "_detail", lambda fields: {**real_detail(fields), "idOp": "someone-else"})

    with pytest.raises(ProviderError, match="another operation"):
        provider.status(reference=started.reference, started_at=now())


def test_check_client_reads_payfips_labels(provider):
    assert provider.check_client()["libelleN1"] == "COMMUNE DE DEMO"


@pytest.fixture
def sockets(monkeypatch):
    """Every socket connection or name lookup tried during the test."""
    tried = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def recording_connect(sock, address):
        tried.append(("connect", address))
        return connect(sock, address)

    def recording_getaddrinfo(host, *args, **kwargs):
        tried.append(("getaddrinfo", host))
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
    return tried


def test_payment_loop_opens_no_socket(provider, simulator, sockets):
    started = provider.start(**start_kwargs())
    simulator.pay(started.reference)
    provider.status(reference=started.reference, started_at=now())
    provider.check_client()

    assert sockets == []


@pytest.mark.parametrize("url", ["https://example.org/", "http://www.payfip.gouv.fr/tpa/services/securite"])
def test_simulated_session_refuses_any_other_host(session, sockets, url):
    with pytest.raises(requests.ConnectionError, match="not the simulated PayFiP"):
        session.post(url, data=b"<x/>")

    assert sockets == []


def test_wsdl_is_parsed_once_per_thread(provider, monkeypatch):
    parsed = []
    real_document = payfip_module.zeep.wsdl.Document

    def counting_document(*args, **kwargs):
        parsed.append(threading.get_ident())
        return real_document(*args, **kwargs)

    monkeypatch.setattr(payfip_module.zeep.wsdl, "Document", counting_document)
    monkeypatch.setattr(payfip_module, "_local", threading.local())

    provider.start(**start_kwargs())
    provider.start(**start_kwargs())
    worker = threading.Thread(target=provider.start, kwargs=start_kwargs())
    worker.start()
    worker.join()

    assert len(parsed) == 2
    assert parsed[0] != parsed[1]


def test_concurrent_attempts_each_read_their_own_outcome(simulator):
    results, errors = {}, []

    def one_payment(index):
        try:
            provider = PayFiPProvider(NUMCLI, "T", session=simulated_session())
            started = provider.start(**start_kwargs(amount=Decimal(f"{10 + index}.25"), refdet=f"F2026{index:06d}"))
            simulator.pay(started.reference)
            results[index] = provider.status(reference=started.reference, started_at=now())
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=one_payment, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert {index: (o.state, o.amount, o.raw["refdet"]) for index, o in results.items()} == {
        index: (base.PAID, Decimal(f"{10 + index}.25"), f"F2026{index:06d}") for index in range(8)
    }
    assert len(simulator.requests("creerPaiementSecurise")) == 8


def test_creation_answered_without_an_identifier_is_a_provider_error(provider, simulator, monkeypatch):
    monkeypatch.setattr(simulator, "_create", lambda fields: {})

    with pytest.raises(ProviderError, match="without a usable idOp"):
        provider.start(**start_kwargs())
