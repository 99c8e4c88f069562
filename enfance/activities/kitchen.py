"""The kitchen's forecast: meals per day and site, by diet, with the children with an allergy or a PAI.

A meal is a booking (booked, not cancelled) that took a place of the lunch slot; its site is that place's.
Counts only: the kitchen learns how many meals of each kind to cook, not who eats them.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from enfance.families.models import Child

from .models import Booking, Place

DAYS = 14


@dataclass
class ForecastRow:
    day: datetime.date
    site: str
    meals: int = 0
    by_diet: dict = field(default_factory=dict)  # diet -> meals
    allergies: int = 0
    pai: int = 0

    @property
    def diets(self):
        """[(diet label, meals)] for every diet, in Child.Diet's order (0 for a diet nobody eats)."""
        return diet_counts(self.by_diet)


def diet_counts(by_diet):
    return [(diet.label, by_diet.get(diet.value, 0)) for diet in Child.Diet]


def forecast(first_day, days=DAYS):
    """[ForecastRow] from `first_day` for `days` days, by day then site, in one query."""
    last_day = first_day + datetime.timedelta(days=days - 1)
    rows = (Booking.objects.filter(state=Booking.State.BOOKED, day__range=(first_day, last_day),
                                   taken__place__slot=Place.Slot.LUNCH)
            .values("day", "taken__place__site__name", "child__diet")
            .annotate(meals=Count("pk", distinct=True),
                      allergies=Count("pk", distinct=True, filter=~Q(child__health__allergies="")
                                      & Q(child__health__isnull=False)),
                      pai=Count("pk", distinct=True, filter=Q(child__health__has_pai=True)))
            .order_by("day", "taken__place__site__name", "child__diet"))
    forecast_rows = {}
    for row in rows:
        site = row["taken__place__site__name"] or _("(sans site)")
        entry = forecast_rows.setdefault((row["day"], site), ForecastRow(row["day"], site))
        entry.meals += row["meals"]
        entry.by_diet[row["child__diet"]] = entry.by_diet.get(row["child__diet"], 0) + row["meals"]
        entry.allergies += row["allergies"]
        entry.pai += row["pai"]
    # Sorted here, not by the database: the same order whatever its collation.
    return sorted(forecast_rows.values(), key=lambda r: (r.day, r.site))


def forecast_csv(rows):
    """The forecast as CSV for a spreadsheet (semicolons, as French spreadsheets expect)."""
    diets = list(Child.Diet)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Jour"), _("Site"), _("Repas"), *[str(d.label) for d in diets], _("Allergies"), _("PAI")])
    for row in rows:
        writer.writerow([date_format(row.day, "d/m/Y"), row.site, row.meals,
                         *[row.by_diet.get(d.value, 0) for d in diets], row.allergies, row.pai])
    return out.getvalue()


@dataclass
class ForecastDay:
    """One open day of the forecast: its rows (one per site) and the day's totals."""

    day: datetime.date
    rows: list
    meals: int = 0
    by_diet: dict = field(default_factory=dict)
    allergies: int = 0
    pai: int = 0

    @property
    def diets(self):
        return diet_counts(self.by_diet)


def open_days(first_day, days=DAYS):
    """The days from `first_day` for `days` days on which the commune's services are open (no weekend, public
    holiday or closure), read in one query."""
    from .calendar import OpeningCalendar

    last_day = first_day + datetime.timedelta(days=days - 1)
    calendar = OpeningCalendar.load(first_day, last_day)
    span = (first_day + datetime.timedelta(days=n) for n in range(days))
    return [day for day in span if calendar.is_open_day(day)]


def forecast_days(first_day, days=DAYS):
    """[ForecastDay] for the open days from `first_day` (a day without a meal booked too), in two queries."""
    wanted = open_days(first_day, days)
    by_day = {day: ForecastDay(day, []) for day in wanted}
    for row in forecast(first_day, days):
        entry = by_day.get(row.day)
        if entry is None:
            continue  # a closed day: nothing is cooked
        entry.rows.append(row)
        entry.meals += row.meals
        entry.allergies += row.allergies
        entry.pai += row.pai
        for diet, meals in row.by_diet.items():
            entry.by_diet[diet] = entry.by_diet.get(diet, 0) + meals
    return [by_day[day] for day in wanted]
