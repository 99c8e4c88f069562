"""The dossier to print and sign: blank (the public pre-registration form on paper), a pending pre-registration's,
a household's own."""

import pytest
from django.urls import reverse

from enfance.families.application_forms import (
    ApplicationChildForm,
    ApplicationHouseholdForm,
    MainGuardianForm,
    SecondGuardianForm,
)
from enfance.families.models import NewHouseholdApplication
from tests.conftest import login_client

from .pdf import text

pytestmark = pytest.mark.django_db

SIGNING = ["Je certifie exacts les renseignements", "Fait à", "Signature du responsable",
           "Signature du second responsable", "Pièces à déposer en mairie"]


def test_the_blank_form_is_public_and_has_every_field_of_the_public_form(client, settings):
    settings.SITE_URL = "https://portail.tourrettes.example"
    response = client.get(reverse("public:apply_form_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="fiche-de-pre-inscription.pdf"'
    assert response["Cache-Control"] == "public, max-age=3600"  # nobody's data in it
    body = text(response.content)
    for form in (ApplicationHouseholdForm, MainGuardianForm, SecondGuardianForm, ApplicationChildForm):
        for field in form().fields.values():
            assert str(field.label)[:1].upper() + str(field.label)[1:] in body, field.label
    for expected in (*SIGNING, "Mairie de Tourrettes", "Fiche de pré-inscription", "Enfant 3", "☐ Madame",
                     "☐ Sans porc", "Droit à l'image accordé", "https://portail.tourrettes.example/pre-inscription/"):
        assert expected in body, expected


def test_the_public_pre_registration_page_offers_the_blank_form(client):
    assert reverse("public:apply_form_pdf") in client.get(reverse("public:apply")).content.decode()


def test_a_household_prints_its_own_dossier(client, alice, bob):
    family = alice.family
    login_client(client, alice)
    assert reverse("portal:dossier") in client.get(reverse("portal:information")).content.decode()
    response = client.get(reverse("portal:dossier"))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == f'inline; filename="dossier-{family.reference.lower()}.pdf"'
    body = text(response.content)
    persons = [f"{p.first_name} {p.last_name}" for p in family.authorized_persons.all()]
    for expected in (*SIGNING, "Dossier d'inscription", f"Dossier n° {family.reference}", family.address_line1,
                     "Claire Alice", "Marc Alice", "alice@example.org", "Enfant1", "Enfant2", "Enfant 2", *persons):
        assert expected in body, expected
    # No fiscal, C.A.F., bank or health data; nothing of Bob's household.
    for absent in (family.bank_account.iban, "32000", family.caf_info.allocataire_number, "Arachide",
                   "Dr Martin", bob.family.reference, "Bob"):
        assert absent not in body, absent


def test_in_shared_custody_the_dossier_names_the_households_own_persons(client, shared_custody):
    login_client(client, shared_custody["garnier"].logins.get())
    body = text(client.get(reverse("portal:dossier")).content)
    assert "Papy Garnier" in body, body
    assert shared_custody["jade"].first_name in body
    assert "Mamie Roux" not in body and shared_custody["roux"].reference not in body


def test_staff_print_any_households_dossier_leaders_none(client, staff, leader, alice):
    url = reverse("backoffice:family_dossier", args=[alice.family_id])
    login_client(client, staff)
    assert reverse("backoffice:family_dossier", args=[alice.family_id]) in client.get(
        reverse("backoffice:family", args=[alice.family_id])).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and f"Dossier n° {alice.family.reference}" in text(response.content)
    login_client(client, leader)
    assert client.get(url).status_code == 403


def test_a_pending_pre_registration_prints_filled_in_then_no_longer(client, staff):
    """What a stranger typed on the public page is data, never Typst source."""
    application = NewHouseholdApplication.objects.create(contact_email="n@example.org", payload={
        "household": {"address_line1": "5 rue du Lavoir", "address_line2": "", "postal_code": "83440",
                      "city": "Tourrettes", "home_phone": ""},
        "guardians": [{"civility": "MME", "last_name": "Nouvelle", "first_name": "Anne", "email": "n@example.org",
                       "mobile_phone": "06 10 20 30 40"}],
        "children": [{"last_name": '#panic("x")', "first_name": "*Lou* $1$", "birth_date": "2019-02-03",
                      "sex": "F", "diet": "no_pork"}],
    })
    url = reverse("backoffice:application_dossier", args=[application.pk])
    login_client(client, staff)
    assert url in client.get(reverse("backoffice:application", args=[application.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="pre-inscription-{application.pk}.pdf"'
    body = text(response.content)
    for expected in (*SIGNING, f"Pré-inscription n° {application.pk}", "5 rue du Lavoir", "Madame", "Nouvelle",
                     "n@example.org", '#panic("x")', "*Lou* $1$", "03/02/2019", "Fille", "Sans porc",
                     "Signature du responsable Anne Nouvelle"):
        assert expected in body, expected
    application.status = NewHouseholdApplication.Status.REJECTED
    application.save()
    assert client.get(url).status_code == 404
