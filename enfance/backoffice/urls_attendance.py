"""Back-office URLs of the activities: attendance (included by backoffice/urls.py)."""

from django.urls import path

from .views import attendance

SHEET = "pointage/<int:activity_id>/<str:day>/"

urlpatterns = [
    path("pointage/", attendance.attendance_home, name="attendance"),
    path(SHEET, attendance.attendance_sheet, name="attendance_sheet"),
    path(SHEET + "sans-reservation/", attendance.attendance_add, name="attendance_add"),
    path(SHEET + "enfants/<int:child_id>/sante/", attendance.attendance_health, name="attendance_health"),
]
