from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "enfance.billing"
    label = "billing"
    verbose_name = "Facturation"
