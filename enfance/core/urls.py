from django.urls import path
from django.views.generic import TemplateView

from enfance.changes import application_views

app_name = "public"

urlpatterns = [
    path("accessibilite/", TemplateView.as_view(template_name="core/accessibility.html"), name="accessibility"),
    path("pre-inscription/", application_views.apply, name="apply"),
    path("pre-inscription/envoyee/", application_views.apply_done, name="apply_done"),
    path("donnees-personnelles/", TemplateView.as_view(template_name="core/privacy.html"), name="privacy"),
]
