from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.families"
    label = "families"

    def ready(self):
        from . import request_types

        request_types.register_all()
