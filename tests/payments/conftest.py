"""The PayFiP simulator, reset for every test, and a provider plugged into it."""

import pytest

from enfance.payments import payfip_simulator
from enfance.payments.providers.payfip import PayFiPProvider

NUMCLI = payfip_simulator.DEFAULT_NUMCLI


@pytest.fixture
def simulator():
    payfip_simulator.simulator.reset()
    yield payfip_simulator.simulator
    payfip_simulator.simulator.reset()


@pytest.fixture
def session(simulator):
    return payfip_simulator.simulated_session()


@pytest.fixture
def provider(session):
    return PayFiPProvider(NUMCLI, "T", session=session)
