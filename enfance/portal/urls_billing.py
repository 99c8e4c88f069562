"""The portal's invoices and account statement (see docs/billing.md)."""

from django.urls import path

from . import billing_views

urlpatterns = [
    path("factures/", billing_views.invoices, name="invoices"),
    # The e-mail telling a household of a new invoice links here ({% url 'portal:invoice' invoice.pk %}).
    path("factures/<int:invoice_id>/", billing_views.invoice, name="invoice"),
    path("releve/", billing_views.statement, name="statement"),
]
