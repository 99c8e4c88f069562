from django.urls import path
from django.views.generic import TemplateView

app_name = "public"

urlpatterns = [
    path("accessibilite/", TemplateView.as_view(template_name="core/accessibility.html"), name="accessibility"),
    path("donnees-personnelles/", TemplateView.as_view(template_name="core/privacy.html"), name="privacy"),
]
