from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.core"
    label = "core"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from . import mail, sweep

        sweep.register("outbox")(mail.sweep_outbox)
        sweep.register("outbox_purge")(mail.purge_sent)
