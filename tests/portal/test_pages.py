import html

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


def test_home_lists_what_is_missing_and_only_this_households_persons_count(client, db):
    from enfance.families.models import ChildLink, HealthRecord
    from tests.factories import AuthorizedPersonFactory, make_household

    family, login, (child,) = make_household("Durand", complete=False)
    other, _other_login, _ = make_household("Autre", children=0)
    ChildLink.objects.create(family=other, child=child)
    AuthorizedPersonFactory(family=other, child=child)  # the other household's list, not this one's
    HealthRecord.objects.filter(child=child).delete()
    client.force_login(login)
    page = html.unescape(client.get(reverse("portal:home")).content.decode())
    assert "Les données sanitaires d'Enfant1" in page
    assert "Les personnes autorisées pour Enfant1" in page
    assert "garde partagée" in page
    AuthorizedPersonFactory(family=family, child=child)
    HealthRecord.objects.create(child=child)
    page = html.unescape(client.get(reverse("portal:home")).content.decode())
    assert "personnes autorisées pour Enfant1" not in page and "données sanitaires" not in page


def test_an_item_page_names_the_child_and_the_add_pages_say_what_they_add(alice_client, alice):
    child = alice.family.children.order_by("pk").first()
    person = child.authorized_persons.filter(family=alice.family).first()
    page = html.unescape(alice_client.get(
        reverse("portal:authorized_person", args=[child.pk, person.pk])).content.decode())
    assert f"{child.first_name} {child.last_name}</span></h1>" in page
    page = alice_client.get(reverse("portal:vaccination_add", args=[child.pk])).content.decode()
    assert "<h1>Ajouter une vaccination" in page


def test_a_field_error_comes_right_under_its_field_before_the_help_text(alice_client):
    response = alice_client.post(reverse("portal:edit_family", args=["coordonnees-bancaires"]),
                                 {"holder": "Claire", "iban": "FR00 1234", "bic": ""})
    page = response.content.decode()
    error, help_text = page.index('id="id_iban_error"'), page.index('id="id_iban_helptext"')
    assert page.index('name="iban"') < error < help_text
