from django.urls import path

from .views import (
    applications,
    broadcasts,
    children,
    dashboard,
    families,
    logins,
    message_settings,
    messages,
    outbox,
    records,
    requests,
    rules,
)

app_name = "backoffice"

FAMILY = "familles/<int:family_id>/"
PERSONS = FAMILY + "enfants/<int:child_id>/personnes-autorisees/"
CHILD = "enfants/<int:child_id>/"
THREAD = "messages/<int:thread_id>/"

urlpatterns = [
    path("", dashboard.home, name="home"),
    # households
    path("familles/", families.family_list, name="families"),
    path("familles/nouvelle/", families.family_create, name="family_create"),
    path(FAMILY, families.family_detail, name="family"),
    path(FAMILY + "journal/", families.family_history, name="family_history"),
    path(FAMILY + "modifier/<slug:category>/", records.family_record_edit, name="family_edit"),
    path(FAMILY + "conjoint/supprimer/", families.guardian2_remove, name="guardian2_remove"),
    path(FAMILY + "archiver/", families.family_archive, name="family_archive"),
    path(FAMILY + "enfants/ajouter/", children.child_add, name="child_add"),
    path(FAMILY + "enfants/rattacher/", children.child_link, name="child_link"),
    path(PERSONS + "ajouter/", records.authorized_person_edit, name="authorized_person_add"),
    path(PERSONS + "<int:person_id>/modifier/", records.authorized_person_edit, name="authorized_person_edit"),
    path(PERSONS + "<int:person_id>/supprimer/", records.authorized_person_delete, name="authorized_person_delete"),
    # a household's logins
    path(FAMILY + "identifiants/ajouter/", logins.family_login_create, name="family_login_create"),
    path(FAMILY + "identifiants/<int:user_id>/inviter/", logins.family_login_invite, name="family_login_invite"),
    path(FAMILY + "identifiants/<int:user_id>/fermer/", logins.family_login_close, name="family_login_close"),
    # children (one record shared by the child's households)
    path(CHILD + "modifier/photo/", records.child_photo_edit, name="child_photo_edit"),
    path(CHILD + "modifier/<slug:category>/", records.child_record_edit, name="child_edit"),
    path(CHILD + "photo/", children.child_photo, name="child_photo"),
    path(CHILD + "sante/", children.child_health, name="child_health"),
    path(CHILD + "vaccinations/ajouter/", records.vaccination_edit, name="vaccination_add"),
    path(CHILD + "vaccinations/<int:vaccination_id>/modifier/", records.vaccination_edit, name="vaccination_edit"),
    path(CHILD + "vaccinations/<int:vaccination_id>/supprimer/", records.vaccination_delete,
         name="vaccination_delete"),
    # households' requests and new households' pre-registrations
    path("demandes/", requests.queue, name="requests"),
    path("demandes/reglages/", requests.request_settings, name="request_settings"),
    path("demandes/<int:request_id>/", requests.review, name="request"),
    path("demandes/<int:request_id>/valider/", requests.approve, name="request_approve"),
    path("demandes/<int:request_id>/refuser/", requests.reject, name="request_reject"),
    path("demandes/<int:request_id>/pieces/<int:attachment_id>/", requests.request_attachment,
         name="request_attachment"),
    path("demandes/pre-inscriptions/", applications.application_list, name="applications"),
    path("demandes/pre-inscriptions/<int:application_id>/", applications.application_review, name="application"),
    path("demandes/pre-inscriptions/<int:application_id>/valider/", applications.application_approve,
         name="application_approve"),
    path("demandes/pre-inscriptions/<int:application_id>/refuser/", applications.application_reject,
         name="application_reject"),
    # conversations with households, broadcasts
    path("messages/", messages.inbox, name="messages"),
    path("messages/ecrire/<int:family_id>/", messages.message_new, name="message_new"),
    path(THREAD, messages.thread, name="message_thread"),
    path(THREAD + "attribuer/", messages.assign, name="message_assign"),
    path(THREAD + "clore/", messages.close, name="message_close"),
    path(THREAD + "rouvrir/", messages.reopen, name="message_reopen"),
    path(THREAD + "pieces/<int:attachment_id>/", messages.message_attachment, name="message_attachment"),
    path("messages-groupes/", broadcasts.broadcast_list, name="broadcasts"),
    path("messages-groupes/nouveau/", broadcasts.broadcast_new, name="broadcast_new"),
    # service rules
    path("conditions/", rules.rules_list, name="rules"),
    path("conditions/<int:rules_id>/", rules.rules_detail, name="rules_detail"),
    path("conditions/<int:rules_id>/publier/", rules.rules_publish, name="rules_publish"),
    path("conditions/<int:rules_id>/exemplaire-signe/", rules.rules_signed_copy, name="rules_signed_copy"),
    path("conditions/<int:rules_id>/pdf/", rules.rules_pdf, name="rules_pdf"),
    # administrators
    path("journal-sante/", children.health_log, name="health_log"),
    path("agents/", logins.staff_list, name="staff"),
    path("agents/nouveau/", logins.staff_create, name="staff_create"),
    path("agents/<int:user_id>/fermer/", logins.staff_close, name="staff_close"),
    path("courriels/", outbox.outbox, name="outbox"),
    path("courriels/<int:email_id>/renvoyer/", outbox.outbox_retry, name="outbox_retry"),
    path("reglages/themes/", message_settings.topic_list, name="topics"),
    path("reglages/themes/nouveau/", message_settings.topic_new, name="topics_new"),
    path("reglages/themes/<int:topic_id>/", message_settings.topic_edit, name="topics_edit"),
    path("reglages/reponses-types/", message_settings.answer_template_list, name="answer_templates"),
    path("reglages/reponses-types/nouvelle/", message_settings.answer_template_new, name="answer_templates_new"),
    path("reglages/reponses-types/<int:template_id>/", message_settings.answer_template_edit,
         name="answer_templates_edit"),
]

# The activities' pages, one module each (catalogue, bookings at the desk, attendance, kitchen and occupancy).
from . import (  # noqa: E402
    urls_attendance,
    urls_billing,
    urls_bookings,
    urls_catalogue,
    urls_kitchen,
    urls_online_payments,
    urls_payments,
)

urlpatterns += urls_catalogue.urlpatterns + urls_bookings.urlpatterns + urls_attendance.urlpatterns \
    + urls_kitchen.urlpatterns + urls_billing.urlpatterns + urls_payments.urlpatterns \
    + urls_online_payments.urlpatterns

# The PDF editions (enfance/documents).
from . import urls_documents  # noqa: E402

urlpatterns += urls_documents.urlpatterns

# The archived PDF of an issued invoice or credit note (enfance/documents/invoice.py).
from . import urls_invoice_pdf  # noqa: E402

urlpatterns += urls_invoice_pdf.urlpatterns
