"""The public pre-registration of a new household, and its review by staff."""

import datetime
import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from enfance.accounts.models import User
from enfance.families import applications
from enfance.families.application_forms import SIGNER_SALT
from enfance.families.models import Child, NewHouseholdApplication
from enfance.public.views import SUBMISSIONS_PER_HOUR
from tests.factories import ChildFactory, FamilyFactory


def old_token(seconds=30):
    """A token signed `seconds` ago: a person took that long to fill the page."""
    signer = signing.TimestampSigner(salt=SIGNER_SALT)
    past = signing.b62_encode(int(signer.timestamp() and signing.b62_decode(signer.timestamp())) - seconds)
    payload = f"form{signer.sep}{past}"
    return f"{payload}{signer.sep}{signer.signature(payload)}"


def application_data(**overrides):
    data = {
        "foyer-address_line1": "12 rue des Écoles", "foyer-postal_code": "83440", "foyer-city": "Tourrettes",
        "resp1-civility": "MME", "resp1-last_name": "Nouvelle", "resp1-first_name": "Inès",
        "resp1-email": "ines.nouvelle@example.org", "resp1-mobile_phone": "0611223344",
        "enfant-TOTAL_FORMS": "4", "enfant-INITIAL_FORMS": "0", "enfant-MIN_NUM_FORMS": "1",
        "enfant-MAX_NUM_FORMS": "6",
        "enfant-0-last_name": "Nouvelle", "enfant-0-first_name": "Sacha", "enfant-0-birth_date": "2019-03-02",
        "enfant-0-sex": "M", "enfant-0-diet": "standard",
        "started": old_token(), "website": "",
        # What a browser sends for the untouched child blocks: the selects' defaults.
        **{f"enfant-{i}-diet": "standard" for i in (1, 2, 3)},
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_public_page_says_the_paper_dossier_is_compulsory(client):
    body = client.get(reverse("public:apply")).content.decode()
    assert "dossier papier signé initial reste obligatoire" in body


@pytest.mark.django_db
def test_application_is_filed_and_the_family_gets_the_checklist(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("public:apply"), application_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    application = NewHouseholdApplication.objects.get()
    assert application.payload["children"][0]["first_name"] == "Sacha"
    assert application.payload["guardians"] == [application.payload["guardians"][0]]  # blank second ignored
    assert len(mail.outbox) == 1 and "justificatif de domicile" in mail.outbox[0].body


@pytest.mark.django_db
def test_honeypot_filled_saves_nothing_but_answers_as_usual(client):
    response = client.post(reverse("public:apply"), application_data(website="http://spam.example"))
    assert response.status_code == 302
    assert not NewHouseholdApplication.objects.exists()


@pytest.mark.django_db
def test_too_fast_submission_is_refused_and_keeps_what_was_typed(client):
    token = signing.TimestampSigner(salt=SIGNER_SALT).sign("form")
    response = client.post(reverse("public:apply"), application_data(started=token))
    body = response.content.decode()
    assert response.status_code == 200
    assert "trop vite" in body and 'value="Nouvelle"' in body
    assert not NewHouseholdApplication.objects.exists()


@pytest.mark.django_db
def test_submissions_are_rate_limited(client):
    for _ in range(SUBMISSIONS_PER_HOUR):
        assert client.post(reverse("public:apply"), application_data()).status_code == 302
    response = client.post(reverse("public:apply"), application_data())
    # 429 tells machines the truth; people see the same form, filled in, with the message.
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert NewHouseholdApplication.objects.count() == SUBMISSIONS_PER_HOUR


@pytest.mark.django_db
def test_invalid_attempts_do_not_count_against_the_limit(client):
    for _ in range(SUBMISSIONS_PER_HOUR):
        response = client.post(reverse("public:apply"), application_data(**{"foyer-postal_code": "8344"}))
        assert response.status_code == 200
    assert client.post(reverse("public:apply"), application_data()).status_code == 302
    assert NewHouseholdApplication.objects.count() == 1


@pytest.mark.django_db
def test_the_limit_keeps_everything_typed_and_says_when_to_retry_and_how_to_reach_the_town_hall(client, settings):
    settings.COMMUNE_PHONE = "04 94 00 00 01"
    settings.COMMUNE_EMAIL = "enfance@mairie.example"
    for _ in range(SUBMISSIONS_PER_HOUR):
        client.post(reverse("public:apply"), application_data())
    typed = application_data(**{"foyer-address_line2": "Bâtiment B", "resp1-first_name": "Inès-Marie",
                                "enfant-1-first_name": "Lou", "enfant-1-last_name": "Nouvelle",
                                "enfant-1-birth_date": "2021-07-14", "enfant-1-sex": "F"})
    response = client.post(reverse("public:apply"), typed)
    body = response.content.decode()
    assert response.status_code == 429
    assert "pré-inscription n&#x27;est pas envoyée" in body or "pré-inscription n'est pas envoyée" in body
    assert re.search(r"renvoyez le formulaire dans (60|59) minutes", body)
    for value in ("12 rue des Écoles", "Bâtiment B", "83440", "Inès-Marie", "ines.nouvelle@example.org",
                  "0611223344", "Sacha", "2019-03-02", "Lou", "2021-07-14"):
        assert f'value="{value}"' in body, value
    assert "mairie de Tourrettes" in body
    assert 'href="tel:0494000001"' in body and "enfance@mairie.example" in body
    assert settings.COMMUNE_WEBSITE in body
    assert NewHouseholdApplication.objects.count() == SUBMISSIONS_PER_HOUR


@pytest.mark.django_db
def test_a_limited_visitor_is_told_before_typing_and_a_refused_sending_does_not_count(client):
    from enfance.core import ratelimit

    for _ in range(SUBMISSIONS_PER_HOUR):
        client.post(reverse("public:apply"), application_data())
    page = client.get(reverse("public:apply"))
    assert page.status_code == 200 and "vous pourrez envoyer celle-ci dans" in page.content.decode()
    client.post(reverse("public:apply"), application_data())
    assert ratelimit.count("apply", page.wsgi_request) == SUBMISSIONS_PER_HOUR


@pytest.mark.django_db
def test_errors_are_next_to_the_fields(client):
    response = client.post(reverse("public:apply"), application_data(**{
        "enfant-0-birth_date": "2099-01-01", "foyer-postal_code": "8344", "resp1-email": "",
    }))
    body = response.content.decode()
    assert "ne peut pas être dans le futur" in body
    assert "Le code postal compte 5 chiffres" in body
    assert 'id="id_resp1-email_error"' in body


def _application():
    return NewHouseholdApplication.objects.create(payload={
        "household": {"address_line1": "12 rue des Écoles", "address_line2": "", "postal_code": "83440",
                      "city": "Tourrettes", "home_phone": ""},
        "guardians": [{"civility": "MME", "last_name": "Nouvelle", "first_name": "Inès", "birth_name": "",
                       "relation": "", "email": "ines@example.org", "mobile_phone": "06 11 22 33 44",
                       "work_phone": "", "profession": "", "employer": "", "employer_address": ""}],
        "children": [{"last_name": "Roux", "first_name": "Léo", "birth_date": "2018-05-04", "sex": "M",
                      "school": "", "school_class": "", "diet": "standard"}],
    }, contact_email="ines@example.org")


def test_staff_approval_creates_the_household_and_sends_activation(staff, django_capture_on_commit_callbacks):
    application = _application()
    with django_capture_on_commit_callbacks(execute=True):
        applications.approve_application(application.pk, staff=staff,
                                         dossier_received_on=datetime.date(2026, 11, 20))
    application.refresh_from_db()
    family = application.family
    assert family.dossier_received_on == datetime.date(2026, 11, 20)
    assert family.guardians.get().email == "ines@example.org"
    assert Child.objects.get(links__family=family).first_name == "Léo"
    login = User.objects.get(family=family)
    assert not login.has_usable_password()
    assert any("/activation/" in m.body for m in mail.outbox)


def test_staff_can_link_an_existing_child_instead_of_a_duplicate(staff):
    other = FamilyFactory()
    existing = ChildFactory(last_name="Roux", first_name="Léo", birth_date=datetime.date(2018, 5, 4), family=other)
    application = _application()
    duplicates = applications.likely_duplicates(application)
    assert duplicates[0][1] == [existing]
    applications.approve_application(application.pk, staff=staff, dossier_received_on=datetime.date(2026, 11, 20),
                                     links={0: existing.pk})
    assert Child.objects.filter(first_name="Léo").count() == 1
    application.refresh_from_db()
    assert set(existing.families.all()) == {other, application.family}


def test_review_page_shows_duplicates_and_requires_the_dossier_date(staff_client):
    application = _application()
    ChildFactory(last_name="Roux", first_name="Léo", birth_date=datetime.date(2018, 5, 4), family=FamilyFactory())
    page = staff_client.get(reverse("backoffice:application", args=[application.pk])).content.decode()
    assert "Doublon possible" in page
    response = staff_client.post(reverse("backoffice:application_approve", args=[application.pk]), {})
    assert "La date de réception du dossier papier signé est obligatoire" in response.content.decode()
    assert NewHouseholdApplication.objects.get().is_pending


def test_review_page_shows_dates_and_civility_as_people_read_them(staff_client):
    # Bug: the payload's ISO date and civility code were shown as stored (2018-05-04, MME).
    page = staff_client.get(reverse("backoffice:application", args=[_application().pk])).content.decode()
    assert "04/05/2018" in page and "2018-05-04" not in page
    assert "Madame Inès Nouvelle" in page  # the civility spelt out, not its code MME


def test_reject_needs_a_reason(staff_client):
    application = _application()
    response = staff_client.post(reverse("backoffice:application_reject", args=[application.pk]), {"reason": ""})
    assert "Le motif du refus est obligatoire" in response.content.decode()
    staff_client.post(reverse("backoffice:application_reject", args=[application.pk]), {"reason": "Hors commune"})
    assert NewHouseholdApplication.objects.get().status == "rejected"


def test_a_refused_pre_registration_lands_on_one_summary_and_asks_for_a_child_in_french(client, monkeypatch):
    monkeypatch.setattr("enfance.families.application_forms.MIN_FILL_SECONDS", 0)
    page = client.get(reverse("public:apply")).content.decode()
    assert 'action="/pre-inscription/#erreurs"' in page
    # The optional second guardian shows no "obligatoire" marker.
    second = page[page.index("Conjoint ou second responsable"):page.index("Enfant 1")]
    assert "(obligatoire)" not in second
    response = client.post(reverse("public:apply"), {"enfant-TOTAL_FORMS": "4", "enfant-INITIAL_FORMS": "0",
                                                     "foyer-city": "Tourrettes"})
    body = response.content.decode()
    assert body.count('id="erreurs"') == 1 and body.count('class="form-errors"') <= 2
    assert "Veuillez soumettre" not in body and 'value="Tourrettes"' in body
