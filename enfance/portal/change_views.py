"""The household's forms: each files a request (a ChangeRequest) instead of changing the record."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.changes import registry
from enfance.changes import services as requests
from enfance.changes.forms import AttachmentForm
from enfance.changes.models import ChangeRequest
from enfance.core import attachments
from enfance.core.forms import bound_data
from enfance.core.text import de_name
from enfance.families import access, categories, request_types

from .decorators import family_required

Kind = ChangeRequest.Kind


def _submit(request, submit, *, back):
    """Run a submission and redirect to `back` (a URL) telling the household what happens next."""
    try:
        change = submit()
    except requests.NoChange as exc:
        messages.info(request, exc.message)
        return redirect(back)
    except requests.AlreadyPending as exc:
        messages.warning(request, exc.message)
        return redirect("portal:request", exc.pending.pk) if exc.pending else redirect(back)
    if change.status == ChangeRequest.Status.APPROVED:
        messages.success(request, _("C'est enregistré : votre modification est appliquée (demande n° %(id)s).")
                         % {"id": change.pk})
    else:
        messages.success(request, _("Votre demande n° %(id)s est envoyée à la mairie : elle sera appliquée "
                                    "après vérification. Suivez-la dans « Mes demandes ».") % {"id": change.pk})
    return redirect(back)


def _shown(request, instance, fields):
    """(token for the page, values the page showed): the token is made once, when the page is first shown."""
    if request.method == "POST":
        token = request.POST.get("shown", "")
        return token, request_types.read_shown(token, instance, fields)
    return request_types.shown_token(instance, fields), None


def _render_form(request, *, category, form, file_form=None, child=None, pending=None, title=None, back=None,
                 item=None, shown_token=""):
    return render(request, "portal/request_form.html", {
        "shown_token": shown_token,
        "category": category,
        "form": form,
        "file_form": file_form,
        "child": child,
        "pending": pending,
        "title": title or category.label,
        "back": back,
        "item": item,
        "auto_approved": requests.shows_as_auto_approved(category.key),
        "section": "information",
    })


def _file_form(request, category, pending):
    rule = registry.get(category.key).attachments
    if rule is None:
        return None
    data, files = bound_data(request)
    return AttachmentForm(data if not pending else None, files if not pending else None, rule=rule, prefix="piece")


def _field_form_view(request, category, *, child=None, back):
    family = request.family
    instance = category.get_instance(family, child)
    target_id = instance.pk if instance is not None else None
    pending = request_types.find_pending(family, category, child=child, target_id=target_id)
    if instance is None:
        instance = category.new_instance(family, child)
    token, shown = _shown(request, instance, list(category.form_class._meta.fields))
    posted = request.method == "POST" and not pending
    form = category.build_form(staff=False, instance=instance, child=child, data=request.POST if posted else None)
    file_form = _file_form(request, category, pending)
    if posted and form.is_valid() and (file_form is None or file_form.is_valid()):
        return _submit(request, lambda: request_types.submit_form(
            user=request.user, family=family, category=category, form=form, kind=Kind.FIELDS, child=child,
            uploads=file_form.uploads() if file_form else (), shown=shown,
        ), back=back)
    return _render_form(request, category=category, form=form, file_form=file_form, child=child, pending=pending,
                        back=back, shown_token=token)


@require_http_methods(["GET", "POST"])
@family_required
def edit_family_category(request, category_slug):
    category = categories.by_slug(category_slug, scope=categories.FAMILY)
    if category is None:
        raise Http404
    return _field_form_view(request, category, back=reverse("portal:information"))


@require_http_methods(["GET", "POST"])
@family_required
def edit_child_category(request, child_id, category_slug):
    child = access.get_child_for_family(request.family, child_id)
    category = categories.by_slug(category_slug, scope=categories.CHILD)
    if category is None:
        raise Http404
    return _field_form_view(request, category, child=child, back=_child_back(category, child))


@require_http_methods(["GET", "POST"])
@family_required
def edit_photo(request, child_id):
    family = request.family
    child = access.get_child_for_family(family, child_id)
    category = categories.get("photo")
    pending = request_types.find_pending(family, category, child=child, target_id=child.pk)
    form = _file_form(request, category, pending)
    form.fields["document"].label = _("Photo de l'enfant")
    if request.method == "POST" and not pending and form.is_valid():
        return _submit(request, lambda: request_types.submit_photo(
            user=request.user, family=family, child=child, upload=form.cleaned_data["document"]),
            back=_child_back(category, child))
    return _render_form(request, category=category, form=form, child=child, pending=pending,
                        title=_("Photo %(of_name)s") % {"of_name": de_name(child.first_name)}, back=_child_back(category, child))


# --- list items: authorised persons and vaccinations ---------------------------------

ADD_TITLES = {"authorized_persons": _lazy("Ajouter une personne autorisée"),
              "vaccinations": _lazy("Ajouter une vaccination")}


def _get_item(family, child, category, item_id):
    if category.key == "authorized_persons":
        return access.get_authorized_person_for_family(family, child, item_id)
    return access.get_vaccination_for_child(child, item_id)


def _child_back(category, child):
    return reverse("portal:child_health" if category.sensitive else "portal:child", args=[child.pk])


def _item_form_view(request, child_id, category_key, item_id=None):
    family = request.family
    child = access.get_child_for_family(family, child_id)
    category = categories.get(category_key)
    item = _get_item(family, child, category, item_id) if item_id is not None else None
    pending = request_types.find_pending(family, category, child=child, target_id=item.pk) if item else None
    instance = item if item is not None else category.new_instance(family, child)
    token, shown = _shown(request, instance, list(category.form_class._meta.fields))
    form = category.build_form(staff=False, instance=instance, child=child,
                               data=request.POST if request.method == "POST" and not pending else None)
    if request.method == "POST" and not pending and form.is_valid():
        kind = Kind.CHANGE if item is not None else Kind.ADD
        return _submit(request, lambda: request_types.submit_form(
            user=request.user, family=family, category=category, form=form, kind=kind, child=child, shown=shown,
        ), back=_child_back(category, child))
    title = str(item) if item is not None else ADD_TITLES[category.key]
    return _render_form(request, category=category, form=form, child=child, pending=pending, title=title,
                        item=item, back=_child_back(category, child), shown_token=token)


@require_http_methods(["GET", "POST"])
@family_required
def authorized_person_add(request, child_id):
    return _item_form_view(request, child_id, "authorized_persons")


@require_http_methods(["GET", "POST"])
@family_required
def authorized_person(request, child_id, person_id):
    return _item_form_view(request, child_id, "authorized_persons", person_id)


@require_http_methods(["GET", "POST"])
@family_required
def vaccination_add(request, child_id):
    return _item_form_view(request, child_id, "vaccinations")


@require_http_methods(["GET", "POST"])
@family_required
def vaccination(request, child_id, vaccination_id):
    return _item_form_view(request, child_id, "vaccinations", vaccination_id)


def _item_remove_view(request, child_id, category_key, item_id):
    family = request.family
    child = access.get_child_for_family(family, child_id)
    category = categories.get(category_key)
    item = _get_item(family, child, category, item_id)
    if request.method == "POST":
        return _submit(request, lambda: request_types.submit_removal(
            user=request.user, family=family, category=category, item=item, child=child,
        ), back=_child_back(category, child))
    return render(request, "portal/request_remove.html", {
        "category": category, "child": child, "item": item, "section": "information",
        "back": _child_back(category, child),
    })


@require_http_methods(["GET", "POST"])
@family_required
def authorized_person_remove(request, child_id, person_id):
    return _item_remove_view(request, child_id, "authorized_persons", person_id)


@require_http_methods(["GET", "POST"])
@family_required
def vaccination_remove(request, child_id, vaccination_id):
    return _item_remove_view(request, child_id, "vaccinations", vaccination_id)


# --- Mes demandes -------------------------------------------------------------------

def _own_request(family, request_id):
    return get_object_or_404(ChangeRequest.objects.select_related("family", "child", "created_by"), pk=request_id,
                             family=family)


@family_required
@require_GET
def request_list(request):
    requests_ = ChangeRequest.objects.filter(family=request.family).select_related("family", "child", "created_by")
    status = request.GET.get("etat", "")
    if status in ChangeRequest.Status.values:
        requests_ = requests_.filter(status=status)
    return render(request, "portal/requests.html", {
        "requests": requests_[:200], "status": status, "statuses": ChangeRequest.Status.choices,
        "section": "requests",
    })


@family_required
@require_GET
def request_detail(request, request_id):
    change = _own_request(request.family, request_id)
    rows, _conflicts = requests.review(change)
    # What needs the household's attention first: refused lines, then those waiting, then the others.
    order = {"refused": 0, "waiting": 1, "pending": 2}
    lines = sorted(change.lines.all(), key=lambda line: (order.get(line.outcome, 3), line.position))
    return render(request, "portal/request_detail.html", {
        "change": change, "rows": rows, "attachments": list(attachments.of(change)),
        "lines": lines, "section": "requests",
        "calendar_back": change.request_type in ("bookings", "absence", "certificate"),
    })


@require_POST
@family_required
def request_cancel(request, request_id):
    change = _own_request(request.family, request_id)
    try:
        requests.cancel(change.pk, family=request.family, user=request.user)
    except requests.NotPending as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("La demande n° %(id)s est annulée.") % {"id": change.pk})
    return redirect("portal:request", change.pk)


@family_required
@require_GET
def request_attachment(request, request_id, attachment_id):
    change = _own_request(request.family, request_id)
    attachment = get_object_or_404(attachments.of(change), pk=attachment_id)
    return attachments.response(attachment, inline=True)
