"""The simulated PayFiP web service, spoken to through eopayment's own SOAP wrapper (no validation of
ours in front of it), so that it answers what the real service answers."""

import datetime
import os
import subprocess
import sys
import threading
import zoneinfo
from urllib.parse import urlencode

import eopayment
import pytest
from eopayment.payfip_ws import PayFiP, PayFiPError
from zeep.transports import Transport

from enfance.payments import payfip_simulator
from enfance.payments.payfip_simulator import SERVICE_URL
from tests.payments.conftest import NUMCLI

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def payfip(session):
    return PayFiP(zeep_client_kwargs={"transport": Transport(session=session)})


def create(payfip, **overrides):
    fields = {
        "numcli": NUMCLI,
        "saisie": "T",
        "exer": "2026",
        "refdet": "F2026000123",
        "montant": "4250",
        "mel": "alice@example.org",
        "url_notification": "https://e.fr/n",
        "url_redirect": "https://e.fr/r",
        "objet": "Regie Enfance",
    }
    fields.update(overrides)
    return payfip.get_idop(**fields)


def test_bundled_wsdl_points_at_the_address_the_simulator_answers(payfip):
    assert payfip.client.service._binding_options["address"] == SERVICE_URL


def test_create_hands_out_a_new_identifier_each_time_and_records_the_request(payfip, simulator):
    first, second = create(payfip), create(payfip)

    assert first != second
    recorded = simulator.payment(first)
    assert (recorded.numcli, recorded.refdet, recorded.montant, recorded.mel) == (
        NUMCLI,
        "F2026000123",
        "4250",
        "alice@example.org",
    )
    assert (recorded.urlnotif, recorded.urlredirect, recorded.saisie, recorded.objet) == (
        "https://e.fr/n",
        "https://e.fr/r",
        "T",
        "Regie Enfance",
    )
    assert simulator.last_idop() == second


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"numcli": "12345"}, "T1"),
        ({"numcli": "999999"}, "T2"),
        ({"saisie": "P"}, "S1"),
        ({"montant": "42.50"}, "M1"),
        ({"montant": "99"}, "M3"),
        ({"montant": "10000001"}, "M5"),
        ({"mel": None}, "A1"),
        ({"mel": "alice.example.org"}, "A2"),
        ({"mel": "a@b.f"}, "A2"),
        ({"refdet": "F2026-0001"}, "R3"),
        ({"refdet": "ABC12"}, "R3"),
        ({"url_notification": "e.fr/n"}, "N1"),
        ({"url_redirect": None}, "D1"),
    ],
)
def test_create_refuses_bad_requests_with_the_services_codes(payfip, simulator, overrides, code):
    with pytest.raises(PayFiPError) as error:
        create(payfip, **overrides)

    assert error.value.code == code
    assert error.value.message == payfip_simulator.MESSAGES[code]
    assert simulator.requests()[0]["operation"] == "creerPaiementSecurise"  # received, then refused


def test_detail_answers_p5_until_the_payer_decides(payfip, simulator):
    idop = create(payfip)

    with pytest.raises(PayFiPError) as error:
        payfip.get_info_paiement(idop)

    assert (error.value.code, error.value.message) == ("P5", "Résultat de la transaction non connu.")


def test_detail_of_a_payment_has_the_real_fields(payfip, simulator):
    idop = create(payfip)
    simulator.pay(idop, at=datetime.datetime(2026, 3, 9, 8, 5, tzinfo=datetime.UTC), numauto="778899")

    detail = payfip.get_info_paiement(idop)

    assert {key: detail[key] for key in detail} == {
        "dattrans": "09032026",
        "exer": "2026",
        "heurtrans": "0905",  # Europe/Paris, as PayFiP answers it
        "idOp": idop,
        "mel": "alice@example.org",
        "montant": "4250",
        "numauto": "778899",
        "numcli": NUMCLI,
        "objet": "Regie Enfance",
        "refdet": "F2026000123",
        "resultrans": "P",
        "saisie": "T",
    }


@pytest.mark.parametrize(("action", "resultrans"), [("refuse", "R"), ("cancel", "A")])
def test_refusal_and_cancellation_have_no_authorisation_number(payfip, simulator, action, resultrans):
    idop = create(payfip)
    getattr(simulator, action)(idop)

    detail = payfip.get_info_paiement(idop)

    assert (detail.resultrans, detail.numauto) == (resultrans, None)


@pytest.mark.parametrize("idop", ["0b3e1c9a-0000-4000-8000-000000000000", ""])
def test_detail_of_an_unknown_identifier_answers_p1(payfip, simulator, idop):
    with pytest.raises(PayFiPError) as error:
        payfip.get_info_paiement(idop)

    assert (error.value.code, error.value.message) == ("P1", "IdOp incorrect.")


def test_expired_operation_is_forgotten(payfip, simulator):
    idop = create(payfip)
    simulator.expire(idop)

    with pytest.raises(PayFiPError, match="P1"):
        payfip.get_info_paiement(idop)


def test_a_decided_operation_cannot_be_decided_again(payfip, simulator):
    idop = create(payfip)
    simulator.pay(idop)

    with pytest.raises(ValueError, match="already decided"):
        simulator.refuse(idop)
    with pytest.raises(ValueError, match="already decided"):
        simulator.expire(idop)
    assert payfip.get_info_paiement(idop).resultrans == "P"


def test_client_detail_for_a_known_and_an_unknown_client(payfip, simulator):
    simulator.register_client("654321", "COMMUNE DE TEST", "CANTINE")

    known = payfip.get_info_client("654321")

    assert (known.numcli, known.libelleN1, known.libelleN2) == ("654321", "COMMUNE DE TEST", "CANTINE")
    with pytest.raises(PayFiPError, match="T2"):
        payfip.get_info_client("111111")


def test_notification_is_what_eopayment_recognises(payfip, simulator):
    idop = create(payfip)
    simulator.pay(idop)

    url, data = simulator.notification(idop)

    assert url == "https://e.fr/n"
    assert eopayment.Payment.guess(method="POST", body=urlencode(data), backends=["payfip_ws"]) == ("payfip_ws", idop)


def test_reset_forgets_payments_requests_failures_and_clients(payfip, simulator):
    simulator.register_client("654321")
    idop = create(payfip)
    simulator.fail_next("network")

    simulator.reset()

    assert simulator.requests() == []
    with pytest.raises(KeyError):
        simulator.payment(idop)
    with pytest.raises(PayFiPError, match="T2"):
        create(payfip, numcli="654321")  # and no injected failure left


def test_a_post_that_is_not_soap_gets_a_client_fault(session, simulator):
    response = session.post(SERVICE_URL, data=b"numcli=123456", headers={"Content-Type": "text/xml"})

    assert response.status_code == 500
    assert b"<faultcode>S:Client</faultcode>" in response.content


def test_other_paths_of_the_service_answer_404(session):
    assert session.get("https://www.payfip.gouv.fr/tpa/paiementws.web?idop=x").status_code == 404


def test_injected_failures_are_used_once(payfip, simulator):
    simulator.fail_next("technical")

    with pytest.raises(PayFiPError) as error:
        create(payfip)

    assert error.value.code == "unknown"  # not a FonctionnelleErreur: eopayment keeps the fault's class name
    assert "TechDysfonctionnementErreur" in error.value.message
    assert create(payfip)


def test_unknown_failure_kind_is_refused(simulator):
    with pytest.raises(ValueError, match="unknown failure"):
        simulator.fail_next("earthquake")


def test_state_store_is_safe_under_threads(simulator):
    idops, errors = [], []

    def worker():
        try:
            payfip = PayFiP(zeep_client_kwargs={"transport": Transport(session=payfip_simulator.simulated_session())})
            for _ in range(10):
                idop = create(payfip)
                simulator.pay(idop)
                idops.append(idop)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(idops)) == 60
    assert all(simulator.payment(idop).resultrans == "P" for idop in idops)
    assert len(simulator.requests("creerPaiementSecurise")) == 60


def test_module_refuses_import_outside_tests_without_opt_in(tmp_path):
    env = {
        key: value for key, value in os.environ.items() if key not in ("ENFANCE_TESTING", "ENFANCE_PAYFIP_SIMULATOR")
    }
    code = "import enfance.payments.payfip_simulator"
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    allowed = subprocess.run(
        [sys.executable, "-c", code], env={**env, "ENFANCE_PAYFIP_SIMULATOR": "1"}, capture_output=True, cwd=tmp_path
    )

    assert refused.returncode != 0
    assert "test infrastructure" in refused.stderr
    assert allowed.returncode == 0
