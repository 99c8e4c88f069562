from django.conf import settings
from django.core import checks

MISSING_KEY = "SECRET_KEY must be set in the environment (or DEBUG=1 for development)"


@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if getattr(settings, "SECRET_KEY_MISSING", False):
        return [checks.Error(MISSING_KEY, id="enfance.E001")]
    return []
