"""The staff's side of requests: the queue, the review page, approve and reject, the settings."""

import datetime

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from enfance.accounts.decorators import staff_required
from enfance.changes import registry, services
from enfance.changes.forms import ApproveForm, QueueFilterForm, RejectForm
from enfance.changes.models import ChangeRequest
from enfance.core import attachments, audit
from enfance.core.pagination import paginate


@staff_required(edit=True)
@require_GET
def queue(request):
    form = QueueFilterForm(request.GET or {"status": ChangeRequest.Status.PENDING})
    requests = ChangeRequest.objects.select_related("family", "child", "created_by").order_by("created_at", "id")
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            requests = requests.filter(status=data["status"])
        if data["request_type"]:
            requests = requests.filter(request_type=data["request_type"])
        if data["family"]:
            term = data["family"].strip()
            requests = requests.filter(Q(family__reference__iexact=term) | Q(family__guardians__last_name__icontains=term)
                                       ).distinct()
        if data["age"]:
            requests = requests.filter(created_at__lt=timezone.now() - datetime.timedelta(days=int(data["age"])))
    return render(request, "backoffice/requests/queue.html", {"form": form, "page": paginate(request, requests),
                                                  "section": "requests"})


def _review_context(change, approve_form=None, reject_form=None, conflict=None):
    rows, conflicts = services.review(change)
    if conflict is not None:
        conflicts = conflict
    approve_form = approve_form or ApproveForm()
    if not conflicts:
        # The confirmation is asked only when the record changed since the request was made.
        approve_form.fields.pop("confirm", None)
    return {
        "change": change,
        "rows": rows,
        "attachments": list(attachments.of(change)),
        "lines": list(change.lines.all()),
        "conflicts": conflicts,
        "approve_form": approve_form,
        "reject_form": reject_form or RejectForm(),
        "section": "requests",
    }


def _get_change(request_id):
    return get_object_or_404(ChangeRequest.objects.select_related("family", "child", "created_by", "decided_by"),
                             pk=request_id)


@staff_required(edit=True)
@require_GET
def review(request, request_id):
    change = _get_change(request_id)
    if change.is_sensitive and change.child_id:
        audit.log_health_access(request, change.child)
    return render(request, "backoffice/requests/review.html", _review_context(change))


@require_POST
@staff_required(edit=True)
def approve(request, request_id):
    change = _get_change(request_id)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return render(request, "backoffice/requests/review.html", _review_context(change, approve_form=form), status=200)
    try:
        services.approve(change.pk, staff=request.user, comment=form.cleaned_data["comment"],
                         confirm=form.cleaned_data["confirm"])
    except services.ConflictError as exc:
        form.add_error("confirm", exc.message)
        return render(request, "backoffice/requests/review.html",
                      _review_context(change, approve_form=form, conflict=exc.conflicts))
    except services.NotPending as exc:
        messages.warning(request, exc.message)
        return redirect("backoffice:request", change.pk)
    except services.RequestError as exc:
        form.add_error(None, exc.message)
        return render(request, "backoffice/requests/review.html", _review_context(change, approve_form=form))
    messages.success(request, _("Demande n° %(id)s validée : le dossier est mis à jour.") % {"id": change.pk})
    return redirect(_next_pending_url(change))


@require_POST
@staff_required(edit=True)
def reject(request, request_id):
    change = _get_change(request_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return render(request, "backoffice/requests/review.html", _review_context(change, reject_form=form))
    try:
        services.reject(change.pk, staff=request.user, reason=form.cleaned_data["reason"])
    except services.NotPending as exc:
        messages.warning(request, exc.message)
        return redirect("backoffice:request", change.pk)
    except services.RequestError as exc:
        form.add_error(None, exc.message)
        return render(request, "backoffice/requests/review.html", _review_context(change, reject_form=form))
    messages.success(request, _("Demande n° %(id)s refusée : la famille est prévenue.") % {"id": change.pk})
    return redirect(_next_pending_url(change))


def _next_pending_url(change):
    following = ChangeRequest.objects.pending().order_by("created_at", "id").first()
    if following is not None:
        return redirect("backoffice:request", following.pk).url
    return redirect("backoffice:requests").url


@staff_required(edit=True)
@require_GET
def request_attachment(request, request_id, attachment_id):
    change = _get_change(request_id)
    if change.is_sensitive and change.child_id:
        audit.log_health_access(request, change.child)
    attachment = get_object_or_404(attachments.of(change), pk=attachment_id)
    return attachments.response(attachment, inline=True)


@staff_required(admin=True)
def request_settings(request):
    """Administrators choose, per request type, whether households' requests apply at once (still recorded)."""
    current = services.auto_approved_types()
    if request.method == "POST":
        services.set_auto_approved(set(request.POST.getlist("auto")), actor=request.user)
        messages.success(request, _("Réglages enregistrés."))
        return redirect("backoffice:request_settings")
    rows = [(t, t.key in current) for t in registry.all_types() if t.auto_approvable]
    return render(request, "backoffice/requests/settings.html", {"rows": rows, "section": "requests"})
