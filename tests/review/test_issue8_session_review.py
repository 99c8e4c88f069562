# ruff: noqa: F811  (the `world` fixture is imported, then named by the tests)
"""Review of ab5c558, 2a893c8, 23fba93, f2643bb, 1d0013d and 0dd0445.

Tests named `test_bug_*` reproduce a problem found in review: each failed before its fix and passes now. Tests
named `test_guard_*` answer a question of the review: they pin what was checked (on SQLite and on PostgreSQL) so
that a later change cannot quietly break it.
"""

import datetime
import re
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from enfance.activities import bookings, capacity, notices, registrations
from enfance.activities.models import Booking, Place, PlaceDay, Unit
from enfance.changes import services as requests
from enfance.changes.models import ChangeRequest
from enfance.core import mail as core_mail
from enfance.core.models import OutgoingEmail
from enfance.messaging import services as messaging
from tests.activities.test_bookings import BEFORE, WEDNESDAY, centre, household
from tests.factories import FamilyFactory, UserFactory
from tests.portal.test_absence_registration_views import later, world  # noqa: F401 - the fixture
from tests.portal.test_activity_views import _children

D = datetime.date


# --- 1d0013d / 0dd0445: what the household reads of an approved registration change ----------------------

def _ask_pattern(client, login, registration, from_day, days_units):
    data = {"from_day": from_day.isoformat()}
    for day, unit in days_units:
        data[f"p-{day}-{unit.pk}"] = "on"
    client.force_login(login)
    response = client.post(reverse("portal:registration_change", args=[registration.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ChangeRequest.objects.get(request_type="registration_change", status="pending")


def _canteen_registration(world, alice):
    canteen = Unit.objects.get(activity=world["canteen_e"])
    first, _second = _children(alice)
    # Approved on Monday 7 December, 8:00: Mondays and Tuesdays from the 14th on are booked.
    registration, _results = registrations.approve(
        family=alice.family, child=first, activity=world["canteen_e"], first_day=D(2026, 12, 7),
        last_day=D(2027, 1, 31), pattern={"0": [canteen.pk], "1": [canteen.pk]}, user=None)
    assert Booking.objects.filter(day=D(2026, 12, 14), state="booked").exists()
    assert Booking.objects.filter(day=D(2026, 12, 15), state="booked").exists()
    return canteen, registration


@pytest.mark.django_db
def test_bug_a_new_pattern_from_today_tells_the_household_its_booked_days_were_refused(world, client, alice, staff,
                                                                                       monkeypatch):
    """request_types.change_summary → summary(booked): change_pattern re-books every day of the new pattern from
    `from_day`; _prejudge judges each line's booking deadline BEFORE _book_locked sees that the child already has
    the booking. Adding Thursday to Monday+Tuesday from today (the form's default "from" day) therefore reports
    Monday 14 and Tuesday 15 as "refusées (... closes depuis ...)" while both stay booked (and billed)."""
    canteen, registration = _canteen_registration(world, alice)
    later(monkeypatch, client, alice)  # Monday 14 December, noon: the 14th and 15th can no longer be booked
    change = _ask_pattern(client, alice, registration, D(2026, 12, 14),
                          [(0, canteen), (1, canteen), (3, canteen)])
    requests.approve(change.pk, staff=staff)
    change.refresh_from_db()
    assert set(Booking.objects.filter(day__in=[D(2026, 12, 14), D(2026, 12, 15)]).values_list("state", flat=True)) \
        == {"booked"}
    assert "refusée" not in change.answer, change.answer


@pytest.mark.django_db
def test_bug_a_new_pattern_counts_as_made_the_bookings_the_household_already_had(world, client, alice, staff,
                                                                                monkeypatch):
    """summary() counts every Booking returned by change_many, and _book_locked returns the existing booking for a
    day already booked: "13 réservations faites" for 5 new Thursdays."""
    canteen, registration = _canteen_registration(world, alice)
    later(monkeypatch, client, alice)
    before = set(Booking.objects.exclude(state="cancelled").values_list("pk", flat=True))
    change = _ask_pattern(client, alice, registration, D(2026, 12, 14),
                          [(0, canteen), (1, canteen), (3, canteen)])
    requests.approve(change.pk, staff=staff)
    change.refresh_from_db()
    made = Booking.objects.filter(state="booked").exclude(pk__in=before).count()
    stated = re.search(r"(\d+) réservations? faites?", change.answer)
    assert stated is not None, change.answer
    assert int(stated.group(1)) == made, (change.answer, made)


@pytest.mark.django_db
def test_bug_a_new_pattern_counts_the_school_holidays_as_refused_days(world, client, alice, staff, monkeypatch):
    """registrations._pattern_lines keeps every open day of the commune (calendar.is_open_day), school holidays
    included; the canteen does not run then, so each holiday Monday/Tuesday/Thursday becomes a "refusée" of the
    answer ("6 refusées" for a change asked from Thursday 17 December, nothing of which the household asked)."""
    canteen, registration = _canteen_registration(world, alice)
    later(monkeypatch, client, alice)
    change = _ask_pattern(client, alice, registration, D(2026, 12, 17),
                          [(0, canteen), (1, canteen), (3, canteen)])
    requests.approve(change.pk, staff=staff)
    change.refresh_from_db()
    assert "refusée" not in change.answer, change.answer


@pytest.mark.django_db
def test_bug_a_day_kept_by_a_meal_booked_by_hand_is_said_past_its_cancellation_deadline(world, client, alice, staff):
    """change_summary treats every refused cancellation as a deadline: a half day the registration booked, under a
    meal the household booked by hand, is refused with "Annulez d'abord : Repas…" (3 weeks before its deadline),
    and the household reads "son délai d'annulation étant passé (déclarez une absence si besoin)"."""
    wednesday = world["wednesday"]
    half = Unit.objects.get(activity=wednesday, name="Matinée")
    meal = Unit.objects.get(activity=wednesday, name="Repas après la matinée")
    first, _second = _children(alice)
    registration, _results = registrations.approve(
        family=alice.family, child=first, activity=wednesday, first_day=D(2026, 12, 7), last_day=D(2027, 1, 31),
        pattern={"2": [half.pk]}, user=None)
    january_6 = D(2027, 1, 6)
    assert Booking.objects.filter(unit=half, day=january_6, state="booked").exists()
    bookings.book(family=alice.family, child=first, unit=meal, day=january_6, user=alice)  # by hand
    client.force_login(alice)
    client.post(reverse("portal:registration_end", args=[registration.pk]), {"from_day": "2027-01-06"})
    change = ChangeRequest.objects.get(request_type="registration_change", status="pending")
    requests.approve(change.pk, staff=staff)
    change.refresh_from_db()
    # Monday 7 December: the cancellation deadline of 6 January (Thursday 31 December, noon) is weeks ahead.
    assert "délai d'annulation étant passé" not in change.answer, change.answer


@pytest.mark.django_db
def test_bug_an_end_asked_in_time_but_approved_late_keeps_the_day_and_blames_the_deadline(world, client, alice,
                                                                                         staff, monkeypatch):
    """RegistrationChangeType.apply → registrations.end(now=None): the cancellation deadlines are judged at the
    approval, not when the household asked (BookingsType passes asked_at=request.created_at for that reason).
    Asked on Monday 7 to end from Wednesday 16 (deadline Thursday 10, noon), approved on Monday 14: the 16th
    stays booked and billed, and since 1d0013d the household is told its deadline had passed."""
    wednesday = world["wednesday"]
    whole = Unit.objects.get(activity=wednesday, name="Journée avec repas")
    first, _second = _children(alice)
    registration, _results = registrations.approve(
        family=alice.family, child=first, activity=wednesday, first_day=D(2026, 12, 7), last_day=D(2027, 1, 31),
        pattern={"2": [whole.pk]}, user=None)
    client.force_login(alice)
    client.post(reverse("portal:registration_end", args=[registration.pk]), {"from_day": "2026-12-16"})
    change = ChangeRequest.objects.get(request_type="registration_change", status="pending")
    later(monkeypatch, client, alice)  # staff approve a week later
    requests.approve(change.pk, staff=staff)
    change.refresh_from_db()
    assert Booking.objects.get(unit=whole, day=D(2026, 12, 16)).state == "cancelled", change.answer


@pytest.mark.django_db
def test_bug_a_long_comment_cuts_off_which_days_stay_booked(world, client, alice, staff, monkeypatch):
    """changes.services.approve: answer = comment + "\\n\\n" + outcome, then answer[:2000]; the comment may be 2000
    characters (ApproveForm), so the days that stay booked (and are billed) are cut off first."""
    wednesday = world["wednesday"]
    whole = Unit.objects.get(activity=wednesday, name="Journée avec repas")
    first, _second = _children(alice)
    registration, _results = registrations.approve(
        family=alice.family, child=first, activity=wednesday, first_day=D(2026, 12, 7), last_day=D(2027, 1, 31),
        pattern={"2": [whole.pk]}, user=None)
    later(monkeypatch, client, alice)  # Monday 14th: Wednesday 16th can no longer be cancelled
    client.post(reverse("portal:registration_end", args=[registration.pk]), {"from_day": "2026-12-16"})
    change = ChangeRequest.objects.get(request_type="registration_change", status="pending")
    comment = ("Bonjour, nous avons bien pris en compte votre demande. " * 40)[:1950]
    requests.approve(change.pk, staff=staff, comment=comment)
    change.refresh_from_db()
    assert "mercredi 16 décembre 2026" in change.answer, change.answer[-200:]


@pytest.mark.django_db
def test_guard_the_registration_answer_has_no_html_entity_in_the_text_email(world, client, alice, staff,
                                                                           monkeypatch):
    """The answer goes into changes/email/decision.txt (text engine, no autoescape) and decision.html (escaped):
    an apostrophe stays an apostrophe in the text part, is escaped once in the HTML part."""
    wednesday = world["wednesday"]
    whole = Unit.objects.get(activity=wednesday, name="Journée avec repas")
    first, _second = _children(alice)
    registration, _results = registrations.approve(
        family=alice.family, child=first, activity=wednesday, first_day=D(2026, 12, 7), last_day=D(2027, 1, 31),
        pattern={"2": [whole.pk]}, user=None)
    later(monkeypatch, client, alice)
    client.post(reverse("portal:registration_end", args=[registration.pk]), {"from_day": "2026-12-16"})
    change = ChangeRequest.objects.get(request_type="registration_change", status="pending")
    OutgoingEmail.objects.all().delete()
    requests.approve(change.pk, staff=staff, comment="C'est noté, l'équipe d'animation")
    told = OutgoingEmail.objects.get(to=alice.email)
    assert "C'est noté, l'équipe" in told.text_body and "délai d'annulation" in told.text_body
    assert "&#x27;" not in told.text_body and "&#39;" not in told.text_body
    assert "&amp;#x27;" not in told.html_body and "&#x27;" in told.html_body  # escaped once


# --- 2a893c8: the promoted household's notice, in the promotion's transaction -------------------------------

def _two_logins(family):
    return [UserFactory(family=family, email=f"{family.reference.lower()}.{i}@example.org") for i in (1, 2)]


@pytest.mark.django_db(transaction=True)
def test_guard_a_notice_failing_inside_its_savepoint_leaves_the_cancellation_and_the_promotion(monkeypatch):
    """A database error in the notice (PostgreSQL marks the transaction aborted) is rolled back to the savepoint
    tell_promoted opens: the cancellation and the promotion commit, the connection stays usable."""
    whole, _half, _meal = centre(capacity=1)
    family_a, (a,) = household(1)
    family_b, (b,) = household(1)
    _two_logins(family_b)
    held = bookings.book(family=family_a, child=a, unit=whole, day=WEDNESDAY, user=None, now=BEFORE)
    waiting = bookings.book(family=family_b, child=b, unit=whole, day=WEDNESDAY, user=None, now=BEFORE)

    def broken(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_for_review")

    monkeypatch.setattr(notices.notifications, "notify", broken)
    (promoted,) = bookings.cancel(held, family=family_a, user=None, now=BEFORE)
    assert promoted.pk == waiting.pk
    assert Booking.objects.get(pk=held.pk).state == "cancelled"
    assert Booking.objects.get(pk=waiting.pk).state == "booked"
    assert PlaceDay.objects.get(place__slot="morning", day=WEDNESDAY).booked == 1
    assert not OutgoingEmail.objects.exists()


def _promotion_world(waiting_households):
    """A whole day with room for 1 child, booked; `waiting_households` households (2 logins each) waiting."""
    whole, _half, _meal = centre(capacity=1)
    family_a, (a,) = household(1)
    held = bookings.book(family=family_a, child=a, unit=whole, day=WEDNESDAY, user=None, now=BEFORE)
    for _ in range(waiting_households):
        family, (child,) = household(1)
        _two_logins(family)
        bookings.book(family=family, child=child, unit=whole, day=WEDNESDAY, user=None, now=BEFORE)
    return whole, family_a, held


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bug_the_promotions_emails_are_rendered_while_the_days_places_are_locked(monkeypatch):
    """2a893c8 moved tell_promoted from on_commit into change_many's / promote_days' atomic block: every e-mail
    (two template engines, a signed opt-out link, per login) is rendered while the PlaceDay rows of the day are
    locked FOR NO KEY UPDATE, so every household booking that day waits for the rendering. Measured here on a
    capacity raise that promotes 40 households of 2 logins (80 e-mails): prints the lock hold with and without
    the rendering, and shows a booking of the same day blocked while an e-mail is being rendered."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    whole, _family_a, _held = _promotion_world(40)
    morning = Place.objects.get(slot="morning", units=whole)
    probe = {}
    rendered = core_mail.render_email

    def render_and_probe(template, context):
        if "blocked" not in probe:
            probe["blocked"] = _placeday_locked_elsewhere(morning.pk, WEDNESDAY)
        return rendered(template, context)

    monkeypatch.setattr(core_mail, "render_email", render_and_probe)
    timings = {}
    original = notices.tell_promoted

    def timed(ids):
        started = time.perf_counter()
        original(ids)
        timings["notices"] = time.perf_counter() - started

    monkeypatch.setattr(notices, "tell_promoted", timed)
    started = time.perf_counter()
    change = capacity.set_capacity(morning, 41, actor=None, now=BEFORE)
    total = time.perf_counter() - started
    assert len(change.promoted) == 40 and OutgoingEmail.objects.count() == 80
    print(f"\n[review] set_capacity promoting 40 households (80 e-mails): {total * 1000:.0f} ms, of which "
          f"{timings['notices'] * 1000:.0f} ms rendering the notices under the PlaceDay locks")
    assert not probe["blocked"], "a booking of the same day waits while the promotion's e-mails are rendered"


def _placeday_locked_elsewhere(place_id, day):
    """From another connection: is the PlaceDay row (day, place) locked? (a booking of that day would wait)."""
    outcome = {}

    def other():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                list(PlaceDay.objects.select_for_update(no_key=True).filter(place_id=place_id, day=day))
            outcome["locked"] = False
        except Exception as exc:  # noqa: BLE001 - lock_timeout: LockNotAvailable
            outcome["locked"] = "lock" in str(exc).lower()
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(5)
    return outcome.get("locked", True)


# --- ab5c558: the menu's unread count read with the login -------------------------------------------------

@pytest.mark.django_db
def test_guard_the_session_count_is_the_logins_own_for_staff_another_household_and_a_moved_login(alice, bob,
                                                                                                staff):
    """The count is read for the row's own family_id and user id (both parameters are the login's id, so their
    order in the compiled statement does not matter; the statement is the same text on SQLite and PostgreSQL)."""
    from enfance.accounts.backends import session_user

    messaging.start_by_commune(family=alice.family, staff=staff, subject="Pour Alice", topic=None, body="Bonjour")
    messaging.start_by_commune(family=alice.family, staff=staff, subject="Encore", topic=None, body="Bonjour")
    messaging.start_by_commune(family=bob.family, staff=staff, subject="Pour Bob", topic=None, body="Bonjour")
    assert session_user(alice.pk).session_unread == 2
    assert session_user(bob.pk).session_unread == 1
    assert session_user(staff.pk).session_unread == 0
    second = UserFactory(family=alice.family)  # another login of Alice's household: its own read state
    thread = alice.family.threads.order_by("pk").first()
    messaging.mark_read(thread, alice)
    assert session_user(alice.pk).session_unread == 1 and session_user(second.pk).session_unread == 2
    moved = UserFactory(family=FamilyFactory())
    assert session_user(moved.pk).session_unread == 0
    type(moved).objects.filter(pk=moved.pk).update(family=bob.family)
    assert session_user(moved.pk).session_unread == 1 and session_user(moved.pk).family_id == bob.family_id


@pytest.mark.django_db
def test_guard_the_menu_count_after_reading_a_conversation_is_the_new_one(client, alice, staff):
    thread = messaging.start_by_commune(family=alice.family, staff=staff, subject="Info", topic=None, body="Bonjour")
    client.force_login(alice)
    page = client.get(reverse("portal:thread", args=[thread.pk])).content.decode()
    assert 'class="count"' not in page  # read by this very page: the menu says so at once

