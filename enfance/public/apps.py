from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.public"
    label = "public"
