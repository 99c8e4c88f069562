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
