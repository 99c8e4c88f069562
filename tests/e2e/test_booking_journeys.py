"""Issue 8's household journey in the browser, on a phone: book a week of canteen for two children in one
submission, cancel one day, declare an absence with a medical certificate. Every page is audited (axe-core at
1280 and 375 px, no sideways scrolling)."""

import datetime
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from enfance.activities import catalogue
from enfance.activities.bookings import runs_on
from enfance.activities.calendar import OpeningCalendar
from enfance.activities.models import Absence, Booking, Unit
from enfance.families.models import Child
from tests.factories import PASSWORD

from .pages import audit, login

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _open_week(activity):
    """The four canteen days of the first week, two weeks ahead or more, when the canteen runs every one."""
    monday = timezone.localdate() + datetime.timedelta(days=14)
    monday -= datetime.timedelta(days=monday.weekday())
    for _week in range(20):
        days = [monday + datetime.timedelta(days=d) for d in (0, 1, 3, 4)]
        calendar = OpeningCalendar.load(monday, days[-1])
        if all(not calendar.closed_because(d) and runs_on(activity, d, calendar) for d in days):
            return days
        monday += datetime.timedelta(days=7)
    raise AssertionError("no full school week in the next five months")


def test_a_household_books_a_week_for_two_children_cancels_a_day_and_declares_an_absence(open_context, alice):
    made = catalogue.create_catalogue()
    Child.objects.update(school=catalogue.PRIMAIRE, school_class="CE1", birth_date=datetime.date(2018, 5, 4))
    canteen = Unit.objects.get(activity=made["canteen_e"])
    days = _open_week(made["canteen_e"])
    first, second = alice.family.children.order_by("pk")
    page = open_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True).new_page()
    login(page, alice.username, PASSWORD)
    if "/portail/conditions/" in page.url:
        page.get_by_label("J'ai lu les conditions de fonctionnement et je les accepte").check()
        page.get_by_role("button", name="Valider").click()
        page.wait_for_url("**/portail/")
    problems = []

    page.goto(f"/portail/reservations/?mois={days[0]:%Y-%m}")
    problems += audit(page, "calendar")
    for child in (first, second):
        for day in days:
            page.locator(f"[id='c{child.pk}.{canteen.pk}.{day:%Y%m%d}']").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer mes changements").first.click()
    problems += audit(page, "the outcome, line by line")
    assert "8 lignes enregistrées" in page.content()
    assert Booking.objects.filter(family=alice.family, state="booked").count() == 8

    # Cancel Tuesday for the first child.
    page.goto(f"/portail/reservations/?mois={days[1]:%Y-%m}")
    box = page.locator(f"[id='c{first.pk}.{canteen.pk}.{days[1]:%Y%m%d}']")
    # Booked and untouched: nothing says it is about to be cancelled (the cell's hidden "was" input once matched
    # the rule meant for an unticked box, and every booking read "À enregistrer pour annuler").
    note = box.locator("xpath=..").locator(".cal-note")
    assert "annuler" not in note.evaluate("n => getComputedStyle(n, '::before').content")
    box.uncheck()
    assert "À enregistrer pour annuler" in note.evaluate("n => getComputedStyle(n, '::before').content")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer mes changements").first.click()
    assert Booking.objects.get(child=first, day=days[1]).state == "cancelled"
    assert Booking.objects.filter(family=alice.family, state="booked").count() == 7

    # An illness on Thursday, with its certificate.
    page.goto("/portail/absences/signaler/")
    problems += audit(page, "absence form")
    page.select_option("#id_child", str(second.pk))
    page.fill("#id_first_day", days[2].isoformat())
    page.fill("#id_last_day", days[2].isoformat())
    page.get_by_label("Maladie").check()
    certificate = Path(tempfile.mkdtemp()) / "certificat.pdf"
    certificate.write_bytes(PDF)
    page.set_input_files("input[type=file]", str(certificate))
    with page.expect_navigation():
        page.get_by_role("button", name="Signaler l'absence").click()
    problems += audit(page, "absence outcome")
    absence = Absence.objects.get(booking__child=second, booking__day=days[2])
    assert absence.certificate_received_at is not None
    assert "non facturée" in page.content()
    page.goto("/portail/absences/")
    problems += audit(page, "my absences")
    assert not problems, "\n".join(problems)
