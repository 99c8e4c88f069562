"""The back office's billing pages (see docs/billing.md)."""

urlpatterns = []
