"""The back office's online payments (agents and administrators). Included by backoffice/urls.py."""

from django.urls import path

from .views import online_payments

urlpatterns = [
    path("facturation/paiements-en-ligne/", online_payments.attempt_list, name="online_payments"),
    path("facturation/paiements-en-ligne/<int:attempt_id>/", online_payments.attempt_detail, name="online_payment"),
    path("facturation/paiements-en-ligne/<int:attempt_id>/regulariser/", online_payments.attempt_reconcile,
         name="online_payment_reconcile"),
]
