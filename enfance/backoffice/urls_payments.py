"""The back office's payments pages (see docs/billing.md)."""

urlpatterns = []
