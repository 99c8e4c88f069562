"""The activities' request types walked like the household records' (tests/changes/test_request_type_table.py):
for each, the family's read view, its form files a request, the staff review page shows it, approval applies it
with its audit entry, a refusal and a cancellation leave everything as it was, and what moved under it is seen."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enfance.activities import catalogue, registrations
from enfance.activities.models import Absence, Booking, Registration, Unit
from enfance.changes import services
from enfance.changes.models import CategorySetting, ChangeRequest
from enfance.core.models import AuditEntry, HealthAccessLog
from enfance.families.models import Child
from tests.activities.frozen import MONDAY, freeze
from tests.portal.test_activity_views import MONTH, WEEK, _children, key

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def world(monkeypatch, alice, bob):
    freeze(monkeypatch)
    made = catalogue.create_catalogue(datetime.date(2026, 12, 7))
    Child.objects.update(school=catalogue.PRIMAIRE, school_class="CE1", birth_date=datetime.date(2018, 5, 4))
    # Checked by hand here, so that each request waits for the review like the household records' requests.
    for key_ in ("bookings", "absence", "certificate"):
        CategorySetting.objects.create(category=key_, auto_approve=False)
    return made


def _canteen(world):
    return Unit.objects.get(activity=world["canteen_e"])


def _whole(world):
    return Unit.objects.get(activity=world["wednesday"], name="Journée avec repas")


def _booked(alice, world):
    first, _second = _children(alice)
    from enfance.activities import bookings

    return [bookings.book(family=alice.family, child=first, unit=_canteen(world), day=day, user=None) for day in WEEK]


def _registration(alice, world):
    first, _second = _children(alice)
    registration, _ = registrations.approve(family=alice.family, child=first, activity=world["wednesday"],
                                            first_day=datetime.date(2026, 12, 7), last_day=datetime.date(2027, 1, 31),
                                            pattern={"2": [_whole(world).pk]}, user=None)
    return registration


def _bookings_case(client, alice, world):
    first, _second = _children(alice)
    return (reverse("portal:calendar") + f"?mois={MONTH}", reverse("portal:calendar"),
            {"mois": MONTH, "b": [key(first, _canteen(world), d) for d in WEEK]},
            lambda: Booking.objects.filter(state="booked").count() == 4)


def _absence_case(client, alice, world):
    first, _second = _children(alice)
    _booked(alice, world)
    return (reverse("portal:absences"), reverse("portal:absence_new"),
            {"child": first.pk, "first_day": WEEK[0].isoformat(), "last_day": WEEK[1].isoformat(),
             "reason": "illness", "piece-document": SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf")},
            lambda: Absence.objects.count() == 2)


def _certificate_case(client, alice, world):
    first, _second = _children(alice)
    booking = _booked(alice, world)[0]
    absence = Absence.objects.create(booking=booking, reason="illness", declared_at=MONDAY)
    return (reverse("portal:absences"), reverse("portal:certificate_new", args=[absence.pk]),
            {"piece-document": SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf")},
            lambda: Absence.objects.get().certificate_received_at is not None)


def _registration_case(client, alice, world):
    first, second = _children(alice)
    return (reverse("portal:registrations"), reverse("portal:registration_new"),
            {"activite": world["wednesday"].pk, "children": [first.pk, second.pk], "first_day": "2026-12-07",
             "last_day": "2026-12-31", f"p-2-{_whole(world).pk}": "on"},
            lambda: Registration.objects.count() == 2)


def _registration_change_case(client, alice, world):
    registration = _registration(alice, world)
    half = Unit.objects.get(activity=world["wednesday"], name="Matinée")
    return (reverse("portal:registrations"), reverse("portal:registration_change", args=[registration.pk]),
            {"from_day": "2026-12-07", f"p-2-{half.pk}": "on"},
            lambda: Registration.objects.get().pattern == {"2": [half.pk]})


CASES = {
    "bookings": _bookings_case,
    "absence": _absence_case,
    "certificate": _certificate_case,
    "registration": _registration_case,
    "registration_change": _registration_change_case,
}


@pytest.mark.parametrize("type_key", list(CASES))
def test_activity_request_type_row(type_key, world, client, alice, staff):
    read_url, form_url, data, applied = CASES[type_key](client, alice, world)
    client.force_login(alice)
    assert client.get(read_url).status_code == 200
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    change = ChangeRequest.objects.get(request_type=type_key)
    assert change.status == "pending" and not applied()
    client.force_login(staff)
    assert client.get(reverse("backoffice:request", args=[change.pk])).status_code == 200
    response = client.post(reverse("backoffice:request_approve", args=[change.pk]), {"comment": ""})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "approved" and applied()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REQUEST_APPROVED, object_id=str(change.pk)).exists()
    if change.is_sensitive:
        assert HealthAccessLog.objects.filter(user=staff).exists()


@pytest.mark.parametrize("type_key", list(CASES))
def test_activity_request_type_refused_or_cancelled_changes_nothing(type_key, world, client, alice, staff):
    _read, form_url, data, applied = CASES[type_key](client, alice, world)
    client.force_login(alice)
    client.post(form_url, data)
    change = ChangeRequest.objects.get(request_type=type_key)
    services.reject(change.pk, staff=staff, reason="Pièce illisible")
    assert not applied()
    assert set(change.lines.values_list("outcome", flat=True)) <= {"refused"}
    _read, form_url, data, applied = CASES[type_key](client, alice, world) if type_key == "registration" else \
        (None, form_url, data, applied)
    if "piece-document" in data:
        data["piece-document"] = SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf")
    client.post(form_url, data)
    again = ChangeRequest.objects.get(request_type=type_key, status="pending")
    assert client.post(reverse("portal:request_cancel", args=[again.pk])).status_code == 302
    again.refresh_from_db()
    assert again.status == "cancelled" and not applied()


def test_a_booking_request_judged_at_the_decision_sees_the_places_taken_meanwhile(world, client, alice, bob, staff):
    canteen = _canteen(world)
    canteen.places.update(capacity=1)
    first, _second = _children(alice)
    client.force_login(alice)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(first, canteen, WEEK[0])]})
    change = ChangeRequest.objects.get()
    (bobs,) = _children(bob)
    from enfance.activities import bookings

    bookings.book(family=bob.family, child=bobs, unit=canteen, day=WEEK[0], user=None)  # the place goes meanwhile
    services.approve(change.pk, staff=staff)
    line = change.lines.get()
    assert line.outcome == "waiting" and "rang 1" in line.reason


def test_a_pattern_changed_under_a_request_is_a_conflict(world, client, alice, staff):
    _read, form_url, data, _applied = _registration_change_case(client, alice, world)
    client.force_login(alice)
    client.post(form_url, data)
    change = ChangeRequest.objects.get()
    Registration.objects.update(pattern={"2": []})
    with pytest.raises(services.ConflictError):
        services.approve(change.pk, staff=staff)
    services.approve(change.pk, staff=staff, confirm=True)


def test_the_demo_commune_has_activity_requests_of_every_type():
    from django.core.management import call_command

    call_command("seed_demo")
    assert Booking.objects.exists() and Registration.objects.exists() and Absence.objects.exists()
