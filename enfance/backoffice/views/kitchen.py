"""The activities' day-to-day pages: the kitchen's forecast (screen, print, CSV), the occupancy of the places
with the waiting lists, and the printable daily lists of the children booked.

The forecast and the occupancy are for agents and administrators; a leader prints the daily lists of the
activities they lead, and another activity answers 404 exactly like one that does not exist.
"""

import datetime

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from enfance.accounts.decorators import staff_required
from enfance.activities import kitchen as kitchen_forecast
from enfance.activities import occupancy as occupancy_
from enfance.activities.models import Activity
from enfance.families.models import Child

SECTION = "kitchen"
# The days a page may name: far enough for any school year, near enough for date arithmetic never to overflow.
FIRST_YEAR, LAST_YEAR = 2000, 2100
LARGEST_ID = 2**63 - 1  # BigAutoField: a larger number names no activity (and must not reach the database)


def _in_range(day):
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise forms.ValidationError(_("Choisissez une date entre %(first)d et %(last)d.")
                                    % {"first": FIRST_YEAR, "last": LAST_YEAR})
    return day


class DayField(forms.DateField):
    """A day in the query string as the browser's date field sends it (YYYY-MM-DD)."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%d"], required=False, validators=[_in_range],
                         error_messages={"invalid": gettext_lazy("Indiquez une date valide (jour, mois, année).")},
                         **kwargs)


# --- the kitchen's forecast --------------------------------------------------------------------------

@staff_required(edit=True)
@require_GET
def kitchen(request):
    first_day = timezone.localdate()
    days = kitchen_forecast.forecast_days(first_day)
    return render(request, "backoffice/activities/kitchen.html", {
        "section": SECTION, "days": days, "diets": Child.Diet.choices, "first_day": first_day,
        "last_day": first_day + datetime.timedelta(days=kitchen_forecast.DAYS - 1),
        "total_meals": sum(day.meals for day in days),
    })


@staff_required(edit=True)
@require_GET
def kitchen_csv(request):
    first_day = timezone.localdate()
    rows = [row for day in kitchen_forecast.forecast_days(first_day) for row in day.rows]
    # The byte order mark: spreadsheets then read the file as UTF-8 (accents in the sites' names).
    response = HttpResponse("\ufeff" + kitchen_forecast.forecast_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="previsions-cuisine-{first_day:%Y-%m-%d}.csv"'
    return response


# --- occupancy ---------------------------------------------------------------------------------------

class WeekForm(forms.Form):
    semaine = DayField(label=gettext_lazy("Semaine du"),
                       help_text=gettext_lazy("Un jour de la semaine à afficher ; elle commence le lundi."))


@staff_required(edit=True)
@require_GET
def occupancy(request):
    today = timezone.localdate()
    form = WeekForm(request.GET or None, initial={"semaine": occupancy_.monday_of(today)})
    chosen = form.cleaned_data.get("semaine") if form.is_bound and form.is_valid() else None
    week = occupancy_.week(chosen or today)
    return render(request, "backoffice/activities/occupancy.html", {
        "section": SECTION, "form": form, "week": week,
        "previous": week.previous if week.previous.year >= FIRST_YEAR else None,
        "next": week.next if week.next.year <= LAST_YEAR else None,
    })


# --- the daily lists ---------------------------------------------------------------------------------

def activities_for(user):
    """The activities whose lists `user` may print: every one for agents and administrators, a leader's own."""
    activities = Activity.objects.order_by("name")
    return activities if user.can_edit_records else activities.filter(leaders=user)


class DailyListForm(forms.Form):
    activite = forms.IntegerField(label=gettext_lazy("Activité"), required=False, min_value=1, max_value=LARGEST_ID,
                                  widget=forms.Select, error_messages={
                                      "invalid": gettext_lazy("Choisissez une activité de la liste."),
                                      "min_value": gettext_lazy("Choisissez une activité de la liste."),
                                      "max_value": gettext_lazy("Choisissez une activité de la liste.")})
    jour = DayField(label=gettext_lazy("Jour"))

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activite"].widget.choices = [("", _("— choisissez —"))] + [(a.pk, a.name) for a in activities]


@staff_required
@require_GET
def daily_list(request):
    activities = list(activities_for(request.user))
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("jour", today.isoformat())
    form = DailyListForm(data, activities=activities)
    activity = day = sections = None
    if form.is_valid() and form.cleaned_data["activite"]:
        # Another leader's activity answers exactly like one that does not exist.
        activity = next((a for a in activities if a.pk == form.cleaned_data["activite"]), None)
        if activity is None:
            raise Http404
        day = form.cleaned_data["jour"] or today
        sections = occupancy_.daily_list(activity, day)
    return render(request, "backoffice/activities/daily_list.html", {
        "section": "daily_lists", "form": form, "activity": activity, "day": day, "sections": sections,
        "activities": activities, "total": sum(len(s.bookings) for s in sections or ()),
    })
