from django.urls import reverse

from enfance.families.models import Child


def test_home_sums_up_the_household(alice_client, alice):
    response = alice_client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert "Bienvenue" in response.content.decode()
    for child in Child.objects.filter(links__family=alice.family):
        assert child.first_name in response.content.decode()


def test_information_page_masks_the_iban(alice_client):
    body = alice_client.get(reverse("portal:information")).content.decode()
    assert "FR76 **** 0189" in body
    assert "FR7630006000011234567890189" not in body


def test_information_page_marks_records_with_a_pending_request(alice_client, alice):
    from enfance.changes.models import ChangeRequest

    assert "demande en attente" not in alice_client.get(reverse("portal:information")).content.decode()
    ChangeRequest.objects.create(family=alice.family, request_type="tax", kind="fields", created_by=alice)
    body = alice_client.get(reverse("portal:information")).content.decode()
    assert body.count("demande en attente") == 1
