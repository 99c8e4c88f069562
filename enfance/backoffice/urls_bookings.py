"""Back-office URLs of the activities: bookings (included by backoffice/urls.py)."""

urlpatterns = []
