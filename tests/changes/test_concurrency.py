"""Concurrent decisions on PostgreSQL: row locks make each request end in one consistent state."""

import threading

import pytest
from django.db import connection, connections

from enfance.changes import services
from enfance.changes.models import ChangeRequest
from enfance.core.models import AuditEntry
from enfance.families import categories, request_types
from enfance.families.forms import GuardianForm
from enfance.families.models import Guardian
from tests.factories import UserFactory, make_household

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")


def run_together(*functions):
    """Start the functions at the same instant in threads; return their results or exceptions."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:  # noqa: BLE001 - the caller inspects what each thread met
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def phone_request(login, phone="06 99 88 77 66"):
    guardian = login.family.guardians.get(rank=1)
    data = {"civility": guardian.civility, "last_name": guardian.last_name, "first_name": guardian.first_name,
            "email": guardian.email, "mobile_phone": phone}
    form = GuardianForm(data=data, instance=guardian)
    assert form.is_valid(), form.errors
    return request_types.submit_form(user=login, family=login.family, category=categories.get("guardian1"),
                                     form=form, kind="fields")


def test_two_staff_approving_at_once_apply_once():
    _family, login, _children = make_household("Concurrent")
    agents = [UserFactory(role="agent"), UserFactory(role="agent")]
    for _round in range(5):
        change = phone_request(login, phone=f"06 99 88 77 0{_round}")
        results = run_together(*(lambda a=a, pk=change.pk: services.approve(pk, staff=a) for a in agents))
        successes = [r for r in results if isinstance(r, ChangeRequest)]
        refusals = [r for r in results if isinstance(r, services.NotPending)]
        assert len(successes) == 1 and len(refusals) == 1, results
        assert AuditEntry.objects.filter(note=f"Demande n° {change.pk}").count() == 1
        assert Guardian.objects.get(family=login.family, rank=1).mobile_phone == f"06 99 88 77 0{_round}"


def test_cancel_and_approve_at_once_end_in_one_consistent_state():
    _family, login, _children = make_household("Course")
    agent = UserFactory(role="agent")
    outcomes = set()
    for _round in range(6):
        before = Guardian.objects.get(family=login.family, rank=1).mobile_phone
        change = phone_request(login, phone=f"06 11 22 33 4{_round}")
        pk = change.pk
        run_together(lambda: services.approve(pk, staff=agent),  # noqa: B023 - joined before the loop goes on
                     lambda: services.cancel(pk, family=login.family, user=login))  # noqa: B023
        change.refresh_from_db()
        phone = Guardian.objects.get(family=login.family, rank=1).mobile_phone
        if change.status == ChangeRequest.Status.APPROVED:
            assert phone == f"06 11 22 33 4{_round}"
        else:
            assert change.status == ChangeRequest.Status.CANCELLED
            assert phone == before
        outcomes.add(change.status)
    assert outcomes <= {ChangeRequest.Status.APPROVED, ChangeRequest.Status.CANCELLED}


def test_two_submissions_at_once_leave_one_pending_request():
    _family, login, _children = make_household("Doublon")
    results = run_together(lambda: phone_request(login, "06 10 10 10 10"), lambda: phone_request(login, "06 20 20 20 20"))
    assert sum(isinstance(r, ChangeRequest) for r in results) == 1
    assert sum(isinstance(r, services.AlreadyPending) for r in results) == 1
    assert ChangeRequest.objects.filter(status="pending").count() == 1


def test_two_households_requests_on_one_health_record_approved_at_once_lose_nothing():
    """The review's race: each household of a shared child changes one field, two agents approve together."""
    from enfance.families.models import HealthRecord
    from tests.changes.test_lost_updates import health_request, shared_child

    child, login_a, login_b = shared_child("Course")
    agents = [UserFactory(role="agent"), UserFactory(role="agent")]
    for round_ in range(20):
        first = health_request(login_a, child, allergies=f"Allergie {round_}")
        second = health_request(login_b, child, doctor_name=f"Dr Tour {round_}")
        results = run_together(lambda: services.approve(first.pk, staff=agents[0]),  # noqa: B023
                               lambda: services.approve(second.pk, staff=agents[1]))  # noqa: B023
        health = HealthRecord.objects.get(child=child)
        stopped = [r for r in results if isinstance(r, services.ConflictError)]
        assert all(isinstance(r, ChangeRequest | services.ConflictError) for r in results), results
        if not stopped:
            assert (health.allergies, health.doctor_name) == (f"Allergie {round_}", f"Dr Tour {round_}"), round_
        else:  # never silently: the second waits for the reviewer's confirmation, still pending
            assert ChangeRequest.objects.filter(pk__in=[first.pk, second.pk], status="pending").count() == 1


def test_an_approval_and_a_staff_edit_of_one_record_at_once_lose_nothing():
    """Two different objects touching one row: a request's approval and a staff form opened earlier."""
    from enfance.families import categories
    from enfance.families import services as family_services
    from enfance.families.forms import HealthRecordForm
    from enfance.families.models import HealthRecord
    from tests.changes.test_lost_updates import health_request, shared_child

    child, login_a, _login_b = shared_child("Agent")
    agent = UserFactory(role="agent")
    for round_ in range(10):
        health = HealthRecord.objects.get(child=child)
        fields = list(HealthRecordForm._meta.fields)
        version = family_services.record_version(health, fields)
        change = health_request(login_a, child, allergies=f"Famille {round_}")
        data = {name: getattr(health, name) or "" for name in fields if name != "has_pai"}
        data["doctor_name"] = f"Dr Agent {round_}"
        form = categories.get("health").build_form(staff=True, instance=health, data=data)
        assert form.is_valid(), form.errors

        def staff_edit(form=form, version=version):
            return family_services.save_record(form, actor=agent, child=child, version=version)

        results = run_together(lambda: services.approve(change.pk, staff=agent), staff_edit)  # noqa: B023
        health = HealthRecord.objects.get(child=child)
        change.refresh_from_db()
        stale = isinstance(results[1], family_services.StaleRecord)
        assert change.status == "approved" and health.allergies == f"Famille {round_}", results
        # Either the staff edit went first (then the approval applied over it, keeping its doctor) or it was
        # refused as stale: the family's change is never undone.
        assert stale or health.doctor_name == f"Dr Agent {round_}", results


def test_approving_while_the_household_is_archived_never_deadlocks():
    """Both lock the household first: one waits for the other, and the request ends approved or cancelled."""
    from enfance.families import services as family_services

    agent = UserFactory(role="agent")
    for round_ in range(5):
        _family, login, _children = make_household(f"Archive{round_}")
        change = phone_request(login, phone=f"06 44 33 22 1{round_}")
        results = run_together(lambda: services.approve(change.pk, staff=agent),  # noqa: B023
                               lambda: family_services.archive_family(login.family, actor=agent, reason="Départ"))  # noqa: B023
        assert not any(isinstance(r, Exception) and not isinstance(r, services.RequestError) for r in results), results
        change.refresh_from_db()
        assert change.status in ("approved", "cancelled")
