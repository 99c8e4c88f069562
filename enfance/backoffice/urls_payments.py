"""The back office's money pages (agents and administrators; leaders never see money): payments received at the
desk, their receipts and reversals, the staff's invoice page, a household's statement, every household's
balance, the overdue invoices and their reminders. Included by backoffice/urls.py."""

from django.urls import path

from .views import payments

PAYMENT = "reglements/<int:payment_id>/"

urlpatterns = [
    path("familles/<int:family_id>/reglements/nouveau/", payments.payment_new, name="payment_new"),
    path("familles/<int:family_id>/releve/<int:regie_id>/", payments.family_statement, name="family_statement"),
    path(PAYMENT, payments.payment_detail, name="payment"),
    path(PAYMENT + "annuler/", payments.payment_reverse, name="payment_reverse"),
    path("factures/<int:invoice_id>/", payments.invoice_detail, name="invoice"),
    path("facturation/soldes/", payments.balances, name="balances"),
    path("facturation/impayes/", payments.overdue, name="overdue"),
]
