"""The test settings: the same as production but for speed and isolation."""

import os

os.environ.setdefault("ENFANCE_TESTING", "1")

from enfance.settings import *  # noqa: E402,F403
from enfance.settings import PASSWORD_HASHERS as PRODUCTION_PASSWORD_HASHERS  # noqa: E402

# Argon2 stays the production hasher (a test checks it); tests hash with a fast one.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_PASSWORD_HASHERS]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run at once, inside the test (their bodies are also called directly).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": TASK_QUEUES}}  # noqa: F405
if not REDIS_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # One Redis database per pytest-xdist worker: tests clear the cache, which must not log out
    # the other worker's clients.
    _worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    _base, _, _db = REDIS_URL.rpartition("/")  # noqa: F405
    CACHES["default"]["LOCATION"] = f"{_base}/{(int(_db or 0) + _worker) % 16}"  # noqa: F405
# The PayFiP web service is the local simulator: no test ever reaches the real one.
PAYFIP_SESSION_FACTORY = "enfance.payments.payfip_simulator.simulated_session"
