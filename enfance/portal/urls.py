from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("mes-informations/", views.information, name="information"),
    path("enfants/<int:child_id>/", views.child_detail, name="child"),
    path("enfants/<int:child_id>/sante/", views.child_health, name="child_health"),
    path("enfants/<int:child_id>/photo/", views.child_photo, name="child_photo"),
    path("enfants/<int:child_id>/personnes-autorisees/<int:person_id>/", views.authorized_person_detail,
         name="authorized_person"),
    path("enfants/<int:child_id>/vaccinations/<int:vaccination_id>/", views.vaccination_detail,
         name="vaccination"),
]
