"""The catalogue's parts: units, places (a capacity raised promotes the children waiting), sites, groups, booking
openings, and the opening calendar of a school year (school holidays, closures, public holidays)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.accounts.decorators import staff_required
from enfance.activities import calendar as opening_calendar
from enfance.activities.capacity import CapacityRefused, set_capacity
from enfance.activities.models import Activity, BookingOpening, CalendarPeriod, Group, Place, Site, Unit
from enfance.core import audit
from enfance.core.dates import school_year_start
from enfance.core.forms import bound_data
from enfance.core.models import AuditEntry
from enfance.core.values import parse_id

from ..activity_forms import FillHolidaysForm, GroupForm, OpeningForm, PeriodForm, PlaceForm, SiteForm, UnitForm

SECTION = "activities"


@dataclass(frozen=True)
class Kind:
    model: type
    form: type
    slug: str  # in the delete URL
    new_title: str
    saved: str
    of_activity: bool = False  # a part of one activity (its page is where it comes back to)


UNITS = Kind(Unit, UnitForm, "prestation", gettext_lazy("Nouvelle prestation"),
             gettext_lazy("Prestation « %(name)s » enregistrée."), of_activity=True)
GROUPS = Kind(Group, GroupForm, "groupe", gettext_lazy("Nouveau groupe"),
              gettext_lazy("Groupe « %(name)s » enregistré."), of_activity=True)
OPENINGS = Kind(BookingOpening, OpeningForm, "ouverture", gettext_lazy("Nouvelle ouverture des réservations"),
                gettext_lazy("Ouverture des réservations enregistrée."), of_activity=True)
PLACES = Kind(Place, PlaceForm, "lieu", gettext_lazy("Nouveau lieu d'accueil"),
              gettext_lazy("Lieu « %(name)s » enregistré."))
SITES = Kind(Site, SiteForm, "site", gettext_lazy("Nouveau site"), gettext_lazy("Site « %(name)s » enregistré."))
PERIODS = Kind(CalendarPeriod, PeriodForm, "periode", gettext_lazy("Nouvelle période du calendrier"),
               gettext_lazy("Période « %(name)s » enregistrée."))
KINDS = {kind.slug: kind for kind in (UNITS, GROUPS, OPENINGS, PLACES, SITES, PERIODS)}


def _back_url(kind, instance, activity):
    if kind.of_activity:
        return reverse("backoffice:activity", args=[activity.pk])
    if kind is PERIODS:
        day = instance.first_day if instance is not None and instance.pk else datetime.date.today()
        return reverse("backoffice:calendar") + f"?annee={school_year_start(day).year}"
    return reverse("backoffice:places")


def _edit(request, kind, instance=None, activity=None):
    creating = instance is None
    instance = instance or kind.model()
    extra = {"activity": activity} if kind.of_activity else {}
    if kind is PERIODS and creating:
        instance.kind = request.GET.get("type") if request.GET.get("type") in CalendarPeriod.Kind.values \
            else CalendarPeriod.Kind.CLOSURE
        wanted = request.GET.get("activite", "")
        instance.activity = Activity.objects.filter(pk=parse_id(wanted, 9)).first() if parse_id(wanted, 9) is not None \
            else None
    form = kind.form(*bound_data(request)[:1], instance=instance, **extra)
    back = _back_url(kind, instance, activity)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, kind, form, creating)
        if saved is not None:
            messages.success(request, kind.saved % {"name": getattr(saved, "label", None) or saved})
            return redirect(_back_url(kind, saved, activity))
    return render(request, "backoffice/activities/item_form.html", {
        "form": form, "kind": kind, "instance": None if creating else instance, "activity": activity,
        "back": back, "section": SECTION, "title": kind.new_title if creating else str(instance),
        "delete_url": None if creating else reverse("backoffice:catalogue_delete", args=[kind.slug, instance.pk]),
    })


def _save(request, kind, form, creating):
    if kind is not PLACES or creating:
        return form.save_audited(request.user)
    place = form.instance
    capacity = form.cleaned_data["capacity"]
    if "capacity" in form.changed_fields():
        try:
            change = set_capacity(place, capacity, actor=request.user)
        except CapacityRefused as refusal:
            form.add_error("capacity", refusal.message)
            return None
        if change.promoted:
            messages.info(request, ngettext(
                "%(n)s enfant de la liste d'attente a reçu une place.",
                "%(n)s enfants de la liste d'attente ont reçu une place.", len(change.promoted))
                % {"n": len(change.promoted)})
        if change.over:
            messages.warning(request, _("Des réservations prises pendant le changement dépassent la nouvelle "
                                        "capacité : %(days)s.") % {"days": ", ".join(
                                            date_format(day, "j F Y") for day, _n in change.over)})
    return form.save_audited(request.user, exclude=["capacity"])


def _activity_or_404(activity_id):
    return get_object_or_404(Activity, pk=activity_id)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def unit_new(request, activity_id):
    return _edit(request, UNITS, activity=_activity_or_404(activity_id))


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def unit_edit(request, unit_id):
    unit = get_object_or_404(Unit.objects.select_related("activity"), pk=unit_id)
    return _edit(request, UNITS, unit, activity=unit.activity)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def group_new(request, activity_id):
    return _edit(request, GROUPS, activity=_activity_or_404(activity_id))


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def group_edit(request, group_id):
    group = get_object_or_404(Group.objects.select_related("activity"), pk=group_id)
    return _edit(request, GROUPS, group, activity=group.activity)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def opening_new(request, activity_id):
    return _edit(request, OPENINGS, activity=_activity_or_404(activity_id))


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def opening_edit(request, opening_id):
    opening = get_object_or_404(BookingOpening.objects.select_related("activity"), pk=opening_id)
    return _edit(request, OPENINGS, opening, activity=opening.activity)


@staff_required(edit=True)
@require_GET
def place_list(request):
    places = Place.objects.select_related("site").prefetch_related("units__activity").order_by("name")
    sites = Site.objects.order_by("name")
    return render(request, "backoffice/activities/places.html", {
        "places": list(places), "sites": list(sites), "section": SECTION})


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def place_new(request):
    return _edit(request, PLACES)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def place_edit(request, place_id):
    return _edit(request, PLACES, get_object_or_404(Place, pk=place_id))


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def site_new(request):
    return _edit(request, SITES)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def site_edit(request, site_id):
    return _edit(request, SITES, get_object_or_404(Site, pk=site_id))


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def period_new(request):
    return _edit(request, PERIODS)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def period_edit(request, period_id):
    return _edit(request, PERIODS, get_object_or_404(CalendarPeriod, pk=period_id))


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def catalogue_delete(request, kind, object_id):
    """Delete a part nothing depends on (a booking, a place's days): otherwise a French message, nothing lost."""
    kind = KINDS.get(kind)
    if kind is None:
        raise Http404
    related = ("activity",) if kind.of_activity or kind is PERIODS else ()
    instance = get_object_or_404(kind.model.objects.select_related(*related), pk=object_id)
    activity = instance.activity if kind.of_activity else None
    back = _back_url(kind, instance, activity)
    if request.method == "POST":
        label = str(instance)
        try:
            with transaction.atomic():
                instance.delete()
                audit.record(actor=request.user, action=AuditEntry.Action.DELETE, object_type=kind.model._meta.model_name,
                             object_id=str(object_id), object_repr=label)
        except (ProtectedError, RestrictedError):
            messages.error(request, _("« %(name)s » sert déjà (des réservations, des jours, une autre prestation) : "
                                      "il ne peut pas être supprimé.") % {"name": label})
            return redirect(back)
        messages.success(request, _("« %(name)s » supprimé.") % {"name": label})
        return redirect(back)
    return render(request, "backoffice/confirm.html", {
        "title": _("Supprimer : %(name)s") % {"name": instance}, "section": SECTION, "danger": True,
        "message": _("Cette suppression est définitive. Elle est refusée si l'élément sert déjà."),
        "button": _("Supprimer"), "cancel_url": back,
    })


# --- the opening calendar ---------------------------------------------------------------------------------

def _year(request):
    value = request.GET.get("annee", "")
    if parse_id(value, 4) is not None and 2000 <= int(value) <= 2100:
        return int(value)
    return school_year_start().year


@staff_required(edit=True)
@require_GET
def calendar_view(request):
    year = _year(request)
    first, last = datetime.date(year, 9, 1), datetime.date(year + 1, 8, 31)
    periods = list(CalendarPeriod.objects.filter(first_day__lte=last, last_day__gte=first)
                   .select_related("activity").order_by("first_day", "pk"))
    public = sorted((day, name) for y in (year, year + 1)
                    for day, name in opening_calendar.public_holidays(y).items() if first <= day <= last)
    return render(request, "backoffice/activities/calendar.html", {
        "year": year, "first": first, "last": last, "section": SECTION,
        "holidays": [p for p in periods if p.kind == CalendarPeriod.Kind.SCHOOL_HOLIDAYS],
        "closures": [p for p in periods if p.kind == CalendarPeriod.Kind.CLOSURE],
        "public": public, "fill_form": FillHolidaysForm(initial={"year": year}),
        "zone": settings.SCHOOL_ZONE,
    })


@staff_required(edit=True)
@require_POST
def calendar_fill(request):
    """Add the zone's school holidays of a school year from the `holidays` package (those there stay as edited)."""
    form = FillHolidaysForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Année scolaire invalide."))
        return redirect("backoffice:calendar")
    year = form.cleaned_data["year"]
    added = opening_calendar.fill_school_holidays(datetime.date(year, 9, 1))
    if added:
        audit.record(actor=request.user, action=AuditEntry.Action.CREATE, object_type="calendarperiod",
                     object_repr=_("Vacances scolaires %(year)s-%(next)s") % {"year": year, "next": year + 1},
                     changes={_("périodes ajoutées"): ["", str(added)]})
    messages.success(request, ngettext("%(n)s période de vacances ajoutée.", "%(n)s périodes de vacances ajoutées.",
                                       added) % {"n": added} if added else
                     _("Les vacances de cette année scolaire sont déjà toutes là."))
    return redirect(reverse("backoffice:calendar") + f"?annee={year}")
