"""The activities of the demo commune (seed_demo → activities.demo.populate) and of the generated commune
(generate_commune): every activity page has real use, and the data keeps the booking invariants."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from enfance.activities import absences, catalogue
from enfance.activities.demo import WITHDRAWAL
from enfance.activities.models import (
    Absence,
    Activity,
    Attendance,
    Booking,
    PlaceDay,
    Registration,
    Unit,
)
from enfance.core import attachments
from enfance.core.models import AuditEntry
from enfance.families.management.commands import seed_demo
from enfance.families.models import Child, ChildLink, Family

pytestmark = pytest.mark.django_db
D = datetime.date


def moment(day, hour=9, minute=30):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def seed_on(monkeypatch, day):
    """The demo commune as seeded at 9:30 on `day` (every clock of the seeding moved there)."""
    at = moment(day)
    monkeypatch.setattr(timezone, "now", lambda: at)
    call_command("seed_demo", stdout=io.StringIO())
    return day


def assert_booking_invariants(today):
    """PlaceDay.booked is the number of live booked bookings that took it; every booked booking took its unit's
    places; every waiting list is 1..n; attendance only on past days, for what was booked."""
    for row in PlaceDay.objects.all():
        assert row.booked == Booking.objects.filter(taken=row, state=Booking.State.BOOKED).count(), row
        assert row.booked <= row.place.capacity, row
    for booking in Booking.objects.filter(state=Booking.State.BOOKED).prefetch_related("taken", "unit__places"):
        assert {t.place_id for t in booking.taken.all()} == {p.pk for p in booking.unit.places.all()}
        assert all(t.day == booking.day for t in booking.taken.all())
    lists = {}
    for unit_id, day, position in Booking.objects.filter(state=Booking.State.WAITING).values_list(
            "unit_id", "day", "waiting_position"):
        lists.setdefault((unit_id, day), []).append(position)
    for positions in lists.values():
        assert sorted(positions) == list(range(1, len(positions) + 1))
    assert Attendance.objects.exists()
    assert not Attendance.objects.filter(day__gte=today).exists()
    for row in Attendance.objects.filter(booking__isnull=False).select_related("booking"):
        assert (row.booking.child_id, row.booking.unit_id, row.booking.day) == (row.child_id, row.unit_id, row.day)
        assert row.booking.state == Booking.State.BOOKED
    # Every booking of a past day that was booked and not declared absent is on the sheet.
    unmarked = Booking.objects.filter(day__lt=today, state=Booking.State.BOOKED, attendance__isnull=True)
    assert not unmarked.exists()


def morning_of(day):
    place = Unit.objects.get(activity__name="Mercredis loisirs", name="Matinée").places.get()
    return PlaceDay.objects.get(place=place, day=day), place


def waiting_on(day):
    return list(Booking.objects.filter(day=day, state=Booking.State.WAITING, unit__activity__name="Mercredis loisirs")
                .order_by("waiting_position").values_list("waiting_position", "child__first_name", "child__last_name"))


def test_the_demo_gives_every_activity_page_real_use(monkeypatch):
    today = seed_on(monkeypatch, D(2026, 11, 16))  # a school Monday
    assert_booking_invariants(today)

    # Registrations: most pupils of the two Tourrettes schools at their school's canteen, some at care and on
    # Wednesdays, by their pattern.
    pupils = Child.objects.filter(school__in=[catalogue.MATERNELLE, catalogue.PRIMAIRE],
                                  links__family__archived_at__isnull=True,
                                  links__family__dossier_received_on__isnull=False).distinct()
    at_canteen = pupils.filter(registrations__activity__kind=Activity.Kind.CANTEEN).distinct()
    assert pupils.count() >= 20 and at_canteen.count() >= 0.7 * pupils.count()
    for registration in Registration.objects.filter(activity__kind=Activity.Kind.CANTEEN).select_related("child"):
        assert registration.child.school in registration.activity.schools
    by_activity = dict(Registration.objects.values_list("activity__name").annotate(n=Count("pk")))
    assert by_activity["Accueil du soir"] >= 3 and by_activity["Mercredis loisirs"] >= 3
    assert {"0", "1", "3", "4"} in [set(r.pattern) for r in Registration.objects.filter(activity__kind="canteen")]
    assert {"0", "3"} in [set(r.pattern) for r in Registration.objects.filter(activity__kind="canteen")]
    # Their bookings, made through the rules, remember them; a month of them, past days included.
    canteen_days = set(Booking.objects.filter(unit__activity__kind=Activity.Kind.CANTEEN, state="booked",
                                              registration__isnull=False).values_list("day", flat=True))
    assert min(canteen_days) <= today - datetime.timedelta(days=14) and max(canteen_days) >= today + datetime.timedelta(days=7)
    assert len(canteen_days) >= 14
    assert not Booking.objects.filter(registration__isnull=True, unit__activity__kind=Activity.Kind.CANTEEN).exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.OVERRIDE).exclude(note=WITHDRAWAL).exists()

    # The next Wednesday open to bookings (the 25th: the 18th closed on Thursday the 12th) is full, six waiting.
    row, place = morning_of(D(2026, 11, 25))
    assert row.booked == place.capacity == 40
    waiting = waiting_on(D(2026, 11, 25))
    assert [p for p, *_ in waiting] == [1, 2, 3, 4, 5, 6]
    assert (2, "Hugo", "Martin") in waiting

    # This week's Wednesday is closed and ahead: a child withdrawn by staff past the deadline, and the place
    # offered to the first child waiting, Inès Benali, until her household accepts it.
    (offered,) = Booking.objects.filter(needs_acceptance=True)
    assert (offered.child.first_name, offered.day, offered.state) == ("Inès", D(2026, 11, 18), "booked")
    assert offered.awaits_acceptance and offered.offer_expires_at <= moment(D(2026, 11, 18), 0, 0)
    withdrawn = Booking.objects.get(day=D(2026, 11, 18), state=Booking.State.CANCELLED)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.OVERRIDE, child=withdrawn.child,
                                     note=WITHDRAWAL).exists()
    row, place = morning_of(D(2026, 11, 18))
    assert row.booked == place.capacity

    # The README's households: Martin's children registered and booked, Léa ill with a certificate.
    martin = Family.objects.get(logins__username="famille.martin")
    for child in Child.objects.filter(links__family=martin):
        assert child.registrations.filter(activity__kind=Activity.Kind.CANTEEN).exists()
        assert child.bookings.filter(state="booked", day__lt=today).exists()
        assert child.bookings.filter(state="booked", day__gte=today).exists()
    ill = Absence.objects.filter(booking__child__first_name="Léa", booking__family=martin, reason="illness")
    assert ill.count() >= 2 and not ill.filter(certificate_received_at__isnull=True).exists()
    (certificate,) = attachments.of(ill.order_by("booking__day").first(), role="certificate")
    assert certificate.content_type == "application/pdf" and certificate.is_available
    bills = absences.billing_many(list(ill))
    assert any("certificat" in bill.why for bill in bills.values())
    assert Booking.objects.filter(family__logins__username="famille.benali", state="booked").exists()
    # Other absences: in advance (the booking cancelled), late (it stays), ill without certificate.
    assert Absence.objects.filter(booking__state=Booking.State.CANCELLED, booking__day__gt=today).exists()
    assert Absence.objects.filter(reason="other", booking__state="booked", booking__day__lt=today).exists()
    assert Absence.objects.filter(reason="illness", certificate_received_at__isnull=True).exists()

    # Attendance of the past days: present, absent (every declared absence among them), one child present without
    # a booking, departures from evening care with who collected the child.
    statuses = dict(Attendance.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses["present"] > 100 and statuses["absent"] >= 2 and statuses["unbooked"] == 1
    assert not Attendance.objects.filter(booking__absence__isnull=False).exclude(status="absent").exists()
    evening = Attendance.objects.filter(unit__activity__name="Accueil du soir", status__in=["present", "unbooked"])
    assert evening.exists() and not evening.filter(departed_at__isnull=True).exists()
    assert not evening.filter(collected_by="").exists()
    assert Attendance.objects.filter(status="unbooked", booking__isnull=True).exists()

    # The leader leads the Wednesday leisure centre and the holiday session.
    led = set(Activity.objects.filter(leaders__username="animateur").values_list("name", flat=True))
    assert led == {"Mercredis loisirs", "Vacances au centre de loisirs"}


def test_on_a_wednesday_the_next_one_is_full_and_no_place_waits_for_an_answer(monkeypatch):
    # No Wednesday is both closed to bookings and ahead: the offer has nowhere to be.
    today = seed_on(monkeypatch, D(2026, 11, 18))
    assert_booking_invariants(today)
    row, place = morning_of(D(2026, 11, 25))
    assert row.booked == place.capacity
    assert [p for p, *_ in waiting_on(D(2026, 11, 25))] == [1, 2, 3, 4, 5, 6]
    assert not Booking.objects.filter(needs_acceptance=True).exists()
    # Today's sheet is not filled in yet; those of the Wednesdays before are.
    assert Attendance.objects.filter(unit__activity__name="Mercredis loisirs", day__lt=today).exists()
    assert not Attendance.objects.filter(day=today).exists()


def test_the_catalogue_receives_the_pupils_of_the_schools_the_records_name():
    assert (catalogue.MATERNELLE, catalogue.PRIMAIRE) == (seed_demo.MATERNELLE, seed_demo.PRIMAIRE)


def test_generate_commune_registers_most_pupils_to_their_canteen_and_books_nothing():
    call_command("generate_commune", families=60, seed=3, stdout=io.StringIO())
    activities = Activity.objects.count()
    assert activities == 6
    pupils = Child.objects.filter(school__in=[catalogue.MATERNELLE, catalogue.PRIMAIRE])
    registrations = Registration.objects.select_related("child", "family", "activity")
    assert registrations.count() >= 0.6 * pupils.count() > 0
    for registration in registrations:
        assert registration.activity.kind == Activity.Kind.CANTEEN
        assert registration.child.school in registration.activity.schools
        assert registration.family.archived_at is None
        assert ChildLink.objects.filter(family=registration.family, child=registration.child).exists()
        assert registration.first_day <= timezone.localdate() <= registration.last_day
        unit = registration.activity.units.get()
        assert set(registration.pattern) <= {"0", "1", "3", "4"} and registration.pattern
        assert all(units == [unit.pk] for units in registration.pattern.values())
    assert Registration.objects.values("child").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
    # The benchmarks do the booking.
    assert not Booking.objects.exists() and not PlaceDay.objects.exists()
    # A second run finds the catalogue instead of making another.
    call_command("generate_commune", families=5, seed=3, stdout=io.StringIO())
    assert Activity.objects.count() == activities
