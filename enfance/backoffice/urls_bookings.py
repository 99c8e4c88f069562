"""Back-office URLs of the activities: bookings at the desk and the "à contrôler" list (included by
backoffice/urls.py)."""

from django.urls import path

from .views import bookings

urlpatterns = [
    path("familles/<int:family_id>/reservations/", bookings.family_bookings, name="family_bookings"),
    path("familles/<int:family_id>/absences/signaler/", bookings.family_absence, name="family_absence"),
    path("absences/<int:absence_id>/justifier/", bookings.absence_justify, name="absence_justify"),
    path("demandes/a-controler/", bookings.requests_to_check, name="requests_to_check"),
]
