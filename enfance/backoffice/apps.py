from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.backoffice"
    label = "backoffice"
