from django.urls import path

from . import application_views, views

app_name = "changes"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("reglages/", views.category_settings, name="settings"),
    path("<int:request_id>/", views.review, name="review"),
    path("<int:request_id>/valider/", views.approve, name="approve"),
    path("<int:request_id>/refuser/", views.reject, name="reject"),
    path("<int:request_id>/fichier/", views.request_file, name="file"),
    path("pre-inscriptions/", application_views.application_list, name="applications"),
    path("pre-inscriptions/<int:application_id>/", application_views.application_review, name="application"),
    path("pre-inscriptions/<int:application_id>/valider/", application_views.application_approve,
         name="application_approve"),
    path("pre-inscriptions/<int:application_id>/refuser/", application_views.application_reject,
         name="application_reject"),
]
