from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "enfance.documents"
    label = "documents"
    verbose_name = "Éditions"

    def ready(self):
        from . import checks  # noqa: F401  (the logo setting's check)
