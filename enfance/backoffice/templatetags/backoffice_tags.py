"""Links to the generic edit pages, named by category key and spelt with the category's slug in URLs."""

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from enfance.backoffice.audit_display import actor_label
from enfance.backoffice.views._common import category_slug

register = template.Library()


@register.simple_tag
def family_edit_url(family, key):
    return reverse("backoffice:family_edit", args=[family.pk, category_slug(key)])


@register.simple_tag
def child_edit_url(child, key, family=None):
    """The child's edit page; `family` is the household page to come back to."""
    name = "backoffice:child_photo_edit" if key == "photo" else "backoffice:child_edit"
    args = [child.pk] if key == "photo" else [child.pk, category_slug(key)]
    url = reverse(name, args=args)
    return f"{url}?{urlencode({'foyer': family.pk})}" if family is not None else url


@register.filter
def person(user):
    """A login as staff read it in logs: "Sandrine Giraud, agent", "Claire Roux, foyer F00004"."""
    return actor_label(user)
