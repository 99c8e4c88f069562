"""Review of issue 8 (bookings, requests, offers): each test demonstrates a bug found in review; they fail on the
code as reviewed and should pass once it is fixed."""

import datetime

import pytest
from django.core import mail

from enfance.activities import bookings, notices, request_types
from enfance.activities.models import Booking
from enfance.changes import services
from enfance.changes.models import CategorySetting, ChangeRequest
from tests.activities.frozen import freeze
from tests.activities.test_bookings import BEFORE, PARIS, WEDNESDAY, book, centre, household

pytestmark = pytest.mark.django_db

# DAY_BEFORE_RULE: the cancellation deadline of Wednesday 9 is Tuesday 8 at 18:00.
AFTER_DEADLINE = datetime.datetime(2026, 12, 8, 20, 0, tzinfo=PARIS)


def test_a_manual_cancellation_approved_after_the_deadline_still_asks_the_promoted_household_to_accept(
        monkeypatch, staff):
    """BookingsType.decide_lines passes now=request.created_at to change_many, and _promote uses that `now` for the
    promoted child's offer: approved after the cancellation deadline, the place is given as a plain booking (no
    acceptance asked), which the promoted household can no longer cancel and will be billed for."""
    whole, _half, _meal = centre(capacity=1)
    (family_a, (a,)), (family_c, (c,)) = household(1), household(1)
    book(family_a, a, whole)
    waiting = book(family_c, c, whole)
    assert waiting.state == "waiting"
    CategorySetting.objects.create(category="bookings", auto_approve=False)
    freeze(monkeypatch, BEFORE)
    change = request_types.submit_bookings(user=None, family=family_a,
                                           lines=[request_types.booking_line("cancel", a, whole, WEDNESDAY)])
    assert change.status == ChangeRequest.Status.PENDING
    freeze(monkeypatch, AFTER_DEADLINE)  # staff were busy until Tuesday evening
    services.approve(change.pk, staff=staff)
    waiting.refresh_from_db()
    assert waiting.state == "booked"
    # Given after the cancellation deadline: the household must accept it, within acceptance_hours from now.
    assert waiting.needs_acceptance, "promoted after the deadline without asking for acceptance"
    assert waiting.offer_expires_at is not None and waiting.offer_expires_at > AFTER_DEADLINE


def test_a_line_for_a_day_the_child_is_waiting_for_is_not_told_booked(monkeypatch):
    """booked_outcome checks `created_at < asked_at` before the state: a child already on the waiting list is
    told "Déjà réservé." (outcome accepted) when the household asks for the day again (the bulk form does)."""
    whole, _half, _meal = centre(capacity=1)
    (family_a, (a,)), (family_c, (c,)) = household(1), household(1)
    book(family_a, a, whole)
    assert book(family_c, c, whole).state == "waiting"
    freeze(monkeypatch, BEFORE + datetime.timedelta(minutes=5))
    change = request_types.submit_bookings(user=None, family=family_c,
                                           lines=[request_types.booking_line("book", c, whole, WEDNESDAY)])
    line = change.lines.get()
    assert line.outcome == "waiting", (line.outcome, line.reason)


def test_an_offer_made_once_the_day_has_begun_is_not_already_expired(monkeypatch):
    """_offer_expiry caps the offer at the start of its day; the sweep, run after that, withdraws the expired
    offer and gives the place to the next child with an offer that has already expired too (and e-mails it):
    every sweep walks one more household down the list, each told of a place it can no longer take."""
    whole, _half, _meal = centre(capacity=1)
    (family_a, (a,)), (family_b, (b,)), (family_c, (c,)) = household(1), household(1), household(1)
    book(family_a, a, whole)
    second = book(family_b, b, whole)
    third = book(family_c, c, whole)
    bookings.cancel(Booking.objects.get(child=a), family=family_a, user=None, now=AFTER_DEADLINE,
                    override=bookings.Override("appel"))
    second.refresh_from_db()
    assert second.awaits_acceptance
    sweep = datetime.datetime(2026, 12, 9, 0, 5, tzinfo=PARIS)  # the first sweep after midnight
    mail.outbox.clear()
    assert notices.expire_offers(now=sweep) == 1
    third.refresh_from_db()
    assert not (third.state == "booked" and third.awaits_acceptance and third.offer_expires_at <= sweep), \
        f"offered a place that expired at {third.offer_expires_at:%H:%M}, before it was offered"
