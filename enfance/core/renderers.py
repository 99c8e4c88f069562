"""The form renderer: Django's Jinja2 one, with the few widget templates every form uses written in Python.

Forms are most of the portal's pages and each widget went through a template of its own. The Python versions
produce the markup of Django's Jinja2 templates character for character, escaping included (markupsafe, as
Jinja2 does); tests/core/test_renderers.py compares them on every form and checks that Django's templates are
still the ones copied here. Anything else (file inputs, radio buttons, error lists) goes to the templates.
"""

from django.forms.renderers import Jinja2
from markupsafe import escape

WIDGETS = "django/forms/widgets/"
# The templates that are only {% include "django/forms/widgets/input.html" %}.
INPUTS = {"checkbox", "date", "datetime", "email", "hidden", "input", "number", "password", "search", "tel",
          "text", "time", "url"}


def _attrs(attrs):
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget):
    value = "" if widget["value"] is None else f' value="{escape(widget["value"])}"'
    return f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget):
    value = escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _option(option):
    return f'<option value="{escape(option["value"])}"{_attrs(option["attrs"])}>{escape(option["label"])}</option>'


def _select(widget):
    parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != WIDGETS + "select_option.html":
                return None  # a widget of its own: the templates render it
            parts.append("\n  " + _option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


IN_PYTHON = {WIDGETS + f"{name}.html": _input for name in INPUTS} | {
    WIDGETS + "textarea.html": _textarea,
    WIDGETS + "select.html": _select,
}


class FormRenderer(Jinja2):
    def render(self, template_name, context, request=None):
        render = IN_PYTHON.get(template_name)
        html = render(context["widget"]) if render is not None and request is None else None
        if html is None:
            return super().render(template_name, context, request)
        return html
