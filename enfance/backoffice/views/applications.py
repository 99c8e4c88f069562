"""New households' pre-registrations, as staff review them: create the household once the paper dossier is in."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from enfance.accounts.decorators import staff_required
from enfance.changes.services import NotPending, RequestError
from enfance.core.pagination import paginate
from enfance.families import applications
from enfance.families.application_forms import ApplicationApproveForm, ApplicationRejectForm
from enfance.families.models import NewHouseholdApplication


@staff_required(edit=True)
@require_GET
def application_list(request):
    status = request.GET.get("etat", NewHouseholdApplication.Status.PENDING)
    items = NewHouseholdApplication.objects.order_by("created_at")
    if status in NewHouseholdApplication.Status.values:
        items = items.filter(status=status)
    return render(request, "backoffice/requests/application_list.html", {
        "page": paginate(request, items), "status": status, "statuses": NewHouseholdApplication.Status.choices,
        "section": "applications",
    })


def _context(application, approve_form=None, reject_form=None, duplicates=None):
    if duplicates is None:
        duplicates = applications.likely_duplicates(application)
    return {
        "application": application,
        "duplicates": duplicates,
        "guardian_duplicates": applications.likely_guardian_duplicates(application),
        "approve_form": approve_form or ApplicationApproveForm(duplicates=duplicates),
        "reject_form": reject_form or ApplicationRejectForm(),
        "section": "applications",
    }


@staff_required(edit=True)
@require_GET
def application_review(request, application_id):
    application = get_object_or_404(NewHouseholdApplication, pk=application_id)
    return render(request, "backoffice/requests/application_review.html", _context(application))


@require_POST
@staff_required(edit=True)
def application_approve(request, application_id):
    application = get_object_or_404(NewHouseholdApplication, pk=application_id)
    duplicates = applications.likely_duplicates(application)
    form = ApplicationApproveForm(request.POST, duplicates=duplicates)
    if form.is_valid():
        try:
            application = applications.approve_application(
                application.pk, staff=request.user, dossier_received_on=form.cleaned_data["dossier_received_on"],
                links=form.links())
        except NotPending as exc:
            messages.warning(request, exc.message)
            return redirect("backoffice:application", application.pk)
        except RequestError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Foyer %(ref)s créé ; les liens d'activation sont envoyés.")
                             % {"ref": application.family.reference})
            return redirect("backoffice:family", application.family_id)
    return render(request, "backoffice/requests/application_review.html",
                  _context(application, approve_form=form, duplicates=duplicates))


@require_POST
@staff_required(edit=True)
def application_reject(request, application_id):
    application = get_object_or_404(NewHouseholdApplication, pk=application_id)
    form = ApplicationRejectForm(request.POST)
    if form.is_valid():
        try:
            applications.reject_application(application.pk, staff=request.user, reason=form.cleaned_data["reason"])
        except NotPending as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(request, _("Pré-inscription refusée ; la famille est prévenue."))
        return redirect("backoffice:applications")
    return render(request, "backoffice/requests/application_review.html", _context(application, reject_form=form))
