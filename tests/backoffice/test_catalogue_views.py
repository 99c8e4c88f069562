"""The catalogue pages (agents and administrators): the activities with their deadlines in French, an activity's
units, groups, openings, closures and registrations, the forms (deadlines built from small fields, never JSON),
places whose capacity promotes, the opening calendar, and a child registered (and its registration ended) by
staff. Fixed query counts on the list pages; hostile input never makes a 500."""

import datetime
import html
import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from enfance.activities import registrations
from enfance.activities.catalogue import CENTRE, create_catalogue
from enfance.activities.models import (
    Activity,
    Booking,
    BookingOpening,
    CalendarPeriod,
    Group,
    Place,
    PlaceDay,
    Registration,
    Site,
    Unit,
)
from enfance.core.models import AuditEntry
from tests.factories import ChildFactory, FamilyFactory, UserFactory

from .conftest import client_for, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return create_catalogue()


@pytest.fixture
def agent_client(staff):
    return client_for(staff)


def activity_data(activity, **changes):
    """What the edit page posts for `activity` unchanged, with `changes` (the deadline sub-fields included)."""
    data = {"name": activity.name, "kind": activity.kind, "runs": activity.runs,
            "weekdays": [str(d) for d in (activity.weekdays or [0, 1, 2, 3, 4])], "schools": activity.schools,
            "school_levels": activity.school_levels, "min_age": activity.min_age or "",
            "max_age": activity.max_age or "", "certificate_days": activity.certificate_days,
            "waiting_days": activity.waiting_days, "acceptance_hours": activity.acceptance_hours,
            "late_surcharge": activity.late_surcharge if activity.late_surcharge is not None else "",
            "leaders": [u.pk for u in activity.leaders.all()]}
    if activity.needs_registration:
        data["needs_registration"] = "on"
    if activity.is_active:
        data["is_active"] = "on"
    for prefix in ("booking_rule", "cancellation_rule", "late_rule"):
        data |= rule_data(prefix, getattr(activity, prefix))
    data |= changes
    return {k: v for k, v in data.items() if v is not None}


def rule_data(prefix, rule):
    if not rule:
        return {f"{prefix}-kind": "none"}
    data = {f"{prefix}-kind": rule["kind"]}
    if rule["kind"] == "days_before":
        data |= {f"{prefix}-days": rule["days"], f"{prefix}-days_at": rule["at"]}
        if rule.get("open_days"):
            data[f"{prefix}-open_days"] = "on"
    elif rule["kind"] == "hours_before":
        data[f"{prefix}-hours"] = rule["hours"]
    elif rule["kind"] == "weekday_before":
        data |= {f"{prefix}-weekday": rule["weekday"], f"{prefix}-weekday_at": rule["at"]}
    elif rule["kind"] == "per_weekday":
        for row in rule["table"]:
            data |= {f"{prefix}-table_{row['booked']}_weekday": row["weekday"], f"{prefix}-table_{row['booked']}_at": row["at"]}
    else:
        data |= {f"{prefix}-month_day": rule["day"], f"{prefix}-month_at": rule["at"]}
    return data


def error_of(response, field_id):
    """The error shown under the field whose id is `field_id`."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}_error">(.*?)</p>', response.content.decode(), re.S)
    return html.unescape(match.group(1)) if match else None


def text(response):
    return html.unescape(response.content.decode())


# --- who may open them ---------------------------------------------------------------------------------

def test_leaders_read_nothing_of_the_catalogue(catalogue, leader_client):
    for url in (reverse("backoffice:activities"), reverse("backoffice:activity", args=[catalogue["wednesday"].pk]),
                reverse("backoffice:calendar"), reverse("backoffice:places")):
        assert leader_client.get(url).status_code == 403


# --- the list and the activity page ----------------------------------------------------------------------

def test_the_list_tells_each_activity_its_kind_days_deadlines_in_french_and_registrations(catalogue, agent_client,
                                                                                          staff):
    family = FamilyFactory()
    child = ChildFactory(family=family, birth_date=datetime.date(2018, 5, 4))
    today = timezone.localdate()
    Registration.objects.create(child=child, family=family, activity=catalogue["holidays"], first_day=today,
                                last_day=today + datetime.timedelta(days=30))
    Registration.objects.create(child=child, family=family, activity=catalogue["holidays"],
                                first_day=today - datetime.timedelta(days=60),
                                last_day=today - datetime.timedelta(days=31))  # over: not counted
    body = agent_client.get(reverse("backoffice:activities")).content.decode()
    assert "Mercredis loisirs" in body and "Accueil de loisirs" in body
    assert "jeudi midi de la semaine précédente" in body  # describe() of the Wednesday rule
    assert "2 jours ouvrés avant, à 10 h" in body
    assert "le 15 du mois précédent à midi" in body
    assert "tardive : 2 heures avant le jour réservé" in body
    assert "lundi, mardi, jeudi, vendredi" in body
    row = body[body.index("Vacances au centre de loisirs"):]
    assert re.search(r'data-label="Inscriptions en cours">1\b', row)
    assert reverse("backoffice:activity", args=[catalogue["holidays"].pk]) in body


def test_the_list_and_the_activity_page_do_not_grow_with_their_rows(catalogue, agent_client, staff):
    wednesday = catalogue["wednesday"]
    today = timezone.localdate()

    def add(n):
        for i in range(n):
            family = FamilyFactory()
            child = ChildFactory(family=family)
            Registration.objects.create(child=child, family=family, activity=wednesday, first_day=today,
                                        last_day=today + datetime.timedelta(days=30),
                                        pattern={"2": [wednesday.units.first().pk]})
            Activity.objects.create(name=f"Atelier {Activity.objects.count()}", kind="leisure",
                                    booking_rule={"kind": "hours_before", "hours": 48},
                                    cancellation_rule={"kind": "hours_before", "hours": 48})
            unit = Unit.objects.create(activity=wednesday, name=f"Sortie {Unit.objects.count()}")
            unit.places.set([Place.objects.first()])
            Group.objects.create(activity=wednesday, name=f"Groupe {Group.objects.count()}")
            CalendarPeriod.objects.create(kind="closure", label="Formation", activity=wednesday,
                                          first_day=today + datetime.timedelta(days=i + 3),
                                          last_day=today + datetime.timedelta(days=i + 3))

    urls = [reverse("backoffice:activities"), reverse("backoffice:activity", args=[wednesday.pk]),
            reverse("backoffice:places"), reverse("backoffice:calendar"),
            reverse("backoffice:activity_edit", args=[wednesday.pk])]
    add(1)
    few = {url: count_queries(lambda url=url: agent_client.get(url)) for url in urls}
    add(4)
    many = {url: count_queries(lambda url=url: agent_client.get(url)) for url in urls}
    assert few == many


def test_the_activity_page_shows_units_places_groups_openings_its_closures_and_counts(catalogue, agent_client,
                                                                                      staff):
    wednesday = catalogue["wednesday"]
    today = timezone.localdate()
    CalendarPeriod.objects.create(kind="closure", label="Formation des animateurs", activity=wednesday,
                                  first_day=today + datetime.timedelta(days=5), last_day=today + datetime.timedelta(days=5))
    CalendarPeriod.objects.create(kind="closure", label="Inventaire de la cantine", activity=catalogue["canteen_m"],
                                  first_day=today + datetime.timedelta(days=5), last_day=today + datetime.timedelta(days=5))
    BookingOpening.objects.create(activity=wednesday, first_day=today + datetime.timedelta(days=10),
                                  last_day=today + datetime.timedelta(days=20), opens_at=timezone.now())
    whole = wednesday.units.get(name="Journée avec repas")
    half = wednesday.units.get(name="Matinée")
    for i, units in enumerate(([whole.pk], [half.pk], [whole.pk])):
        family = FamilyFactory()
        Registration.objects.create(child=ChildFactory(family=family, first_name=f"Inscrit{i}"), family=family,
                                    activity=wednesday, first_day=today, last_day=today + datetime.timedelta(days=30),
                                    pattern={"2": units})
    body = agent_client.get(reverse("backoffice:activity", args=[wednesday.pk])).content.decode()
    assert "Centre de loisirs – matin</a> (matin, " + CENTRE + ") : 40" in body
    assert "Matinée, Repas après la matinée" in body  # what the whole day excludes
    assert "Maternelles (3-5 ans)" in body and "Formation des animateurs" in body
    assert "Inventaire de la cantine" not in body  # another activity's closure
    assert "ouvertes le" in body
    assert "3 inscriptions en cours." in body
    counts = body[body.index('id="effectifs"'):body.index('id="prestations"')]
    assert re.search(r"Journée avec repas</th><td>2</td>", counts) and re.search(r"Matinée</th><td>1</td>", counts)
    assert "Inscrit0" in body and "mercredi : Journée avec repas" in body


def test_registrations_are_paginated(catalogue, agent_client):
    wednesday = catalogue["wednesday"]
    today = timezone.localdate()
    for i in range(55):
        family = FamilyFactory()
        Registration.objects.create(child=ChildFactory(family=family, last_name=f"Nom{i:02d}"), family=family,
                                    activity=wednesday, first_day=today, last_day=today + datetime.timedelta(days=9))
    url = reverse("backoffice:activity", args=[wednesday.pk])
    first, second = agent_client.get(url).content.decode(), agent_client.get(url + "?page=2").content.decode()
    assert "Nom00" in first and "Nom54" not in first and "Nom54" in second and "Page 2 sur 2" in second


# --- the activity's form and its deadlines ------------------------------------------------------------------

def test_a_new_activity_with_every_kind_of_deadline_built_from_fields(agent_client, staff, leader):
    other_leader = UserFactory(role="leader", first_name="Zoé", last_name="Animatrice")
    UserFactory(role="agent", first_name="Pas", last_name="Animateur")
    ChildFactory(school="École des Pins")
    page = agent_client.get(reverse("backoffice:activity_new")).content.decode()
    assert "École des Pins" in page and "Animatrice" in page and "Pas Animateur" not in page
    data = {"name": "Stage de printemps", "kind": "leisure", "runs": "holidays", "weekdays": ["0", "1", "3"],
            "schools": ["École des Pins"], "other_schools": "École de la Colle\n\n  ", "school_levels": ["CP", "CE1"],
            "min_age": 6, "max_age": 10, "needs_registration": "on", "certificate_days": 5, "waiting_days": 1,
            "acceptance_hours": 12, "late_surcharge": "3.50", "leaders": [other_leader.pk], "is_active": "on",
            "booking_rule-kind": "per_weekday", "booking_rule-table_0_weekday": "4", "booking_rule-table_0_at": "11:00",
            "booking_rule-table_3_weekday": "1", "booking_rule-table_3_at": "11:30",
            "booking_rule-days": "", "booking_rule-days_at": "23:00",  # another kind's field: ignored
            "cancellation_rule-kind": "days_before", "cancellation_rule-days": "3", "cancellation_rule-days_at": "00:00",
            "cancellation_rule-open_days": "on", "late_rule-kind": "day_of_previous_month", "late_rule-month_day": "20",
            "late_rule-month_at": "12:00"}
    response = agent_client.post(reverse("backoffice:activity_new"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = Activity.objects.get(name="Stage de printemps")
    assert activity.booking_rule == {"kind": "per_weekday", "table": [{"booked": 0, "weekday": 4, "at": "11:00"},
                                                                     {"booked": 3, "weekday": 1, "at": "11:30"}]}
    assert activity.cancellation_rule == {"kind": "days_before", "days": 3, "at": "00:00", "open_days": True}
    assert activity.late_rule == {"kind": "day_of_previous_month", "day": 20, "at": "12:00"}
    assert activity.weekdays == [0, 1, 3] and activity.schools == ["École des Pins", "École de la Colle"]
    assert activity.school_levels == ["CP", "CE1"] and activity.needs_registration and activity.runs == "holidays"
    assert list(activity.leaders.all()) == [other_leader]
    entry = AuditEntry.objects.get(object_type="activity", action="create")
    assert entry.changes["délai de réservation"][1] == "vendredi 11 h pour le lundi, mardi 11 h 30 pour le jeudi"
    # The edit page tells the rules back in French.
    page = agent_client.get(reverse("backoffice:activity_edit", args=[activity.pk])).content.decode()
    assert "3 jours ouvrés avant, à 0 h" in page and "le 20 du mois précédent à midi" in page


@pytest.mark.parametrize("changes, field_id, message", [
    ({"booking_rule-kind": "days_before", "booking_rule-days": "1", "booking_rule-days_at": ""},
     "id_booking_rule-days_at", "Indiquez l'heure limite"),
    ({"booking_rule-kind": "days_before", "booking_rule-days": "99", "booking_rule-days_at": "10:00"},
     "id_booking_rule-days", "inférieure ou égale à 60"),
    ({"booking_rule-kind": "hours_before", "booking_rule-hours": ""}, "id_booking_rule-hours",
     "Indiquez le nombre d'heures"),
    ({"booking_rule-kind": "weekday_before", "booking_rule-weekday": "", "booking_rule-weekday_at": "12:00"},
     "id_booking_rule-weekday", "Choisissez le jour"),
    ({"booking_rule-kind": "per_weekday", "booking_rule-table_2_at": "10:00"}, "id_booking_rule-table_2_weekday",
     "Choisissez le jour du délai"),
    ({"booking_rule-kind": "per_weekday"}, "id_booking_rule-table_0_weekday", "au moins un jour"),
    ({"booking_rule-kind": "day_of_previous_month", "booking_rule-month_day": "32", "booking_rule-month_at": "12:00"},
     "id_booking_rule-month_day", "inférieure ou égale à 31"),
    ({"booking_rule-kind": "days_before", "booking_rule-days": "1", "booking_rule-days_at": "25:99"},
     "id_booking_rule-days_at", "heure valide"),
    ({"booking_rule-kind": ""}, "id_booking_rule-kind", "obligatoire"),
    ({"late_rule-kind": "none", "late_surcharge": "2.00"}, "id_late_surcharge", "délai de réservation tardive"),
    ({"weekdays": []}, "id_weekdays", "obligatoire"),
    ({"min_age": "9", "max_age": "4"}, "id_max_age", "inférieur à l'âge minimum"),
    ({"name": "Accueil du soir"}, "id_name", "Une autre activité porte déjà ce nom"),
])
def test_bad_deadlines_and_fields_get_a_french_message_next_to_the_field(catalogue, agent_client, changes, field_id,
                                                                        message):
    activity = catalogue["wednesday"]
    before = Activity.objects.values().get(pk=activity.pk)
    data = activity_data(activity, **changes)
    if changes.get("booking_rule-kind") in ("per_weekday",):
        data = {k: v for k, v in data.items() if k not in ("booking_rule-weekday", "booking_rule-weekday_at")} | changes
    response = agent_client.post(reverse("backoffice:activity_edit", args=[activity.pk]), data)
    assert response.status_code == 200
    error = error_of(response, field_id)
    assert error is not None and message in error, (field_id, error)
    assert Activity.objects.values().get(pk=activity.pk) == before


def test_an_edit_saves_only_the_fields_it_changes(catalogue, agent_client, staff):
    activity = catalogue["wednesday"]
    page = agent_client.get(reverse("backoffice:activity_edit", args=[activity.pk])).content.decode()
    shown = html.unescape(re.search(r'name="shown" value="([^"]*)"', page).group(1))
    data = activity_data(activity, name="Mercredis récréatifs", shown=shown)
    # Meanwhile another agent changes the waiting days and the booking deadline.
    Activity.objects.filter(pk=activity.pk).update(waiting_days=2, booking_rule={"kind": "hours_before", "hours": 72})
    response = agent_client.post(reverse("backoffice:activity_edit", args=[activity.pk]), data)
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.name == "Mercredis récréatifs"
    assert activity.waiting_days == 2 and activity.booking_rule == {"kind": "hours_before", "hours": 72}
    entry = AuditEntry.objects.get(object_type="activity", action="update")
    assert entry.changes == {"nom": ["Mercredis loisirs", "Mercredis récréatifs"]}


def test_a_new_deadline_replaces_the_old_one_and_is_told_back(catalogue, agent_client):
    activity = catalogue["wednesday"]
    data = activity_data(activity, **{"cancellation_rule-kind": "hours_before", "cancellation_rule-hours": "48"})
    assert agent_client.post(reverse("backoffice:activity_edit", args=[activity.pk]), data).status_code == 302
    activity.refresh_from_db()
    assert activity.cancellation_rule == {"kind": "hours_before", "hours": 48}
    assert "48 heures avant le jour réservé" in agent_client.get(reverse("backoffice:activities")).content.decode()


# --- units, places, sites, groups, openings -----------------------------------------------------------------

def test_a_unit_may_not_require_a_unit_it_excludes(catalogue, agent_client):
    wednesday = catalogue["wednesday"]
    half = wednesday.units.get(name="Matinée")
    whole = wednesday.units.get(name="Journée avec repas")
    url = reverse("backoffice:unit_new", args=[wednesday.pk])
    place = Place.objects.get(name="Centre de loisirs – après-midi")
    response = agent_client.post(url, {"name": "Après-midi", "places": [place.pk], "excludes": [half.pk],
                                       "requires": half.pk})
    assert "incompatible" in error_of(response, "id_requires")
    response = agent_client.post(url, {"name": "Matinée", "places": [place.pk]})
    assert "déjà une prestation de ce nom" in error_of(response, "id_name")
    response = agent_client.post(url, {"name": "Après-midi", "places": [place.pk], "excludes": [whole.pk]})
    assert response.status_code == 302
    unit = Unit.objects.get(activity=wednesday, name="Après-midi")
    assert list(unit.places.all()) == [place] and unit in whole.excludes.all()  # both ways
    assert AuditEntry.objects.filter(object_type="unit", action="create", object_id=str(unit.pk)).exists()
    # Its edit saves its name only, and says so in the trail.
    response = agent_client.post(reverse("backoffice:unit_edit", args=[unit.pk]),
                                 {"name": "Après-midi seul", "places": [place.pk], "excludes": [whole.pk]})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="unit", action="update")
    assert entry.changes == {"nom": ["Après-midi", "Après-midi seul"]}


def test_a_raised_capacity_promotes_the_children_waiting(catalogue, agent_client, staff):
    from enfance.activities import bookings

    wednesday = catalogue["wednesday"]
    half = wednesday.units.get(name="Matinée")
    place = Place.objects.get(name="Centre de loisirs – matin")
    Place.objects.filter(pk=place.pk).update(capacity=1)
    day = _next_wednesday()
    now = timezone.now()
    family = FamilyFactory()
    first, second = (ChildFactory(family=family, birth_date=datetime.date(2018, 5, 4)) for _ in range(2))
    override = bookings.Override("test", deadline=True)
    bookings.book(family=family, child=first, unit=half, day=day, user=staff, now=now, override=override)
    waiting = bookings.book(family=family, child=second, unit=half, day=day, user=staff, now=now, override=override)
    assert waiting.state == "waiting"
    data = {"name": place.name, "site": place.site_id, "slot": place.slot, "capacity": "2"}
    response = agent_client.post(reverse("backoffice:place_edit", args=[place.pk]), data, follow=True)
    assert "1 enfant de la liste d'attente a reçu une place." in text(response)
    waiting.refresh_from_db()
    assert waiting.state == "booked"
    # A cut below the day's bookings is refused next to the field, with the day; nothing changes.
    response = agent_client.post(reverse("backoffice:place_edit", args=[place.pk]), data | {"capacity": "1",
                                                                                           "name": "Salle renommée"})
    error = error_of(response, "id_capacity")
    assert "Impossible de passer à 1 place" in error and str(day.day) in error
    place.refresh_from_db()
    assert place.capacity == 2 and place.name == "Centre de loisirs – matin"
    assert PlaceDay.objects.get(place=place, day=day).booked == 2


def _next_wednesday():
    today = timezone.localdate() + datetime.timedelta(days=14)
    while today.weekday() != 2 or CalendarPeriod.objects.filter(first_day__lte=today, last_day__gte=today).exists():
        today += datetime.timedelta(days=1)
    return today


def test_sites_places_groups_openings_and_periods_are_created_edited_and_audited(catalogue, agent_client):
    wednesday = catalogue["wednesday"]
    assert agent_client.post(reverse("backoffice:site_new"), {"name": "Gymnase"}).status_code == 302
    site = Site.objects.get(name="Gymnase")
    response = agent_client.post(reverse("backoffice:place_new"), {"name": "Salle de sport", "site": site.pk,
                                                                   "slot": "afternoon", "capacity": "24"})
    assert response.status_code == 302
    response = agent_client.post(reverse("backoffice:group_new", args=[wednesday.pk]),
                                 {"name": "CP-CE1", "min_age": "6", "max_age": "7", "school_levels": ["CP", "CE1"]})
    assert response.status_code == 302
    assert Group.objects.get(activity=wednesday, name="CP-CE1").school_levels == ["CP", "CE1"]
    response = agent_client.post(reverse("backoffice:group_new", args=[wednesday.pk]),
                                 {"name": "cp-ce1", "min_age": "8", "max_age": "7"})
    assert "déjà un groupe" in error_of(response, "id_name") and "inférieur" in error_of(response, "id_max_age")
    response = agent_client.post(reverse("backoffice:opening_new", args=[wednesday.pk]),
                                 {"first_day": "2031-04-07", "last_day": "2031-04-18", "opens_at": "2031-03-01T08:00"})
    assert response.status_code == 302
    opening = BookingOpening.objects.get(activity=wednesday, first_day=datetime.date(2031, 4, 7))
    assert timezone.localtime(opening.opens_at).hour == 8
    response = agent_client.post(reverse("backoffice:opening_edit", args=[opening.pk]),
                                 {"first_day": "2031-04-07", "last_day": "2031-04-01", "opens_at": "2031-03-01T08:00"})
    assert "avant le premier" in error_of(response, "id_last_day")
    response = agent_client.post(reverse("backoffice:period_new"), {
        "kind": "closure", "label": "Grève", "activity": wednesday.pk, "first_day": "2031-05-14",
        "last_day": "2031-05-14"})
    assert response.status_code == 302
    kinds = set(AuditEntry.objects.filter(action="create").values_list("object_type", flat=True))
    assert {"site", "place", "group", "bookingopening", "calendarperiod"} <= kinds


def test_a_part_in_use_is_not_deleted_and_an_unused_one_is(catalogue, agent_client):
    wednesday = catalogue["wednesday"]
    group = wednesday.groups.first()
    place = Place.objects.get(name="Centre de loisirs – matin")
    PlaceDay.objects.create(place=place, day=datetime.date(2031, 1, 8))
    url = reverse("backoffice:catalogue_delete", args=["lieu", place.pk])
    assert agent_client.get(url).status_code == 200
    response = agent_client.post(url, follow=True)
    assert "ne peut pas être supprimé" in text(response) and Place.objects.filter(pk=place.pk).exists()
    assert agent_client.post(reverse("backoffice:catalogue_delete", args=["groupe", group.pk])).status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_type="group").exists()
    assert agent_client.get(reverse("backoffice:catalogue_delete", args=["autre", 1])).status_code == 404


# --- the calendar -----------------------------------------------------------------------------------------

def test_the_calendar_shows_holidays_closures_and_public_holidays_and_fills_from_the_package(agent_client):
    url = reverse("backoffice:calendar") + "?annee=2027"
    body = text(agent_client.get(url))
    assert "Aucune période de vacances" in body and "samedi 1 janvier 2028 : Jour de l'an" in body
    assert "Noël" in body  # 25 December 2027, a public holiday
    response = agent_client.post(reverse("backoffice:calendar_fill"), {"year": "2027"}, follow=True)
    body = response.content.decode()
    assert "périodes de vacances ajoutées" in body and "Vacances de Noël" in body
    added = CalendarPeriod.objects.filter(kind="school_holidays").count()
    assert added >= 4
    response = agent_client.post(reverse("backoffice:calendar_fill"), {"year": "2027"}, follow=True)
    assert "déjà toutes là" in response.content.decode()
    assert CalendarPeriod.objects.filter(kind="school_holidays").count() == added
    period = CalendarPeriod.objects.filter(kind="school_holidays").first()
    response = agent_client.post(reverse("backoffice:period_edit", args=[period.pk]), {
        "kind": "school_holidays", "label": period.label, "first_day": period.first_day.isoformat(),
        "last_day": (period.last_day + datetime.timedelta(days=1)).isoformat()})
    assert response.status_code == 302
    period.refresh_from_db()
    entry = AuditEntry.objects.get(object_type="calendarperiod", action="update")
    assert list(entry.changes) == ["dernier jour"]
    other = CalendarPeriod.objects.filter(kind="school_holidays").exclude(pk=period.pk).first()
    response = agent_client.post(reverse("backoffice:period_new"), {
        "kind": "school_holidays", "label": "Doublon", "first_day": other.first_day.isoformat(),
        "last_day": other.last_day.isoformat()})
    assert "commence déjà ce jour-là" in error_of(response, "id_first_day")


# --- staff register a child ----------------------------------------------------------------------------

def _registered_household():
    family = FamilyFactory()
    child = ChildFactory(family=family, first_name="Nina", birth_date=datetime.date(2018, 5, 4))
    return family, child


def test_staff_register_a_child_and_see_the_outcome_line_by_line(catalogue, agent_client, staff):
    wednesday = catalogue["wednesday"]
    whole = wednesday.units.get(name="Journée avec repas")
    Place.objects.filter(name="Centre de loisirs – matin").update(capacity=0)  # full: the list
    family, child = _registered_household()
    url = reverse("backoffice:activity", args=[wednesday.pk])
    page = agent_client.get(url + f"?foyer={family.reference.lower()}").content.decode()
    assert f'value="{child.pk}"' in page and "Nina" in page
    first = _next_wednesday()
    response = agent_client.post(reverse("backoffice:activity_register", args=[wednesday.pk]), {
        "inscription-reference": family.reference, "inscription-child": child.pk,
        "inscription-first_day": first.isoformat(),
        "inscription-last_day": (first + datetime.timedelta(days=14)).isoformat(),
        "inscription-pattern_2": [whole.pk]})
    body = response.content.decode()
    assert response.status_code == 200
    registration = Registration.objects.get(child=child, activity=wednesday)
    assert registration.pattern == {"2": [whole.pk]} and registration.created_by == staff
    assert "liste d'attente, rang 1" in html.unescape(body)
    assert Booking.objects.filter(registration=registration, state="waiting").exists()
    assert AuditEntry.objects.filter(object_type="registration", child=child).exists()
    # Registering again over the same period: the French reason, nothing more.
    response = agent_client.post(reverse("backoffice:activity_register", args=[wednesday.pk]), {
        "inscription-reference": family.reference, "inscription-child": child.pk,
        "inscription-first_day": first.isoformat(), "inscription-last_day": first.isoformat()})
    assert "déjà inscrit(e)" in text(response)
    assert Registration.objects.filter(child=child).count() == 1


def test_a_refused_line_shows_its_french_reason(catalogue, agent_client):
    wednesday = catalogue["wednesday"]
    half = wednesday.units.get(name="Matinée")
    meal = wednesday.units.get(name="Repas après la matinée")
    family, child = _registered_household()
    first = _next_wednesday()
    closed = CalendarPeriod.objects.create(kind="closure", label="Grève", activity=wednesday, first_day=first,
                                           last_day=first)
    response = agent_client.post(reverse("backoffice:activity_register", args=[wednesday.pk]), {
        "inscription-reference": family.reference, "inscription-child": child.pk,
        "inscription-first_day": first.isoformat(), "inscription-last_day": first.isoformat(),
        "inscription-pattern_2": [half.pk, meal.pk]})
    body = response.content.decode()
    assert f"refusé : Fermé ce jour-là ({closed.label})." in html.unescape(body)


def test_registration_form_errors_are_french_and_next_to_the_field(catalogue, agent_client):
    wednesday = catalogue["wednesday"]
    family, child = _registered_household()
    url = reverse("backoffice:activity_register", args=[wednesday.pk])
    response = agent_client.post(url, {"inscription-reference": "X999", "inscription-first_day": "2031-01-01",
                                       "inscription-last_day": "2030-01-01"})
    assert "Aucun foyer actif" in error_of(response, "id_inscription-reference")
    assert "avant son début" in error_of(response, "id_inscription-last_day")
    response = agent_client.post(url, {"inscription-reference": family.reference,
                                       "inscription-first_day": "2031-01-01", "inscription-last_day": "2031-01-02"})
    assert "Choisissez l'enfant" in error_of(response, "id_inscription-child")
    response = agent_client.post(url, {"inscription-reference": family.reference, "etape": "foyer"})
    assert response.status_code == 200 and "Nina" in response.content.decode()
    assert not Registration.objects.exists()


def test_staff_end_a_registration_from_a_day(catalogue, agent_client, staff):
    wednesday = catalogue["wednesday"]
    whole = wednesday.units.get(name="Journée avec repas")
    family, child = _registered_household()
    first = _next_wednesday()
    registration, results = registrations.approve(family=family, child=child, activity=wednesday, first_day=first,
                                                  last_day=first + datetime.timedelta(days=21),
                                                  pattern={"2": [whole.pk]}, user=staff)
    assert any(getattr(r, "state", "") == "booked" for _l, r in results)
    url = reverse("backoffice:registration_end", args=[registration.pk])
    response = agent_client.post(url, {"from_day": first.isoformat()})
    assert "avant d'avoir commencé" in error_of(response, "id_from_day")
    response = agent_client.post(url, {"from_day": (first + datetime.timedelta(days=7)).isoformat()})
    assert response.status_code == 200 and "annulée" in response.content.decode()
    registration.refresh_from_db()
    assert registration.last_day == first + datetime.timedelta(days=6)
    assert Booking.objects.filter(registration=registration, state="booked").count() == 1
    assert AuditEntry.objects.filter(object_type="registration", action="update").exists()


# --- hostile input -----------------------------------------------------------------------------------------

def test_catalogue_forms_resist_hostile_values(catalogue, admin_client_, alice):
    from tests.test_hostile_input import crawl, submit_all

    wednesday = catalogue["wednesday"]
    start = [reverse("backoffice:activities"), reverse("backoffice:activity", args=[wednesday.pk]),
             reverse("backoffice:activity_new"), reverse("backoffice:calendar"), reverse("backoffice:places"),
             reverse("backoffice:period_new"), reverse("backoffice:activity", args=[wednesday.pk]) +
             f"?foyer={alice.family.reference}"]
    # Only the catalogue's pages: the crawl also finds the other pages their links lead to.
    pages = [(url, forms) for url, forms in crawl(admin_client_, start)
             if urlparse(url).path.startswith(("/gestion/activites/", "/gestion/calendrier/"))]
    shapes = {re.sub(r"\d+", "N", urlparse(url).path) for url, _forms in pages}
    for expected in ("/gestion/activites/N/modifier/", "/gestion/activites/prestations/N/",
                     "/gestion/activites/lieux/N/", "/gestion/activites/groupes/N/", "/gestion/calendrier/periodes/N/",
                     "/gestion/activites/N/prestations/nouvelle/", "/gestion/activites/sites/N/"):
        assert expected in shapes, expected
    assert submit_all(admin_client_, pages) >= 15
