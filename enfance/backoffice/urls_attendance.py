"""Back-office URLs of the activities: attendance (included by backoffice/urls.py)."""

urlpatterns = []
