"""Helpers shared by the staff views: categories named in URLs, read-only archived records."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from enfance.families import categories
from enfance.families.models import ChildLink


def category_slug(key):
    """The category's name in URLs: its French slug."""
    return categories.get(key).slug


def category_or_404(name, *, scope, kinds):
    """The category a URL names by its slug, only of the given scope and kinds."""
    category = categories.BY_SLUG.get(name)
    if category is None or category.scope != scope or category.kind not in kinds:
        raise Http404
    return category


def family_url(family, anchor=""):
    url = reverse("backoffice:family", args=[family.pk])
    return f"{url}#{anchor}" if anchor else url


def refuse_archived_family(request, family):
    """An archived household is read-only: a redirect with a French message, or None when editable."""
    if family.archived_at is None:
        return None
    messages.error(request, _("Ce foyer est archivé : son dossier ne peut plus être modifié."))
    return redirect(family_url(family))


def child_links(child):
    return list(ChildLink.objects.filter(child=child).select_related("family").order_by("family__reference"))


def child_return_family(request, links):
    """The household page to go back to: the one named by ?foyer= when the child belongs to it."""
    wanted = request.GET.get("foyer") or request.POST.get("foyer")
    for link in links:
        if str(link.family_id) == wanted:
            return link.family
    active = [link.family for link in links if link.family.archived_at is None]
    return (active or [link.family for link in links] or [None])[0]


def child_return_url(child, family):
    if family is None:
        return reverse("backoffice:home")
    return family_url(family, f"enfant-{child.pk}")


def child_is_read_only(links):
    """A child whose every household is archived is read-only; a child still in an active household is not."""
    return bool(links) and all(link.family.archived_at is not None for link in links)


def refuse_archived_child(request, child, links, family):
    if child_is_read_only(links):
        messages.error(request, _("Les foyers de cet enfant sont archivés : son dossier ne peut plus être modifié."))
        return redirect(child_return_url(child, family))
    return None
