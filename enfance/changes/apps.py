from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.changes"
    label = "changes"
