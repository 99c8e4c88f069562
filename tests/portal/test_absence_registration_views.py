"""Absences and registrations from the portal: each a request; absences say, day by day, whether they are billed;
a certificate sent later covers the illness; registrations wait for staff, and approval books the pattern."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enfance.activities import bookings, catalogue
from enfance.activities.models import Absence, Booking, Registration, Unit
from enfance.changes import services as requests
from enfance.changes.models import ChangeRequest
from enfance.core.models import AuditEntry, OutgoingEmail
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
    return made


def later(monkeypatch, client, login):
    """Monday 14 December at noon, past that day's deadlines (logged in again: a week old session has expired)."""
    freeze(monkeypatch, MONDAY + datetime.timedelta(days=7, hours=4))
    client.force_login(login)


def _book_week(client, alice, unit):
    first, _second = _children(alice)
    client.force_login(alice)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(first, unit, d) for d in WEEK]})
    return first


def test_an_absence_before_the_deadline_cancels_and_says_it_is_not_billed(world, client, alice):
    canteen = Unit.objects.get(activity=world["canteen_e"])
    first = _book_week(client, alice, canteen)
    response = client.post(reverse("portal:absence_new"), {
        "child": first.pk, "first_day": "2026-12-14", "last_day": "2026-12-15", "reason": "other", "note": "Voyage"})
    change = ChangeRequest.objects.get(request_type="absence")
    assert response.status_code == 302 and change.status == "approved"
    assert [line.outcome for line in change.lines.all()] == ["accepted", "accepted"]
    assert all("non facturée" in line.reason for line in change.lines.all())
    assert Booking.objects.filter(day__in=WEEK[:2]).values_list("state", flat=True).distinct().get() == "cancelled"


def test_an_illness_after_the_deadline_with_a_certificate_is_not_billed(world, client, alice, monkeypatch):
    canteen = Unit.objects.get(activity=world["canteen_e"])
    first = _book_week(client, alice, canteen)
    later(monkeypatch, client, alice)
    certificate = SimpleUploadedFile("certificat.pdf", PDF, content_type="application/pdf")
    client.post(reverse("portal:absence_new"), {
        "child": first.pk, "first_day": "2026-12-14", "last_day": "2026-12-14", "reason": "illness",
        "piece-document": certificate})
    change = ChangeRequest.objects.get(request_type="absence")
    line = change.lines.get()
    # The canteen bills the first day of an illness anyway (one waiting day).
    assert "carence" in line.reason
    absence = Absence.objects.get()
    assert absence.certificate_received_at is not None and absence.booking.state == "booked"
    page = client.get(reverse("portal:absences")).content.decode()
    assert "Jour de carence" in page


def test_a_certificate_sent_later_covers_the_illness(world, client, alice, monkeypatch):
    canteen = Unit.objects.get(activity=world["canteen_e"])
    first = _book_week(client, alice, canteen)
    later(monkeypatch, client, alice)
    client.post(reverse("portal:absence_new"), {"child": first.pk, "first_day": "2026-12-14",
                                                "last_day": "2026-12-15", "reason": "illness"})
    second_day = Absence.objects.get(booking__day=WEEK[1])
    page = client.get(reverse("portal:absences")).content.decode()
    assert reverse("portal:certificate_new", args=[second_day.pk]) in page
    response = client.post(reverse("portal:certificate_new", args=[second_day.pk]), {
        "piece-document": SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 302
    assert Absence.objects.filter(certificate_received_at__isnull=False).count() == 2
    assert "Maladie justifiée par un certificat médical" in client.get(reverse("portal:absences")).content.decode()


def test_another_household_cannot_send_a_certificate_for_an_absence(world, client, alice, bob, monkeypatch):
    canteen = Unit.objects.get(activity=world["canteen_e"])
    first = _book_week(client, alice, canteen)
    later(monkeypatch, client, alice)
    client.post(reverse("portal:absence_new"), {"child": first.pk, "first_day": "2026-12-14",
                                                "last_day": "2026-12-14", "reason": "illness"})
    client.force_login(bob)
    assert client.get(reverse("portal:certificate_new", args=[Absence.objects.get().pk])).status_code == 404


def test_an_absence_without_booking_is_refused_next_to_the_field(world, client, alice):
    first, _second = _children(alice)
    client.force_login(alice)
    response = client.post(reverse("portal:absence_new"), {"child": first.pk, "first_day": "2026-12-14",
                                                           "last_day": "2026-12-15", "reason": "other"})
    assert response.status_code == 200 and "Aucune réservation à votre nom" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_a_registration_waits_for_staff_then_books_its_pattern(world, client, alice, staff):
    wednesday = world["wednesday"]
    whole = Unit.objects.get(activity=wednesday, name="Journée avec repas")
    first, second = _children(alice)
    client.force_login(alice)
    assert client.get(reverse("portal:registration_new")).status_code == 200
    response = client.post(reverse("portal:registration_new"), {
        "activite": wednesday.pk, "children": [first.pk, second.pk], "first_day": "2026-12-07",
        "last_day": "2026-12-31", f"p-2-{whole.pk}": "on"})
    change = ChangeRequest.objects.get(request_type="registration")
    assert response.status_code == 302 and change.status == "pending" and not Registration.objects.exists()
    requests.approve(change.pk, staff=staff)
    assert Registration.objects.count() == 2
    # Wednesday 16 December: Thursday noon of the previous week (10th) is ahead on Monday 7th; the 9th is past.
    assert set(Booking.objects.filter(state="booked").values_list("day", flat=True)) == {datetime.date(2026, 12, 16)}
    assert all("Inscrit(e)." in line.reason for line in change.lines.all())
    assert OutgoingEmail.objects.filter(to=alice.email, subject__contains="validée").exists()  # told of it


def test_a_new_pattern_and_an_end_are_requests_on_the_households_registration(world, client, alice, bob, staff):
    wednesday = world["wednesday"]
    whole = Unit.objects.get(activity=wednesday, name="Journée avec repas")
    half = Unit.objects.get(activity=wednesday, name="Matinée")
    first, _second = _children(alice)
    registration, _results = __import__("enfance.activities.registrations", fromlist=["approve"]).approve(
        family=alice.family, child=first, activity=wednesday, first_day=datetime.date(2026, 12, 7),
        last_day=datetime.date(2027, 1, 31), pattern={"2": [whole.pk]}, user=None)
    client.force_login(bob)
    assert client.get(reverse("portal:registration_change", args=[registration.pk])).status_code == 404
    client.force_login(alice)
    client.post(reverse("portal:registration_change", args=[registration.pk]),
                {"from_day": "2026-12-07", f"p-2-{half.pk}": "on"})
    change = ChangeRequest.objects.get(request_type="registration_change")
    requests.approve(change.pk, staff=staff)
    live = Booking.objects.exclude(state="cancelled")
    assert set(live.values_list("unit_id", flat=True)) == {half.pk}
    change.refresh_from_db()
    # The request's rows keep the week it replaced, even once the registration holds the new one.
    week = {row.label: row for row in change.type.rows(change, Registration.objects.get(pk=registration.pk))}
    assert week["Semaine type"].before == "mercredi : Journée avec repas"
    assert week["Semaine type"].proposed == week["Semaine type"].current == "mercredi : Matinée"
    booked = live.filter(state="booked").count()
    # what the new pattern booked, told to the household
    # (the school holidays, when the centre does not run, are no refusal)
    assert change.answer == ("5 réservations annulées.\n"  # the whole days the old pattern had booked
                             f"{booked} réservations faites, 1 refusée (Les réservations pour ce jour sont closes "
                             "depuis le jeudi 3 décembre à 12 h 00).")
    client.post(reverse("portal:registration_end", args=[registration.pk]), {"from_day": "2027-01-04"})
    requests.approve(ChangeRequest.objects.get(request_type="registration_change", status="pending").pk, staff=staff)
    registration.refresh_from_db()
    assert registration.last_day < datetime.date(2027, 1, 31)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REQUEST_APPROVED).count() == 2


def test_a_freed_place_tells_the_first_household_waiting(world, client, alice, bob, django_capture_on_commit_callbacks):
    canteen = Unit.objects.get(activity=world["canteen_e"])
    canteen.places.update(capacity=1)
    first, _second = _children(alice)
    (bobs,) = _children(bob)
    held = bookings.book(family=alice.family, child=first, unit=canteen, day=WEEK[0], user=None)
    waiting = bookings.book(family=bob.family, child=bobs, unit=canteen, day=WEEK[0], user=None)
    assert waiting.state == "waiting"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bookings.cancel(held, family=alice.family, user=None)
    waiting.refresh_from_db()
    assert waiting.state == "booked"
    assert any("Une place pour" in m.subject and bob.email in m.to for m in mail.outbox)


def test_an_approved_end_tells_the_household_which_days_stay_booked(world, client, alice, staff, monkeypatch):
    # The household read "validée" and believed the registration over, while a day past its cancellation
    # deadline stayed booked (and billed).
    from enfance.activities import registrations

    wednesday = world["wednesday"]
    whole = Unit.objects.get(activity=wednesday, name="Journée avec repas")
    first, _second = _children(alice)
    registration, _results = registrations.approve(
        family=alice.family, child=first, activity=wednesday, first_day=datetime.date(2026, 12, 7),
        last_day=datetime.date(2027, 1, 31), pattern={"2": [whole.pk]}, user=None)
    assert Booking.objects.filter(day=datetime.date(2026, 12, 16), state="booked").exists()
    later(monkeypatch, client, alice)  # Monday 14th: Wednesday 16th can no longer be cancelled
    client.post(reverse("portal:registration_end", args=[registration.pk]), {"from_day": "2026-12-16"})
    change = ChangeRequest.objects.get(request_type="registration_change", status="pending")
    OutgoingEmail.objects.all().delete()
    requests.approve(change.pk, staff=staff, comment="Bien noté.")
    change.refresh_from_db()
    assert change.answer.startswith("Bien noté.\n\n4 réservations annulées.\nCe jour reste réservé, son délai "
                                    "d'annulation étant passé")
    assert "mercredi 16 décembre 2026" in change.answer
    told = OutgoingEmail.objects.get(to=alice.email)
    assert "mercredi 16 décembre 2026" in told.text_body and "&#x27;" not in told.text_body
    client.force_login(alice)
    assert "mercredi 16 décembre 2026" in client.get(reverse("portal:request", args=[change.pk])).content.decode()
