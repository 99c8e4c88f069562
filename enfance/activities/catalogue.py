"""The usual catalogue of a commune, for the demo, the generated commune and the tests: the canteens of its two
schools, morning and evening care, the Wednesday leisure centre and a holiday session, with their rules.

`create_catalogue()` is idempotent (get_or_create by name): calling it twice adds nothing.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from .calendar import fill_school_holidays
from .models import Activity, BookingOpening, Group, Place, Site, Unit

MATERNELLE = "École maternelle Les Oliviers"
PRIMAIRE = "École primaire de Tourrettes"
CENTRE = "Centre de loisirs de Tourrettes"

CANTEEN_RULE = {"kind": "days_before", "days": 2, "at": "10:00", "open_days": True}
CARE_RULE = {"kind": "days_before", "days": 1, "at": "18:00", "open_days": False}
WEDNESDAY_RULE = {"kind": "weekday_before", "weekday": 3, "at": "12:00"}
HOLIDAY_RULE = {"kind": "day_of_previous_month", "day": 15, "at": "12:00"}
CANTEEN_DAYS = [0, 1, 3, 4]


def _place(name, site, slot, capacity):
    return Place.objects.get_or_create(name=name, defaults={"site": site, "slot": slot, "capacity": capacity})[0]


def _unit(activity, name, places, requires=None):
    unit, created = Unit.objects.get_or_create(activity=activity, name=name, defaults={"requires": requires})
    if created:
        unit.places.set(places)
    return unit


def _activity(name, **fields):
    return Activity.objects.get_or_create(name=name, defaults=fields)[0]


@transaction.atomic
def create_catalogue(today=None, *, wednesday_places=40):
    """{key: Activity} of the usual catalogue; the school holidays of this school year filled in."""
    today = today or timezone.localdate()
    year = today.year if today.month >= 9 else today.year - 1
    fill_school_holidays(datetime.date(year, 9, 1))
    oliviers, ecole, centre = (Site.objects.get_or_create(name=name)[0] for name in (MATERNELLE, PRIMAIRE, CENTRE))

    canteen_m = _activity("Restauration scolaire – maternelle", kind=Activity.Kind.CANTEEN,
                          booking_rule=CANTEEN_RULE, cancellation_rule=CANTEEN_RULE, weekdays=CANTEEN_DAYS,
                          schools=[MATERNELLE], certificate_days=3, waiting_days=1)
    canteen_e = _activity("Restauration scolaire – élémentaire", kind=Activity.Kind.CANTEEN,
                          booking_rule=CANTEEN_RULE, cancellation_rule=CANTEEN_RULE, weekdays=CANTEEN_DAYS,
                          schools=[PRIMAIRE], certificate_days=3, waiting_days=1)
    _unit(canteen_m, "Repas", [_place("Réfectoire des Oliviers", oliviers, Place.Slot.LUNCH, 90)])
    _unit(canteen_e, "Repas", [_place("Réfectoire de l'école primaire", ecole, Place.Slot.LUNCH, 160)])

    morning = _activity("Accueil du matin", kind=Activity.Kind.CARE, booking_rule=CARE_RULE,
                        cancellation_rule=CARE_RULE, weekdays=CANTEEN_DAYS, schools=[MATERNELLE, PRIMAIRE],
                        late_rule={"kind": "hours_before", "hours": 2}, late_surcharge="2.00")
    evening = _activity("Accueil du soir", kind=Activity.Kind.CARE, booking_rule=CARE_RULE,
                        cancellation_rule=CARE_RULE, weekdays=CANTEEN_DAYS, schools=[MATERNELLE, PRIMAIRE],
                        late_rule={"kind": "days_before", "days": 0, "at": "14:00"}, late_surcharge="2.00")
    _unit(morning, "Matin (7 h 30 – 8 h 20)", [_place("Garderie du matin", ecole, Place.Slot.MORNING, 60)])
    _unit(evening, "Soir (16 h 30 – 18 h 30)", [_place("Garderie du soir", ecole, Place.Slot.EVENING, 60)])

    wednesday = _activity("Mercredis loisirs", kind=Activity.Kind.LEISURE, booking_rule=WEDNESDAY_RULE,
                          cancellation_rule=WEDNESDAY_RULE, weekdays=[2], min_age=3, max_age=11,
                          certificate_days=7, waiting_days=0)
    w_morning = _place("Centre de loisirs – matin", centre, Place.Slot.MORNING, wednesday_places)
    w_lunch = _place("Centre de loisirs – midi", centre, Place.Slot.LUNCH, wednesday_places)
    w_afternoon = _place("Centre de loisirs – après-midi", centre, Place.Slot.AFTERNOON, wednesday_places)
    whole = _unit(wednesday, "Journée avec repas", [w_morning, w_lunch, w_afternoon])
    half = _unit(wednesday, "Matinée", [w_morning])
    meal = _unit(wednesday, "Repas après la matinée", [w_lunch], requires=half)
    whole.excludes.add(half, meal)
    for name, low, high in (("Maternelles (3-5 ans)", 3, 5), ("Élémentaires (6-11 ans)", 6, 11)):
        Group.objects.get_or_create(activity=wednesday, name=name, defaults={"min_age": low, "max_age": high})

    holidays_ = _activity("Vacances au centre de loisirs", kind=Activity.Kind.LEISURE, booking_rule=HOLIDAY_RULE,
                          cancellation_rule=HOLIDAY_RULE, runs=Activity.Runs.HOLIDAYS, needs_registration=True,
                          min_age=3, max_age=11, certificate_days=7, waiting_days=1)
    h_morning = _place("Vacances – matin", centre, Place.Slot.MORNING, 60)
    h_lunch = _place("Vacances – midi", centre, Place.Slot.LUNCH, 60)
    h_afternoon = _place("Vacances – après-midi", centre, Place.Slot.AFTERNOON, 60)
    _unit(holidays_, "Journée avec repas", [h_morning, h_lunch, h_afternoon])
    for name, low, high in (("Maternelles (3-5 ans)", 3, 5), ("Élémentaires (6-11 ans)", 6, 11)):
        Group.objects.get_or_create(activity=holidays_, name=name, defaults={"min_age": low, "max_age": high})
    # The spring session opens on 1 March at 8:00 (the spring holidays of the school year).
    spring = next(((p.first_day, p.last_day) for p in _holidays(year) if p.first_day.month in (4, 5)), None)
    if spring and not holidays_.openings.exists():
        opens = timezone.make_aware(datetime.datetime(year + 1, 3, 1, 8, 0))
        BookingOpening.objects.create(activity=holidays_, first_day=spring[0], last_day=spring[1], opens_at=opens)
    return {"canteen_m": canteen_m, "canteen_e": canteen_e, "morning": morning, "evening": evening,
            "wednesday": wednesday, "holidays": holidays_}


def _holidays(year):
    from .models import CalendarPeriod

    return CalendarPeriod.objects.filter(kind=CalendarPeriod.Kind.SCHOOL_HOLIDAYS,
                                         first_day__gte=datetime.date(year, 9, 1),
                                         first_day__lte=datetime.date(year + 1, 8, 31))
