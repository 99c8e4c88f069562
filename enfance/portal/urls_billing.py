"""The portal's invoices and account statement (see docs/billing.md)."""

urlpatterns = []
