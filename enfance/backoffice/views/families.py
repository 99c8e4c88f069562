"""Households: search, the household page, its history, creation, archiving, removing the second guardian."""

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from enfance.accounts.decorators import staff_required
from enfance.core.pagination import paginate
from enfance.families import access, categories, services
from enfance.families.forms import GuardianForm, StaffHouseholdForm
from enfance.families.models import ChildLink
from enfance.rules import services as rules_services

from .. import audit_display, message_queries, queries
from ..forms import ArchiveForm, SearchForm
from ._common import family_url, refuse_archived_family
from .billing import family_quotients
from .payments import family_account

AUDIT_ON_PAGE = 30
THREADS_ON_PAGE = 10


@staff_required
@require_GET
def family_list(request):
    form = SearchForm(request.GET or None)
    q, include_archived = "", False
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        include_archived = form.cleaned_data["archived"]
    families = access.families_visible_to(request.user)
    page = paginate(request, queries.search_families(q, include_archived=include_archived, families=families))
    return render(request, "backoffice/family_list.html", {
        "section": "families",
        "form": form,
        "q": q,
        "page": page,
        "limited_to_activities": not access.sees_all_households(request.user),
    })


def login_status(user):
    if not user.is_active:
        return "closed", _("Fermé")
    if not user.has_usable_password():
        return "pending", _("En attente d'activation")
    return "active", _("Actif")


@staff_required
@require_GET
def family_detail(request, family_id):
    family = access.get_family_for_staff(request.user, family_id)
    children = access.children_with_records(family, own_persons_only=False, with_households=True)
    if not access.sees_all_households(request.user):
        # A leader sees the children of their activities, not their brothers and sisters.
        visible = set(access.children_visible_to(request.user).filter(pk__in=[c.pk for c in children])
                      .values_list("pk", flat=True))
        children = [child for child in children if child.pk in visible]
    others = queries.other_households(children, family)
    for child in children:
        households = [link.family_id for link in child.links.all()]
        child.other_households = [others[pk] for pk in households if pk in others]
        persons = list(child.authorized_persons.all())
        child.person_groups = [(family, True, [p for p in persons if p.family_id == family.pk])]
        for other in child.other_households:
            child.person_groups.append((other, False, [p for p in persons if p.family_id == other.pk]))
    guardians = {g.pk: g for g in family.guardians.all()}
    logins = sorted(family.logins.all(), key=lambda u: (not u.is_active, u.username))
    for login in logins:
        login.status, login.status_label = login_status(login)
        login.guardian_obj = guardians.get(login.guardian_id)
    entries = audit_display.family_entries(family, [c.pk for c in children])[:AUDIT_ON_PAGE]
    show_financial = access.sees_financial_data(request.user)
    records = categories.household_records(family)
    if not show_financial:
        records.update(tax=None, caf=None, bank=None)
    return render(request, "backoffice/family_detail.html", {
        "section": "families",
        "family": family,
        **records,
        "show_financial": show_financial,
        "children": children,
        "logins": logins,
        "entries": audit_display.lines(entries, show_financial=show_financial),
        "audit_limit": AUDIT_ON_PAGE,
        "can_edit": request.user.can_edit_records and not family.is_archived,
        "missing": categories.missing_items(family, children),
        "pending_requests": family.change_requests.pending().select_related("child"),
        "rules_status": rules_services.family_status(family),
        # Leaders do not see conversations; one more than shown tells whether to link to the others.
        "threads": (message_queries.family_threads(family, THREADS_ON_PAGE + 1) if request.user.can_edit_records
                    else None),
        "threads_limit": THREADS_ON_PAGE,
        **family_quotients(request, family),
        **family_account(request, family),
    })


@staff_required
@require_GET
def family_history(request, family_id):
    family = access.get_family_for_staff(request.user, family_id)
    child_ids = ChildLink.objects.filter(family=family).values("child_id")
    page = paginate(request, audit_display.family_entries(family, child_ids))
    return render(request, "backoffice/family_history.html", {
        "section": "families",
        "family": family,
        "page": page,
        "entries": audit_display.lines(page.object_list, show_financial=access.sees_financial_data(request.user)),
    })


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def family_create(request):
    data = request.POST if request.method == "POST" else None
    household_form = StaffHouseholdForm(data, prefix="foyer")
    guardian_form = GuardianForm(data, prefix="responsable")
    if data is not None and household_form.is_valid() and guardian_form.is_valid():
        try:
            family = services.create_family(household_form, guardian_form, actor=request.user)
        except IntegrityError:
            household_form.add_error("reference", _("Ce numéro de dossier est déjà utilisé."))
        else:
            messages.success(request, _("Le foyer %(ref)s est créé.") % {"ref": family.reference})
            return redirect(family_url(family))
    return render(request, "backoffice/family_create.html", {
        "section": "family_create",
        "household_form": household_form,
        "guardian_form": guardian_form,
    })


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def family_archive(request, family_id):
    family = access.get_family_for_staff(request.user, family_id)
    if (refused := refuse_archived_family(request, family)) is not None:
        return refused
    form = ArchiveForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        services.archive_family(family, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Le foyer %(ref)s est archivé ; ses identifiants sont fermés.")
                         % {"ref": family.reference})
        return redirect(family_url(family))
    open_logins = [u for u in family.logins.all() if u.is_active]
    return render(request, "backoffice/family_archive.html", {
        "section": "families", "family": family, "form": form, "open_logins": open_logins,
    })


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def guardian2_remove(request, family_id):
    family = access.get_family_for_staff(request.user, family_id)
    if (refused := refuse_archived_family(request, family)) is not None:
        return refused
    guardian = next((g for g in family.guardians.all() if g.rank == 2), None)
    if guardian is None:
        raise Http404
    if request.method == "POST":
        services.remove_second_guardian(guardian, actor=request.user)
        messages.success(request, _("Le conjoint %(name)s est retiré du foyer.") % {"name": guardian})
        return redirect(family_url(family, "conjoint"))
    open_logins = [u for u in family.logins.all() if u.is_active and u.guardian_id == guardian.pk]
    return render(request, "backoffice/confirm.html", {
        "section": "families",
        "title": _("Retirer le conjoint du foyer %(ref)s") % {"ref": family.reference},
        "message": _("%(name)s ne fera plus partie du foyer. Ses données sont supprimées du dossier "
                     "(la suppression est inscrite au journal).") % {"name": guardian},
        "items": [_("Son identifiant %(username)s sera fermé.") % {"username": u.username} for u in open_logins],
        "button": _("Retirer %(name)s du foyer") % {"name": guardian},
        "cancel_url": family_url(family, "conjoint"),
        "danger": True,
    })
