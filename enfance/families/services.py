"""Writes to household records. Views call these; they hold no business rule themselves."""

import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enfance.accounts.services import close_login, sync_guardian_email
from enfance.changes import services as requests
from enfance.core import audit
from enfance.core.models import AuditEntry
from enfance.core.values import raw_from_instance

from .models import Child, ChildLink, Family, Guardian, HealthRecord, ReferenceCounter


def _owner_kwargs(obj):
    family = getattr(obj, "family", None) if not isinstance(obj, Family) else obj
    child = obj if isinstance(obj, Child) else getattr(obj, "child", None)
    return {"family": family, "child": child}


class StaleRecord(Exception):
    """The record changed since the form showing it was opened: nothing is written."""

    def __init__(self, current):
        super().__init__("stale record")
        self.current = current


def record_version(instance, fields):
    """A short fingerprint of the values a form shows: a staff form carries it and saving checks it."""
    if instance is None or instance.pk is None:
        return ""
    values = raw_from_instance(instance, fields)
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:20]


@transaction.atomic
def save_record(form, *, actor, family=None, child=None, note="", fields=None, version=None):
    """Save a bound, valid ModelForm and write what changed to the audit trail.

    The row is locked and saved with the given fields only (the form's by default), so that a change made
    meanwhile to another field (by staff, by another request) is not overwritten with the value read earlier.
    `version`: the record_version() the form was shown with; StaleRecord if the record changed since.
    """
    instance = form.instance
    creating = instance.pk is None
    form_fields = list(form._meta.fields)
    current = None if creating else type(instance).objects.select_for_update(no_key=True).get(pk=instance.pk)
    if version is not None and record_version(current, form_fields) != version:
        raise StaleRecord(current)
    before = {} if creating else audit.snapshot(current)
    if creating:
        obj = form.save()
    else:
        obj = form.save(commit=False)
        obj.save(update_fields=fields if fields is not None else form_fields)
        form.save_m2m()
    changes = audit.diff(before, audit.snapshot(obj))
    if changes or creating:
        owners = _owner_kwargs(obj)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE if creating else AuditEntry.Action.UPDATE,
            obj=obj,
            family=family or owners["family"],
            child=child or owners["child"],
            changes=changes,
            note=note,
        )
    if isinstance(obj, Guardian) and "email" in changes:
        sync_guardian_email(obj, actor=actor)  # the guardian's logins follow their address
    return obj


@transaction.atomic
def delete_record(obj, *, actor, family=None, child=None, note=""):
    owners = _owner_kwargs(obj)
    changes = audit.diff(audit.snapshot(obj), {})
    audit.record(
        actor=actor,
        action=AuditEntry.Action.DELETE,
        obj=obj,
        family=family or owners["family"],
        child=child or owners["child"],
        changes=changes,
        note=note,
    )
    obj.delete()


@transaction.atomic
def set_photo(child, photo_file, *, actor, family=None, note=""):
    old_name = child.photo.name if child.photo else ""
    child.photo.save(f"child-{child.pk}-{timezone.now():%Y%m%d%H%M%S}.jpg", photo_file, save=False)
    child.save(update_fields=["photo"])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=child,
        family=family,
        child=child,
        changes={"photo": [_("photo précédente") if old_name else "", _("nouvelle photo")]},
        note=note,
    )
    if old_name:
        transaction.on_commit(lambda: child.photo.storage.delete(old_name))
    return child


REFERENCE_PREFIX = "F"
_NUMBERED_REFERENCE = re.compile(rf"{REFERENCE_PREFIX}([0-9]{{1,9}})")


def highest_reference_number():
    """The highest number among the references "F<number>" (by value: F00010 is above F9)."""
    refs = Family.objects.filter(reference__startswith=REFERENCE_PREFIX).values_list("reference", flat=True)
    return max((int(m[1]) for ref in refs if (m := _NUMBERED_REFERENCE.fullmatch(ref))), default=0)


def _locked_counter():
    try:
        return ReferenceCounter.objects.select_for_update().get(prefix=REFERENCE_PREFIX)
    except ReferenceCounter.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return ReferenceCounter.objects.create(prefix=REFERENCE_PREFIX, last_number=highest_reference_number())
    except IntegrityError:  # created meanwhile by a concurrent creation: wait for its lock
        return ReferenceCounter.objects.select_for_update().get(prefix=REFERENCE_PREFIX)


@transaction.atomic
def next_reference():
    """The next household reference, from a counter row locked until the caller's transaction ends.

    A reference typed by staff may already hold the next number: it is skipped.
    """
    counter = _locked_counter()
    number = counter.last_number + 1
    while Family.objects.filter(reference=f"{REFERENCE_PREFIX}{number:05d}").exists():
        number += 1
    counter.last_number = number
    counter.save(update_fields=["last_number"])
    return f"{REFERENCE_PREFIX}{number:05d}"


@transaction.atomic
def move_reference_counter_past_existing():
    """After households were written with their own references (demo data, an import)."""
    counter = _locked_counter()
    highest = highest_reference_number()
    if highest > counter.last_number:
        counter.last_number = highest
        counter.save(update_fields=["last_number"])


@transaction.atomic
def create_family(household_form, guardian_form, *, actor, note=""):
    """A new household with its main guardian. The reference is given or the next free one.

    A reference typed by staff that is already used raises IntegrityError (the view says so next to it).
    """
    family = household_form.save(commit=False)
    if not family.reference:
        family.reference = next_reference()
    family.save()
    guardian = guardian_form.save(commit=False)
    guardian.family = family
    guardian.rank = 1
    guardian.save()
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=family, family=family,
                 changes=audit.diff({}, audit.snapshot(family)), note=note)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=guardian, family=family,
                 changes=audit.diff({}, audit.snapshot(guardian)), note=note)
    return family


@transaction.atomic
def add_child(family, child_form, *, actor, note=""):
    child = child_form.save()
    ChildLink.objects.create(family=family, child=child, since=timezone.localdate())
    HealthRecord.objects.get_or_create(child=child)
    audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=child, family=family, child=child,
                 changes=audit.diff({}, audit.snapshot(child)), note=note)
    return child


@transaction.atomic
def link_child(family, child, *, actor, note=""):
    """Shared custody: an existing child joins a second household."""
    link, created = ChildLink.objects.get_or_create(family=family, child=child,
                                                    defaults={"since": timezone.localdate()})
    if created:
        audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=child, family=family, child=child,
                     changes={"foyer": ["", family.reference]}, note=note or _("garde partagée"))
    return link


@transaction.atomic
def archive_family(family, *, actor, reason=""):
    """The household left: logins closed, records kept read-only for staff, dated for retention."""
    family = Family.objects.select_for_update(no_key=True).get(pk=family.pk)
    if family.archived_at:
        return family
    family.archived_at = timezone.now()
    family.archive_reason = reason[:200]
    family.save(update_fields=["archived_at", "archive_reason"])
    requests.cancel_pending_of_family(family, actor=actor, reason=_("Foyer archivé : %(reason)s") % {"reason": reason}
                                      if reason else _("Foyer archivé"))
    open_logins = list(family.logins.filter(is_active=True))
    for login in open_logins:
        close_login(login, actor=actor, note=_("identifiant %(username)s fermé : foyer archivé")
                    % {"username": login.username})
    closed = len(open_logins)
    closed_note = ngettext("%(n)d identifiant fermé", "%(n)d identifiants fermés", closed) % {"n": closed}
    audit.record(actor=actor, action=AuditEntry.Action.ARCHIVE, obj=family, family=family,
                 changes={"archived_at": ["", timezone.localtime(family.archived_at).strftime("%d/%m/%Y %H:%M")]},
                 note=f"{reason} ({closed_note})".strip())
    return family


@transaction.atomic
def remove_second_guardian(guardian, *, actor):
    """The second guardian leaves the household: their own logins are closed, then the record is deleted."""
    for login in guardian.logins.filter(is_active=True):
        close_login(login, actor=actor, note=_("identifiant %(username)s fermé : conjoint retiré du foyer")
                    % {"username": login.username})
    delete_record(guardian, actor=actor, family=guardian.family, note=_("conjoint retiré du foyer"))
