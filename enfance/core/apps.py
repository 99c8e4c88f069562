from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.core"
    label = "core"
