"""One row per registered request type, walked end to end.

For each type: the family's read view shows it, its request form files a request,
the staff review page shows it, approval applies it and writes the audit trail,
rejection and cancellation leave the record as it was, a change made under the
request is caught as a conflict, and the demo commune has such records. The same
table is in docs/request-types.md; a test keeps the two in step.
"""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from enfance.changes import registry, services
from enfance.changes.models import ChangeRequest
from enfance.core.models import AuditEntry
from enfance.families import categories
from tests.helpers import png_bytes

DOCS = Path(__file__).resolve().parents[2] / "docs" / "request-types.md"


def _png():
    return SimpleUploadedFile("photo.png", png_bytes((60, 60), "blue"), content_type="image/png")


def _guardian(**extra):
    data = {"civility": "M", "last_name": "Durand", "first_name": "Marc", "email": "marc.durand@example.org",
            "mobile_phone": "0677889900"}
    data.update(extra)
    return data


def _first_child(family):
    return family.children.order_by("pk").first()


def _person(family):
    child = _first_child(family)
    return child, child.authorized_persons.filter(family=family).first()


# category key -> (read url builder, form url builder, POST data builder, text expected once applied)
CASES = {
    "household": (
        lambda f: reverse("portal:information"),
        lambda f: reverse("portal:edit_family", args=["adresse"]),
        lambda f: {"address_line1": "3 place de la Mairie", "postal_code": "83440", "city": "Tourrettes"},
        "3 place de la Mairie",
    ),
    "guardian1": (
        lambda f: reverse("portal:information"),
        lambda f: reverse("portal:edit_family", args=["responsable"]),
        lambda f: _guardian(civility="MME", last_name="Alice", first_name="Claire", mobile_phone="0611112222"),
        "06 11 11 22 22",
    ),
    "guardian2": (
        lambda f: reverse("portal:information"),
        lambda f: reverse("portal:edit_family", args=["conjoint"]),
        lambda f: _guardian(mobile_phone="0677889911"),
        "06 77 88 99 11",
    ),
    "tax": (
        lambda f: reverse("portal:information"),
        lambda f: reverse("portal:edit_family", args=["donnees-fiscales"]),
        lambda f: {"year": "2025", "reference_income": "28765.00", "tax_shares": "3"},
        "28\u202f765,00",
    ),
    "caf": (
        lambda f: reverse("portal:information"),
        lambda f: reverse("portal:edit_family", args=["caf"]),
        lambda f: {"regime": "CAF", "allocataire_number": "7654321", "quotient": "612"},
        "7654321",
    ),
    "bank": (
        lambda f: reverse("portal:information"),
        lambda f: reverse("portal:edit_family", args=["coordonnees-bancaires"]),
        lambda f: {"holder": "Claire Alice", "iban": "FR76 1027 8061 0000 1020 4801 713", "bic": ""},
        "FR76 **** 1713",
    ),
    "authorized_persons": (
        lambda f: reverse("portal:child", args=[_first_child(f).pk]),
        lambda f: reverse("portal:authorized_person_add", args=[_first_child(f).pk]),
        lambda f: {"last_name": "Lefèvre", "first_name": "Odile", "relation": "Tante", "phone": "0612121212",
                   "can_pick_up": "on"},
        "Lefèvre",
    ),
    "child": (
        lambda f: reverse("portal:child", args=[_first_child(f).pk]),
        lambda f: reverse("portal:edit_child", args=[_first_child(f).pk, "donnees-complementaires"]),
        lambda f: {"last_name": _first_child(f).last_name, "first_name": _first_child(f).first_name,
                   "birth_date": "2018-05-04", "sex": "F", "school": "École de Tourrettes", "school_class": "CM1",
                   "diet": "vegetarian"},
        "CM1",
    ),
    "health": (
        lambda f: reverse("portal:child_health", args=[_first_child(f).pk]),
        lambda f: reverse("portal:edit_child", args=[_first_child(f).pk, "donnees-sanitaires"]),
        lambda f: {"doctor_name": "Dr Benoît", "doctor_phone": "0494000001", "allergies": "Kiwi"},
        "Kiwi",
    ),
    "vaccinations": (
        lambda f: reverse("portal:child_health", args=[_first_child(f).pk]),
        lambda f: reverse("portal:vaccination_add", args=[_first_child(f).pk]),
        lambda f: {"vaccine": "ROR", "date": "2020-01-15"},
        "ROR",
    ),
    "photo": (
        lambda f: reverse("portal:child", args=[_first_child(f).pk]),
        lambda f: reverse("portal:edit_photo", args=[_first_child(f).pk]),
        lambda f: {"piece-document": _png()},
        'src="/portail/enfants/',
    ),
}


def test_every_registered_request_type_has_a_row():
    # The household records' types here; the activities' in tests/activities/test_request_types.py.
    from tests.activities.test_request_types import CASES as ACTIVITY_CASES

    assert not set(CASES) & set(ACTIVITY_CASES)
    assert set(CASES) | set(ACTIVITY_CASES) == {t.key for t in registry.all_types()}


def test_the_developer_docs_table_lists_every_request_type():
    text = DOCS.read_text(encoding="utf-8")
    rows = {m.group(1) for m in re.finditer(r"^\| `(\w+)` \|", text, re.M)}
    assert rows == {t.key for t in registry.all_types()}
    for line in text.splitlines():
        if line.startswith("| `"):
            assert "✗" not in line and "TODO" not in line, line


@pytest.mark.parametrize("key", list(CASES))
def test_request_type_row(key, client, alice, staff):
    read_url, form_url, data, expected = CASES[key]
    family = alice.family
    category = categories.get(key)
    client.force_login(alice)
    # read view
    assert client.get(read_url(family)).status_code == 200
    # request form: files a request, changes nothing yet
    response = client.post(form_url(family), data(family))
    assert response.status_code == 302, response.content.decode()[:2000]
    change = ChangeRequest.objects.get(request_type=key)
    assert change.status == ChangeRequest.Status.PENDING
    assert expected not in client.get(read_url(family)).content.decode() or key == "photo"
    # review
    client.force_login(staff)
    review = client.get(reverse("backoffice:request", args=[change.pk]))
    assert review.status_code == 200
    # apply
    response = client.post(reverse("backoffice:request_approve", args=[change.pk]), {"comment": ""})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.APPROVED
    # audit
    assert AuditEntry.objects.filter(note=f"Demande n° {change.pk}", actor=staff).exists()
    # the family's read view shows the new value
    client.force_login(alice)
    assert expected in client.get(read_url(family)).content.decode()
    assert category.key in {c.key for c in categories.CATEGORIES}


def _submit(client, alice, key):
    _read_url, form_url, data, _expected = CASES[key]
    client.force_login(alice)
    response = client.post(form_url(alice.family), data(alice.family))
    assert response.status_code == 302, response.content.decode()[:2000]
    return ChangeRequest.objects.get(request_type=key, status=ChangeRequest.Status.PENDING)


def _state(change):
    """The target as the database holds it (raw values), or None: what a refusal must leave untouched."""
    target = change.type.current(change)
    if target is None:
        return None
    fields = [f.name for f in target._meta.concrete_fields]
    return {name: str(getattr(target, name)) for name in fields}


@pytest.mark.parametrize("key", list(CASES))
def test_request_type_rejected_and_cancelled_leave_the_record(key, client, alice, staff):
    change = _submit(client, alice, key)
    before = _state(change)
    services.reject(change.pk, staff=staff, reason="Pièce manquante")
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.REJECTED and _state(change) == before
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REQUEST_REJECTED, object_id=str(change.pk)).exists()
    again = _submit(client, alice, key)
    response = client.post(reverse("portal:request_cancel", args=[again.pk]))
    assert response.status_code == 302
    again.refresh_from_db()
    assert again.status == ChangeRequest.Status.CANCELLED and _state(again) == before


@pytest.mark.parametrize("key", list(CASES))
def test_request_type_sees_a_change_made_under_it(key, client, alice, staff):
    change = _submit(client, alice, key)
    target = change.type.current(change)
    if change.kind == ChangeRequest.Kind.ADD:
        assert services.review(change)[1] == {}  # an addition changes nothing that could move
        return
    if change.kind == ChangeRequest.Kind.FILE:
        type(target).objects.filter(pk=target.pk).update(photo="photos/autre.jpg")
    else:
        from enfance.core.values import from_raw

        field = change.type.changed_fields(change)[0]
        model_field = target._meta.get_field(field)
        # Someone else already made the change: the request's "before" no longer holds.
        type(target).objects.filter(pk=target.pk).update(**{field: from_raw(model_field, change.proposed[field])})
    client.force_login(staff)
    page = client.get(reverse("backoffice:request", args=[change.pk])).content.decode()
    assert 'name="confirm"' in page
    with pytest.raises(services.ConflictError):
        services.approve(change.pk, staff=staff)
    services.approve(change.pk, staff=staff, confirm=True)


@pytest.mark.django_db
def test_demo_commune_has_records_of_every_category():
    call_command("seed_demo")
    from enfance.families.models import Family

    martin = Family.objects.get(logins__username="famille.martin")
    child = martin.children.first()
    for category in categories.CATEGORIES:
        if category.kind == categories.LIST:
            assert category.items(martin, child).exists(), category.key
        elif category.kind == categories.FILE:
            assert child.photo, category.key
        else:
            assert category.get_instance(martin, child) is not None, category.key
