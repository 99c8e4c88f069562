import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enfance.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402

if settings.SECRET_KEY_MISSING:
    from enfance.core.checks import MISSING_KEY

    raise ImproperlyConfigured(MISSING_KEY)
