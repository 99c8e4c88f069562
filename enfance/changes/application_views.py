"""The public pre-registration page and the staff's review of new households."""

import math

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.accounts.decorators import staff_required
from enfance.core import ratelimit
from enfance.core.pagination import paginate

from . import applications
from .application_forms import (
    AntiBotForm,
    ApplicationApproveForm,
    ApplicationHouseholdForm,
    ApplicationRejectForm,
    ChildFormSet,
    MainGuardianForm,
    SecondGuardianForm,
)
from .models import NewHouseholdApplication
from .services import NotPending, RequestError

SUBMISSIONS_PER_HOUR = 5
SUBMISSION_WINDOW = 3600  # seconds


def _commune_contact():
    # The phone, e-mail, address and hours settings may not exist yet in every deployment.
    return {
        "name": settings.COMMUNE_NAME,
        "website": settings.COMMUNE_WEBSITE,
        **{key: getattr(settings, f"COMMUNE_{key.upper()}", "") for key in ("phone", "email", "address", "hours")},
    }


def _limit_notice(request, *, refused):
    seconds = ratelimit.retry_after("apply", request) or SUBMISSION_WINDOW
    return {"minutes": max(1, math.ceil(seconds / 60)), "seconds": seconds, "refused": refused,
            "contact": _commune_contact()}


@require_http_methods(["GET", "POST"])
def apply(request):
    """Only applications actually sent count against the limit; a refused one keeps everything typed."""
    data = request.POST if request.method == "POST" else None
    forms = {
        "household": ApplicationHouseholdForm(data, prefix="foyer"),
        "guardian1": MainGuardianForm(data, prefix="resp1"),
        "guardian2": SecondGuardianForm(data, prefix="resp2"),
        "children": ChildFormSet(data, prefix="enfant"),
        "antibot": AntiBotForm(data, initial={"started": AntiBotForm.initial_token()}),
    }
    limit = None
    if request.method == "POST":
        if forms["antibot"].is_bot():
            return redirect("public:apply_done")  # say nothing to a bot
        if all(f.is_valid() for f in forms.values()):
            # Counting first, atomically, keeps two pages sent at once from both taking the last place.
            if ratelimit.hit("apply", request, limit=SUBMISSIONS_PER_HOUR, window=SUBMISSION_WINDOW):
                try:
                    applications.submit_application(forms["household"], [forms["guardian1"], forms["guardian2"]],
                                                    forms["children"].forms)
                except BaseException:
                    ratelimit.release("apply", request)
                    raise
                return redirect("public:apply_done")
            ratelimit.release("apply", request)
            limit = _limit_notice(request, refused=True)
        elif forms["antibot"].errors:
            # A fresh token, so that the next sending (after checking) is accepted.
            forms["antibot"] = AntiBotForm(initial={"started": AntiBotForm.initial_token()})
            forms["antibot_error"] = True
    if limit is None and not ratelimit.remaining("apply", request, limit=SUBMISSIONS_PER_HOUR):
        limit = _limit_notice(request, refused=False)  # said before the family types a whole form
    response = render(request, "changes/apply.html",
                      {**forms, "checklist": applications.DOSSIER_CHECKLIST, "limit": limit},
                      status=429 if limit and limit["refused"] else 200)
    if limit and limit["refused"]:
        response["Retry-After"] = str(limit["seconds"])
    return response


@require_GET
def apply_done(request):
    return render(request, "changes/apply_done.html", {"checklist": applications.DOSSIER_CHECKLIST})


@staff_required(edit=True)
@require_GET
def application_list(request):
    status = request.GET.get("etat", NewHouseholdApplication.Status.PENDING)
    items = NewHouseholdApplication.objects.order_by("created_at")
    if status in NewHouseholdApplication.Status.values:
        items = items.filter(status=status)
    return render(request, "changes/application_list.html", {
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
    return render(request, "changes/application_review.html", _context(application))


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
            return redirect("changes:application", application.pk)
        except RequestError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Foyer %(ref)s créé ; les liens d'activation sont envoyés.")
                             % {"ref": application.family.reference})
            return redirect("backoffice:family", application.family_id)
    return render(request, "changes/application_review.html",
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
        return redirect("changes:applications")
    return render(request, "changes/application_review.html", _context(application, reject_form=form))
