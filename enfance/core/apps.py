from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.core"
    label = "core"

    def ready(self):
        from . import checks, mail, sweep  # noqa: F401  (checks registers the system checks)

        sweep.register("outbox")(mail.sweep_outbox)
        sweep.register("outbox_purge")(mail.purge_sent)
