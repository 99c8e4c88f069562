from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.portal"
    label = "portal"
