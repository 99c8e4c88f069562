from django.urls import path

from . import requests, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("mes-informations/", views.information, name="information"),
    path("mes-informations/modifier/<slug:category_slug>/", requests.edit_family_category, name="edit_family"),
    path("enfants/<int:child_id>/", views.child_detail, name="child"),
    path("enfants/<int:child_id>/sante/", views.child_health, name="child_health"),
    path("enfants/<int:child_id>/photo/", views.child_photo, name="child_photo"),
    path("enfants/<int:child_id>/photo/modifier/", requests.edit_photo, name="edit_photo"),
    path("enfants/<int:child_id>/modifier/<slug:category_slug>/", requests.edit_child_category, name="edit_child"),
    path("enfants/<int:child_id>/personnes-autorisees/ajouter/", requests.authorized_person_add,
         name="authorized_person_add"),
    path("enfants/<int:child_id>/personnes-autorisees/<int:person_id>/", requests.authorized_person,
         name="authorized_person"),
    path("enfants/<int:child_id>/personnes-autorisees/<int:person_id>/supprimer/", requests.authorized_person_remove,
         name="authorized_person_remove"),
    path("enfants/<int:child_id>/vaccinations/ajouter/", requests.vaccination_add, name="vaccination_add"),
    path("enfants/<int:child_id>/vaccinations/<int:vaccination_id>/", requests.vaccination, name="vaccination"),
    path("enfants/<int:child_id>/vaccinations/<int:vaccination_id>/supprimer/", requests.vaccination_remove,
         name="vaccination_remove"),
    path("demandes/", requests.request_list, name="requests"),
    path("demandes/<int:request_id>/", requests.request_detail, name="request"),
    path("demandes/<int:request_id>/annuler/", requests.request_cancel, name="request_cancel"),
    path("demandes/<int:request_id>/photo/", requests.request_photo, name="request_photo"),
]
