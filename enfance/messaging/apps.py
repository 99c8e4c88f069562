from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.messaging"
    label = "messaging"

    def ready(self):
        from enfance.changes.signals import request_decided
        from enfance.core import sweep

        from . import notifications, services  # noqa: F401  (notifications registers its kinds)

        request_decided.connect(services.on_request_decided, dispatch_uid="messaging.decision")
        sweep.register("broadcasts")(services.resume_broadcasts)
