"""The catalogue, for agents and administrators (leaders read nothing here): the activities, their deadlines
told in French, their units, groups, openings, closures and registrations; a child registered by staff.

The units, places, sites, groups, openings and the calendar are in catalogue_items.py.
"""

import datetime
from collections import Counter

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enfance.accounts.decorators import staff_required
from enfance.activities import registrations
from enfance.activities.bookings import BookingRefused
from enfance.activities.deadlines import WEEKDAYS, RuleError, rule_from_json
from enfance.activities.models import Activity, Booking, CalendarPeriod, Place, Registration, Unit
from enfance.core import audit
from enfance.core.dates import school_year_start
from enfance.core.forms import bound_data
from enfance.core.models import AuditEntry
from enfance.core.pagination import paginate
from enfance.core.values import parse_id

from ..activity_forms import ActivityForm, EndRegistrationForm, RegisterForm
from ._common import refuse_archived_family

SECTION = "activities"


def describe(rule):
    """A stored deadline in French ("la veille à 18 h"); "" for none."""
    if not rule:
        return ""
    try:
        return rule_from_json(rule).describe()
    except RuleError as exc:
        return _("délai invalide (%(why)s)") % {"why": exc}


def weekdays_text(activity):
    days = activity.weekdays or [0, 1, 2, 3, 4]
    return ", ".join(WEEKDAYS[d] for d in days if 0 <= d <= 6)


@staff_required(edit=True)
@require_GET
def activity_list(request):
    today = timezone.localdate()
    activities = list(Activity.objects.annotate(
        current=Count("registrations", filter=Q(registrations__last_day__gte=today), distinct=True),
        unit_count=Count("units", distinct=True)).order_by("name"))
    rows = [{"activity": a, "days": weekdays_text(a), "booking": describe(a.booking_rule),
             "cancellation": describe(a.cancellation_rule), "late": describe(a.late_rule)} for a in activities]
    return render(request, "backoffice/activities/list.html", {"rows": rows, "section": SECTION})


def _activity(activity_id):
    units = Unit.objects.select_related("requires").prefetch_related(
        Prefetch("places", queryset=Place.objects.select_related("site").order_by("name")), "excludes"
    ).order_by("name")
    return get_object_or_404(Activity.objects.prefetch_related(Prefetch("units", queryset=units), "groups",
                                                               "openings", "leaders"), pk=activity_id)


def _pattern_text(pattern, unit_names):
    parts = []
    for day in sorted(pattern or {}, key=lambda d: parse_id(d, 2) if parse_id(d, 2) is not None else 99):
        names = [unit_names.get(pk, "?") for pk in pattern[day]]
        if parse_id(day, 2) is not None and int(day) < 7 and names:
            parts.append(f"{WEEKDAYS[int(day)]} : {', '.join(names)}")
    return " ; ".join(parts)


def _pattern_counts(activity, units, today):
    """{(weekday, unit id): registrations whose pattern books it} over the current registrations, and their total."""
    counts, total = Counter(), 0
    for pattern in Registration.objects.filter(activity=activity, last_day__gte=today).values_list("pattern",
                                                                                                   flat=True):
        total += 1
        for day, unit_ids in (pattern or {}).items():
            for unit_id in unit_ids if isinstance(unit_ids, list) else []:
                counts[(str(day), unit_id)] += 1
    days = activity.weekdays or [0, 1, 2, 3, 4]
    rows = [(unit, [counts[(str(d), unit.pk)] for d in days]) for unit in units]
    return {"days": [WEEKDAYS[d] for d in days if 0 <= d <= 6], "rows": rows, "total": total}


def _detail(request, activity, register_form=None, status=200):
    today = timezone.localdate()
    units = list(activity.units.all())
    unit_names = {u.pk: u.name for u in units}
    everything = request.GET.get("toutes") == "1"
    listed = Registration.objects.filter(activity=activity).select_related("child", "family").order_by(
        "child__last_name", "child__first_name", "first_day", "pk")
    if not everything:
        listed = listed.filter(last_day__gte=today)
    page = paginate(request, listed)
    rows = [(r, _pattern_text(r.pattern, unit_names)) for r in page]
    closures = CalendarPeriod.objects.filter(activity=activity, last_day__gte=today - datetime.timedelta(days=31))
    if register_form is None:
        start = max(today, school_year_start(today)) if activity.runs != Activity.Runs.HOLIDAYS else today
        register_form = RegisterForm(activity=activity, units=units, reference=request.GET.get("foyer", ""),
                                     initial={"first_day": start,
                                              "last_day": datetime.date(school_year_start(today).year + 1, 8, 31)})
    return render(request, "backoffice/activities/detail.html", {
        "activity": activity, "units": units, "section": SECTION, "days": weekdays_text(activity),
        "booking": describe(activity.booking_rule), "cancellation": describe(activity.cancellation_rule),
        "late": describe(activity.late_rule), "closures": list(closures), "page": page, "rows": rows,
        "everything": everything, "counts": _pattern_counts(activity, units, today), "form": register_form,
    }, status=status)


@staff_required(edit=True)
@require_GET
def activity_detail(request, activity_id):
    return _detail(request, _activity(activity_id))


def _edit(request, activity=None):
    form = ActivityForm(*bound_data(request)[:1], instance=activity)
    if request.method == "POST" and form.is_valid():
        saved = form.save_audited(request.user)
        messages.success(request, _("Activité « %(name)s » enregistrée.") % {"name": saved.name})
        return redirect("backoffice:activity", saved.pk)
    return render(request, "backoffice/activities/activity_form.html", {
        "form": form, "activity": activity, "section": SECTION, "rules": list(form.rules.values()),
    })


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def activity_new(request):
    return _edit(request)


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def activity_edit(request, activity_id):
    return _edit(request, get_object_or_404(Activity, pk=activity_id))


def _outcome(result):
    """(state, French words) of one line's result."""
    if isinstance(result, BookingRefused):
        return "refused", _("refusé : %(why)s") % {"why": result.message}
    if result.state == Booking.State.WAITING:
        return "waiting", _("liste d'attente, rang %(n)s") % {"n": result.waiting_position}
    if result.awaits_acceptance:
        return "booked", _("réservé, à accepter par la famille")
    return "booked", _("réservé")


@staff_required(edit=True)
@require_POST
def activity_register(request, activity_id):
    """Staff register a child of a household, its weekly pattern booked through the booking rules."""
    activity = _activity(activity_id)
    units = list(activity.units.all())
    form = RegisterForm(request.POST, activity=activity, units=units)
    if request.POST.get("etape") == "foyer":  # "show the household's children": nothing registered yet
        form = RegisterForm(activity=activity, units=units, reference=request.POST.get("inscription-reference", ""),
                            initial={k: request.POST.get(f"inscription-{k}") for k in ("first_day", "last_day")})
        return _detail(request, activity, form)
    if not form.is_valid():
        return _detail(request, activity, form)
    child = form.chosen_child()
    try:
        registration, results = registrations.approve(
            family=form.family, child=child, activity=activity, first_day=form.cleaned_data["first_day"],
            last_day=form.cleaned_data["last_day"], pattern=form.pattern(), user=request.user)
    except BookingRefused as refusal:
        form.add_error(None, refusal.message)
        return _detail(request, activity, form)
    audit.record(actor=request.user, action=AuditEntry.Action.CREATE, obj=registration, family=form.family,
                 child=child, changes={_("inscription"): ["", f"{activity.name} {registration.first_day:%d/%m/%Y} – "
                                                              f"{registration.last_day:%d/%m/%Y}"]})
    lines = [(line, *_outcome(result)) for line, result in results]
    return render(request, "backoffice/activities/register_result.html", {
        "activity": activity, "registration": registration, "child": child, "family": form.family,
        "lines": lines, "tally": Counter(state for _line, state, _words in lines), "section": SECTION,
    })


@staff_required(edit=True)
@require_http_methods(["GET", "POST"])
def registration_end(request, registration_id):
    registration = get_object_or_404(Registration.objects.select_related("child", "family", "activity"),
                                     pk=registration_id)
    form = EndRegistrationForm(*bound_data(request)[:1], initial={"from_day": timezone.localdate()})
    outcomes = None
    if request.method == "POST" and (refused := refuse_archived_family(request, registration.family)) is not None:
        return refused
    if request.method == "POST" and form.is_valid():
        before = f"{registration.last_day:%d/%m/%Y}"
        try:
            results = registrations.end(registration, from_day=form.cleaned_data["from_day"], user=request.user)
        except BookingRefused as refusal:
            form.add_error("from_day", refusal.message)
        else:
            audit.record(actor=request.user, action=AuditEntry.Action.UPDATE, obj=registration,
                         family=registration.family, child=registration.child,
                         changes={_("fin de l'inscription"): [before, f"{registration.last_day:%d/%m/%Y}"]})
            outcomes = [(booking, isinstance(result, BookingRefused),
                         result.message if isinstance(result, BookingRefused) else _("annulée"))
                        for booking, result in results]
            messages.success(request, _("Inscription terminée : dernier jour le %(day)s.")
                             % {"day": registration.last_day.strftime("%d/%m/%Y")})
    return render(request, "backoffice/activities/registration_end.html", {
        "registration": registration, "form": form, "outcomes": outcomes, "section": SECTION,
        "activity": registration.activity,
    })
