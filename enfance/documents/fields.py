"""A form's fields as the editions print them: the label, and the value read from a record, from a
pre-registration's raw values, or nothing (a line to write on, or the choices to tick).

Built from the forms themselves, so that a field added to a form shows on its paper version too.
"""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from enfance.core.audit import display_value
from enfance.core.values import display_raw

TEXTAREA_LINES = 3


def _choices(field):
    if isinstance(field, forms.BooleanField):
        return [_("oui"), _("non")]
    if isinstance(field, forms.ChoiceField):
        return [str(label) for value, label in field.choices if value not in ("", None)]
    return None


def _value(model, name, instance, raw):
    if instance is not None:
        value = display_value(instance, model._meta.get_field(name))
    elif raw is not None and name in raw:
        value = display_raw(model, name, raw[name])
    else:
        return None
    return capfirst(value) if value in (_("oui"), _("non")) else value


def rows(form_class, *, instance=None, raw=None, wide=(), exclude=()):
    """[{label, value, choices, wide, lines}] for the form's fields; blank when neither instance nor raw.

    An empty text area gets several lines to write on in a blank form, one in a filled-in one."""
    model = form_class._meta.model
    blank = instance is None and raw is None
    result = []
    for name, field in form_class().fields.items():
        if name in exclude:
            continue
        value = _value(model, name, instance, raw)
        row = {"label": capfirst(str(field.label)), "value": value,
               "wide": name in wide or isinstance(field.widget, forms.Textarea)}
        if not value:
            row["choices"] = _choices(field)
            if blank and isinstance(field.widget, forms.Textarea):
                row["lines"] = TEXTAREA_LINES
        result.append(row)
    return result


def model_rows(model, names, **kwargs):
    """rows() for some fields of a model, labelled as its forms label them."""
    return rows(forms.modelform_factory(model, fields=names), **kwargs)
