"""Household references come from a locked counter: numbers compare as numbers and never collide."""

import importlib
import io
import threading
import time

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, connections, transaction

from enfance.families import services
from enfance.families.forms import GuardianForm, StaffHouseholdForm
from enfance.families.models import Family, ReferenceCounter
from tests.factories import FamilyFactory, UserFactory

migration = importlib.import_module("enfance.families.migrations.0002_reference_counter_and_unaccent")


def forms(reference=""):
    household = StaffHouseholdForm({"reference": reference, "address_line1": "1 rue Neuve", "postal_code": "83440",
                                    "city": "Tourrettes"})
    guardian = GuardianForm({"civility": "MME", "last_name": "Neuve", "first_name": "Inès",
                             "email": "ines.neuve@example.org", "mobile_phone": "06 01 02 03 04"})
    assert household.is_valid(), household.errors
    assert guardian.is_valid(), guardian.errors
    return household, guardian


@pytest.mark.django_db
def test_numbers_compare_as_numbers_not_as_text():
    FamilyFactory(reference="F9")
    FamilyFactory(reference="F00010")
    ReferenceCounter.objects.all().delete()  # as after an upgrade: the counter starts past what exists
    family = services.create_family(*forms(), actor=UserFactory(role="agent"))
    assert family.reference == "F00011"
    assert services.create_family(*forms(), actor=UserFactory(role="agent")).reference == "F00012"


@pytest.mark.django_db
def test_a_reference_typed_by_staff_is_kept_and_then_skipped():
    staff = UserFactory(role="agent")
    ReferenceCounter.objects.update_or_create(prefix="F", defaults={"last_number": 40})
    assert services.create_family(*forms("F00041"), actor=staff).reference == "F00041"
    assert services.create_family(*forms(), actor=staff).reference == "F00042"


@pytest.mark.django_db
def test_the_migration_starts_the_counter_past_the_highest_number():
    FamilyFactory(reference="F9")
    FamilyFactory(reference="F00120")
    FamilyFactory(reference="DOSSIER-7")
    ReferenceCounter.objects.all().delete()
    migration.start_past_existing_references(apps, None)
    assert ReferenceCounter.objects.get(prefix="F").last_number == 120


@pytest.mark.django_db
def test_households_created_after_the_demo_continue_its_numbers():
    call_command("seed_demo", stdout=io.StringIO())
    highest = max(int(ref[1:]) for ref in Family.objects.values_list("reference", flat=True) if ref[1:].isdigit())
    family = services.create_family(*forms(), actor=UserFactory(role="agent"))
    assert family.reference == f"F{highest + 1:05d}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_creations_at_the_same_moment_never_pick_the_same_reference():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set DATABASE_URL)")
    services.move_reference_counter_past_existing()
    barrier = threading.Barrier(2)
    results = []

    def create(index):
        try:
            barrier.wait()
            with transaction.atomic():
                reference = services.next_reference()
                time.sleep(0.2)  # the other creation reads the counter meanwhile: it must wait for this one
                results.append(FamilyFactory(reference=reference).reference)
        except Exception as exc:  # noqa: BLE001 - the assertion shows what each thread met
            results.append(exc)
        finally:
            connections.close_all()

    for _round in range(3):
        results.clear()
        threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert all(isinstance(r, str) for r in results), results
        assert len(set(results)) == 2, results
