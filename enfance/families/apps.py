from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.families"
    label = "families"
