from django.urls import path

from . import views

app_name = "changes"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:request_id>/", views.review, name="review"),
    path("<int:request_id>/valider/", views.approve, name="approve"),
    path("<int:request_id>/refuser/", views.reject, name="reject"),
    path("<int:request_id>/fichier/", views.request_file, name="file"),
]
