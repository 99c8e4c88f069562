"""The back office's activity pages: the kitchen's forecast (screen, print, CSV), occupancy with the waiting lists,
the daily lists; who may open them, hostile query strings, and a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from enfance.activities import kitchen
from enfance.activities.catalogue import create_catalogue
from enfance.activities.models import Booking
from enfance.families.models import HealthRecord
from tests.activities.test_occupancy import MONDAY, book, unit_of
from tests.factories import ChildFactory, FamilyFactory, UserFactory
from tests.helpers import session_queries, text

from .conftest import client_for

pytestmark = pytest.mark.django_db

KITCHEN, KITCHEN_CSV = reverse("backoffice:kitchen"), reverse("backoffice:kitchen_csv")
OCCUPANCY, DAILY = reverse("backoffice:occupancy"), reverse("backoffice:daily_list")
HOSTILE = ["x" * 5000, '<script>alert("x")</script>', "'; DROP TABLE x; --", "2026-02-30", "9" * 40,
           "\u202eRTL\u200d 👨‍👩‍👧 \x00", "", "0001-01-01", "9999-12-31", "-5", "2026-13-01", "12/07/2026"]
MENU = 3  # an agent's menu counts the pending requests, applications and conversations waiting


@pytest.fixture
def catalogue():
    return create_catalogue()


def _first_open_day():
    return kitchen.open_days(timezone.localdate())[0]


@pytest.fixture
def meals(catalogue):
    """Three meals on the first open day at the primary school (one vegetarian with an allergy, one PAI), one
    at the nursery school."""
    day = _first_open_day()
    family = FamilyFactory()
    kids = [ChildFactory(family=family, first_name=name, last_name="Secret", diet=diet)
            for name, diet in (("Ambre", "standard"), ("Basile", "vegetarian"), ("Cyrielle", "packed_lunch"),
                               ("Dorian", "no_pork"))]
    HealthRecord.objects.create(child=kids[1], allergies="Arachide")
    HealthRecord.objects.create(child=kids[2], has_pai=True, allergies="Gluten")
    for kid in kids[:3]:
        book(kid, family, unit_of(catalogue["canteen_e"]), day)
    book(kids[3], family, unit_of(catalogue["canteen_m"]), day)
    return day


# --- the kitchen's forecast --------------------------------------------------------------------------------

def test_the_forecast_counts_meals_by_site_and_diet_never_names(staff_client, meals):
    response = staff_client.get(KITCHEN)
    assert response.status_code == 200
    page = text(response)
    first = response.context["days"][0]
    assert first.day == meals and first.meals == 4 and (first.allergies, first.pai) == (2, 1)
    assert [(r.site, r.meals) for r in first.rows] == [("École maternelle Les Oliviers", 1),
                                                       ("École primaire de Tourrettes", 3)]
    assert "Total du jour" in page and "Panier repas (PAI)" in page
    for name in ("Ambre", "Basile", "Cyrielle", "Dorian", "Secret", "Arachide", "Gluten"):
        assert name not in page, name
    # Open days only: no weekend in the two weeks shown, each open day shown even without a meal.
    days = [d.day for d in response.context["days"]]
    assert days == kitchen.open_days(timezone.localdate()) and all(d.weekday() < 5 for d in days)
    assert "Aucun repas réservé ce jour-là." in page
    assert f'href="{KITCHEN_CSV}"' in page


def test_the_forecast_as_a_csv_download(staff_client, meals):
    response = staff_client.get(KITCHEN_CSV)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="previsions-cuisine-')
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffJour;Site;Repas;")
    lines = body.lstrip("\ufeff").splitlines()
    assert lines[1:] == [f"{meals:%d/%m/%Y};École maternelle Les Oliviers;1;0;1;0;0;0;0",
                         f"{meals:%d/%m/%Y};École primaire de Tourrettes;3;1;0;1;1;2;1"]
    assert "Ambre" not in body


def test_the_forecast_is_for_agents_not_leaders(client, meals, leader, admin_user):
    for url in (KITCHEN, KITCHEN_CSV):
        assert client_for(leader).get(url).status_code == 403
        assert client_for(admin_user).get(url).status_code == 200


def test_the_forecast_costs_the_same_for_one_meal_or_forty(staff_client, catalogue, django_assert_num_queries):
    day = _first_open_day()
    family = FamilyFactory()
    book(ChildFactory(family=family), family, unit_of(catalogue["canteen_e"]), day)
    expected = session_queries() + 1 + MENU + 2  # the session, the user, the menu, the calendar and the bookings
    with django_assert_num_queries(expected):
        staff_client.get(KITCHEN)
    for n in range(40):
        child = ChildFactory(family=family, diet=["standard", "no_pork"][n % 2])
        HealthRecord.objects.create(child=child, has_pai=n % 5 == 0)
        book(child, family, unit_of(catalogue["canteen_m" if n % 3 else "canteen_e"]),
             day + datetime.timedelta(days=n % 7))
    with django_assert_num_queries(expected):
        staff_client.get(KITCHEN)
    with django_assert_num_queries(expected - MENU):  # no page, no menu
        staff_client.get(KITCHEN_CSV)


def test_print_css_hides_the_navigation():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "enfance/core/static/core/enfance.css").read_text()
    prints = css.split("@media print")
    assert any(".nav" in block.split("}")[0] and "display: none" in block.split("}")[0] for block in prints[1:])


# --- occupancy -----------------------------------------------------------------------------------------------

@pytest.fixture
def busy_week(catalogue):
    wednesday = MONDAY + datetime.timedelta(days=2)
    whole = unit_of(catalogue["wednesday"], "Journée avec repas")
    family = FamilyFactory(reference="OCC042")
    for n in range(3):
        book(ChildFactory(family=family, first_name=f"Inscrit{n}"), family, whole, wednesday)
    book(ChildFactory(family=family, first_name="Nina", last_name="Attente"), family, whole, wednesday,
         state=Booking.State.WAITING, position=1)
    return family


def test_occupancy_shows_booked_against_capacity_and_the_waiting_lists(staff_client, busy_week):
    response = staff_client.get(OCCUPANCY, {"semaine": "2026-12-09"})
    assert response.status_code == 200
    week = response.context["week"]
    assert week.monday == MONDAY
    rows = {row.place.name: row for row in week.places}
    assert [d.booked for d in rows["Centre de loisirs – midi"].days] == [0, 0, 3, 0, 0]
    assert rows["Centre de loisirs – midi"].days[2].capacity == 40
    assert [d.booked for d in rows["Garderie du soir"].days] == [0] * 5  # no PlaceDay row: 0
    page = text(response)
    assert "3 / 40" in page and "0 / 60" in page
    assert "Nina Attente" in page and "OCC042" in page and "Journée avec repas" in page
    assert f'href="{reverse("backoffice:family", args=[busy_week.pk])}"' in page
    assert "?semaine=2026-11-30" in page and "?semaine=2026-12-14" in page


def test_occupancy_of_a_full_day(staff_client, catalogue):
    half = unit_of(catalogue["wednesday"], "Matinée")
    morning = half.places.get()
    morning.capacity = 2
    morning.save()
    family = FamilyFactory()
    for _ in range(2):
        book(ChildFactory(family=family), family, half, MONDAY + datetime.timedelta(days=2))
    assert "complet" in text(staff_client.get(OCCUPANCY, {"semaine": MONDAY.isoformat()}))


def test_occupancy_defaults_to_this_week_and_says_why(staff_client, catalogue):
    this_monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    assert staff_client.get(OCCUPANCY).context["week"].monday == this_monday
    for value in HOSTILE:
        response = staff_client.get(OCCUPANCY, {"semaine": value})
        assert response.status_code == 200, value
        assert response.context["week"].monday == this_monday, value
        page = text(response)
        if value:
            assert "La semaine demandée n'est pas valide" in page, value
            assert 'class="error"' in page, value
        assert '<script>alert("x")' not in response.content.decode()


def test_occupancy_is_for_agents(client, catalogue, leader):
    assert client_for(leader).get(OCCUPANCY).status_code == 403


def test_occupancy_costs_the_same_however_many_wait(staff_client, catalogue, busy_week, django_assert_num_queries):
    # the session, the user, the menu, the calendar, the places, their PlaceDay rows, the children waiting
    expected = session_queries() + 1 + MENU + 4
    with django_assert_num_queries(expected):
        staff_client.get(OCCUPANCY, {"semaine": MONDAY.isoformat()})
    whole = unit_of(catalogue["wednesday"], "Journée avec repas")
    for n in range(15):
        other = FamilyFactory()
        book(ChildFactory(family=other), other, whole, MONDAY + datetime.timedelta(days=2),
             state=Booking.State.WAITING, position=n + 2)
        book(ChildFactory(family=other), other, unit_of(catalogue["canteen_m"]), MONDAY + datetime.timedelta(days=n % 5))
    with django_assert_num_queries(expected):
        response = staff_client.get(OCCUPANCY, {"semaine": MONDAY.isoformat()})
    assert len(response.context["week"].waiting[0].entries) == 16


# --- the daily lists -----------------------------------------------------------------------------------------

@pytest.fixture
def wednesday_list(catalogue):
    wednesday = MONDAY + datetime.timedelta(days=2)
    whole = unit_of(catalogue["wednesday"], "Journée avec repas")
    family = FamilyFactory()
    book(ChildFactory(family=family, first_name="Petit", last_name="Lou", birth_date=datetime.date(2022, 3, 1)),
         family, whole, wednesday)
    book(ChildFactory(family=family, first_name="Grand", last_name="Max", birth_date=datetime.date(2017, 3, 1)),
         family, unit_of(catalogue["wednesday"], "Matinée"), wednesday)
    book(ChildFactory(family=family, first_name="Cantine", last_name="Ailleurs"), family,
         unit_of(catalogue["canteen_m"]), MONDAY)
    return {"activity": catalogue["wednesday"], "day": wednesday}


def _list(client, activity, day):
    return client.get(DAILY, {"activite": activity.pk, "jour": day.isoformat()})


def test_the_daily_list_by_site_and_group_with_units(staff_client, wednesday_list):
    response = _list(staff_client, wednesday_list["activity"], wednesday_list["day"])
    assert response.status_code == 200
    page = text(response)
    assert "Centre de loisirs de Tourrettes · Maternelles (3-5 ans)" in page
    assert "Centre de loisirs de Tourrettes · Élémentaires (6-11 ans)" in page
    assert page.index("Lou") < page.index("Élémentaires (6-11 ans) <") < page.index("Max")
    assert "Journée avec repas" in page and "Matinée" in page
    assert "Ailleurs" not in page  # another activity's child
    assert "2 enfants réservés" in page


def test_the_daily_list_chooser_and_its_defaults(staff_client, wednesday_list):
    response = staff_client.get(DAILY)
    assert response.status_code == 200 and response.context["activity"] is None
    assert wednesday_list["activity"].name in text(response)
    response = staff_client.get(DAILY, {"activite": wednesday_list["activity"].pk})
    assert response.context["day"] == timezone.localdate()


def test_a_leader_prints_the_lists_of_their_activities_only(client, wednesday_list, catalogue, leader):
    wednesday_list["activity"].leaders.add(leader)
    leader_client = client_for(leader)
    response = _list(leader_client, wednesday_list["activity"], wednesday_list["day"])
    assert response.status_code == 200 and "Lou" in text(response)
    chooser = text(leader_client.get(DAILY))
    assert wednesday_list["activity"].name in chooser and catalogue["canteen_m"].name not in chooser
    other = _list(leader_client, catalogue["canteen_m"], MONDAY)
    missing = leader_client.get(DAILY, {"activite": 987654321, "jour": MONDAY.isoformat()})
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content


def test_a_leader_without_activities_is_told_so(client, catalogue, leader):
    response = client_for(leader).get(DAILY)
    assert response.status_code == 200
    assert "Aucune activité ne vous est confiée" in text(response)


def test_the_daily_list_refuses_hostile_query_strings_in_french(staff_client, wednesday_list):
    activity = wednesday_list["activity"]
    for value in HOSTILE:
        response = staff_client.get(DAILY, {"activite": activity.pk, "jour": value})
        assert response.status_code == 200, value
        if value:
            assert "Indiquez une date valide" in text(response) or "Choisissez une date entre" in text(response), value
            assert response.context["sections"] is None, value
        response = staff_client.get(DAILY, {"activite": value, "jour": "2026-12-09"})
        assert response.status_code in (200, 404), value
        if response.status_code == 200 and value:
            assert "Choisissez une activité de la liste." in text(response), value
        assert '<script>alert("x")' not in response.content.decode()
    assert staff_client.get(DAILY, {"activite": "9" * 18, "jour": "2026-12-09"}).status_code == 404


def test_the_daily_list_costs_the_same_for_two_children_or_thirty(staff_client, wednesday_list,
                                                                   django_assert_num_queries):
    activity, day = wednesday_list["activity"], wednesday_list["day"]
    # the session, the user, the menu, the activities, groups, units and their places, the bookings
    expected = session_queries() + 1 + MENU + 1 + 4
    with django_assert_num_queries(expected):
        _list(staff_client, activity, day)
    family = FamilyFactory()
    for n in range(30):
        book(ChildFactory(family=family, birth_date=datetime.date(2016 + n % 7, 1, 1)), family,
             unit_of(activity, "Journée avec repas"), day)
    with django_assert_num_queries(expected):
        response = _list(staff_client, activity, day)
    assert response.context["total"] == 32


def test_every_staff_role_but_families_opens_the_daily_list(client, catalogue, alice):
    assert client_for(UserFactory(username="agent.liste", role="agent")).get(DAILY).status_code == 200
    assert client_for(alice).get(DAILY).status_code == 403
