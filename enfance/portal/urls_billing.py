"""The portal's invoices and account statement (see docs/billing.md), and its money documents (docs/documents.md)."""

from django.urls import path

from . import billing_views, certificate_views

urlpatterns = [
    path("factures/", billing_views.invoices, name="invoices"),
    # The e-mail telling a household of a new invoice links here ({% url 'portal:invoice' invoice.pk %}).
    path("factures/<int:invoice_id>/", billing_views.invoice, name="invoice"),
    path("factures/<int:invoice_id>/pdf/", billing_views.invoice_pdf_view, name="invoice_pdf"),
    path("releve/", billing_views.statement, name="statement"),
]

urlpatterns += [
    path("releve/pdf/", certificate_views.statement_pdf, name="statement_pdf"),
    path("attestations/", certificate_views.certificate_list, name="certificates"),
    path("attestations/paiement/<int:year>/pdf/", certificate_views.payment_certificate, name="payment_certificate"),
    path("attestations/garde/<int:year>/pdf/", certificate_views.tax_certificate, name="tax_certificate"),
]
