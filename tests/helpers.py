"""Small helpers shared by the test suites."""

import html
import io

from PIL import Image

from enfance.families.models import Child


def text(response):
    """A page's HTML with its entities decoded, for checks on French text."""
    return html.unescape(response.content.decode())


def first_child(login):
    return Child.objects.filter(links__family=login.family).order_by("pk").first()


def png_bytes(size=(40, 30), color=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def session_queries():
    """Queries a request spends on its session: 1 with database sessions, 0 with Redis (the CI's PostgreSQL run)."""
    from django.conf import settings

    return 1 if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db" else 0
