from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "enfance.activities"
    label = "activities"
    verbose_name = "Activités"
