"""The catalogue pages in Chromium: axe-core finds no WCAG 2.1 A/AA violation at 1280 and 375 pixels and nothing
scrolls sideways, errors included; a deadline is changed and a child registered without JavaScript."""

import datetime

import pytest

from enfance.activities.catalogue import create_catalogue
from enfance.activities.models import Activity, Registration
from tests.factories import PASSWORD, ChildFactory, FamilyFactory, UserFactory

from .conftest import guarded_contexts
from .pages import audit, login

pytestmark = pytest.mark.browser


@pytest.fixture
def open_context(browser, live_server, transactional_db):
    """Guarded contexts as in conftest, without its task worker: these pages enqueue nothing it must run, and on
    SQLite its polling transactions lock the tables under the live server's requests."""
    yield from guarded_contexts(browser, live_server)


@pytest.fixture
def world(transactional_db):
    """The catalogue, a leader, a household with a child, an administrator."""
    catalogue = create_catalogue()
    UserFactory(role="leader", first_name="Léo", last_name="Animateur")
    family = FamilyFactory()
    ChildFactory(family=family, first_name="Nina", birth_date=datetime.date(2018, 5, 4))
    admin = UserFactory(username="admin.catalogue", role="admin")
    return catalogue, family, admin


def test_catalogue_pages_are_accessible_at_both_widths(world, open_context):
    catalogue, family, admin = world
    wednesday = catalogue["wednesday"]
    page = open_context().new_page()
    login(page, admin.username, PASSWORD)
    problems = []
    for path, label in (
            ("/gestion/activites/", "activities"),
            (f"/gestion/activites/{wednesday.pk}/?foyer={family.reference}", "activity page"),
            (f"/gestion/activites/{wednesday.pk}/modifier/", "activity form"),
            ("/gestion/activites/nouvelle/", "new activity"),
            (f"/gestion/activites/prestations/{wednesday.units.first().pk}/", "unit form"),
            ("/gestion/activites/lieux/", "places"),
            ("/gestion/calendrier/", "calendar"),
            ("/gestion/calendrier/periodes/nouvelle/?type=closure", "new closure")):
        page.goto(path)
        problems += audit(page, label)
    # The form's errors next to their fields.
    page.goto(f"/gestion/activites/{wednesday.pk}/modifier/")
    page.check("#id_booking_rule-kind_0")
    page.fill("#id_booking_rule-days", "")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer l'activité").click()
    assert page.locator("#id_booking_rule-days_error").is_visible()
    problems += audit(page, "activity form with errors")
    # A registration's outcome, line by line.
    page.goto(f"/gestion/activites/{wednesday.pk}/?foyer={family.reference}")
    page.select_option("#id_inscription-child", index=1)
    page.check(f"#id_inscription-pattern_2_{wednesday.units.order_by('pk').first().pk}")
    with page.expect_navigation():
        page.get_by_role("button", name="Inscrire et réserver la semaine type").click()
    problems += audit(page, "registration outcome")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_a_deadline_changed_and_a_child_registered_without_javascript(world, open_context):
    catalogue, family, admin = world
    wednesday = catalogue["wednesday"]
    page = open_context(java_script_enabled=False).new_page()
    login(page, admin.username, PASSWORD)
    page.goto(f"/gestion/activites/{wednesday.pk}/modifier/")
    page.check("#id_cancellation_rule-kind_1")  # N heures avant
    page.fill("#id_cancellation_rule-hours", "48")
    with page.expect_navigation(url=f"**/gestion/activites/{wednesday.pk}/"):
        page.get_by_role("button", name="Enregistrer l'activité").click()
    assert "48 heures avant le jour réservé" in page.content()
    assert Activity.objects.get(pk=wednesday.pk).cancellation_rule == {"kind": "hours_before", "hours": 48}
    # Read before the clicks: no query of this thread while the live server answers (SQLite's table locks).
    nina = f"Nina {family.children.first().last_name}"
    whole = wednesday.units.get(name="Journée avec repas")
    page.fill("#id_inscription-reference", family.reference)
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher les enfants du foyer").click()
    page.select_option("#id_inscription-child", label=nina)
    page.check(f"#id_inscription-pattern_2_{whole.pk}")
    with page.expect_navigation():
        page.get_by_role("button", name="Inscrire et réserver la semaine type").click()
    assert "inscrit(e)" in page.content()
    assert Registration.objects.filter(family=family, activity=wednesday).exists()
