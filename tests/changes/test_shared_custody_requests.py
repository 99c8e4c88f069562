"""A request from one household of a shared-custody child: staff see its origin, the other household
sees only the result once approved."""

from django.urls import reverse

from enfance.changes import services
from enfance.changes.models import ChangeRequest
from enfance.families.models import ChildLink
from tests.factories import ChildFactory, HealthRecordFactory, make_household


def test_other_household_sees_the_result_never_the_request(client, staff):
    family_a, login_a, _ = make_household("Roux", children=0)
    family_b, login_b, _ = make_household("Garnier", children=0)
    child = ChildFactory(last_name="Roux", first_name="Tom", family=family_a)
    ChildLink.objects.create(family=family_b, child=child)
    HealthRecordFactory(child=child, allergies="Aucune")

    client.force_login(login_a)
    client.post(reverse("portal:edit_child", args=[child.pk, "donnees-sanitaires"]),
                {"doctor_name": "Dr Martin", "doctor_phone": "0494000000", "allergies": "Pollen de cyprès"})
    change = ChangeRequest.objects.get()
    assert change.family == family_a

    # Staff see where it comes from.
    client.force_login(staff)
    review = client.get(reverse("backoffice:request", args=[change.pk])).content.decode()
    assert family_a.reference in review

    # Household B: nothing in its requests, no way to open A's request, old value still shown.
    client.force_login(login_b)
    assert "Pollen" not in client.get(reverse("portal:requests")).content.decode()
    assert client.get(reverse("portal:request", args=[change.pk])).status_code == 404
    assert client.post(reverse("portal:request_cancel", args=[change.pk])).status_code == 404
    assert "Pollen" not in client.get(reverse("portal:child_health", args=[child.pk])).content.decode()

    services.approve(change.pk, staff=staff)
    assert "Pollen de cyprès" in client.get(reverse("portal:child_health", args=[child.pk])).content.decode()
    assert "Pollen" not in client.get(reverse("portal:requests")).content.decode()
