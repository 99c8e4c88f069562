"""Submit, decide and apply households' requests.

Every transition locks the request row, so that two staff members approving at
once apply it once, and a household cancelling while staff approve ends in one
state. Applying re-validates the proposed values against the record as it is
now, and writes the audit trail through the same services as staff edits.
"""

import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enfance.core import audit
from enfance.core.mail import send_templated_email
from enfance.core.models import AuditEntry
from enfance.families import categories
from enfance.families import services as family_services
from enfance.families.models import Family

from .models import CategorySetting, ChangeRequest

Kind = ChangeRequest.Kind
Status = ChangeRequest.Status


class RequestError(Exception):
    def __init__(self, message, errors=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class AlreadyPending(RequestError):
    def __init__(self, pending):
        super().__init__(_("Une demande sur ces informations est déjà en attente de validation."))
        self.pending = pending


class NoChange(RequestError):
    pass


class NotPending(RequestError):
    pass


class ConflictError(RequestError):
    """The record changed since the request was made: the reviewer must confirm."""

    def __init__(self, conflicts):
        super().__init__(_("Les informations ont changé depuis la demande : confirmez pour appliquer."))
        self.conflicts = conflicts


# --- values -----------------------------------------------------------------

def to_raw(value):
    """A cleaned value as form data, so that it can be validated again when applied."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def raw_from_form(form):
    """{field: raw value} of a valid ModelForm, as stored in a request's payload."""
    return {name: to_raw(form.cleaned_data.get(name)) for name in form._meta.fields}


def raw_from_instance(instance, fields):
    return {name: to_raw(getattr(instance, name)) for name in fields}


def _fresh(instance):
    if instance is None or instance.pk is None:
        return None
    return type(instance).objects.filter(pk=instance.pk).first()


def is_auto_approved(category_key):
    return CategorySetting.objects.filter(category=category_key, auto_approve=True).exists()


def auto_approved_categories():
    return set(CategorySetting.objects.filter(auto_approve=True).values_list("category", flat=True))


@transaction.atomic
def set_auto_approved(keys, *, actor):
    """Household records default to manual checking, as the commune described; an administrator may change it."""
    before = auto_approved_categories()
    for key in categories.BY_KEY:
        CategorySetting.objects.update_or_create(category=key, defaults={"auto_approve": key in keys})
    if before != set(keys):
        audit.record(actor=actor, action=AuditEntry.Action.UPDATE, object_type="réglages des demandes",
                     changes={"validation automatique": [", ".join(sorted(before)), ", ".join(sorted(keys))]})


# --- submit -------------------------------------------------------------------

def _lock_family(family):
    # Serialises a household's submissions: the "one pending request per record" check holds.
    return Family.objects.select_for_update().get(pk=family.pk)


def find_pending(family, category_key, *, child=None, target_id=None):
    return ChangeRequest.objects.pending().filter(
        family=family, category=category_key, child=child, target_id=target_id
    ).first()


def submit_form(*, user, family, category_key, form, kind, child=None):
    """File a request from a valid form (kinds fields, add, change)."""
    category = categories.get(category_key)
    fields = list(form._meta.fields)
    original = _fresh(form.instance) if kind != Kind.ADD else None
    before = audit.snapshot(original, fields) if original is not None else {}
    proposed_display = audit.snapshot(form.instance, fields)
    proposed = raw_from_form(form)
    if original is not None and before == proposed_display:
        raise NoChange(_("Vous n'avez modifié aucune information."))
    target_id = original.pk if original is not None else None
    with transaction.atomic():
        _lock_family(family)
        if kind != Kind.ADD:
            pending = find_pending(family, category.key, child=child, target_id=target_id)
            if pending:
                raise AlreadyPending(pending)
        request = ChangeRequest.objects.create(
            family=family, child=child, created_by=user, category=category.key, kind=kind,
            target_id=target_id, before=before, proposed=proposed, proposed_display=proposed_display,
        )
    return _after_submit(request)


def submit_removal(*, user, family, category_key, item, child=None):
    category = categories.get(category_key)
    with transaction.atomic():
        _lock_family(family)
        pending = find_pending(family, category.key, child=child, target_id=item.pk)
        if pending:
            raise AlreadyPending(pending)
        request = ChangeRequest.objects.create(
            family=family, child=child, created_by=user, category=category.key, kind=Kind.REMOVE,
            target_id=item.pk, before=audit.snapshot(item), proposed={}, proposed_display={},
        )
    return _after_submit(request)


def submit_file(*, user, family, child, upload):
    """The child's photo: the cleaned, re-encoded file waits in private storage."""
    with transaction.atomic():
        _lock_family(family)
        pending = find_pending(family, "photo", child=child, target_id=child.pk)
        if pending:
            raise AlreadyPending(pending)
        request = ChangeRequest(
            family=family, child=child, created_by=user, category="photo", kind=Kind.FILE, target_id=child.pk,
            before={"photo": child.photo.name or ""}, proposed={}, proposed_display={"photo": _("nouvelle photo")},
        )
        request.file.save(f"request-child-{child.pk}.jpg", ContentFile(upload.read()), save=False)
        request.save()
    return _after_submit(request)


def _after_submit(request):
    audit.record(actor=request.created_by, action=AuditEntry.Action.REQUEST, family=request.family,
                 child=request.child, object_type="changerequest", note=f"{request} : {request.target_label}")
    if is_auto_approved(request.category):
        try:
            return approve(request.pk, staff=None, auto=True)
        except RequestError:
            # A rule failed or the record moved: it waits for a person, as any other request.
            request.refresh_from_db()
    return request


# --- review ---------------------------------------------------------------------

def current_target(request):
    """The record as it is now (None if it does not exist / no longer exists)."""
    category = request.category_obj
    if request.kind in (Kind.FIELDS, Kind.FILE):
        return category.get_instance(request.family, request.child)
    if request.kind in (Kind.CHANGE, Kind.REMOVE):
        return category.items(request.family, request.child).filter(pk=request.target_id).first()
    return None


def current_values(request):
    target = current_target(request)
    if request.kind == Kind.FILE:
        return {"photo": target.photo.name if target is not None and target.photo else ""}
    return audit.snapshot(target, list(request.before) or None) if target is not None else {}


def changed_fields(request):
    """The fields the household asked to change."""
    if request.kind == Kind.FIELDS:
        return [k for k, v in request.proposed_display.items() if request.before.get(k, "") != v]
    return list(request.proposed_display)


def conflicts(request):
    """{field: (value when asked, value now)} for what changed since the request was made."""
    if request.kind == Kind.ADD:
        return {}
    target = current_target(request)
    if request.target_id is not None and target is None:
        return {"__all__": (_("présent"), _("supprimé depuis"))}
    if request.target_id is None and target is not None and request.kind == Kind.FIELDS:
        return {"__all__": (_("absent"), _("créé depuis"))}
    now = current_values(request)
    return {k: (v, now.get(k, "")) for k, v in request.before.items() if now.get(k, "") != v}


def review_rows(request):
    """Rows for the review page: (label, value when asked, current value, proposed value, changed)."""
    model = request.category_obj.model
    labels = audit.field_labels(model)
    now = current_values(request)
    keys = list(dict.fromkeys([*request.before, *request.proposed_display]))
    changed = set(changed_fields(request))
    rows = []
    for key in keys:
        rows.append({
            "field": key,
            "label": labels.get(key, key),
            "before": request.before.get(key, ""),
            "current": now.get(key, ""),
            "proposed": request.proposed_display.get(key, "") if request.kind != Kind.REMOVE else "",
            "changed": key in changed or request.kind in (Kind.ADD, Kind.REMOVE),
            "moved": request.kind != Kind.ADD and now.get(key, "") != request.before.get(key, ""),
        })
    return rows


# --- decide -----------------------------------------------------------------------

def _locked(request_id):
    # of=("self",): lock the request row only (the child is on the nullable side of an outer join).
    return ChangeRequest.objects.select_for_update(of=("self",)).select_related("family", "child").get(pk=request_id)


def _locked_pending(request_id):
    request = _locked(request_id)
    if request.status != Status.PENDING:
        raise NotPending(_("Cette demande a déjà été traitée (%(status)s).")
                         % {"status": request.get_status_display().lower()})
    return request


def decide(obj, status, *, by, **fields):
    """Close a request or a pre-registration: its new status, when, by whom, and any other field given."""
    obj.status = status
    obj.decided_at = timezone.now()
    obj.decided_by = by
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save(update_fields=["status", "decided_at", "decided_by", *fields])
    return obj


def approve(request_id, *, staff, comment="", confirm=False, auto=False):
    """Apply the request in one transaction. Safe to call twice: the second call changes nothing."""
    with transaction.atomic():
        request = _locked_pending(request_id)
        found = conflicts(request)
        if found and not confirm:
            raise ConflictError(found)
        _apply(request, actor=staff)
        decide(request, Status.APPROVED, by=staff, auto_approved=auto, answer=comment[:2000])
        _notify(request)
    return request


def reject(request_id, *, staff, reason):
    if not reason.strip():
        raise RequestError(_("Indiquez le motif du refus : il est envoyé à la famille."),
                           errors={"reason": _("Le motif est obligatoire.")})
    with transaction.atomic():
        request = _locked_pending(request_id)
        decide(request, Status.REJECTED, by=staff, answer=reason.strip()[:2000])
        _notify(request)
    return request


def cancel(request_id, *, family, user):
    with transaction.atomic():
        request = _locked(request_id)
        if request.family_id != family.pk:
            raise ChangeRequest.DoesNotExist
        if request.status != Status.PENDING:
            raise NotPending(_("Cette demande a déjà été traitée : elle ne peut plus être annulée."))
        decide(request, Status.CANCELLED, by=user)
    return request


def _apply(request, *, actor):
    category = request.category_obj
    family, child = request.family, request.child
    note = _("Demande n° %(id)s") % {"id": request.pk}
    if request.kind == Kind.FILE:
        family_services.set_photo(child, ContentFile(request.file.open("rb").read()), actor=actor,
                                  family=family, note=note)
        return
    target = current_target(request)
    if request.kind == Kind.REMOVE:
        if target is None:
            raise RequestError(_("Cet élément a déjà été supprimé."))
        family_services.delete_record(target, actor=actor, family=family, child=child, note=note)
        return
    fields = list(request.proposed)
    if request.kind == Kind.ADD:
        instance = category.new_instance(family, child)
        data = dict(request.proposed)
    else:
        if target is None:
            if request.target_id is not None:
                raise RequestError(_("Cet élément n'existe plus : la demande ne peut pas être appliquée."))
            instance = category.new_instance(family, child)
            data = dict(request.proposed)
        else:
            instance = target
            # Only the fields the household changed; later changes to the others are kept.
            data = raw_from_instance(target, fields)
            data.update({k: request.proposed[k] for k in changed_fields(request) if k in request.proposed})
    form = category.build_form(staff=False, instance=instance, data=data, child=child)
    if not form.is_valid():
        errors = {k: " ".join(v) for k, v in form.errors.items()}
        raise RequestError(_("Les valeurs demandées ne sont plus valables : %(errors)s")
                           % {"errors": "; ".join(errors.values())}, errors=errors)
    family_services.save_record(form, actor=actor, family=family, child=child, note=note)


def _notify(request):
    recipients = {request.created_by.email} if request.created_by and request.created_by.email else set()
    if not recipients:
        recipients = {g.email for g in request.family.guardians.all() if g.email}
    send_templated_email(sorted(recipients), "changes/email/decision.txt", {"request": request})
