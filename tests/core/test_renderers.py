"""The widgets rendered in Python (enfance/core/renderers.py) give exactly the markup of Django's Jinja2 templates.

(Django's own template engine spells a few entities otherwise, &#x27; for &#39;: the same characters.)"""

import inspect
from pathlib import Path

import django.forms
import pytest
from django import forms
from django.forms.renderers import Jinja2

from enfance.core import renderers
from enfance.core.renderers import FormRenderer
from enfance.families import categories

TEMPLATES = Path(django.forms.__file__).parent / "jinja2" / "django" / "forms" / "widgets"
# The templates the Python functions copy, as Django ships them: a change in a Django upgrade fails here.
COPIED = {
    "input.html": '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %} '
                  'value="{{ widget.value }}"{% endif %}{% include "django/forms/widgets/attrs.html" %}>',
    "attrs.html": '{% for name, value in widget.attrs.items() %}{% if value is not sameas False %} {{ name }}'
                  '{% if value is not sameas True %}="{{ value }}"{% endif %}{% endif %}{% endfor %}',
    "textarea.html": '<textarea name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>\n'
                     '{% if widget.value %}{{ widget.value }}{% endif %}</textarea>',
    "select.html": '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>'
                   '{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}\n'
                   '  <optgroup label="{{ group_name }}">{% endif %}{% for widget in group_choices %}\n'
                   '  {% include widget.template_name %}{% endfor %}{% if group_name %}\n'
                   '  </optgroup>{% endif %}{% endfor %}\n</select>',
    "select_option.html": '<option value="{{ widget.value }}"{% include "django/forms/widgets/attrs.html" %}>'
                          '{{ widget.label }}</option>',
}
HOSTILE = "L'Isle <b>\"&amp;\"</b> é"


@pytest.mark.parametrize("name", sorted(COPIED))
def test_the_copied_templates_are_still_djangos(name):
    assert (TEMPLATES / name).read_text().strip() == COPIED[name]


@pytest.mark.parametrize("name", sorted(renderers.INPUTS))
def test_the_input_templates_only_include_the_input(name):
    source = (TEMPLATES / f"{name}.html").read_text().strip()
    assert source in ('{% include "django/forms/widgets/input.html" %}', COPIED["input.html"])


WIDGETS = [
    forms.TextInput(attrs={"maxlength": 10, "placeholder": HOSTILE, "required": True, "disabled": False}),
    forms.EmailInput(),
    forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
    forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    forms.HiddenInput(),
    forms.PasswordInput(render_value=True),
    forms.CheckboxInput(),
    forms.Textarea(attrs={"rows": 3}),
    forms.Select(choices=[("", "---"), ("a", HOSTILE), ("b", "Bé")]),
    forms.Select(choices=[("Groupe <1>", [(1, "Un"), (2, "Deux")]), (3, "Trois")]),
    forms.NullBooleanSelect(),
]
VALUES = [None, "", HOSTILE, "a", 2, True, False, "2026-12-01"]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
def test_a_widget_renders_as_the_templates_render_it(widget):
    fast, templates = FormRenderer(), Jinja2()
    for value in VALUES:
        for attrs in (None, {"aria-describedby": "x_helptext", "aria-invalid": "true", "id": HOSTILE}):
            expected = widget.render("champ", value, attrs=attrs, renderer=templates)
            assert widget.render("champ", value, attrs=attrs, renderer=fast) == expected, (value, attrs)


def _forms():
    """(form class, keyword arguments) of every form of the portal and of the back office's messages."""
    from enfance.backoffice import message_forms
    from enfance.changes.forms import AttachmentForm
    from enfance.changes.registry import all_types
    from enfance.messaging import forms as messaging_forms
    from enfance.messaging import notifications

    for category in categories.CATEGORIES:
        for form_class in {category.form_class, category.staff_form}:
            yield form_class, {}
    for module in (messaging_forms, message_forms):
        for _name, form_class in inspect.getmembers(module, inspect.isclass):
            if issubclass(form_class, forms.BaseForm) and form_class.__module__ == module.__name__:
                if form_class is messaging_forms.PreferencesForm:
                    yield form_class, {"kinds": notifications.all_kinds(), "current": {}}
                elif "__init__" not in vars(form_class) or not _required_arguments(form_class):
                    yield form_class, {}
    for request_type in all_types():
        if request_type.attachments is not None:
            yield AttachmentForm, {"rule": request_type.attachments}


def _required_arguments(form_class):
    parameters = inspect.signature(form_class.__init__).parameters.values()
    return [p for p in parameters if p.kind is p.KEYWORD_ONLY and p.default is p.empty]


@pytest.mark.django_db
def test_every_form_renders_as_the_templates_render_it():
    compared, classes = 0, set()
    for form_class, kwargs in _forms():
        for data in (None, {name: HOSTILE for name in form_class.base_fields}):
            fast = form_class(data, renderer=FormRenderer(), **kwargs)
            templates = form_class(data, renderer=Jinja2(), **kwargs)
            for name in fast.fields:
                assert fast[name].as_widget() == templates[name].as_widget(), (form_class, name)
                compared += 1
            classes.add(form_class.__name__)
    assert compared > 100
    assert {"PreferencesForm", "AttachmentForm", "NewThreadForm", "ReplyForm", "GuardianForm"} <= classes
