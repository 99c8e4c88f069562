from django.urls import path

from . import activity_views, change_views, document_views, inbox_views, rules_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("mes-informations/", views.information, name="information"),
    path("mes-informations/dossier/pdf/", document_views.dossier_pdf, name="dossier"),
    path("mes-informations/modifier/<slug:category_slug>/", change_views.edit_family_category, name="edit_family"),
    path("enfants/<int:child_id>/", views.child_detail, name="child"),
    path("enfants/<int:child_id>/sante/", views.child_health, name="child_health"),
    path("enfants/<int:child_id>/photo/", views.child_photo, name="child_photo"),
    path("enfants/<int:child_id>/fiche/pdf/", document_views.child_sheet_pdf, name="child_sheet"),
    path("enfants/<int:child_id>/fiche-complete/pdf/", document_views.child_sheet_pdf, {"complete": True},
         name="child_sheet_complete"),
    path("enfants/<int:child_id>/photo/modifier/", change_views.edit_photo, name="edit_photo"),
    path("enfants/<int:child_id>/modifier/<slug:category_slug>/", change_views.edit_child_category, name="edit_child"),
    path("enfants/<int:child_id>/personnes-autorisees/ajouter/", change_views.authorized_person_add,
         name="authorized_person_add"),
    path("enfants/<int:child_id>/personnes-autorisees/<int:person_id>/", change_views.authorized_person,
         name="authorized_person"),
    path("enfants/<int:child_id>/personnes-autorisees/<int:person_id>/supprimer/", change_views.authorized_person_remove,
         name="authorized_person_remove"),
    path("enfants/<int:child_id>/vaccinations/ajouter/", change_views.vaccination_add, name="vaccination_add"),
    path("enfants/<int:child_id>/vaccinations/<int:vaccination_id>/", change_views.vaccination, name="vaccination"),
    path("enfants/<int:child_id>/vaccinations/<int:vaccination_id>/supprimer/", change_views.vaccination_remove,
         name="vaccination_remove"),
    path("demandes/", change_views.request_list, name="requests"),
    path("demandes/<int:request_id>/", change_views.request_detail, name="request"),
    path("demandes/<int:request_id>/annuler/", change_views.request_cancel, name="request_cancel"),
    path("demandes/<int:request_id>/pieces/<int:attachment_id>/", change_views.request_attachment,
         name="request_attachment"),
    path("messagerie/", inbox_views.inbox, name="inbox"),
    path("messagerie/nouveau/", inbox_views.thread_new, name="thread_new"),
    path("messagerie/<int:thread_id>/", inbox_views.thread, name="thread"),
    path("messagerie/<int:thread_id>/pieces/<int:attachment_id>/", inbox_views.message_attachment,
         name="message_attachment"),
    path("mes-preferences/", inbox_views.preferences, name="preferences"),
    path("reservations/", activity_views.calendar, name="calendar"),
    path("reservations/en-serie/", activity_views.bookings_bulk, name="bookings_bulk"),
    path("reservations/<int:booking_id>/accepter/", activity_views.booking_accept, name="booking_accept"),
    path("absences/", activity_views.absence_list, name="absences"),
    path("absences/signaler/", activity_views.absence_new, name="absence_new"),
    path("absences/<int:absence_id>/certificat/", activity_views.certificate_new, name="certificate_new"),
    path("inscriptions/", activity_views.registration_list, name="registrations"),
    path("inscriptions/nouvelle/", activity_views.registration_new, name="registration_new"),
    path("inscriptions/<int:registration_id>/modifier/", activity_views.registration_change,
         name="registration_change"),
    path("inscriptions/<int:registration_id>/arreter/", activity_views.registration_end, name="registration_end"),
    path("conditions/", rules_views.portal_rules, name="rules"),
    path("conditions/pdf/", rules_views.portal_rules_pdf, name="rules_pdf"),
]

from . import urls_billing  # noqa: E402

urlpatterns += urls_billing.urlpatterns
