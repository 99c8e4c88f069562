"""The registry carries requests of several lines, each with its own outcome, under one decision.

A type registered by the test itself (a week of bookings) proves what bookings will need: a conflict key
per line backed by the database, what is judged at submission (the deadline) and at decision (capacity).
"""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from enfance.changes import registry, services
from enfance.changes.models import ChangeRequest, RequestLine
from enfance.core.dates import today

Outcome = RequestLine.Outcome


class WeekOfMeals(registry.RequestType):
    key = "test_week"
    label = "Repas de la semaine"
    multi_line = True
    capacity = 1  # one meal a day, to see the waiting list

    def __init__(self):
        self.applied = []

    def line_conflict_key(self, request, line):
        return f"meal:{line.payload['child']}:{line.payload['day']}"

    def line_label(self, line):
        return f"Repas du {line.payload['day']}"

    def judge_submission(self, request, lines):
        return {line.pk: registry.LineOutcome(Outcome.REFUSED, "Délai de réservation dépassé")
                for line in lines if line.payload["day"] < today().isoformat()}

    def decide_lines(self, request, lines):
        taken = RequestLine.objects.filter(outcome=Outcome.ACCEPTED).values_list("payload", flat=True)
        per_day = {}
        for payload in taken:
            per_day[payload["day"]] = per_day.get(payload["day"], 0) + 1
        outcomes = {}
        for line in lines:
            day = line.payload["day"]
            if per_day.get(day, 0) < self.capacity:
                per_day[day] = per_day.get(day, 0) + 1
                outcomes[line.pk] = registry.LineOutcome(Outcome.ACCEPTED)
            else:
                outcomes[line.pk] = registry.LineOutcome(Outcome.WAITING, "Complet : en liste d'attente")
        return outcomes

    def apply(self, request, target, *, actor, note, lines=None, attachments=()):
        self.applied.append([line.pk for line in lines])


@pytest.fixture
def week_type():
    request_type = registry.register(WeekOfMeals())
    yield request_type
    registry._TYPES.pop(request_type.key)


def day(offset):
    return (today() + datetime.timedelta(days=offset)).isoformat()


def submit_week(login, child, days):
    return services.submit("test_week", user=login, family=login.family, kind=ChangeRequest.Kind.LINES,
                           exclusive=False, lines=[{"child": child.pk, "day": d} for d in days])


def test_lines_past_their_deadline_are_refused_when_submitted(week_type, alice):
    child = alice.family.children.first()
    change = submit_week(alice, child, [day(-1), day(3), day(4)])
    lines = list(change.lines.all())
    assert [line.outcome for line in lines] == [Outcome.REFUSED, Outcome.PENDING, Outcome.PENDING]
    assert lines[0].reason == "Délai de réservation dépassé" and not lines[0].is_open
    assert change.is_pending


def test_a_line_already_asked_is_refused_at_once_and_freed_by_the_decision(week_type, alice, staff):
    child = alice.family.children.first()
    first = submit_week(alice, child, [day(3)])
    second = submit_week(alice, child, [day(3), day(5)])
    assert [line.outcome for line in second.lines.all()] == [Outcome.REFUSED, Outcome.PENDING]
    services.reject(first.pk, staff=staff, reason="Enfant non inscrit à la cantine")
    assert list(first.lines.values_list("outcome", "reason")) == [(Outcome.REFUSED, "Enfant non inscrit à la cantine")]
    third = submit_week(alice, child, [day(3)])
    assert third.lines.get().outcome == Outcome.PENDING


def test_one_decision_gives_each_line_its_outcome(week_type, alice, bob, staff):
    alice_child, bob_child = alice.family.children.first(), bob.family.children.first()
    alices = submit_week(alice, alice_child, [day(3), day(4)])
    bobs = submit_week(bob, bob_child, [day(3)])
    services.approve(alices.pk, staff=staff)
    services.approve(bobs.pk, staff=staff)
    assert list(alices.lines.values_list("outcome", flat=True)) == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    assert list(bobs.lines.values_list("outcome", "reason")) == [(Outcome.WAITING, "Complet : en liste d'attente")]
    assert not RequestLine.objects.filter(is_open=True).exists()
    assert len(week_type.applied) == 2
    bobs.refresh_from_db()
    assert bobs.status == ChangeRequest.Status.APPROVED and bobs.decided_by == staff


def test_cancelling_closes_every_open_line(week_type, alice):
    change = submit_week(alice, alice.family.children.first(), [day(3), day(4)])
    services.cancel(change.pk, family=alice.family, user=alice)
    assert set(change.lines.values_list("outcome", "is_open")) == {(Outcome.CANCELLED, False)}


def test_two_open_lines_with_one_key_are_refused_by_the_database(week_type, alice):
    change = submit_week(alice, alice.family.children.first(), [day(3)])
    key = change.lines.get().conflict_key
    with pytest.raises(IntegrityError), transaction.atomic():
        RequestLine.objects.create(request=change, position=9, payload={}, conflict_key=key)


def test_both_faces_show_each_line_with_its_outcome(week_type, alice, alice_client, staff, client):
    change = submit_week(alice, alice.family.children.first(), [day(-2), day(3)])
    page = alice_client.get(reverse("portal:request", args=[change.pk])).content.decode()
    assert f"Repas du {day(-2)}" in page and "Délai de réservation dépassé" in page and "Refusée" in page
    client.force_login(staff)
    review = client.get(reverse("backoffice:request", args=[change.pk])).content.decode()
    assert f"Repas du {day(3)}" in review and "En attente" in review


def test_a_type_cannot_be_registered_twice(week_type):
    with pytest.raises(ValueError):
        registry.register(WeekOfMeals())


def test_a_request_whose_type_is_gone_is_shown_and_never_applied(alice, staff, staff_client):
    change = ChangeRequest.objects.create(family=alice.family, request_type="retired_type", kind="fields",
                                          created_by=alice)
    assert staff_client.get(reverse("backoffice:request", args=[change.pk])).status_code == 200
    with pytest.raises(services.RequestError):
        services.approve(change.pk, staff=staff)
