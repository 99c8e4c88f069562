"""No page calls an outside service while it renders.

tests/conftest.py blocks every non-loopback socket connection for the whole
session. Here every GET-able URL of tests/url_table.py is rendered as the
visitor it is meant for, with a recorder around that guard (so that a view
swallowing the guard's error is caught too) and with name resolution of
non-local hosts refused as well (a DNS query is already traffic).
"""

import ipaddress
import socket

import pytest
from django.test import Client

from tests import conftest as guard
from tests import url_table
from tests.factories import UserFactory
from tests.url_table import ACCOUNT, AUTH, PORTAL, PUBLIC, STAFF, TABLE

pytestmark = pytest.mark.django_db

BLOCKED = "Network access blocked during tests"
TEST_NET = ("192.0.2.1", 80)  # TEST-NET-1 (RFC 5737): never routed


def _is_address(name):
    """A numeric address needs no lookup (connect() is then what the guard checks)."""
    try:
        ipaddress.ip_address(str(name).split("%")[0])
    except ValueError:
        return False
    return True


@pytest.fixture
def attempts(monkeypatch):
    """Every outside connection or name lookup tried while the test runs."""
    tried = []
    guarded_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def recording_connect(sock, address):
        try:
            return guarded_connect(sock, address)
        except RuntimeError:
            tried.append(("connect", address))
            raise

    def local_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in guard.LOCAL_HOSTS and not _is_address(name):
            tried.append(("getaddrinfo", name))
            raise RuntimeError(f"{BLOCKED}: name lookup of {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    monkeypatch.setattr(socket, "getaddrinfo", local_getaddrinfo)
    return tried


def test_the_guard_refuses_before_connecting(monkeypatch):
    assert socket.socket.connect is guard._guarded_connect, "the conftest network guard is not installed"
    calls = []
    # The guard calls the real connect through this module global: replace it to see whether it is reached.
    monkeypatch.setattr(guard, "_real_connect", lambda sock, address: calls.append(address))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.01)
        with pytest.raises(RuntimeError, match=BLOCKED):
            sock.connect(TEST_NET)
    with pytest.raises(RuntimeError, match=BLOCKED):
        socket.create_connection(TEST_NET, timeout=0.01)
    assert calls == [], "the guard let the connection reach the operating system"


def test_the_guard_lets_loopback_through():
    # The live server of the browser tests and a local PostgreSQL stay reachable.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1):
            pass


def test_the_recorder_sees_a_swallowed_attempt(attempts):
    try:
        socket.create_connection(TEST_NET, timeout=0.01)
    except RuntimeError:
        pass  # what a careless view might do
    try:
        socket.getaddrinfo("example.org", 443)
    except RuntimeError:
        pass
    assert attempts == [("connect", TEST_NET), ("getaddrinfo", "example.org")]


def _visitor(name, alice):
    route = TABLE[name]
    if route.kind in (PUBLIC, AUTH):
        return None
    if route.kind in (*PORTAL, ACCOUNT):
        return alice
    # A leader sees no household of the test data (it is in none of their activities): an agent renders it.
    role = url_table.AGENT if route.household and route.role == url_table.LEADER else route.role
    return UserFactory(username=f"{role}.network", role=role)


@pytest.mark.parametrize("name", url_table.names(get=True))
def test_page_renders_without_network(name, alice, bob, attempts):
    scopes = url_table.prepare(alice, bob)[alice]
    client = Client()
    visitor = _visitor(name, alice)
    if visitor is not None:
        client.force_login(visitor)
    for scope in scopes if TABLE[name].kind in (*PORTAL, STAFF) else scopes[:1]:
        for path in url_table.urls_for(name, scope):
            response = client.get(path, follow=TABLE[name].ok == 302)
            expected = 200 if TABLE[name].ok == 302 else TABLE[name].ok
            assert response.status_code == expected, f"{path}: {response.status_code}"
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            else:
                assert response.content
    assert attempts == [], f"{name} tried to reach the outside: {attempts}"
