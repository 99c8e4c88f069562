from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "enfance.billing"
    label = "billing"
    verbose_name = "Facturation"

    def ready(self):
        from enfance.core import sweep

        from . import notices, tasks  # noqa: F401  (the notification kind)

        sweep.register("stalled_runs")(tasks.resume_stalled)
