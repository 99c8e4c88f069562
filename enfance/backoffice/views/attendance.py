"""The attendance sheet ("pointage"), for a tablet held by the activity's leader: choose the sheet, mark the
children present or absent, add one who came without a booking, record departures; the health details
behind a flag open on a page of their own, each opening logged. Rules live in activities/attendance.py."""

import datetime
from urllib.parse import urlencode

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from enfance.accounts.decorators import staff_required
from enfance.activities import attendance
from enfance.activities.models import Attendance, Group, Site
from enfance.core import audit
from enfance.core.dates import is_sane
from enfance.core.values import parse_id
from enfance.families import categories
from enfance.families.models import Child

SECTION = "attendance"


# --- forms ---------------------------------------------------------------------------------------------

class SheetChoiceForm(forms.Form):
    """Which sheet to open: an activity the user may fill, optionally a site and a group, a day."""

    activity = forms.ModelChoiceField(label=gettext_lazy("Activité"), queryset=None,
                                      empty_label=gettext_lazy("— Choisissez l'activité —"),
                                      error_messages={"required": gettext_lazy("Choisissez une activité."),
                                                      "invalid_choice": gettext_lazy("Choisissez une activité "
                                                                                     "de la liste.")})
    site = forms.ModelChoiceField(label=gettext_lazy("Site"), queryset=None, required=False,
                                  empty_label=gettext_lazy("Tous les sites"),
                                  error_messages={"invalid_choice": gettext_lazy("Choisissez un site de la liste.")})
    group = forms.ModelChoiceField(label=gettext_lazy("Groupe"), queryset=None, required=False,
                                   empty_label=gettext_lazy("Tous les groupes"),
                                   error_messages={"invalid_choice": gettext_lazy("Choisissez un groupe de la "
                                                                                  "liste.")})
    day = forms.DateField(label=gettext_lazy("Jour"), widget=forms.DateInput(attrs={"type": "date"},
                                                                              format="%Y-%m-%d"),
                          input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                          error_messages={"required": gettext_lazy("Indiquez le jour."),
                                          "invalid": gettext_lazy("Indiquez une date valide, par exemple "
                                                                  "12/03/2026.")})

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities
        self.fields["site"].queryset = Site.objects.filter(places__units__activity__in=activities).distinct()
        self.fields["group"].queryset = Group.objects.filter(activity__in=activities).select_related("activity")

    def clean(self):
        data = super().clean()
        activity, site, group = data.get("activity"), data.get("site"), data.get("group")
        if activity is not None and site is not None and site not in attendance.sites_of(activity):
            self.add_error("site", _("%(activity)s n'a pas lieu sur ce site.") % {"activity": activity})
        if activity is not None and group is not None and group.activity_id != activity.pk:
            self.add_error("group", _("Ce groupe n'est pas un groupe de %(activity)s.") % {"activity": activity})
        return data


class ChildSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Prénom et/ou nom de l'enfant"), max_length=100, required=False,
                        widget=forms.SearchInput(attrs={"autocomplete": "off"}))


# --- helpers -------------------------------------------------------------------------------------------

def _day_or_404(text):
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise Http404 from None
    if not is_sane(day):
        raise Http404
    return day


def _id_or_404(value):
    value = (value or "").strip()
    if parse_id(value) is None:
        raise Http404
    return int(value)


def _filters(request, activity):
    """The sheet's site and group, from ?site= and ?groupe=; one that is not the activity's answers 404."""
    site = group = None
    if request.GET.get("site"):
        site = next((s for s in attendance.sites_of(activity) if s.pk == _id_or_404(request.GET["site"])), None)
        if site is None:
            raise Http404
    if request.GET.get("groupe"):
        group = activity.groups.filter(pk=_id_or_404(request.GET["groupe"])).first()
        if group is None:
            raise Http404
    return site, group


def _query(site, group):
    params = {}
    if site is not None:
        params["site"] = site.pk
    if group is not None:
        params["groupe"] = group.pk
    return f"?{urlencode(params)}" if params else ""


def sheet_url(activity, day, site=None, group=None, anchor=""):
    url = reverse("backoffice:attendance_sheet", kwargs={"activity_id": activity.pk, "day": day.isoformat()})
    return url + _query(site, group) + (f"#{anchor}" if anchor else "")


def _now_hhmm(day):
    now = timezone.localtime()
    return now.strftime("%H:%M") if now.date() == day else ""


# --- the pages -----------------------------------------------------------------------------------------

@staff_required
@require_GET
def attendance_home(request):
    """Choose the sheet (activity, site, group, day: today by default), or open today's in one tap."""
    activities = attendance.activities_for(request.user).filter(is_active=True)
    today = timezone.localdate()
    own = list(activities[:2])
    initial = {"day": today, "activity": own[0] if len(own) == 1 else None}
    form = SheetChoiceForm(request.GET if "activity" in request.GET else None, activities=activities,
                           initial=initial)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return redirect(sheet_url(data["activity"], data["day"], data["site"], data["group"]))
    today_links = [(activity, sheet_url(activity, today)) for activity in activities]
    return render(request, "backoffice/activities/attendance.html", {
        "section": SECTION, "form": form, "today_links": today_links, "today": today,
    })


def _post_on_sheet(request, activity, day):
    """Run the posted action; (None, anchor) when done, (error, (child id, field)) when refused."""
    child_id = _id_or_404(request.POST.get("child"))
    unit_id = _id_or_404(request.POST.get("unit"))
    action = request.POST.get("action", "mark")
    anchor = f"enfant-{child_id}"
    try:
        if action == "depart":
            try:
                departed_at = forms.TimeField(input_formats=["%H:%M", "%H:%M:%S", "%Hh%M", "%H h %M"]).clean(
                    request.POST.get("departed_at", "")[:20])
            except forms.ValidationError:
                raise attendance.AttendanceError(_("Indiquez l'heure de départ, par exemple 17:45."),
                                                 field="departed_at") from None
            attendance.record_departure(activity=activity, child_id=child_id, unit_id=unit_id, day=day,
                                        departed_at=departed_at, collected_by=request.POST.get("collected_by", "")[:200],
                                        user=request.user)
        elif action == "remove":
            if not attendance.remove(activity=activity, child_id=child_id, unit_id=unit_id, day=day):
                raise Http404
        else:
            attendance.mark(activity=activity, child_id=child_id, unit_id=unit_id, day=day,
                            status=request.POST.get("status", ""), user=request.user)
    except attendance.NotOnSheet:
        raise Http404 from None
    except attendance.AttendanceError as exc:
        return exc, (child_id, unit_id, request.POST)
    return None, anchor


@staff_required
@require_http_methods(["GET", "POST"])
def attendance_sheet(request, activity_id, day):
    """The sheet: one card per child expected (or marked), large buttons, one small form per action; without
    JavaScript each POST comes back to the child's card."""
    activity = attendance.get_activity_for(request.user, activity_id)
    day = _day_or_404(day)
    site, group = _filters(request, activity)
    error = failed = None
    if request.method == "POST":
        error, where = _post_on_sheet(request, activity, day)
        if error is None:
            return redirect(sheet_url(activity, day, site, group, anchor=where))
        failed = where
    data = attendance.sheet(activity, day, site, group)
    failed_entry = None
    if failed is not None:
        child_id, unit_id, posted = failed
        row = data.row_for(child_id)
        failed_entry = next((e for e in row.entries if e.unit.pk == unit_id), None) if row else None
        if failed_entry is not None:
            failed_entry.error = error
            departure = failed_entry.is_present and failed_entry.picked_up
            failed_entry.error_field = error.field if departure and error.field in ("departed_at", "collected_by") \
                else "status"
            failed_entry.posted = {"departed_at": posted.get("departed_at", "")[:20],
                                   "collected_by": posted.get("collected_by", "")[:200]}
    previous, following = day - datetime.timedelta(days=1), day + datetime.timedelta(days=1)
    response = render(request, "backoffice/activities/attendance_sheet.html", {
        "section": SECTION, "sheet": data, "activity": activity, "day": day, "site": site, "group": group,
        "query": _query(site, group), "error": error, "error_entry": failed_entry,
        "error_child": failed[0] if failed else None,
        "previous_url": sheet_url(activity, previous, site, group),
        "next_url": sheet_url(activity, following, site, group),
        "today_url": sheet_url(activity, timezone.localdate(), site, group),
        "is_today": day == timezone.localdate(),
        "now": _now_hhmm(day), "left_alone": attendance.LEFT_ALONE, "left_alone_label": attendance.left_alone_label(),
        "statuses": Attendance.Status,
    })
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def attendance_add(request, activity_id, day):
    """A child who came without a booking: found by name among the activity's households, marked present."""
    activity = attendance.get_activity_for(request.user, activity_id)
    day = _day_or_404(day)
    site, group = _filters(request, activity)
    units = attendance.units_of(activity, site)
    if request.method == "POST":
        child_id = _id_or_404(request.POST.get("child"))
        unit_id = _id_or_404(request.POST.get("unit")) if len(units) != 1 or request.POST.get("unit") else units[0].pk
        if unit_id not in {u.pk for u in units}:
            raise Http404
        try:
            attendance.mark(activity=activity, child_id=child_id, unit_id=unit_id, day=day,
                            status=Attendance.Status.UNBOOKED, user=request.user)
        except attendance.NotOnSheet:
            raise Http404 from None
        return redirect(sheet_url(activity, day, site, group, anchor=f"enfant-{child_id}"))
    form = ChildSearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        results = list(attendance.candidates(activity, day, form.cleaned_data["q"]))
        on_sheet = attendance.on_sheet(activity, day, [child.pk for child in results])
        for child in results:
            child.on_sheet = child.pk in on_sheet
    return render(request, "backoffice/activities/attendance_add.html", {
        "section": SECTION, "activity": activity, "day": day, "site": site, "group": group, "units": units,
        "form": form, "results": results, "query": _query(site, group),
        "sheet_url": sheet_url(activity, day, site, group),
    })


@staff_required
@require_GET
def attendance_health(request, activity_id, day, child_id):
    """The health details behind a flag of the sheet (allergies, PAI, treatments), for a child on it; every
    opening is logged. Never a medical certificate."""
    activity = attendance.get_activity_for(request.user, activity_id)
    day = _day_or_404(day)
    site, group = _filters(request, activity)
    if child_id not in attendance.on_sheet(activity, day, [child_id]):
        raise Http404
    child = Child.objects.select_related("health").get(pk=child_id)
    audit.log_health_access(request, child)
    return render(request, "backoffice/activities/attendance_health.html", {
        "section": SECTION, "activity": activity, "day": day, "child": child,
        "health": categories.related_or_none(child, "health"),
        "back_url": sheet_url(activity, day, site, group, anchor=f"enfant-{child.pk}"),
    })
