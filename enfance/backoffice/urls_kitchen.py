"""Back-office URLs of the activities: kitchen (included by backoffice/urls.py)."""

urlpatterns = []
