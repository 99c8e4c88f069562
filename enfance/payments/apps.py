from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "enfance.payments"
    label = "payments"
    verbose_name = "Paiement en ligne"

    def ready(self):
        from enfance.core import sweep

        from . import attempts, notices, sandbox, tasks  # noqa: F401  (the notification kinds, the tasks)

        sweep.register("pending_payments")(attempts.sweep_pending)
        sweep.register("sandbox_notifications")(sandbox.send_due_notifications)
