"""Lifting the lockout of a login whose owner has just proved who they are (a new password).

Axes counts failures per (identifier, client address) pair, in the cache, where no key can be listed:
resetting "the login" needs the addresses it was tried from. They are kept here, beside axes's counters
and for as long, under each identifier as axes sees it (see backends.axes_username).
"""

import hashlib

from axes.helpers import get_cache_timeout, get_client_ip_address
from axes.utils import reset
from django.core.cache import cache

from .backends import axes_username

ADDRESSES_KEPT = 50  # an attacker trying from many addresses must not grow the entry without bound


def _key(identifier):
    return "enfance:axes-addresses:" + hashlib.sha256(identifier.encode()).hexdigest()


def remember_failure(sender, credentials, request=None, **kwargs):
    """user_login_failed receiver: note the address a failure came from."""
    if request is None:
        return
    identifier = axes_username(request, credentials)
    address = get_client_ip_address(request)
    if not identifier or not address:
        return
    key = _key(identifier)
    addresses = [a for a in cache.get(key, []) if a != address]
    addresses.append(address)
    cache.set(key, addresses[-ADDRESSES_KEPT:], timeout=get_cache_timeout(request))


def identifiers_of(user):
    """Every identifier the login can be typed as, the way axes counts them."""
    found = {user.get_username().lower()}
    if user.email:
        found.add(user.email.lower())
    return found


def lift(user, request=None):
    """Forget the failures counted against this login, from every address they came from."""
    here = get_client_ip_address(request) if request is not None else None
    for identifier in identifiers_of(user):
        key = _key(identifier)
        addresses = set(cache.get(key, []))
        if here:
            addresses.add(here)
        for address in addresses:
            reset(ip=address, username=identifier)
        cache.delete(key)


def forget_on_login(sender, request, user, **kwargs):
    """user_logged_in receiver: axes forgets the failures of the username; those typed as the login's
    e-mail address (another identifier for axes) from this address go too."""
    if request is None:
        return
    typed = axes_username(request)
    here = get_client_ip_address(request)
    if typed and here and typed != user.get_username().lower():
        reset(ip=here, username=typed)
