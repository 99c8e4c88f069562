import html

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enfance.accounts.models import User
from enfance.core.models import AuditEntry
from enfance.families import services
from enfance.families.forms import PhotoForm
from enfance.families.models import Child, ChildLink
from tests.conftest import login_client
from tests.factories import AuthorizedPersonFactory, ChildFactory, UserFactory, make_household
from tests.helpers import png_bytes

from .conftest import count_queries

FULL_IBAN = "FR7630006000011234567890189"


def page(client, family):
    response = client.get(reverse("backoffice:family", args=[family.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_household_page_shows_every_category(staff_client, alice):
    family = alice.family
    body = page(staff_client, family)
    for heading in ["Adresse du foyer", "Responsable", "Conjoint", "Données fiscales", "C.A.F.",
                    "Coordonnées bancaires", "Identifiants du Portail Famille", "Enfants", "Personnes autorisées",
                    "Journal des modifications"]:
        assert heading in body, heading
    assert family.address_line1 in body and "83440 Tourrettes" in body
    assert "01/09/2026" in body  # dossier received on
    assert "Madame Claire Alice" in body and "Monsieur Marc Alice" in body
    assert "32\u202f000,00\xa0€" in body and "2,50" in body  # tax
    assert "1234567" in body and "750" in body  # CAF
    assert "Claire Alice" in body and "AGRIFRPP" in body  # bank holder, BIC
    assert "École Marcel Pagnol" in body and "CE1" in body and "Menu standard" in body
    assert "Droit à l'image accordé" in body and "Autorisé à partir seul" in body
    for child in Child.objects.filter(links__family=family):
        assert reverse("backoffice:child_health", args=[child.pk]) in body
    assert body.count("<h1") == 1


def test_household_page_masks_the_iban(staff_client, alice):
    body = page(staff_client, alice.family)
    assert "FR76 **** 0189" in body
    assert FULL_IBAN not in body
    assert "30006000011234567890" not in body


def test_iban_stays_masked_in_the_audit_trail(staff_client, alice):
    url = reverse("backoffice:family_edit", args=[alice.family_id, "coordonnees-bancaires"])
    response = staff_client.post(url, {"holder": "Claire Alice", "iban": "FR14 2004 1010 0505 0001 3M0 2606",
                                       "bic": ""})
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_type="bankaccount").latest("id")
    assert entry.changes["iban"] == ["FR76 **** 0189", "FR14 **** 2606"]
    body = page(staff_client, alice.family)
    assert "FR14 **** 2606" in body
    assert "FR1420041010050500013M02606" not in body and FULL_IBAN not in body
    history = staff_client.get(reverse("backoffice:family_history", args=[alice.family_id])).content.decode()
    assert "FR76 **** 0189" in history and FULL_IBAN not in history


def test_health_data_is_not_on_the_household_page_only_a_link(staff_client, alice):
    body = page(staff_client, alice.family)
    assert "Arachide" not in body and "Dr Martin" not in body and "DTPolio" not in body
    child = Child.objects.filter(links__family=alice.family).first()
    staff_client.post(reverse("backoffice:child_edit", args=[child.pk, "donnees-sanitaires"]), {
        "doctor_name": "Dr Martin", "doctor_phone": "04 94 00 00 00", "allergies": "Kiwi", "treatments": "",
        "notes": "", "pai_details": "",
    })
    body = page(staff_client, alice.family)
    assert "Kiwi" not in body and "Arachide" not in body
    assert "le détail figure sur la page santé" in body


def test_shared_child_shows_both_households_authorised_persons_labelled(staff_client, shared_custody):
    roux, garnier = shared_custody["roux"], shared_custody["garnier"]
    body = page(staff_client, roux)
    assert "Mamie Roux" in body and "Papy Garnier" in body
    assert f"Nommées par ce foyer ({roux.reference})" in body
    assert f"Nommées par l'autre foyer : {garnier.reference}" in body
    assert "Garde partagée" in body
    # Only this household's own entries get edit links here.
    jade, own, other = shared_custody["jade"], shared_custody["roux_person"], shared_custody["garnier_person"]
    assert reverse("backoffice:authorized_person_edit", args=[roux.pk, jade.pk, own.pk]) in body
    assert reverse("backoffice:authorized_person_edit", args=[garnier.pk, jade.pk, other.pk]) not in body
    other_body = page(staff_client, garnier)
    assert "Mamie Roux" in other_body and f"Nommées par ce foyer ({garnier.reference})" in other_body


def test_audit_trail_of_a_household_leaves_out_the_other_households_entries(staff_client, shared_custody):
    roux, garnier, jade = shared_custody["roux"], shared_custody["garnier"], shared_custody["jade"]
    person = shared_custody["garnier_person"]
    staff_client.post(reverse("backoffice:authorized_person_edit", args=[garnier.pk, jade.pk, person.pk]), {
        "last_name": "Garnier", "first_name": "Papy", "relation": "Grand-père", "phone": "0611223344",
        "can_pick_up": "on",
    })
    staff_client.post(reverse("backoffice:child_edit", args=[jade.pk, "donnees-complementaires"]), {
        "last_name": "Roux", "first_name": "Jade", "birth_date": "2018-05-04", "sex": "F", "diet": "no_pork",
    })
    roux_entries = staff_client.get(reverse("backoffice:family", args=[roux.pk])).context["entries"]
    kinds = {line.entry.object_type for line in roux_entries}
    assert "child" in kinds  # the shared child's own record concerns both households
    assert "authorizedperson" not in kinds
    garnier_entries = staff_client.get(reverse("backoffice:family", args=[garnier.pk])).context["entries"]
    assert {"child", "authorizedperson"} <= {line.entry.object_type for line in garnier_entries}


def test_logins_are_listed_with_their_status(staff_client, alice):
    family = alice.family
    pending = User(username="famille.alice2", email="marc@example.org", role="family", family=family)
    pending.set_unusable_password()
    pending.save()
    UserFactory(username="famille.ancien", role="family", family=family, is_active=False)
    body = page(staff_client, family)
    assert "famille.alice" in body and "Actif" in body
    assert "famille.alice2" in body and "En attente d'activation" in body
    assert "famille.ancien" in body and "Fermé" in body
    assert "Renvoyer l'invitation à famille.alice2" in body


def test_child_photo_thumbnail_is_served_to_staff_only(staff_client, alice, bob, client):
    child = Child.objects.filter(links__family=alice.family).first()
    form = PhotoForm(files={"photo": SimpleUploadedFile("p.png", png_bytes(), "image/png")})
    assert form.is_valid()
    services.set_photo(child, form.cleaned_data["photo"], actor=None)
    url = reverse("backoffice:child_photo", args=[child.pk])
    assert url in page(staff_client, alice.family)
    response = staff_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert login_client(client, bob).get(url).status_code == 403


def test_household_page_query_count_does_not_grow_with_children(staff_client, db):
    small, _, _ = make_household("Petit", children=1)
    big, _, kids = make_household("Grand", children=6)
    for kid in kids[:3]:  # shared custody with other households, each naming people
        other, _, _ = make_household(f"Autre{kid.pk}", children=0)
        ChildLink.objects.create(family=other, child=kid)
        AuthorizedPersonFactory(family=other, child=kid)
    small_other, _, _ = make_household("AutrePetit", children=0)
    ChildLink.objects.create(family=small_other, child=Child.objects.get(links__family=small))
    for family in (small, big):
        for kid in Child.objects.filter(links__family=family):
            AuthorizedPersonFactory(family=family, child=kid)
    ChildFactory(family=big)  # a child without health record
    url_small = reverse("backoffice:family", args=[small.pk])
    url_big = reverse("backoffice:family", args=[big.pk])
    staff_client.get(url_small)  # warm the session and the shared cache (current service rules)
    assert count_queries(lambda: staff_client.get(url_small)) == count_queries(lambda: staff_client.get(url_big))


def test_what_is_missing_counts_only_the_households_own_authorised_persons(staff_client):
    import html

    from enfance.families.models import ChildLink, HealthRecord
    from tests.factories import AuthorizedPersonFactory, make_household

    family, _login, (child,) = make_household("Durand", complete=False)
    other, _other_login, _ = make_household("Autre", children=0)
    ChildLink.objects.create(family=other, child=child)
    AuthorizedPersonFactory(family=other, child=child)  # named by the other household only
    HealthRecord.objects.filter(child=child).delete()
    page = html.unescape(staff_client.get(reverse("backoffice:family", args=[family.pk])).content.decode())
    assert "personnes autorisées pour Enfant1" in page and "données sanitaires d'Enfant1" in page
    page = html.unescape(staff_client.get(reverse("backoffice:family", args=[other.pk])).content.decode())
    assert "personnes autorisées pour Enfant1" not in page
