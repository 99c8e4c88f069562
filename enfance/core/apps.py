from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.core"
    label = "core"

    def ready(self):
        # Imported for their side effects: the system checks, and the SQLite functions of each connection.
        from . import checks, db  # noqa: F401
