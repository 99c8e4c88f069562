"""The Portail Famille. Every view is for the logged-in household and reaches only its objects."""

from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.views.decorators.http import require_GET

from enfance.accounts.decorators import family_required
from enfance.core.files import photo_response
from enfance.families import access, categories


def _family(request):
    # family_required loaded the household with its fiscal, CAF and bank rows; add the guardians.
    prefetch_related_objects([request.family], "guardians")
    return request.family


@require_GET
@family_required
def home(request):
    family = _family(request)
    children = access.children_with_records(family)
    return render(request, "portal/home.html", {
        "family": family,
        "children": children,
        "missing": categories.missing_items(family, children),
        "pending_count": family.change_requests.pending().count(),
        "section": "home",
    })


@require_GET
@family_required
def information(request):
    family = _family(request)
    pending = list(family.change_requests.pending().select_related("child"))
    return render(request, "portal/information.html", {
        "family": family,
        **categories.household_records(family),
        "children": access.children_with_records(family),
        "pending": pending,
        # Family records with a request waiting: their card says so.
        "pending_categories": {r.category for r in pending if r.child_id is None},
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
        "health": categories.related_or_none(child, "health"),
        "vaccinations": child.vaccinations.all(),
        "section": "information",
    })


@require_GET
@family_required
def child_photo(request, child_id):
    return photo_response(access.get_child_for_family(request.family, child_id).photo)
