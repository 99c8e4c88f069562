from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.accounts"
    label = "accounts"
