"""Back-office URLs of the activities: the kitchen's forecast, occupancy and the daily lists (included by
backoffice/urls.py)."""

from django.urls import path

from .views import kitchen

urlpatterns = [
    path("activites/cuisine/", kitchen.kitchen, name="kitchen"),
    path("activites/cuisine/previsions.csv", kitchen.kitchen_csv, name="kitchen_csv"),
    path("activites/occupation/", kitchen.occupancy, name="occupancy"),  # ?semaine=YYYY-MM-DD
    path("activites/listes-du-jour/", kitchen.daily_list, name="daily_list"),  # ?activite=<id>&jour=YYYY-MM-DD
]
