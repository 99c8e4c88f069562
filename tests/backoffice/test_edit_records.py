"""Every edit page saves through the shared services and leaves an audit entry with old and new values."""

import datetime
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enfance.accounts.models import User
from enfance.backoffice.views._common import category_slug
from enfance.core.models import AuditEntry, HealthAccessLog
from enfance.families import categories
from enfance.families.models import AuthorizedPerson, BankAccount, Child, Family, Guardian, TaxInfo, Vaccination
from tests.factories import UserFactory, make_household
from tests.helpers import first_child, png_bytes

GUARDIAN = {"civility": "MME", "last_name": "Alice", "first_name": "Claire", "email": "claire@example.org",
            "mobile_phone": "0612345678"}


def _slug(key_or_slug):
    """A category key ("tax") as its URL slug; anything else (a slug, a made-up word) as it is."""
    category = categories.BY_KEY.get(key_or_slug)
    return category.slug if category else key_or_slug


def family_edit(family, key):
    return reverse("backoffice:family_edit", args=[family.pk, _slug(key)])


def child_edit(child, key):
    return reverse("backoffice:child_edit", args=[child.pk, _slug(key)])


def last_entry(object_type):
    return AuditEntry.objects.filter(object_type=object_type).latest("id")


FAMILY_CASES = [
    ("household", {"address_line1": "12 rue Neuve", "postal_code": "83440", "city": "Tourrettes",
                   "dossier_received_on": "2026-01-05"}, "family", "address_line1", "12 rue Neuve"),
    ("guardian1", {**GUARDIAN, "mobile_phone": "06.98.76.54.32"}, "guardian", "mobile_phone", "06 98 76 54 32"),
    ("guardian2", {**GUARDIAN, "civility": "M", "first_name": "Marc", "employer": "Mairie"}, "guardian",
     "employer", "Mairie"),
    ("tax", {"year": "2024", "reference_income": "41000", "tax_shares": "3"}, "taxinfo", "reference_income",
     "41000,00"),
    ("caf", {"regime": "MSA", "allocataire_number": "", "quotient": "512"}, "cafinfo", "quotient", "512"),
    ("bank", {"holder": "Claire et Marc Alice", "iban": "", "bic": "AGRIFRPP"}, "bankaccount", "holder",
     "Claire et Marc Alice"),
]


@pytest.mark.parametrize(("key", "data", "object_type", "field", "new"), FAMILY_CASES,
                         ids=[c[0] for c in FAMILY_CASES])
def test_each_household_category_saves_and_is_audited(staff_client, alice, staff, key, data, object_type, field, new):
    family = alice.family
    if key == "household":
        data = {**data, "reference": family.reference}
    response = staff_client.get(family_edit(family, key))
    assert response.status_code == 200
    response = staff_client.post(family_edit(family, key), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    entry = last_entry(object_type)
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.actor == staff and entry.family == family
    old, saved = entry.changes[field]
    assert saved == new and old != new


def test_edit_pages_are_reached_by_the_slug_the_household_page_links_to(staff_client, alice):
    body = staff_client.get(reverse("backoffice:family", args=[alice.family_id])).content.decode()
    for key in ["household", "guardian1", "guardian2", "tax", "caf", "bank"]:
        url = family_edit(alice.family, category_slug(key))
        assert url in body
        assert staff_client.get(url).status_code == 200


def test_unknown_or_wrong_scope_category_is_404(staff_client, alice):
    assert staff_client.get(family_edit(alice.family, "nope")).status_code == 404
    # The key is not a second name of the category in URLs: its slug is the only one.
    assert staff_client.get(reverse("backoffice:family_edit", args=[alice.family.pk, "tax"])).status_code == 404
    assert staff_client.get(family_edit(alice.family, "health")).status_code == 404
    assert staff_client.get(child_edit(first_child(alice), "tax")).status_code == 404
    assert staff_client.get(reverse("backoffice:family", args=[999999])).status_code == 404


def test_missing_records_are_created(staff_client, staff):
    family, _, _ = make_household("Neuf", children=0, complete=False)
    response = staff_client.post(family_edit(family, "tax"),
                                 {"year": "2025", "reference_income": "18000", "tax_shares": "1"})
    assert response.status_code == 302
    assert TaxInfo.objects.get(family=family).reference_income == 18000
    entry = last_entry("taxinfo")
    assert entry.action == AuditEntry.Action.CREATE and entry.changes["year"] == ["", "2025"]
    assert staff_client.get(family_edit(family, "guardian2")).content.decode().count("<h1") == 1
    staff_client.post(family_edit(family, "guardian2"), {**GUARDIAN, "last_name": "Second", "civility": "M"})
    assert Guardian.objects.get(family=family, rank=2).last_name == "Second"
    staff_client.post(family_edit(family, "bank"), {"holder": "Neuf", "iban": "FR7630006000011234567890189"})
    assert BankAccount.objects.get(family=family).bic.startswith("AGRIFRPP")  # found from the IBAN


def test_bank_form_never_shows_the_stored_iban_and_keeps_it_when_left_empty(staff_client, alice):
    body = staff_client.get(family_edit(alice.family, "bank")).content.decode()
    assert "FR7630006000011234567890189" not in body and "FR76 **** 0189" in body
    staff_client.post(family_edit(alice.family, "bank"), {"holder": "Autre titulaire", "iban": ""})
    account = BankAccount.objects.get(family=alice.family)
    assert account.iban == "FR7630006000011234567890189" and account.holder == "Autre titulaire"
    assert "iban" not in last_entry("bankaccount").changes


def test_child_record_saves_and_is_audited_for_both_households(staff_client, alice, staff):
    child = first_child(alice)
    response = staff_client.post(child_edit(child, "child") + f"?foyer={alice.family_id}", {
        "last_name": child.last_name, "first_name": child.first_name, "birth_date": "2018-05-04", "sex": "F",
        "school": "École du Haut", "school_class": "CM1", "diet": "vegetarian", "photo_consent": "on",
    })
    assert response.status_code == 302
    assert response.url == reverse("backoffice:family", args=[alice.family_id]) + f"#enfant-{child.pk}"
    entry = last_entry("child")
    assert entry.child == child and entry.family is None and entry.actor == staff
    assert entry.changes["diet"] == ["Menu standard", "Végétarien"]
    assert entry.changes["school_class"] == ["CE1", "CM1"]


def test_health_record_edit_is_audited_and_its_opening_logged(staff_client, alice, staff):
    child = first_child(alice)
    assert staff_client.get(child_edit(child, "health")).status_code == 200
    response = staff_client.post(child_edit(child, "health"), {
        "doctor_name": "Dr Martin", "doctor_phone": "0494000000", "allergies": "Arachide, kiwi", "has_pai": "on",
        "pai_details": "Trousse d'urgence", "treatments": "", "notes": "",
    })
    assert response.status_code == 302
    assert response.url == reverse("backoffice:child_health", args=[child.pk])
    assert last_entry("healthrecord").changes["allergies"] == ["Arachide", "Arachide, kiwi"]
    assert HealthAccessLog.objects.filter(user=staff, child=child).count() == 2


def test_missing_health_record_is_created(staff_client, db):
    family, _, _ = make_household("SansSante", children=0, complete=False)
    from tests.factories import ChildFactory

    child = ChildFactory(family=family)
    staff_client.post(child_edit(child, "health"), {"doctor_name": "Dr Who", "allergies": ""})
    assert Child.objects.get(pk=child.pk).health.doctor_name == "Dr Who"
    assert last_entry("healthrecord").action == AuditEntry.Action.CREATE


def test_photo_upload_is_reencoded_and_audited(staff_client, alice):
    child = first_child(alice)
    url = reverse("backoffice:child_photo_edit", args=[child.pk])
    assert url == f"/gestion/enfants/{child.pk}/modifier/photo/"
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"photo": SimpleUploadedFile("moi.png", png_bytes(), "image/png")})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.photo.name.endswith(".jpg")
    assert last_entry("child").changes["photo"] == ["", "nouvelle photo"]


# --- authorised persons ---------------------------------------------------------------------------------

PERSON = {"last_name": "Durand", "first_name": "Jeanne", "relation": "Voisine", "phone": "0611223344",
          "can_pick_up": "on"}


def person_url(name, family, child, person=None):
    args = [family.pk, child.pk] + ([person.pk] if person else [])
    return reverse(f"backoffice:authorized_person_{name}", args=args)


def test_authorised_person_add_edit_delete(staff_client, alice):
    family, child = alice.family, first_child(alice)
    assert staff_client.get(person_url("add", family, child)).status_code == 200
    assert staff_client.post(person_url("add", family, child), PERSON).status_code == 302
    person = AuthorizedPerson.objects.get(last_name="Durand")
    assert (person.family, person.child) == (family, child)
    assert last_entry("authorizedperson").action == AuditEntry.Action.CREATE

    staff_client.post(person_url("edit", family, child, person), {**PERSON, "phone": "0699887766"})
    entry = last_entry("authorizedperson")
    assert entry.changes["phone"] == ["06 11 22 33 44", "06 99 88 77 66"] and entry.family == family

    confirm = staff_client.get(person_url("delete", family, child, person))
    assert confirm.status_code == 200 and "Supprimer Jeanne Durand" in confirm.content.decode()
    assert AuthorizedPerson.objects.filter(pk=person.pk).exists()  # GET deletes nothing
    assert staff_client.post(person_url("delete", family, child, person)).status_code == 302
    assert not AuthorizedPerson.objects.filter(pk=person.pk).exists()
    entry = last_entry("authorizedperson")
    assert entry.action == AuditEntry.Action.DELETE and entry.changes["last_name"] == ["Durand", ""]


def test_authorised_person_must_belong_to_that_household_and_child(staff_client, alice, bob, shared_custody):
    alice_child, bob_child = first_child(alice), first_child(bob)
    alice_person = AuthorizedPerson.objects.filter(family=alice.family, child=alice_child).first()
    other_alice_child = Child.objects.filter(links__family=alice.family).exclude(pk=alice_child.pk).first()
    # Someone else's child with this household, this household's person under its other child, and the
    # other household's entry for a shared child: all 404, GET and POST.
    urls = [
        person_url("add", alice.family, bob_child),
        person_url("edit", alice.family, other_alice_child, alice_person),
        person_url("edit", bob.family, alice_child, alice_person),
        person_url("delete", bob.family, bob_child, alice_person),
        person_url("edit", shared_custody["roux"], shared_custody["jade"], shared_custody["garnier_person"]),
        person_url("delete", shared_custody["roux"], shared_custody["jade"], shared_custody["garnier_person"]),
    ]
    for url in urls:
        assert staff_client.get(url).status_code == 404, url
        assert staff_client.post(url, PERSON).status_code == 404, url
    assert AuthorizedPerson.objects.filter(pk=shared_custody["garnier_person"].pk).exists()


# --- vaccinations ---------------------------------------------------------------------------------------

def test_vaccination_add_edit_delete(staff_client, alice, staff):
    child = first_child(alice)
    add = reverse("backoffice:vaccination_add", args=[child.pk])
    assert staff_client.post(add, {"vaccine": "ROR", "date": "2020-03-02"}).status_code == 302
    vaccination = Vaccination.objects.get(child=child, vaccine="ROR")
    assert last_entry("vaccination").action == AuditEntry.Action.CREATE
    edit = reverse("backoffice:vaccination_edit", args=[child.pk, vaccination.pk])
    staff_client.post(edit, {"vaccine": "ROR", "date": "2020-04-02"})
    assert last_entry("vaccination").changes["date"] == ["02/03/2020", "02/04/2020"]
    delete = reverse("backoffice:vaccination_delete", args=[child.pk, vaccination.pk])
    assert staff_client.get(delete).status_code == 200
    assert staff_client.post(delete).status_code == 302
    assert not Vaccination.objects.filter(pk=vaccination.pk).exists()
    assert last_entry("vaccination").action == AuditEntry.Action.DELETE
    assert HealthAccessLog.objects.filter(user=staff, child=child).count() >= 4


def test_vaccination_of_another_child_is_404(staff_client, alice, bob):
    bob_vaccination = Vaccination.objects.get(child=first_child(bob))
    child = first_child(alice)
    for name in ("vaccination_edit", "vaccination_delete"):
        url = reverse(f"backoffice:{name}", args=[child.pk, bob_vaccination.pk])
        assert staff_client.get(url).status_code == 404
        assert staff_client.post(url, {"vaccine": "X", "date": "2020-01-01"}).status_code == 404
    assert Vaccination.objects.filter(pk=bob_vaccination.pk, vaccine="DTPolio").exists()


def test_vaccination_before_birth_is_refused(staff_client, alice):
    child = first_child(alice)
    response = staff_client.post(reverse("backoffice:vaccination_add", args=[child.pk]),
                                 {"vaccine": "BCG", "date": "2010-01-01"})
    assert response.status_code == 200
    assert "antérieure à la naissance" in html.unescape(response.content.decode())
    assert not Vaccination.objects.filter(vaccine="BCG").exists()


# --- bad input: French message next to the field, what was typed kept, nothing saved ----------------------

def assert_refused(response, message, typed=None):
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert message in body
    assert 'class="error"' in body and 'aria-invalid="true"' in body
    if typed is not None:
        assert f'value="{typed}"' in body


def test_bad_iban_is_refused(staff_client, alice):
    response = staff_client.post(family_edit(alice.family, "bank"),
                                 {"holder": "Claire Alice", "iban": "FR76 3000 6000 0112 3456 7890 188"})
    assert_refused(response, "Cet IBAN n'est pas valide", "FR76 3000 6000 0112 3456 7890 188")
    assert BankAccount.objects.get(family=alice.family).iban == "FR7630006000011234567890189"
    assert not AuditEntry.objects.filter(object_type="bankaccount").exists()


def test_birth_date_in_the_future_is_refused(staff_client, alice):
    child = first_child(alice)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    response = staff_client.post(child_edit(child, "child"), {
        "last_name": child.last_name, "first_name": "Renommé", "birth_date": tomorrow, "sex": "F",
        "diet": "standard"})
    assert_refused(response, "Cette date ne peut pas être dans le futur.", tomorrow)
    assert "Renommé" in response.content.decode()
    assert Child.objects.get(pk=child.pk).first_name == child.first_name


def test_over_long_field_is_refused(staff_client, alice):
    long_name = "N" * 81
    response = staff_client.post(family_edit(alice.family, "guardian1"), {**GUARDIAN, "last_name": long_name})
    assert_refused(response, "au plus 80 caractères", long_name)
    assert Guardian.objects.get(family=alice.family, rank=1).last_name == "Alice"


def test_non_image_photo_is_refused(staff_client, alice):
    child = first_child(alice)
    response = staff_client.post(reverse("backoffice:child_photo_edit", args=[child.pk]),
                                 {"photo": SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", "image/jpeg")})
    assert_refused(response, "Ce fichier n'est pas une image lisible")
    assert not Child.objects.get(pk=child.pk).photo


def test_tampered_category_and_ids_never_give_a_server_error(staff_client, alice):
    child = first_child(alice)
    assert staff_client.post(child_edit(child, "photo"), {}).status_code == 200  # the photo form, with its error
    assert staff_client.get(f"/gestion/familles/{alice.family_id}/modifier/../").status_code in (301, 302, 404)
    assert staff_client.post(reverse("backoffice:child_link", args=[alice.family_id]),
                             {"child": "abc"}).status_code == 404


# --- the second guardian leaves --------------------------------------------------------------------------

def test_removing_the_second_guardian_closes_their_login_and_is_audited(staff_client, alice):
    family = alice.family
    marc = Guardian.objects.get(family=family, rank=2)
    marc_login = UserFactory(username="famille.marc", role=User.Role.FAMILY, family=family, guardian=marc)
    url = reverse("backoffice:guardian2_remove", args=[family.pk])
    confirm = html.unescape(staff_client.get(url).content.decode())
    assert "famille.marc" in confirm and "Retirer Monsieur Marc Alice du foyer" in confirm
    assert staff_client.post(url).status_code == 302
    assert not Guardian.objects.filter(pk=marc.pk).exists()
    marc_login.refresh_from_db()
    assert not marc_login.is_active
    alice.refresh_from_db()
    assert alice.is_active
    assert last_entry("guardian").action == AuditEntry.Action.DELETE
    assert last_entry("login").changes == {"is_active": ["oui", "non"]}
    assert last_entry("login").action == AuditEntry.Action.LOGIN_CLOSED
    assert staff_client.get(url).status_code == 404  # no second guardian any more


def test_household_reference_must_stay_unique(staff_client, alice, bob):
    response = staff_client.post(family_edit(alice.family, "household"), {
        "reference": bob.family.reference, "address_line1": "1 rue", "postal_code": "83440", "city": "Tourrettes"})
    assert response.status_code == 200
    assert "existe déjà" in html.unescape(response.content.decode())
    alice.family.refresh_from_db()
    assert alice.family.reference != bob.family.reference


def test_shared_childs_edit_page_says_both_households_see_the_change(staff_client, shared_custody):
    jade, roux, garnier = shared_custody["jade"], shared_custody["roux"], shared_custody["garnier"]
    response = staff_client.get(child_edit(jade, "child") + f"?foyer={garnier.pk}")
    body = html.unescape(response.content.decode())
    assert f"Fiche commune aux foyers {roux.reference}, {garnier.reference}" in body
    assert f'href="/gestion/familles/{garnier.pk}/#enfant-{jade.pk}"' in body  # back to the household it came from


def test_saving_a_form_keeps_a_field_changed_meanwhile_outside_it(staff, alice):
    # Bug: the whole row was written back, so a field the form does not hold got its stale value again.
    from enfance.families import services
    from enfance.families.forms import HouseholdForm

    family = Family.objects.get(pk=alice.family_id)
    form = HouseholdForm({"address_line1": "2 place de la Mairie", "postal_code": "83440", "city": "Tourrettes"},
                         instance=family)
    assert form.is_valid()
    Family.objects.filter(pk=family.pk).update(dossier_received_on=datetime.date(2026, 10, 2))  # another agent
    services.save_record(form, actor=staff, family=family)
    family.refresh_from_db()
    assert family.address_line1 == "2 place de la Mairie"
    assert family.dossier_received_on == datetime.date(2026, 10, 2)
