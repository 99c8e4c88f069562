"""Editing any category of a household's records, driven by the registry in families/categories.py.

One view per shape (a single record of the household, a single record of the child, an item of a
list, the photo), not one per category.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from enfance.accounts.decorators import staff_required
from enfance.core import audit
from enfance.core.forms import bound_data
from enfance.core.text import de_name
from enfance.families import access, categories, services
from enfance.families.categories import CHILD, FAMILY, FIELDS, FILE
from enfance.families.forms import PhotoForm
from enfance.families.models import ChildLink

from ._common import (
    category_or_404,
    child_links,
    child_return_family,
    child_return_url,
    family_url,
    refuse_archived_child,
    refuse_archived_family,
)

ANCHORS = {"household": "adresse", "guardian1": "responsable", "guardian2": "conjoint", "tax": "fiscal",
           "caf": "caf", "bank": "banque"}


def _build_form(category, request, *, instance, child=None):
    data, files = bound_data(request)
    return category.build_form(staff=True, instance=instance, data=data, files=files, child=child)


def _save(request, form, **owners):
    """Save unless the record changed since the form was shown (its version); then None, the form saying why."""
    try:
        return services.save_record(form, actor=request.user, version=request.POST.get("version"), **owners)
    except services.StaleRecord as stale:
        fields = list(form._meta.fields)
        labels = audit.field_labels(form._meta.model)
        typed = audit.snapshot(form.instance, fields)
        current = audit.snapshot(stale.current, fields) if stale.current is not None else {}
        form.stale_rows = [(labels.get(k, k), current.get(k, ""), typed.get(k, "")) for k in fields
                           if current.get(k, "") != typed.get(k, "")]
        form.version = services.record_version(stale.current, fields)
        form.stale_message = _("Ce dossier a été modifié depuis que vous avez ouvert cette page (par une demande "
                               "validée ou un autre agent) : rien n'est enregistré. Comparez les valeurs actuelles "
                               "avec votre saisie, conservée ci-dessous, puis enregistrez à nouveau pour confirmer.")
        return None


def _version(request, form):
    """The version the page shows: the one it was opened with, or the current one after a refusal."""
    if not hasattr(form, "_meta"):
        return None  # the photo form: a new photo replaces the old one whatever it was
    if getattr(form, "version", None) is not None:
        return form.version
    if request.method == "POST" and "version" in request.POST:
        return request.POST["version"]
    return services.record_version(form.instance, list(form._meta.fields))


def _render_form(request, *, form, title, subject, cancel_url, category, family=None, child=None, foyer=None,
                 intro=None):
    return render(request, "backoffice/record_form.html", {
        "version": _version(request, form),
        "stale_rows": getattr(form, "stale_rows", None),
        "stale_message": getattr(form, "stale_message", ""),
        "section": "families",
        "form": form,
        "title": title,
        "subject": subject,
        "cancel_url": cancel_url,
        "category": category,
        "family": family,
        "child": child,
        "foyer": foyer,
        "button": _("Enregistrer : %(category)s") % {"category": category.label},
        "intro": intro,
        # "Photo de Hugo Martin" needs no "Enfant : Hugo Martin" under it.
        "title_names_child": child is not None and child.first_name in str(title),
    })


def _shared_intro(links):
    """Shared custody: the child's own record is one, seen by both households."""
    if len(links) < 2:
        return None
    return _("Fiche commune aux foyers %(refs)s : la modification vaut pour chacun d'eux.") % {
        "refs": ", ".join(link.family.reference for link in links)}


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def family_record_edit(request, family_id, category):
    """One record of the household (address, guardians, tax, CAF, bank), created when missing."""
    category = category_or_404(category, scope=FAMILY, kinds=(FIELDS,))
    family = access.get_family_for_staff(request.user, family_id)
    if (refused := refuse_archived_family(request, family)) is not None:
        return refused
    instance = category.get_instance(family=family) or category.new_instance(family=family)
    creating = instance.pk is None
    form = _build_form(category, request, instance=instance)
    anchor = ANCHORS.get(category.key, "")
    if request.method == "POST" and form.is_valid() and _save(request, form, family=family):
        messages.success(request, _("%(category)s : modifications enregistrées.") % {"category": category.label})
        return redirect(family_url(family, anchor))
    title = (_("Ajouter : %(category)s") if creating else _("Modifier : %(category)s")) % {"category": category.label}
    return _render_form(request, form=form, title=title, subject=family, family=family, category=category,
                        cancel_url=family_url(family, anchor))


def _child_context(request, child_id):
    child = access.get_child_for_staff(request.user, child_id)
    links = child_links(child)
    family = child_return_family(request, links)
    return child, links, family


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def child_record_edit(request, child_id, category):
    """One record of the child (complementary data, health record), shared by its households."""
    category = category_or_404(category, scope=CHILD, kinds=(FIELDS, FILE))
    if category.kind == FILE:
        return child_photo_edit(request, child_id)
    child, links, family = _child_context(request, child_id)
    if (refused := refuse_archived_child(request, child, links, family)) is not None:
        return refused
    if category.sensitive:
        audit.log_health_access(request, child)
    instance = category.get_instance(child=child) or category.new_instance(child=child)
    form = _build_form(category, request, instance=instance, child=child)
    if request.method == "POST" and form.is_valid() and _save(request, form, child=child):
        messages.success(request, _("%(category)s : modifications enregistrées.") % {"category": category.label})
        if category.sensitive:
            return redirect("backoffice:child_health", child.pk)
        return redirect(child_return_url(child, family))
    return _render_form(request, form=form, title=_("Modifier : %(category)s") % {"category": category.label},
                        subject=child, child=child, family=family, category=category,
                        foyer=family.pk if family else None, intro=_shared_intro(links),
                        cancel_url=_child_cancel_url(category, child, family))


def _child_cancel_url(category, child, family):
    if category.sensitive:
        return reverse("backoffice:child_health", args=[child.pk])
    return child_return_url(child, family)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def child_photo_edit(request, child_id):
    child, links, family = _child_context(request, child_id)
    if (refused := refuse_archived_child(request, child, links, family)) is not None:
        return refused
    form = PhotoForm(*bound_data(request), instance=child)
    if request.method == "POST" and form.is_valid():
        services.set_photo(child, form.cleaned_data["photo"], actor=request.user)
        messages.success(request, _("La photo %(of_name)s est enregistrée.") % {"of_name": de_name(child.first_name)})
        return redirect(child_return_url(child, family))
    return _render_form(request, form=form, title=_("Photo %(of_name)s") % {"of_name": de_name(child)}, subject=child,
                        child=child, family=family, category=categories.get("photo"),
                        foyer=family.pk if family else None, cancel_url=child_return_url(child, family),
                        intro=_shared_intro(links))


# --- items of a list: authorised persons (of one household, for one child) and vaccinations -----------

def _person_context(request, family_id, child_id, person_id=None):
    family = access.get_family_for_staff(request.user, family_id)
    link = get_object_or_404(ChildLink.objects.select_related("child"), family=family, child_id=child_id)
    child = link.child
    person = None
    if person_id is not None:
        person = access.get_authorized_person_for_family(family, child, person_id)
    return family, child, person


def _item_form(request, *, category, instance, child, family, cancel_url, done_url, title, subject):
    form = _build_form(category, request, instance=instance, child=child)
    if request.method == "POST" and form.is_valid() and _save(request, form, family=family, child=child):
        messages.success(request, _("%(category)s : modifications enregistrées.") % {"category": category.label})
        return redirect(done_url)
    return _render_form(request, form=form, title=title, subject=subject, child=child, family=family,
                        category=category, cancel_url=cancel_url, foyer=family.pk if family else None)


def _item_delete(request, *, obj, family, child, done_url, title, message, button):
    if request.method == "POST":
        services.delete_record(obj, actor=request.user, family=family, child=child)
        messages.success(request, _("« %(obj)s » est supprimé.") % {"obj": obj})
        return redirect(done_url)
    return render(request, "backoffice/confirm.html", {
        "section": "families", "title": title, "message": message, "button": button, "cancel_url": done_url,
        "danger": True,
    })


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def authorized_person_edit(request, family_id, child_id, person_id=None):
    family, child, person = _person_context(request, family_id, child_id, person_id)
    if (refused := refuse_archived_family(request, family)) is not None:
        return refused
    category = categories.get("authorized_persons")
    url = family_url(family, f"enfant-{child.pk}")
    title = (_("Modifier une personne autorisée pour %(name)s") if person else
             _("Ajouter une personne autorisée pour %(name)s")) % {"name": child}
    return _item_form(request, category=category, child=child, family=family, cancel_url=url, done_url=url,
                      instance=person or category.new_instance(family=family, child=child), title=title,
                      subject=family)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def authorized_person_delete(request, family_id, child_id, person_id):
    family, child, person = _person_context(request, family_id, child_id, person_id)
    if (refused := refuse_archived_family(request, family)) is not None:
        return refused
    return _item_delete(
        request, obj=person, family=family, child=child, done_url=family_url(family, f"enfant-{child.pk}"),
        title=_("Supprimer une personne autorisée"),
        message=_("%(person)s (%(relation)s) ne figurera plus parmi les personnes autorisées pour %(child)s "
                  "dans le foyer %(ref)s.") % {"person": person, "relation": person.relation, "child": child,
                                                "ref": family.reference},
        button=_("Supprimer %(person)s") % {"person": person},
    )


def _vaccination_context(request, child_id, vaccination_id=None):
    child, links, family = _child_context(request, child_id)
    vaccination = None
    if vaccination_id is not None:
        vaccination = access.get_vaccination_for_child(child, vaccination_id)
    return child, links, family, vaccination


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def vaccination_edit(request, child_id, vaccination_id=None):
    child, links, family, vaccination = _vaccination_context(request, child_id, vaccination_id)
    if (refused := refuse_archived_child(request, child, links, family)) is not None:
        return refused
    audit.log_health_access(request, child)
    category = categories.get("vaccinations")
    url = reverse("backoffice:child_health", args=[child.pk])
    title = (_("Modifier une vaccination %(of_name)s") % {"of_name": de_name(child)} if vaccination else
             _("Ajouter une vaccination pour %(name)s") % {"name": child})
    return _item_form(request, category=category, child=child, family=None, cancel_url=url, done_url=url,
                      instance=vaccination or category.new_instance(child=child), title=title, subject=child)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def vaccination_delete(request, child_id, vaccination_id):
    child, links, family, vaccination = _vaccination_context(request, child_id, vaccination_id)
    if (refused := refuse_archived_child(request, child, links, family)) is not None:
        return refused
    audit.log_health_access(request, child)
    return _item_delete(
        request, obj=vaccination, family=None, child=child,
        done_url=reverse("backoffice:child_health", args=[child.pk]),
        title=_("Supprimer une vaccination"),
        message=_("La vaccination « %(vaccination)s » sera retirée du dossier %(of_child)s.")
        % {"vaccination": vaccination, "of_child": de_name(child)},
        button=_("Supprimer la vaccination %(vaccination)s") % {"vaccination": vaccination},
    )
