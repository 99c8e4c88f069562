from django.urls import path

from . import views

app_name = "rules"

urlpatterns = [
    path("portail/conditions/", views.portal_rules, name="portal"),
    path("portail/conditions/pdf/", views.portal_rules_pdf, name="portal_pdf"),
    path("gestion/conditions/", views.rules_list, name="list"),
    path("gestion/conditions/<int:rules_id>/", views.rules_detail, name="detail"),
    path("gestion/conditions/<int:rules_id>/publier/", views.rules_publish, name="publish"),
    path("gestion/conditions/<int:rules_id>/exemplaire-signe/", views.rules_signed_copy, name="signed_copy"),
    path("gestion/conditions/<int:rules_id>/pdf/", views.rules_pdf, name="pdf"),
]
