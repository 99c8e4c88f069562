"""The audit trail: one shared helper for every change to household records."""

import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from enfance.core.fields import mask_iban
from enfance.core.models import AuditEntry, HealthAccessLog

MASKED_FIELDS = {"iban": mask_iban}


def display_value(instance, field):
    """A value as a person reads it: choices by label, dates in French order, IBAN masked."""
    return display_value_of(field, getattr(instance, field.attname if isinstance(field, models.ForeignKey)
                                           else field.name))


def display_value_of(field, value):
    if field.name in MASKED_FIELDS:
        return MASKED_FIELDS[field.name](value)
    if field.choices and value not in (None, ""):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, datetime.datetime):  # aware, in UTC: the day is the Paris one
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        whole, _sep, cents = f"{value:,.2f}".partition(".")
        return whole.replace(",", "\u202f") + "," + cents  # 58 420,00, as the euros filter writes it
    if isinstance(field, models.FileField):
        return getattr(value, "name", value) or ""
    if value is None:
        return ""
    return str(value)


def snapshot(instance, fields=None):
    """{field name: display value} for the editable concrete fields of a record."""
    if instance is None:
        return {}
    result = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.is_relation or not field.editable:
            continue
        if fields is not None and field.name not in fields:
            continue
        result[field.name] = display_value(instance, field)
    return result


def diff(before, after):
    """{field: [old, new]} for the fields whose display value changed."""
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k, ""), after.get(k, "")] for k in keys if before.get(k, "") != after.get(k, "")}


def field_labels(model):
    return {f.name: str(f.verbose_name) for f in model._meta.concrete_fields}


def record(*, actor, action, obj=None, family=None, child=None, changes=None, note="", object_type=None,
           object_id=None, object_repr=None):
    """One line of the trail. The household and the child are also kept as words, so that the line still
    says whom it was about once they are deleted (RGPD accountability)."""
    if object_id is None:
        object_id = str(obj.pk) if obj is not None and obj.pk else ""
    if object_repr is None:
        object_repr = str(obj) if obj is not None else ""
    return AuditEntry.objects.create(
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        family=family,
        family_label=family.reference if family is not None else "",
        child=child,
        child_label=f"{child.first_name} {child.last_name}"[:160] if child is not None else "",
        object_type=object_type or (obj._meta.model_name if obj is not None else ""),
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=changes or {},
        note=note[:300],
    )


def log_health_access(request, child):
    """Every opening of a child's health data by staff is kept: who, when, which child, which page."""
    return HealthAccessLog.objects.create(user=request.user, child=child, path=request.get_full_path()[:200],
                                          child_label=f"{child.first_name} {child.last_name}"[:160])
