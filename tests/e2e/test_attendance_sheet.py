"""The attendance sheet in the browser: a leader with a tablet in portrait (768×1024), JavaScript off, marks
the children and records a departure; the result is in the database; axe-core at 375 px and 1280 px."""

import pytest
from django.utils import timezone

from enfance.activities.catalogue import create_catalogue
from enfance.activities.models import Attendance, Booking
from tests.factories import PASSWORD, UserFactory, make_household
from tests.url_table import give_photo

from .pages import audit, login

pytestmark = pytest.mark.browser

TABLET = {"width": 768, "height": 1024}
TOUCH = """() => [...document.querySelectorAll(
  '.attendance-card button, .attendance-card select, .attendance-card input:not([type=hidden]),'
  + '.attendance-card summary, .attendance-flags a')]
  .filter(e => e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 80))"""


def _evening_with_children():
    evening = create_catalogue()["evening"]
    unit = evening.units.get()
    today = timezone.localdate()
    family, _login, (lea, tom) = make_household("Martin", children=2)
    lea.first_name, tom.first_name = "Léa", "Tom"
    lea.save()
    tom.save()
    lea.health.has_pai = True
    lea.health.save()
    give_photo(lea)
    for child in (lea, tom):
        Booking.objects.create(child=child, family=family, unit=unit, day=today, state=Booking.State.BOOKED)
    leader = UserFactory(username="animatrice.soir", role="leader", first_name="Nadia", last_name="Animatrice")
    evening.leaders.add(leader)
    return evening, unit, family, lea, tom, leader


def test_a_leader_marks_the_sheet_on_a_tablet_without_javascript(open_context):
    evening, unit, family, lea, tom, leader = _evening_with_children()
    page = open_context(java_script_enabled=False, viewport=TABLET, has_touch=True).new_page()
    login(page, leader.username, PASSWORD)
    page.goto("/gestion/pointage/")
    with page.expect_navigation():
        page.get_by_role("link", name="Accueil du soir").click()
    assert page.locator("h1").inner_text() == "Pointage : Accueil du soir"
    assert page.evaluate(TOUCH) == [], "touch targets under 44 px"

    card = page.locator(f"#enfant-{lea.pk}")
    with page.expect_navigation():
        card.get_by_role("button", name="Présent : Léa Martin").click()
    assert page.url.endswith(f"#enfant-{lea.pk}")
    with page.expect_navigation():
        page.locator(f"#enfant-{tom.pk}").get_by_role("button", name="Absent : Tom Martin").click()
    card = page.locator(f"#enfant-{lea.pk}")
    assert card.get_by_role("button", name="Présent : Léa Martin").get_attribute("aria-pressed") == "true"

    # Léa leaves with her mother: the time is filled in with now.
    guardian = family.guardians.get(rank=1)
    card.get_by_label("Parti(e) avec").select_option(label=f"{guardian.first_name} {guardian.last_name} "
                                                           f"({guardian.relation or 'responsable'})")
    card.get_by_label("Heure de départ").fill("00:01")
    with page.expect_navigation():
        card.get_by_role("button", name="Enregistrer le départ : Léa Martin").click()
    assert "parti(e) à 00:01" in page.locator(f"#enfant-{lea.pk}").inner_text()

    marks = dict(Attendance.objects.values_list("child_id", "status"))
    assert marks == {lea.pk: "present", tom.pk: "absent"}
    row = Attendance.objects.get(child=lea)
    assert row.collected_by == f"{guardian.first_name} {guardian.last_name}" and row.recorded_by == leader
    assert row.departed_at.strftime("%H:%M") == "00:01"


def test_the_sheet_pages_pass_axe_and_never_scroll_sideways(open_context):
    evening, unit, family, lea, tom, leader = _evening_with_children()
    Attendance.objects.create(child=lea, unit=unit, day=timezone.localdate(), status="present")
    page = open_context().new_page()
    login(page, leader.username, PASSWORD)
    day = timezone.localdate().isoformat()
    problems = []
    for path in ("/gestion/pointage/", f"/gestion/pointage/{evening.pk}/{day}/",
                 f"/gestion/pointage/{evening.pk}/{day}/sans-reservation/?q=martin",
                 f"/gestion/pointage/{evening.pk}/{day}/enfants/{lea.pk}/sante/"):
        response = page.goto(path)
        assert response.status == 200, path
        problems += audit(page, path)
    page.goto(f"/gestion/pointage/{evening.pk}/{day}/")
    page.locator(f"#enfant-{lea.pk} details summary").click()  # the people who may collect her, opened
    problems += audit(page, "the sheet with its details open")
    page.set_viewport_size(TABLET)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= TABLET["width"]
    assert not problems, "\n".join(problems)
