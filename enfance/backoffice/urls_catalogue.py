"""Back-office URLs of the activities: catalogue (included by backoffice/urls.py)."""

urlpatterns = []
