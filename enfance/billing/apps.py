from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "enfance.billing"
    label = "billing"
    verbose_name = "Facturation"

    def ready(self):
        from enfance.core import sweep

        from . import notices, quotients, reminders, tasks  # noqa: F401  (the notification kinds)

        sweep.register("stalled_runs")(tasks.resume_stalled)
        quotients.connect()  # a QF follows the household's CAF and tax data
