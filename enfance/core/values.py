"""A record's values as form data ("raw"), and raw values as people read them.

Requests keep raw values (what a form would post), so that they can be validated again when
decided, compared exactly, and formatted only when shown, in the reader's language.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from .audit import display_value_of


def to_raw(value, field=None):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField):
        return f"{value:.{field.decimal_places}f}"
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def _model_field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def raw_from_instance(instance, fields):
    model = type(instance)
    return {name: to_raw(getattr(instance, name), _model_field(model, name)) for name in fields}


def raw_from_form(form):
    """{field: raw value} of a valid ModelForm, as stored in a request's payload."""
    model = form._meta.model
    return {name: to_raw(form.cleaned_data.get(name), _model_field(model, name)) for name in form._meta.fields}


def from_raw(field, raw):
    """The Python value of a raw value, for display; a value the field no longer reads is kept as typed."""
    if isinstance(field, models.BooleanField):
        return str(raw).lower() in {"true", "1", "on", "t"}
    if raw in ("", None):
        return None
    try:
        if isinstance(field, models.DecimalField):
            return Decimal(str(raw))
        return field.to_python(raw)
    except (ValidationError, InvalidOperation, TypeError, ValueError):
        return raw


def display_raw(model, name, raw):
    field = _model_field(model, name)
    if field is None:
        return str(raw or "")
    return display_value_of(field, from_raw(field, raw))


def parse_id(value, max_digits=12):
    """An identifier typed in a URL or a form, as an int, or None: ASCII digits only ("²".isdigit() is True
    and int("²") raises), at most max_digits of them (no 64-bit overflow in a query)."""
    value = str(value if value is not None else "")
    if value.isascii() and value.isdigit() and len(value) <= max_digits:
        return int(value)
    return None
