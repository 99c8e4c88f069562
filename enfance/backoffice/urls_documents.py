"""The back office's PDF editions (included by backoffice/urls.py): see views/documents.py for who gets which."""

from django.urls import path

from .views import documents

urlpatterns = [
    path("enfants/<int:child_id>/fiche/pdf/", documents.child_sheet_pdf, name="child_sheet"),
    path("enfants/<int:child_id>/fiche-complete/pdf/", documents.child_sheet_complete_pdf,
         name="child_sheet_complete"),
    path("familles/<int:family_id>/dossier/pdf/", documents.family_dossier_pdf, name="family_dossier"),
    path("demandes/pre-inscriptions/<int:application_id>/pdf/", documents.application_dossier_pdf,
         name="application_dossier"),
]
