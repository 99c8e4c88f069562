"""Rate limits on the shared cache (Redis in production), so that every web process counts together."""

import hashlib

from django.core.cache import cache


def client_ip(request):
    # Behind the commune's reverse proxy, set it to overwrite REMOTE_ADDR; we do not trust X-Forwarded-For.
    return request.META.get("REMOTE_ADDR", "")


def hit(scope, request, *, limit, window):
    """Count one hit; False when `limit` hits were already counted in the last `window` seconds."""
    ident = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{ident}"
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return True
    return count <= limit
