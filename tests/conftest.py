"""Personas (alice's and bob's households, a staff member, an administrator, a leader,
an outsider) and the network guard: no test may reach outside this machine."""

import ipaddress
import socket

import pytest

from tests.factories import UserFactory, make_household

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}
_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host not in LOCAL_HOSTS and not str(host).startswith("127."):
            raise RuntimeError(f"Network access blocked during tests: {address!r}")
    return _real_connect(sock, address)


def _is_local(host):
    host = host.decode() if isinstance(host, bytes) else str(host)
    return host in LOCAL_HOSTS or host.startswith("127.") or host == ""


def _is_ip_literal(host):
    try:
        ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return True


def _guarded_getaddrinfo(host, *args, **kwargs):
    # No name lookup leaves the machine either (a DNS query is network access too); an address
    # needs no lookup, and connecting to it is the connect guard's business.
    if host is not None and not _is_local(host) and not _is_ip_literal(host):
        raise RuntimeError(f"Network access blocked during tests: name lookup of {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _block_network():
    socket.socket.connect = _guarded_connect
    socket.getaddrinfo = _guarded_getaddrinfo
    yield
    socket.socket.connect = _real_connect
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path_factory):
    root = tmp_path_factory.mktemp("private")
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def alice(db):
    """Alice's household: complete records, two children."""
    family, login, children = make_household("Alice", children=2)
    return login


@pytest.fixture
def bob(db):
    """Bob's household: complete records, one child, entirely separate from Alice's."""
    family, login, children = make_household("Bob", children=1)
    return login


@pytest.fixture
def staff(db):
    return UserFactory(username="agent.test", role="agent")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin.test", role="admin")


@pytest.fixture
def leader(db):
    return UserFactory(username="animateur.test", role="leader")


def login_client(client, user):
    # force_login: axes wants a request on authenticate(); the login view itself is tested apart.
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(client, alice):
    return login_client(client, alice)


@pytest.fixture
def staff_client(client, staff):
    return login_client(client, staff)


@pytest.fixture
def admin_client_(client, admin_user):
    return login_client(client, admin_user)
