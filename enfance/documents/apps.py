from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.documents"
    label = "documents"
