"""Back-office URLs of the activities: catalogue (included by backoffice/urls.py). Agents and administrators."""

from django.urls import path

from .views import catalogue, catalogue_items

ACTIVITY = "activites/<int:activity_id>/"

urlpatterns = [
    path("activites/", catalogue.activity_list, name="activities"),
    path("activites/nouvelle/", catalogue.activity_new, name="activity_new"),
    path(ACTIVITY, catalogue.activity_detail, name="activity"),
    path(ACTIVITY + "modifier/", catalogue.activity_edit, name="activity_edit"),
    path(ACTIVITY + "inscrire/", catalogue.activity_register, name="activity_register"),
    path("activites/inscriptions/<int:registration_id>/terminer/", catalogue.registration_end,
         name="registration_end"),
    path(ACTIVITY + "prestations/nouvelle/", catalogue_items.unit_new, name="unit_new"),
    path("activites/prestations/<int:unit_id>/", catalogue_items.unit_edit, name="unit_edit"),
    path(ACTIVITY + "groupes/nouveau/", catalogue_items.group_new, name="group_new"),
    path("activites/groupes/<int:group_id>/", catalogue_items.group_edit, name="group_edit"),
    path(ACTIVITY + "ouvertures/nouvelle/", catalogue_items.opening_new, name="opening_new"),
    path("activites/ouvertures/<int:opening_id>/", catalogue_items.opening_edit, name="opening_edit"),
    path("activites/lieux/", catalogue_items.place_list, name="places"),
    path("activites/lieux/nouveau/", catalogue_items.place_new, name="place_new"),
    path("activites/lieux/<int:place_id>/", catalogue_items.place_edit, name="place_edit"),
    path("activites/sites/nouveau/", catalogue_items.site_new, name="site_new"),
    path("activites/sites/<int:site_id>/", catalogue_items.site_edit, name="site_edit"),
    path("activites/supprimer/<slug:kind>/<int:object_id>/", catalogue_items.catalogue_delete,
         name="catalogue_delete"),
    path("calendrier/", catalogue_items.calendar_view, name="calendar"),
    path("calendrier/remplir/", catalogue_items.calendar_fill, name="calendar_fill"),
    path("calendrier/periodes/nouvelle/", catalogue_items.period_new, name="period_new"),
    path("calendrier/periodes/<int:period_id>/", catalogue_items.period_edit, name="period_edit"),
]
