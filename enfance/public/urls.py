from django.urls import path
from django.views.generic import TemplateView

from . import views

app_name = "public"

urlpatterns = [
    path("accessibilite/", TemplateView.as_view(template_name="public/accessibility.html"), name="accessibility"),
    path("pre-inscription/", views.apply, name="apply"),
    path("pre-inscription/envoyee/", views.apply_done, name="apply_done"),
    path("pre-inscription/fiche-vierge/pdf/", views.apply_form_pdf, name="apply_form_pdf"),
    path("notifications/desabonnement/<str:token>/", views.notification_optout, name="optout"),
    path("donnees-personnelles/", TemplateView.as_view(template_name="public/privacy.html"), name="privacy"),
]
