"""Children: adding one to a household, shared custody, the photo, the health page and its access log."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from enfance.accounts.decorators import staff_required
from enfance.core import audit
from enfance.core.files import photo_response
from enfance.core.models import HealthAccessLog
from enfance.core.pagination import paginate
from enfance.core.values import parse_id
from enfance.families import access, categories, services
from enfance.families.forms import ChildForm
from enfance.families.models import Child

from .. import audit_display, queries
from ..forms import ChildSearchForm
from ._common import child_is_read_only, child_links, child_return_family, family_url, refuse_archived_family


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def child_add(request, family_id):
    family = access.get_family_for_staff(request.user, family_id)
    if (refused := refuse_archived_family(request, family)) is not None:
        return refused
    form = ChildForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        child = services.add_child(family, form, actor=request.user)
        messages.success(request, _("%(name)s est ajouté(e) au foyer %(ref)s.")
                         % {"name": child, "ref": family.reference})
        return redirect(family_url(family, f"enfant-{child.pk}"))
    return render(request, "backoffice/record_form.html", {
        "section": "families",
        "form": form,
        "title": _("Ajouter un enfant au foyer %(ref)s") % {"ref": family.reference},
        "subject": family,
        "family": family,
        "cancel_url": family_url(family, "enfants"),
        "button": _("Ajouter l'enfant"),
        "intro": _("Un enfant déjà connu d'un autre foyer (garde partagée) se rattache plutôt depuis "
                   "« Rattacher un enfant d'un autre foyer », pour garder une seule fiche."),
    })


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def child_link(request, family_id):
    """Shared custody: find a child already known to another household and link it to this one too."""
    family = access.get_family_for_staff(request.user, family_id)
    if (refused := refuse_archived_family(request, family)) is not None:
        return refused
    if request.method == "POST":
        child_id = request.POST.get("child", "")
        if parse_id(child_id) is None:
            raise Http404
        child = get_object_or_404(Child, pk=child_id)
        services.link_child(family, child, actor=request.user)
        messages.success(request, _("%(name)s est rattaché(e) au foyer %(ref)s (garde partagée).")
                         % {"name": child, "ref": family.reference})
        return redirect(family_url(family, f"enfant-{child.pk}"))
    form = ChildSearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = queries.search_children(form.cleaned_data["q"], exclude_family=family)
    return render(request, "backoffice/child_link.html", {
        "section": "families", "family": family, "form": form, "results": results,
    })


@staff_required
@require_GET
def child_photo(request, child_id):
    return photo_response(access.get_child_for_staff(request.user, child_id).photo)


@staff_required
@require_GET
def child_health(request, child_id):
    """The child's health data. Every opening is logged (who, when, which child)."""
    child = access.get_child_for_staff(request.user, child_id)
    audit.log_health_access(request, child)
    links = child_links(child)
    family = child_return_family(request, links)
    return render(request, "backoffice/child_health.html", {
        "section": "families",
        "child": child,
        "health": categories.related_or_none(child, "health"),
        "vaccinations": list(child.vaccinations.all()),
        "links": links,
        "family": family,
        "can_edit": request.user.can_edit_records and not child_is_read_only(links),
        "entries": audit_display.lines(audit_display.health_entries(child)[:30], show_health=True),
    })


@staff_required(admin=True)
@require_GET
def health_log(request):
    entries = HealthAccessLog.objects.select_related("user", "user__guardian", "user__family", "child")
    child = None
    child_id = request.GET.get("enfant", "")
    if child_id:
        if parse_id(child_id) is None:
            raise Http404
        child = get_object_or_404(Child, pk=child_id)
        entries = entries.filter(child=child)
    page = paginate(request, entries)
    return render(request, "backoffice/health_log.html", {"section": "health_log", "page": page, "child": child})
