import datetime
import functools
from decimal import Decimal

from django import forms, template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from enfance.core.context_processors import commune_contact as contact_details
from enfance.core.text import de_name

register = template.Library()
NBSP, NARROW_NBSP = "\u00a0", "\u202f"


@register.simple_tag
def commune_contact():
    """The town hall's address, phone, e-mail and hours; from the settings, so that pages rendered
    without a request (the 500 page) have them too. Rendered once per process (and language): every page's
    footer shows it."""
    details = contact_details()
    return _contact_html(get_language(), tuple(details.items()))


@functools.lru_cache(maxsize=8)
def _contact_html(language, details):
    return render_to_string("core/_contact.html", dict(details))


@register.simple_tag
def fixed_url(name):
    """{% url name %} for a URL without arguments, reversed once per process: for the menus, header and footer
    that every page shows."""
    return _reverse_once(name, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=512)
def _reverse_once(name, script_prefix, urlconf, root_urlconf):
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def widget(field):
    """The field's widget, with its help text and error linked by aria-describedby."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    attrs = {}
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.simple_tag
def field_row(field):
    """One form field: its label, the widget, its help text and its error next to it, linked for screen readers.

    In Python rather than an included template: forms are most of the portal's pages, and an include per field
    cost more than the rest of the page's template."""
    if isinstance(field.field.widget, forms.RadioSelect):  # and CheckboxSelectMultiple, its subclass
        return _choices_row(field)
    checkbox = getattr(field.field.widget, "input_type", None) == "checkbox"
    wid = field.auto_id
    label = format_html('<label for="{}">{}</label>', wid, field.label)
    if not checkbox and field.field.required and not field.form.empty_permitted:
        label = format_html(
            '<label for="{}">{} <span class="required" aria-hidden="true">*</span>'
            '<span class="visually-hidden">{}</span></label>', wid, field.label, _("(obligatoire)"))
    control = widget(field)
    parts = [control, label] if checkbox else [label, control]
    # The error right under the control, before a help text that may run to several lines.
    if field.errors:
        parts.append(format_html('<p class="error" id="{}_error">{}</p>', wid,
                                 mark_safe(" ".join(conditional_escape(e) for e in field.errors))))
    if field.help_text:
        parts.append(format_html('<p class="help" id="{}_helptext">{}</p>', wid, field.help_text))
    classes = "field" + (" field-error" if field.errors else "") + (" field-checkbox" if checkbox else "")
    return format_html('<div class="{}">\n  {}\n</div>\n', classes, mark_safe("\n  ".join(parts)))


def _choices_row(field):
    """Radio buttons or checkboxes: a group named by a legend (a label would name an id no input has), each choice
    labelled by its own label, the error and help text linked to every choice."""
    wid = field.auto_id
    legend = field.label
    if field.field.required and not field.form.empty_permitted:
        legend = format_html('{} <span class="required" aria-hidden="true">*</span>'
                             '<span class="visually-hidden">{}</span>', field.label, _("(obligatoire)"))
    parts = [format_html("<legend>{}</legend>", legend), widget(field)]
    if field.errors:
        parts.append(format_html('<p class="error" id="{}_error">{}</p>', wid,
                                 mark_safe(" ".join(conditional_escape(e) for e in field.errors))))
    if field.help_text:
        parts.append(format_html('<p class="help" id="{}_helptext">{}</p>', wid, field.help_text))
    classes = "field field-choices" + (" field-error" if field.errors else "")
    return format_html('<fieldset class="{}">\n  {}\n</fieldset>\n', classes, mark_safe("\n  ".join(parts)))


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """This page's URL query for page `number`, keeping the other parameters (search, filters)."""
    params = context["request"].GET.copy()
    params["page"] = number
    return "?" + params.urlencode()


@register.filter
def nobreak(value):
    """A phone number on one line: "06 12 34 56 78" never breaks between its pairs of digits."""
    return "" if value in (None, "") else format_html('<span class="nowrap">{}</span>', value)


@register.filter
def euros(value):
    if value in (None, ""):
        return ""
    value = Decimal(value).quantize(Decimal("0.01"))
    whole, _, cents = f"{value:,.2f}".partition(".")
    return whole.replace(",", NARROW_NBSP) + "," + cents + NBSP + "€"


@register.filter
def frdate(value):
    """dd/mm/yyyy, from a date or from an ISO date string (as kept in a pre-registration's payload)."""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return date_format(value, "d/m/Y") if value else ""


@register.filter
def day_month(value, year=""):
    """A date as French writes it in a sentence: "1er novembre", "9 décembre"; "1er novembre 2026" with
    {{ day|day_month:"Y" }}. From a date, an aware datetime (its Paris day) or an ISO date string; "" for none.
    In Python: day_month(day, "Y")."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    # The French ordinal of the first day of a month only ("1er"); every other day is its number.
    day = _("1er") if value.day == 1 else str(value.day)
    text = f"{day} {date_format(value, 'F')}"
    return f"{text} {value.year}" if year else text


@register.filter
def display(instance, field_name):
    """A model field's value as a person reads it (choices by label, yes/no, French dates)."""
    from enfance.core.audit import display_value

    if instance is None:
        return ""
    return display_value(instance, instance._meta.get_field(field_name))


@register.filter
def label(instance_or_model, field_name):
    return instance_or_model._meta.get_field(field_name).verbose_name


@register.filter(name="de")
def de_filter(name):
    """{{ child.first_name|de }}: "d'Inès", "de Léa" (see enfance.core.text.de_name)."""
    return de_name(name)
