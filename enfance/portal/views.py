"""The Portail Famille. Every view is for the logged-in household and reaches only its objects."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from enfance.billing import portal_queries
from enfance.core.files import photo_response
from enfance.families import access, categories
from enfance.families.models import Family
from enfance.payments.views import mark_in_progress
from enfance.portal.decorators import family_required


def _family(request):
    """The household with what its summary pages show: its fiscal, CAF and bank rows and its guardians."""
    return (Family.objects.select_related("tax_info", "caf_info", "bank_account").prefetch_related("guardians")
            .get(pk=request.family.pk))


@require_GET
@family_required
def home(request):
    family = _family(request)
    children = access.children_summary(family)
    accounts = [account for account in portal_queries.accounts(family) if account.owed]
    mark_in_progress(family, [(account.regie, account.owed) for account in accounts])  # one query, if owed
    return render(request, "portal/home.html", {
        "family": family,
        "children": children,
        "missing": categories.missing_items(family, children),
        "pending_count": family.change_requests.pending().count(),
        "accounts": accounts,
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
        "pending_categories": {r.request_type for r in pending if r.child_id is None},
        # One QF, the one that prices today (not the C.A.F. form's figure, which may not apply or not yet).
        "quotient": portal_queries.quotient_today(family),
        "section": "information",
    })


def _pending_for_child(family, child):
    """The child's records with a request of this household waiting: {type: set of target ids}, and the list."""
    pending = list(family.change_requests.pending().filter(child=child).select_related("family", "child"))
    by_type = {}
    for change in pending:
        by_type.setdefault(change.request_type, set()).add(change.target_id)
    return pending, by_type


@require_GET
@family_required
def child_detail(request, child_id):
    child = access.get_child_for_family(request.family, child_id)
    persons = list(child.authorized_persons.filter(family=request.family))
    pending, by_type = _pending_for_child(request.family, child)
    for person in persons:
        person.pending = person.pk in by_type.get("authorized_persons", ())
    return render(request, "portal/child_detail.html", {
        "child": child, "persons": persons, "section": "information", "pending": pending,
        "pending_types": set(by_type),
    })


@require_GET
@family_required
def child_health(request, child_id):
    child = access.get_child_for_family(request.family, child_id, with_health=True)
    vaccinations = list(child.vaccinations.all())
    pending, by_type = _pending_for_child(request.family, child)
    for vaccination in vaccinations:
        vaccination.pending = vaccination.pk in by_type.get("vaccinations", ())
    return render(request, "portal/child_health.html", {
        "child": child,
        "health": categories.related_or_none(child, "health"),
        "vaccinations": vaccinations,
        "section": "information",
        "pending": [r for r in pending if r.is_sensitive],
        "pending_types": set(by_type),
    })


@require_GET
@family_required
def child_photo(request, child_id):
    return photo_response(access.get_child_for_family(request.family, child_id).photo)
