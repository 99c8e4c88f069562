from django.urls import path

from . import sandbox, views

app_name = "payments"

urlpatterns = [
    path("portail/paiements/", views.attempt_list, name="list"),
    path("portail/paiements/payer/", views.start, name="start"),
    path("portail/paiements/<str:token>/abandonner/", views.abandon, name="abandon"),
    path("paiement/<str:token>/", views.result, name="result"),
    path("paiement/<str:token>/notification/", views.notify, name="notify"),
    path("paiement/<str:token>/retour/", views.back, name="back"),
    path("banque-test/<str:token>/", sandbox.bank_page, name="sandbox_bank"),
]
