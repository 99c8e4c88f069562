"""Bookings at the desk: staff book and cancel for a household, pass a deadline or a full unit only with a
reason kept in the audit trail, declare and justify absences, and check what was applied automatically."""

import datetime

import pytest
from django.urls import reverse

from enfance.activities import bookings, catalogue
from enfance.activities.models import Absence, Booking, Unit
from enfance.changes.models import ChangeRequest
from enfance.core.models import AuditEntry
from enfance.families.models import ChildLink
from tests.activities.frozen import MONDAY, freeze
from tests.portal.test_activity_views import MONTH, WEEK, _children, key

pytestmark = pytest.mark.django_db
TUESDAY = datetime.date(2026, 12, 8)  # its canteen deadline is past on Monday 7 at 8:00


@pytest.fixture
def world(monkeypatch, alice, bob):
    freeze(monkeypatch)
    made = catalogue.create_catalogue(datetime.date(2026, 12, 7))
    from enfance.families.models import Child

    Child.objects.update(school=catalogue.PRIMAIRE, school_class="CE1", birth_date=datetime.date(2018, 5, 4))
    return Unit.objects.get(activity=made["canteen_e"])


def test_staff_book_past_the_deadline_only_with_a_reason_kept_in_the_audit_trail(world, client, alice, staff):
    first, _second = _children(alice)
    client.force_login(staff)
    url = reverse("backoffice:family_bookings", args=[alice.family.pk])
    page = client.get(url, {"mois": MONTH}).content.decode()
    assert f'value="{key(first, world, TUESDAY)}"' in page  # a locked day stays bookable at the desk
    response = client.post(url, {"mois": MONTH, "b": [key(first, world, TUESDAY)], "deadline": "on"})
    assert response.status_code == 200 and "Indiquez le motif" in response.content.decode()
    assert not Booking.objects.exists()
    client.post(url, {"mois": MONTH, "b": [key(first, world, TUESDAY)]})
    assert not Booking.objects.exists()  # refused: past the deadline
    client.post(url, {"mois": MONTH, "b": [key(first, world, TUESDAY)], "deadline": "on",
                      "reason": "Appel du père, hospitalisation"})
    booking = Booking.objects.get()
    assert booking.state == "booked" and booking.created_by == staff
    entry = AuditEntry.objects.get(action=AuditEntry.Action.OVERRIDE)
    assert entry.note == "Appel du père, hospitalisation" and entry.actor == staff


def test_staff_pass_a_full_unit_with_a_reason(world, client, alice, bob, staff):
    world.places.update(capacity=1)
    first, _second = _children(alice)
    (bobs,) = _children(bob)
    bookings.book(family=bob.family, child=bobs, unit=world, day=WEEK[0], user=None)
    client.force_login(staff)
    url = reverse("backoffice:family_bookings", args=[alice.family.pk])
    client.post(url, {"mois": MONTH, "b": [key(first, world, WEEK[0])]})
    assert Booking.objects.get(child=first).state == "waiting"
    client.post(url, {"mois": MONTH, "was": [key(first, world, WEEK[0])]})
    client.post(url, {"mois": MONTH, "b": [key(first, world, WEEK[0])], "capacity": "on", "reason": "PAI, accord"})
    assert Booking.objects.get(child=first, state="booked")


def test_staff_see_the_other_household_of_a_shared_child(world, client, alice, bob, staff):
    first, _second = _children(alice)
    ChildLink.objects.create(child=first, family=bob.family)
    bookings.book(family=bob.family, child=first, unit=world, day=WEEK[0], user=None)
    client.force_login(staff)
    page = client.get(reverse("backoffice:family_bookings", args=[alice.family.pk]), {"mois": MONTH}).content.decode()
    assert f"Réservé par l&#x27;autre foyer ({bob.family.reference})" in page
    client.force_login(alice)
    portal = client.get(reverse("portal:calendar"), {"mois": MONTH}).content.decode()
    assert "Réservé par l&#x27;autre foyer." in portal and bob.family.reference not in portal


def test_staff_declare_and_justify_an_absence(world, client, alice, staff, monkeypatch):
    first, _second = _children(alice)
    bookings.book(family=alice.family, child=first, unit=world, day=WEEK[0], user=None)
    freeze(monkeypatch, MONDAY + datetime.timedelta(days=7, hours=4))
    client.force_login(staff)
    response = client.post(reverse("backoffice:family_absence", args=[alice.family.pk]), {
        "child": first.pk, "first_day": WEEK[0].isoformat(), "last_day": WEEK[0].isoformat(), "reason": "other"})
    assert response.status_code == 302
    absence = Absence.objects.get()
    page = client.get(reverse("backoffice:family_bookings", args=[alice.family.pk]), {"mois": MONTH}).content.decode()
    assert "facturée" in page
    client.post(reverse("backoffice:absence_justify", args=[absence.pk]), {"justification": "Sortie scolaire"})
    absence.refresh_from_db()
    assert absence.justified_by == staff
    assert "Justifiée par la mairie" in client.get(reverse("backoffice:family_bookings", args=[alice.family.pk]),
                                                   {"mois": MONTH}).content.decode()


def test_automatic_approvals_wait_in_the_list_to_check_until_marked(world, client, alice, staff):
    first, _second = _children(alice)
    client.force_login(alice)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(first, world, WEEK[0])]})
    change = ChangeRequest.objects.get()
    client.force_login(staff)
    page = client.get(reverse("backoffice:requests_to_check")).content.decode()
    assert f'value="{change.pk}"' in page and "Réservé." in page
    client.post(reverse("backoffice:requests_to_check"), {"demande": [change.pk, "x"]})
    change.refresh_from_db()
    assert change.checked_by == staff
    assert f'value="{change.pk}"' not in client.get(reverse("backoffice:requests_to_check")).content.decode()


def test_the_list_to_check_has_constant_queries(world, client, alice, staff, django_assert_max_num_queries):
    first, second = _children(alice)
    client.force_login(alice)
    for child in (first, second):
        client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(child, world, d) for d in WEEK]})
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        client.get(reverse("backoffice:requests_to_check"))
