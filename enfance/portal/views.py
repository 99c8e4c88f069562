"""The Portail Famille. Every view is for the logged-in household and reaches only its objects."""

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from enfance.accounts.decorators import family_required
from enfance.changes.models import ChangeRequest
from enfance.families import access, categories
from enfance.families.models import Family


def _family(request):
    return access.family_with_records(request.family.pk, queryset=Family.objects.filter(pk=request.family.pk))


@require_GET
@family_required
def home(request):
    family = _family(request)
    children = access.children_with_records(family)
    return render(request, "portal/home.html", {
        "family": family,
        "children": children,
        "missing": categories.missing_items(family, children),
        "pending_count": ChangeRequest.objects.filter(family=family, status=ChangeRequest.Status.PENDING).count(),
        "section": "home",
    })


@require_GET
@family_required
def information(request):
    family = _family(request)
    children = access.children_with_records(family)
    guardians = {g.rank: g for g in family.guardians.all()}
    return render(request, "portal/information.html", {
        "family": family,
        "guardian1": guardians.get(1),
        "guardian2": guardians.get(2),
        "tax": _optional(family, "tax_info"),
        "caf": _optional(family, "caf_info"),
        "bank": _optional(family, "bank_account"),
        "children": children,
        "pending": ChangeRequest.objects.filter(family=family, status=ChangeRequest.Status.PENDING)
        .select_related("child"),
        "section": "information",
    })


@require_GET
@family_required
def child_detail(request, child_id):
    child = access.get_child_for_family(request.family, child_id)
    persons = child.authorized_persons.filter(family=request.family)
    return render(request, "portal/child_detail.html", {
        "child": child, "persons": persons, "section": "information",
    })


@require_GET
@family_required
def child_health(request, child_id):
    child = access.get_child_for_family(request.family, child_id)
    return render(request, "portal/child_health.html", {
        "child": child,
        "health": _optional(child, "health"),
        "vaccinations": child.vaccinations.all(),
        "section": "information",
    })


@require_GET
@family_required
def child_photo(request, child_id):
    child = access.get_child_for_family(request.family, child_id)
    return serve_photo(child)


def serve_photo(child):
    """A private file, sent only after the caller checked access."""
    if not child.photo:
        raise Http404
    try:
        handle = child.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _optional(obj, attr):
    return getattr(obj, attr) if categories.has_related(obj, attr) else None
