"""The kitchen's forecast: meals per day and site, by diet, with allergies and PAI counted, never names."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enfance.activities import bookings, kitchen
from enfance.activities.models import Activity, Place, Site, Unit
from enfance.families.models import HealthRecord
from tests.activities.test_bookings import BEFORE, DAY_BEFORE_RULE, WEDNESDAY
from tests.factories import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db


def canteen(site_name, capacity=3):
    site = Site.objects.create(name=site_name)
    activity, _ = Activity.objects.get_or_create(name="Restauration scolaire", kind="canteen", defaults={
        "booking_rule": DAY_BEFORE_RULE, "cancellation_rule": DAY_BEFORE_RULE})
    room = Place.objects.create(name=f"Réfectoire {site_name}", site=site, slot="lunch", capacity=capacity)
    meal = Unit.objects.create(activity=activity, name=f"Repas {site_name}")
    meal.places.set([room])
    return meal


def test_meals_per_day_and_site_by_diet_with_allergies_and_pai():
    pins, moulin = canteen("École Les Pins", capacity=3), canteen("École du Moulin")
    care = Unit.objects.create(activity=Activity.objects.create(
        name="Garderie", kind="care", booking_rule=DAY_BEFORE_RULE, cancellation_rule=DAY_BEFORE_RULE),
        name="Matin")
    care.places.set([Place.objects.create(name="Salle", slot="morning", capacity=10)])
    family = FamilyFactory()
    kids = [ChildFactory(family=family, first_name=f"E{i}", diet=diet)
            for i, diet in enumerate(["standard", "vegetarian", "no_pork", "standard", "packed_lunch"])]
    HealthRecord.objects.create(child=kids[1], allergies="Arachide")
    HealthRecord.objects.create(child=kids[4], has_pai=True, allergies="Gluten")
    HealthRecord.objects.create(child=kids[0])
    for kid in kids[:4]:
        bookings.book(family=family, child=kid, unit=pins, day=WEDNESDAY, user=None, now=BEFORE)  # the 4th waits
    bookings.book(family=family, child=kids[4], unit=moulin, day=WEDNESDAY, user=None, now=BEFORE)
    bookings.book(family=family, child=kids[3], unit=care, day=WEDNESDAY, user=None, now=BEFORE)
    cancelled = bookings.book(family=family, child=kids[0], unit=moulin, day=WEDNESDAY + datetime.timedelta(1),
                              user=None, now=BEFORE)
    bookings.cancel(cancelled, family=family, user=None, now=BEFORE)
    with CaptureQueriesContext(connection) as queries:
        rows = kitchen.forecast(WEDNESDAY - datetime.timedelta(days=2))
    assert len(queries) == 1
    assert [(r.day, r.site, r.meals, r.by_diet, r.allergies, r.pai) for r in rows] == [
        (WEDNESDAY, "École Les Pins", 3, {"standard": 1, "vegetarian": 1, "no_pork": 1}, 1, 0),
        (WEDNESDAY, "École du Moulin", 1, {"packed_lunch": 1}, 1, 1),
    ]
    lines = kitchen.forecast_csv(rows).splitlines()
    assert lines[0] == "Jour;Site;Repas;Menu standard;Sans porc;Végétarien;Panier repas (PAI);Allergies;PAI"
    assert lines[1] == "09/12/2026;École Les Pins;3;1;1;1;0;1;0"
    assert "E1" not in kitchen.forecast_csv(rows)  # counts, never names
