from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "enfance.activities"
    label = "activities"
    verbose_name = "Activités"

    def ready(self):
        from enfance.core import sweep

        from . import notices, request_types, snapshot  # noqa: F401  (kinds, types, the snapshot's signals)

        sweep.register("expired_offers")(notices.expire_offers)
        sweep.register("promotion_notices")(notices.tell_lost_notices)
