"""The household's calendar, bookings, absences and registrations. Each submission files one request (see
enfance/activities/request_types.py); the server judges every line, whatever the page showed."""

import datetime

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.activities import absences, bookings, family_calendar, request_types
from enfance.activities.models import Absence, Activity, Booking, Registration, Unit
from enfance.changes import services as requests
from enfance.changes.forms import AttachmentForm
from enfance.changes.models import ChangeRequest, RequestLine
from enfance.core.dates import is_sane
from enfance.core.forms import bound_data
from enfance.core.values import parse_id
from enfance.families import access

from . import activity_forms
from .decorators import family_required

MAX_LINES = 400  # a month for three children and every unit is far below


def _month(value, today):
    """The first day of the month named "2026-12", or of this month."""
    try:
        year, month = (int(part) for part in str(value or "").split("-"))
        return datetime.date(year, month, 1) if 2000 <= year <= 2100 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


def _month_end(first):
    return (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def _children(family):
    return access.children_of(family).order_by("birth_date", "first_name")


def _outcome_message(request, change):
    """What the household reads at once: booked, waiting, refused (the lines say which and why)."""
    counts = {outcome: 0 for outcome in RequestLine.Outcome.values}
    for outcome in change.lines.values_list("outcome", flat=True):
        counts[outcome] += 1
    if change.status == ChangeRequest.Status.PENDING:
        messages.success(request, _("Votre demande n° %(id)s est envoyée à la mairie, qui la vérifiera : rien n'est "
                                    "réservé avant sa validation.") % {"id": change.pk})
        return
    parts = []
    if counts["accepted"]:
        parts.append(ngettext("%(n)s ligne enregistrée", "%(n)s lignes enregistrées", counts["accepted"])
                     % {"n": counts["accepted"]})
    if counts["waiting"]:
        parts.append(ngettext("%(n)s en liste d'attente", "%(n)s en liste d'attente", counts["waiting"])
                     % {"n": counts["waiting"]})
    if counts["refused"]:
        parts.append(ngettext("%(n)s refusée", "%(n)s refusées", counts["refused"]) % {"n": counts["refused"]})
    level = messages.warning if counts["refused"] or counts["waiting"] else messages.success
    level(request, _("C'est fait : %(what)s. Le détail ligne par ligne est ci-dessous.") % {"what": ", ".join(parts)})


@require_http_methods(["GET", "POST"])
@family_required
def calendar(request):
    family = request.family
    today = timezone.localdate()
    first = _month(request.POST.get("mois") or request.GET.get("mois"), today)
    if request.method == "POST":
        return _post_calendar(request, first)
    children = family_calendar.children_of(family)  # access.children_of, its SQL compiled once
    # The weeks and the places offered from a waiting list (of any month), read in one statement.
    calendar_page = family_calendar.page(family, first, _month_end(first), children=children)
    weeks = calendar_page.weeks
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = _month_end(first) + datetime.timedelta(days=1)
    return render(request, "portal/activities/calendar.html", {
        "weeks": weeks, "month": first, "previous": previous, "following": following, "children": children,
        "next_cell": family_calendar.next_deadline(weeks), "offered": calendar_page.offered, "section": "calendar",
        "has_cells": any(day.has_cells for week in weeks for day in week.days),
    })


def _post_calendar(request, first):
    """The checkboxes against what the page showed as held: only what the household changed becomes a line, so
    a page left open in another tab never cancels a booking it did not show."""
    held = {key for key in request.POST.getlist("was") if family_calendar.parse_key(key)}
    checked = {key for key in request.POST.getlist("b") if family_calendar.parse_key(key)}
    wanted = [("book", key) for key in sorted(checked - held)] + [("cancel", key) for key in sorted(held - checked)]
    back = f"{reverse('portal:calendar')}?{urlencode({'mois': first.strftime('%Y-%m')})}"
    if not wanted:
        messages.info(request, _("Aucun changement : cochez ou décochez des cases avant d'enregistrer."))
        return redirect(back)
    if len(wanted) > MAX_LINES:
        messages.error(request, _("Trop de changements à la fois : enregistrez un mois après l'autre."))
        return redirect(back)
    change = _submit_keys(request, wanted)
    if change is None:
        messages.error(request, _("Ces cases ne désignent aucune réservation de vos enfants."))
        return redirect(back)
    _outcome_message(request, change)
    return redirect("portal:request", change.pk)


def _submit_keys(request, wanted):
    parsed = [(action, family_calendar.parse_key(key)) for action, key in wanted]
    children = {c.pk: c for c in _children(request.family).filter(pk__in={k[0] for _a, k in parsed})}
    units = {u.pk: u for u in Unit.objects.filter(pk__in={k[1] for _a, k in parsed}).select_related("activity")}
    lines = [request_types.booking_line(action, children[c], units[u], day) for action, (c, u, day) in parsed
             if c in children and u in units]
    if not lines:
        return None
    return request_types.submit_bookings(user=request.user, family=request.family, lines=lines)


@require_http_methods(["GET", "POST"])
@family_required
def bookings_bulk(request):
    family = request.family
    children = _children(family)
    # Only the units of the children's schools (a pupil of another school is not offered its canteen).
    units = Unit.objects.filter(activity__is_active=True).select_related("activity")
    offered = {u.pk for child in children for u in family_calendar.units_for(child, units)}
    units = Unit.objects.filter(pk__in=offered).select_related("activity").order_by("activity__name", "name")
    today = timezone.localdate()
    initial = {"first_day": today, "last_day": _month_end(today), "action": "book"}
    form = activity_forms.BulkBookingForm(request.POST or None, initial=initial, children=children, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        keys, day = [], data["first_day"]
        while day <= data["last_day"]:
            if day.weekday() in data["weekdays"]:
                keys.extend(f"{child.pk}.{data['unit'].pk}.{day.isoformat().replace('-', '')}"
                            for child in data["children"])
            day += datetime.timedelta(days=1)
        if data["action"] == "cancel":
            live = set(Booking.objects.filter(family=family, unit=data["unit"], child__in=data["children"],
                                              day__range=(data["first_day"], data["last_day"]))
                       .exclude(state=Booking.State.CANCELLED).values_list("child_id", "day"))
            keys = [k for k in keys if (int(k.split(".")[0]), family_calendar.parse_key(k)[2]) in live]
        if not keys:
            form.add_error(None, _("Aucun jour ne correspond : rien à réserver ou à annuler sur cette période."))
        elif len(keys) > MAX_LINES:
            form.add_error("last_day", _("Trop de jours à la fois : raccourcissez la période."))
        else:
            change = _submit_keys(request, [(data["action"], key) for key in keys])
            _outcome_message(request, change)
            return redirect("portal:request", change.pk)
    return render(request, "portal/activities/bulk.html", {"form": form, "section": "calendar"})


@require_POST
@family_required
def booking_accept(request, booking_id):
    booking = get_object_or_404(Booking.objects.filter(family=request.family), pk=booking_id)
    try:
        bookings.accept(booking, family=request.family)
    except bookings.BookingRefused as refusal:
        messages.warning(request, refusal.message)
    else:
        messages.success(request, _("Place acceptée : %(name)s est réservé(e) le %(day)s.") % {
            "name": booking.child.first_name, "day": date_format(booking.day, "l j F")})
    return redirect(f"{reverse('portal:calendar')}?{urlencode({'mois': booking.day.strftime('%Y-%m')})}")


# --- absences -----------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@family_required
def absence_new(request):
    family = request.family
    children = _children(family)
    today = timezone.localdate()
    child_id = _id(request.GET.get("enfant"))
    child = children.filter(pk=child_id).first() if child_id else None
    day = _date_param(request.GET.get("jour")) or today
    initial = {"first_day": day, "last_day": day, "child": child}
    data, files = bound_data(request)
    form = activity_forms.AbsenceForm(data, initial=initial, children=children)
    file_form = AttachmentForm(data, files, rule=request_types.CERTIFICATE, prefix="piece")
    if request.method == "POST" and form.is_valid() and file_form.is_valid():
        d = form.cleaned_data
        try:
            change = request_types.submit_absence(
                user=request.user, family=family, child=d["child"], first_day=d["first_day"], last_day=d["last_day"],
                reason=d["reason"], note=d["note"], uploads=file_form.uploads())
        except bookings.BookingRefused as refusal:
            form.add_error("first_day", refusal.message)
        else:
            if change.status == ChangeRequest.Status.APPROVED:
                messages.success(request, _("Absence enregistrée. Le détail ci-dessous dit, jour par jour, si elle "
                                            "sera facturée et pourquoi."))
            else:
                messages.success(request, _("Votre signalement n° %(id)s est envoyé à la mairie.") % {"id": change.pk})
            return redirect("portal:request", change.pk)
    return render(request, "portal/activities/absence_form.html", {
        "form": form, "file_form": file_form, "section": "calendar"})


def _id(value):
    """A positive identifier from a query string, or None (never a database error for "abc" or 10**30)."""
    value = str(value or "")
    return parse_id(value)


def _date_param(value):
    try:
        day = datetime.date.fromisoformat(str(value))
    except ValueError:
        return None
    return day if is_sane(day) else None


@require_GET
@family_required
def absence_list(request):
    family = request.family
    since = timezone.localdate() - datetime.timedelta(days=62)
    found = list(Absence.objects.filter(booking__family=family, booking__day__gte=since)
                 .select_related("booking__child", "booking__unit__activity").order_by("-booking__day"))
    billing = absences.billing_many(found)
    for absence in found:
        absence.billing = billing[absence.pk]
        absence.may_add_certificate = (absence.reason == Absence.Reason.ILLNESS and absence.billing.billed is None)
    return render(request, "portal/activities/absences.html", {"absences": found, "section": "calendar"})


@require_http_methods(["GET", "POST"])
@family_required
def certificate_new(request, absence_id):
    family = request.family
    absence = get_object_or_404(Absence.objects.filter(booking__family=family, reason=Absence.Reason.ILLNESS)
                                .select_related("booking__child", "booking__unit__activity"), pk=absence_id)
    rule = request_types.CertificateType.attachments
    data, files = bound_data(request)
    form = AttachmentForm(data, files, rule=rule, prefix="piece")
    if request.method == "POST" and form.is_valid():
        label = f"{absence.booking.unit.activity.name}, {date_format(absence.booking.day, 'l j F Y')}"
        try:
            change = requests.submit("certificate", user=request.user, family=family, child=absence.booking.child,
                                     kind=ChangeRequest.Kind.FILE, target_id=absence.pk, proposed={"label": label},
                                     uploads=form.uploads())
        except requests.AlreadyPending as exc:
            messages.warning(request, exc.message)
            return redirect("portal:absences")
        messages.success(request, _("Certificat médical envoyé (demande n° %(id)s) : il couvre toute la maladie.")
                         % {"id": change.pk})
        return redirect("portal:absences")
    return render(request, "portal/activities/certificate_form.html", {
        "form": form, "absence": absence, "section": "calendar"})


# --- registrations ---------------------------------------------------------------------------------------

@require_GET
@family_required
def registration_list(request):
    family = request.family
    registrations = list(Registration.objects.filter(family=family, last_day__gte=timezone.localdate())
                         .select_related("child", "activity").order_by("activity__name", "child__first_name"))
    for registration in registrations:
        registration.pattern_text = request_types.pattern_text(registration.pattern)
    pending = list(family.change_requests.pending().filter(request_type__in=["registration", "registration_change"]))
    return render(request, "portal/activities/registrations.html", {
        "registrations": registrations, "pending": pending, "section": "registrations",
        "activities": activity_forms.registrable_activities(),
    })


@require_http_methods(["GET", "POST"])
@family_required
def registration_new(request):
    family = request.family
    activity_id = _id(request.POST.get("activite") or request.GET.get("activite"))
    activity = Activity.objects.filter(is_active=True, pk=activity_id).first() if activity_id else None
    if activity is None:
        return render(request, "portal/activities/registration_choose.html", {
            "activities": activity_forms.registrable_activities(), "section": "registrations"})
    first, last = activity_forms.school_year_bounds()
    first = max(first, timezone.localdate())
    children = _children(family)
    if activity.schools:
        children = children.filter(school__in=activity.schools)
    form = activity_forms.RegistrationForm(request.POST or None, activity=activity, children=children,
                                           initial={"first_day": first, "last_day": last})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        proposed = {"activity": activity.pk, "activity_name": activity.name, "first_day": d["first_day"].isoformat(),
                    "last_day": d["last_day"].isoformat(), "pattern": form.pattern()}
        lines = [{"child": child.pk, "child_name": child.first_name} for child in d["children"]]
        change = requests.submit("registration", user=request.user, family=family, kind=ChangeRequest.Kind.ADD,
                                 proposed=proposed, lines=lines, exclusive=False)
        if change.status == ChangeRequest.Status.APPROVED:
            messages.success(request, _("Inscription enregistrée (demande n° %(id)s).") % {"id": change.pk})
        else:
            messages.success(request, _("Votre demande d'inscription n° %(id)s est envoyée à la mairie : vous serez "
                                        "prévenu(e) de sa décision.") % {"id": change.pk})
        return redirect("portal:request", change.pk)
    return render(request, "portal/activities/registration_form.html", {
        "form": form, "activity": activity, "section": "registrations", "eligible": children.exists()})


def _own_registration(family, registration_id):
    return get_object_or_404(Registration.objects.filter(family=family, last_day__gte=timezone.localdate())
                             .select_related("activity", "child"), pk=registration_id)


def _submit_registration_change(request, registration, proposed):
    proposed = {"activity": registration.activity_id, "activity_name": registration.activity.name, **proposed}
    before = {"pattern": registration.pattern, "last_day": str(registration.last_day)}
    try:
        change = requests.submit("registration_change", user=request.user, family=request.family,
                                 child=registration.child, kind=ChangeRequest.Kind.CHANGE, target_id=registration.pk,
                                 before=before, proposed=proposed)
    except requests.AlreadyPending as exc:
        messages.warning(request, exc.message)
        return redirect("portal:registrations")
    messages.success(request, _("Votre demande n° %(id)s est envoyée à la mairie.") % {"id": change.pk})
    return redirect("portal:request", change.pk)


@require_http_methods(["GET", "POST"])
@family_required
def registration_change(request, registration_id):
    registration = _own_registration(request.family, registration_id)
    initial = {"from_day": max(timezone.localdate(), registration.first_day)}
    for day, unit_ids in (registration.pattern or {}).items():
        for unit_id in unit_ids:
            initial[f"p-{day}-{unit_id}"] = True
    form = activity_forms.PatternChangeForm(request.POST or None, registration=registration, initial=initial)
    if request.method == "POST" and form.is_valid():
        return _submit_registration_change(request, registration, {
            "from_day": form.cleaned_data["from_day"].isoformat(), "pattern": form.pattern()})
    return render(request, "portal/activities/registration_change.html", {
        "form": form, "registration": registration, "section": "registrations"})


@require_http_methods(["GET", "POST"])
@family_required
def registration_end(request, registration_id):
    registration = _own_registration(request.family, registration_id)
    form = activity_forms.EndForm(request.POST or None, registration=registration,
                                  initial={"from_day": timezone.localdate() + datetime.timedelta(days=1)})
    if request.method == "POST" and form.is_valid():
        return _submit_registration_change(request, registration, {
            "from_day": form.cleaned_data["from_day"].isoformat(), "end": True})
    return render(request, "portal/activities/registration_end.html", {
        "form": form, "registration": registration, "section": "registrations"})
