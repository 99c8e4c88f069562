"""The PDF of an issued invoice or credit note, archived at the issue (included by backoffice/urls.py)."""

from django.urls import path

from .views import invoice_pdf

urlpatterns = [
    path("factures/<int:invoice_id>/pdf/", invoice_pdf.invoice_pdf, name="invoice_pdf"),
]
