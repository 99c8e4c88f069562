"""The kitchen's forecast, occupancy and the daily lists in the browser, with data: axe-core finds no WCAG 2.1
A/AA violation at 1280 and 375 pixels, nothing scrolls sideways, and printed, the menus are gone while the
tables are tables again."""

import datetime

import pytest
from django.utils import timezone

from enfance.activities import kitchen
from enfance.activities.catalogue import create_catalogue
from enfance.activities.models import Booking
from enfance.families.models import HealthRecord
from tests.activities.test_occupancy import book, unit_of
from tests.factories import PASSWORD, ChildFactory, FamilyFactory, UserFactory

from .pages import audit, login

pytestmark = pytest.mark.browser


def _data():
    catalogue = create_catalogue()
    day = kitchen.open_days(timezone.localdate())[0]
    family = FamilyFactory(reference="E2E-0001-LONGUE")
    whole = unit_of(catalogue["wednesday"], "Journée avec repas")
    for n, diet in enumerate(["standard", "vegetarian", "no_pork", "packed_lunch"] * 3):
        child = ChildFactory(family=family, first_name=f"Prénom-très-long-{n}", last_name="De La Fontaine-Saint-Martin",
                             diet=diet, birth_date=datetime.date(2016 + n % 6, 2, 1))
        HealthRecord.objects.create(child=child, has_pai=n % 4 == 3, allergies="Arachide" if n % 3 == 0 else "")
        book(child, family, unit_of(catalogue["canteen_e" if n % 2 else "canteen_m"]), day)
        book(child, family, whole, day)
    for position in (1, 2):
        book(ChildFactory(family=family, first_name=f"Attente{position}"), family, whole, day,
             state=Booking.State.WAITING, position=position)
    return catalogue, day


def test_the_activity_pages_pass_axe_and_fit_375_pixels(open_context):
    catalogue, day = _data()
    admin = UserFactory(username="admin.cuisine", role="admin", first_name="Agnès", last_name="Admin")
    page = open_context().new_page()
    login(page, admin.username, PASSWORD)
    wednesday = catalogue["wednesday"].pk
    pages = {
        "kitchen": "/gestion/activites/cuisine/",
        "occupancy": f"/gestion/activites/occupation/?semaine={day:%Y-%m-%d}",
        "occupancy, bad week": "/gestion/activites/occupation/?semaine=2026-02-30",
        "daily list chooser": "/gestion/activites/listes-du-jour/",
        "daily list": f"/gestion/activites/listes-du-jour/?activite={wednesday}&jour={day:%Y-%m-%d}",
        "daily list, bad day": f"/gestion/activites/listes-du-jour/?activite={wednesday}&jour=demain",
    }
    problems = []
    for label, path in pages.items():
        response = page.goto(path)
        assert response.status == 200, (label, response.status)
        problems += audit(page, label)
    page.goto("/gestion/messages-groupes/nouveau/")
    page.get_by_label("Les foyers d'un enfant inscrit à une activité").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Voir les destinataires").click()
    assert page.locator("#id_activity_error").is_visible()
    problems += audit(page, "broadcast to an activity not chosen")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_printed_the_menus_are_gone_and_the_tables_are_tables(open_context):
    catalogue, day = _data()
    agent = UserFactory(username="agent.cuisine", role="agent")
    page = open_context().new_page()
    login(page, agent.username, PASSWORD)
    page.set_viewport_size({"width": 375, "height": 812})
    for path in ("/gestion/activites/cuisine/",
                 f"/gestion/activites/listes-du-jour/?activite={catalogue['wednesday'].pk}&jour={day:%Y-%m-%d}"):
        page.goto(path)
        head = page.locator("table.stack thead").first
        assert page.locator("nav.nav").is_visible() and head.bounding_box()["height"] <= 1  # stacked cards
        page.emulate_media(media="print")
        assert not page.locator("nav.nav").is_visible(), path
        assert not page.locator("nav.subnav").is_visible(), path
        assert not page.locator("form.search-form").is_visible(), path
        assert head.bounding_box()["height"] > 10, path  # the column headings are back
        page.emulate_media(media="screen")
