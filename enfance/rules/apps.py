from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.rules"
    label = "rules"
