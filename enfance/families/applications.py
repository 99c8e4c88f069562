"""New households: the public application and the staff's decision on it."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from enfance.accounts.services import create_family_login, suggest_username
from enfance.changes.services import NotPending, RequestError, decide
from enfance.core import audit
from enfance.core.mail import send_templated_email
from enfance.core.models import AuditEntry
from enfance.core.values import raw_from_form

from . import services as family_services
from .forms import ChildForm, GuardianForm, StaffHouseholdForm
from .models import Child, Guardian, NewHouseholdApplication

Status = NewHouseholdApplication.Status

# What a new household brings to the town hall: shown on the public page and in the e-mail.
DOSSIER_CHECKLIST = [
    _lazy("le dossier d'inscription signé par les responsables"),
    _lazy("les conditions de fonctionnement signées"),
    _lazy("un justificatif de domicile de moins de 3 mois"),
    _lazy("la copie des pages de vaccination du carnet de santé de chaque enfant"),
    _lazy("votre attestation de quotient familial CAF ou MSA, ou votre dernier avis d'imposition"),
    _lazy("le cas échéant, le jugement fixant la résidence des enfants et le projet d'accueil individualisé (PAI)"),
]


def submit_application(household_form, guardian_forms, child_forms):
    payload = {
        "household": raw_from_form(household_form),
        "guardians": [raw_from_form(f) for f in guardian_forms if f.cleaned_data],
        "children": [raw_from_form(f) for f in child_forms if f.cleaned_data],
    }
    application = NewHouseholdApplication.objects.create(
        payload=payload, contact_email=payload["guardians"][0].get("email", ""),
    )
    send_templated_email(application.contact_email, "families/email/application_received.txt",
                         {"application": application, "checklist": DOSSIER_CHECKLIST})
    return application


def likely_duplicates(application):
    """For each child of the application, the existing children that may be the same (shared custody)."""
    result = []
    for child in application.payload.get("children", []):
        query = Q(last_name__iexact=child.get("last_name", ""), first_name__iexact=child.get("first_name", ""))
        if child.get("birth_date"):
            query |= Q(birth_date=child["birth_date"], first_name__iexact=child.get("first_name", ""))
        candidates = list(Child.objects.filter(query).prefetch_related("links__family")[:5])
        result.append((child, candidates))
    return result


def likely_guardian_duplicates(application):
    query = Q(pk__in=[])
    for guardian in application.payload.get("guardians", []):
        if guardian.get("email"):
            query |= Q(email__iexact=guardian["email"])
        query |= Q(last_name__iexact=guardian.get("last_name", ""), first_name__iexact=guardian.get("first_name", ""))
    return list(Guardian.objects.filter(query).select_related("family")[:10])


def _bound(form_class, data, **kwargs):
    form = form_class(data=data, **kwargs)
    if not form.is_valid():
        errors = "; ".join(" ".join(v) for v in form.errors.values())
        raise RequestError(_("Des informations de la pré-inscription ne sont pas valables : %(e)s") % {"e": errors})
    return form


def _locked_pending(application_id):
    application = NewHouseholdApplication.objects.select_for_update().get(pk=application_id)
    if application.status != Status.PENDING:
        raise NotPending(_("Cette pré-inscription a déjà été traitée."))
    return application


def approve_application(application_id, *, staff, dossier_received_on, links=None):
    """Create the household, its guardians and children (or link existing ones), and invite its logins."""
    links = links or {}
    with transaction.atomic():
        application = _locked_pending(application_id)
        payload = application.payload
        household = _bound(StaffHouseholdForm, {**payload["household"], "reference": "",
                                                 "dossier_received_on": dossier_received_on.isoformat()})
        guardians = payload["guardians"]
        main = _bound(GuardianForm, guardians[0])
        note = str(application)
        family = family_services.create_family(household, main, actor=staff, note=note)
        if len(guardians) > 1:
            second = _bound(GuardianForm, guardians[1], instance=Guardian(family=family, rank=2))
            family_services.save_record(second, actor=staff, family=family, note=note)
        for index, child_data in enumerate(payload["children"]):
            if links.get(index):
                family_services.link_child(family, Child.objects.get(pk=links[index]), actor=staff, note=note)
            else:
                family_services.add_child(family, _bound(ChildForm, {**child_data, "photo_consent": "false",
                                                                     "may_leave_alone": "false"}),
                                          actor=staff, note=note)
        for guardian in family.guardians.all():
            if guardian.email:
                create_family_login(family, actor=staff, username=suggest_username(family, guardian),
                                    email=guardian.email, guardian=guardian)
        decide(application, Status.APPROVED, by=staff, dossier_received_on=dossier_received_on, family=family)
        audit.record(actor=staff, action=AuditEntry.Action.APPLICATION_APPROVED, family=family,
                     object_type="application", object_id=str(application.pk),
                     object_repr=_("%(application)s de %(name)s") % {"application": application,
                                                                    "name": application.display_name})
    return application


def reject_application(application_id, *, staff, reason):
    with transaction.atomic():
        application = _locked_pending(application_id)
        decide(application, Status.REJECTED, by=staff, answer=reason.strip()[:2000])
        audit.record(actor=staff, action=AuditEntry.Action.APPLICATION_REJECTED, object_type="application",
                     object_id=str(application.pk), note=reason.strip()[:300],
                     object_repr=_("%(application)s de %(name)s") % {"application": application,
                                                                    "name": application.display_name})
        send_templated_email(application.contact_email, "families/email/application_rejected.txt",
                             {"application": application})
    return application
