"""Rate limits on the shared cache (Redis in production), so that every web process counts together.

A window opens at the first counted hit and lasts `window` seconds. Its end is kept beside the counter
(the cache API cannot tell a key's remaining lifetime), so that a page can say when to try again.
"""

import hashlib
import time

from django.core.cache import cache


def client_ip(request):
    # Behind the commune's reverse proxy, set it to overwrite REMOTE_ADDR; we do not trust X-Forwarded-For.
    return request.META.get("REMOTE_ADDR", "")


def _key(scope, request):
    ident = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{ident}"


def _open_window(key, window):
    if cache.add(key, 1, timeout=window):
        cache.set(f"{key}:until", time.time() + window, timeout=window)
        return True
    return False


def hit(scope, request, *, limit, window):
    """Count one hit; False when `limit` hits were already counted in the last `window` seconds."""
    key = _key(scope, request)
    if _open_window(key, window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        _open_window(key, window)
        return True
    return count <= limit


def release(scope, request):
    """Give back one hit counted by hit(), for an action that did not happen after all."""
    try:
        cache.decr(_key(scope, request))
    except ValueError:  # the window has closed meanwhile: nothing left to give back
        pass


def count(scope, request):
    """Hits counted in the current window."""
    return cache.get(_key(scope, request), 0)


def remaining(scope, request, *, limit):
    """How many hits are still allowed in the current window (never counts one)."""
    return max(0, limit - count(scope, request))


def retry_after(scope, request):
    """Seconds until the current window closes (0 when none is open)."""
    until = cache.get(f"{_key(scope, request)}:until")
    if until is None:
        return 0
    return max(0, int(until - time.time() + 0.999))
