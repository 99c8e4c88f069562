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
