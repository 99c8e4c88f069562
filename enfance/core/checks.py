from django.conf import settings
from django.core import checks

MISSING_KEY = "SECRET_KEY must be set in the environment (or DEBUG=1 for development)"


@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if getattr(settings, "SECRET_KEY_MISSING", False):
        return [checks.Error(MISSING_KEY, id="enfance.E001")]
    return []


IN_PROCESS_TASK_BACKENDS = {
    "django_tasks.backends.immediate.ImmediateBackend",
    "django_tasks.backends.dummy.DummyBackend",
}
NO_WORKER = ("production without a task worker backend: TASKS backend %s runs tasks inside the web request "
             "(immediate) or never (dummy)")
NO_WORKER_HINT = ("Set TASKS_BACKEND=django_tasks_db.DatabaseBackend and run `manage.py db_worker --queue-name "
                  "email` and `manage.py db_worker --queue-name default`, plus `manage.py sweep` every minute.")


@checks.register(checks.Tags.compatibility, deploy=True)
def tasks_have_a_worker(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    backends = getattr(settings, "TASKS", {}) or {}
    return [
        checks.Warning(NO_WORKER % params.get("BACKEND"), hint=NO_WORKER_HINT, id="enfance.W001")
        for params in backends.values() if params.get("BACKEND") in IN_PROCESS_TASK_BACKENDS
    ]
