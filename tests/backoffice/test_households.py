"""Creating a household, adding and linking children, archiving."""


from django.urls import reverse

from enfance.accounts.models import User
from enfance.core.models import AuditEntry
from enfance.families.models import AuthorizedPerson, Child, ChildLink, Family, Guardian, HealthRecord
from tests.factories import ChildFactory, make_household
from tests.helpers import text

HOUSEHOLD = {"foyer-reference": "", "foyer-address_line1": "3 impasse des Pins", "foyer-postal_code": "83440",
             "foyer-city": "Tourrettes", "foyer-dossier_received_on": ""}
GUARDIAN = {"responsable-civility": "MME", "responsable-last_name": "Nouvelle", "responsable-first_name": "Inès",
            "responsable-email": "ines@example.org", "responsable-mobile_phone": ""}
CHILD = {"last_name": "Nouvelle", "first_name": "Tom", "birth_date": "2019-02-03", "sex": "M", "diet": "no_pork"}


def test_create_household_with_its_main_guardian(staff_client, staff):
    url = reverse("backoffice:family_create")
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {**HOUSEHOLD, **GUARDIAN})
    family = Family.objects.get(address_line1="3 impasse des Pins")
    assert response.status_code == 302 and response.url == reverse("backoffice:family", args=[family.pk])
    assert family.reference.startswith("F")
    guardian = Guardian.objects.get(family=family)
    assert guardian.rank == 1 and guardian.first_name == "Inès"
    assert AuditEntry.objects.filter(family=family, action="create", actor=staff).count() == 2


def test_create_household_with_bad_input_keeps_both_forms(staff_client):
    response = staff_client.post(reverse("backoffice:family_create"), {
        **HOUSEHOLD, "foyer-postal_code": "834", **GUARDIAN, "responsable-email": ""})
    body = text(response)
    assert response.status_code == 200
    assert "Le code postal compte 5 chiffres." in body
    assert "Indiquez au moins un téléphone portable ou une adresse électronique." in body
    assert 'value="3 impasse des Pins"' in body and 'value="Inès"' in body
    assert not Family.objects.exists()


def test_create_household_refuses_a_reference_already_used(staff_client, alice):
    response = staff_client.post(reverse("backoffice:family_create"), {
        **HOUSEHOLD, "foyer-reference": alice.family.reference, **GUARDIAN})
    assert response.status_code == 200
    assert Family.objects.count() == 1


def test_add_a_child_to_a_household(staff_client, alice, staff):
    family = alice.family
    url = reverse("backoffice:child_add", args=[family.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, CHILD)
    child = Child.objects.get(first_name="Tom")
    assert response.status_code == 302
    assert ChildLink.objects.filter(family=family, child=child).exists()
    assert HealthRecord.objects.filter(child=child).exists()
    entry = AuditEntry.objects.get(object_type="child", action="create", child=child)
    assert entry.family == family and entry.actor == staff


def test_add_child_with_future_birth_date_is_refused(staff_client, alice):
    response = staff_client.post(reverse("backoffice:child_add", args=[alice.family_id]),
                                 {**CHILD, "birth_date": "2099-01-01"})
    assert response.status_code == 200
    assert "Cette date ne peut pas être dans le futur." in text(response)
    assert not Child.objects.filter(first_name="Tom").exists()


def test_link_an_existing_child_to_a_second_household(staff_client, alice, bob):
    child = Child.objects.filter(links__family=alice.family).first()
    url = reverse("backoffice:child_link", args=[bob.family_id])
    response = staff_client.get(url, {"q": f"{child.first_name} alice"})
    assert response.status_code == 200
    assert [c.pk for c in response.context["results"]] == [child.pk]
    assert alice.family.reference in text(response)
    # Children already in this household are not offered.
    assert staff_client.get(url, {"q": "bob"}).context["results"] == []
    response = staff_client.post(url, {"child": child.pk})
    assert response.status_code == 302
    assert set(child.links.values_list("family_id", flat=True)) == {alice.family_id, bob.family_id}
    entry = AuditEntry.objects.filter(object_type="child", family=bob.family).latest("id")
    assert entry.changes == {"foyer": ["", bob.family.reference]}
    body = text(staff_client.get(reverse("backoffice:family", args=[bob.family_id])))
    assert "Garde partagée" in body and alice.family.reference in body


def test_link_refuses_an_unknown_child(staff_client, bob):
    assert staff_client.post(reverse("backoffice:child_link", args=[bob.family_id]),
                             {"child": "999999"}).status_code == 404


# --- archiving ------------------------------------------------------------------------------------------

def archive(client, family, reason="Déménagement à Lyon"):
    return client.post(reverse("backoffice:family_archive", args=[family.pk]), {"reason": reason})


def test_archive_needs_a_reason_and_a_confirmation(staff_client, alice):
    url = reverse("backoffice:family_archive", args=[alice.family_id])
    confirm = text(staff_client.get(url))
    assert "famille.alice" in confirm and "Archiver le foyer" in confirm
    response = archive(staff_client, alice.family, reason="")
    assert response.status_code == 200 and "Ce champ est obligatoire." in text(response)
    assert Family.objects.get(pk=alice.family_id).archived_at is None


def test_archiving_closes_logins_and_dates_the_household(staff_client, alice, staff):
    assert archive(staff_client, alice.family).status_code == 302
    family = Family.objects.get(pk=alice.family_id)
    assert family.archived_at is not None and family.archive_reason == "Déménagement à Lyon"
    assert not User.objects.get(pk=alice.pk).is_active
    assert AuditEntry.objects.filter(family=family, action="archive", actor=staff).exists()
    body = text(staff_client.get(reverse("backoffice:family", args=[family.pk])))
    assert "Foyer archivé le" in body and "Déménagement à Lyon" in body
    assert reverse("backoffice:family_edit", args=[family.pk, "donnees-fiscales"]) not in body
    assert "Modifier" not in body


def test_archived_household_refuses_every_edit(staff_client, alice):
    archive(staff_client, alice.family)
    family = Family.objects.get(pk=alice.family_id)
    child = Child.objects.filter(links__family=family).first()
    person = AuthorizedPerson.objects.filter(family=family, child=child).first()
    before = AuditEntry.objects.count()
    posts = [
        (reverse("backoffice:family_edit", args=[family.pk, "adresse"]), {"address_line1": "Ailleurs"}),
        (reverse("backoffice:family_edit", args=[family.pk, "donnees-fiscales"]), {"year": "2024", "reference_income": "1",
                                                                       "tax_shares": "1"}),
        (reverse("backoffice:guardian2_remove", args=[family.pk]), {}),
        (reverse("backoffice:child_add", args=[family.pk]), CHILD),
        (reverse("backoffice:child_link", args=[family.pk]), {"child": child.pk}),
        (reverse("backoffice:authorized_person_add", args=[family.pk, child.pk]), {"last_name": "X"}),
        (reverse("backoffice:authorized_person_delete", args=[family.pk, child.pk, person.pk]), {}),
        (reverse("backoffice:child_edit", args=[child.pk, "donnees-complementaires"]), CHILD),
        (reverse("backoffice:child_edit", args=[child.pk, "donnees-sanitaires"]), {"doctor_name": "X"}),
        (reverse("backoffice:child_photo_edit", args=[child.pk]), {}),
        (reverse("backoffice:vaccination_add", args=[child.pk]), {"vaccine": "X", "date": "2020-01-01"}),
        (reverse("backoffice:family_login_create", args=[family.pk]), {"username": "famille.x"}),
        (reverse("backoffice:family_archive", args=[family.pk]), {"reason": "encore"}),
    ]
    for url, data in posts:
        for response in (staff_client.get(url), staff_client.post(url, data)):
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("backoffice:family", args=[family.pk])), url
    assert AuditEntry.objects.count() == before
    assert AuthorizedPerson.objects.filter(pk=person.pk).exists()
    response = staff_client.get(reverse("backoffice:family_edit", args=[family.pk, "donnees-fiscales"]), follow=True)
    assert "Ce foyer est archivé : son dossier ne peut plus être modifié." in text(response)


def test_child_shared_with_an_active_household_stays_editable(staff_client, shared_custody):
    archive(staff_client, shared_custody["garnier"])
    jade = shared_custody["jade"]
    response = staff_client.post(reverse("backoffice:child_edit", args=[jade.pk, "donnees-complementaires"]), {
        "last_name": "Roux", "first_name": "Jade", "birth_date": "2018-05-04", "sex": "F", "diet": "standard"})
    assert response.status_code == 302
    assert Child.objects.get(pk=jade.pk).first_name == "Jade"
    # The archived household's own entries stay read-only.
    person = shared_custody["garnier_person"]
    url = reverse("backoffice:authorized_person_delete", args=[shared_custody["garnier"].pk, jade.pk, person.pk])
    staff_client.post(url)
    assert AuthorizedPerson.objects.filter(pk=person.pk).exists()


def test_archived_households_children_are_not_counted_on_the_dashboard(staff_client, alice, bob):
    archive(staff_client, bob.family)
    ChildFactory(family=alice.family)
    assert staff_client.get(reverse("backoffice:home")).context["children_count"] == 3


def test_archived_household_search_still_finds_it_with_the_filter(staff_client, db):
    family, _, _ = make_household("Parti", children=1)
    archive(staff_client, family)
    response = staff_client.get(reverse("backoffice:families"), {"q": "parti", "archived": "on"})
    assert [f.pk for f in response.context["page"].object_list] == [family.pk]


def test_archiving_closes_each_login_with_its_own_journal_line(staff_client, alice, staff):
    archive(staff_client, alice.family)
    entry = AuditEntry.objects.get(object_type="login", action=AuditEntry.Action.LOGIN_CLOSED)
    assert entry.family == alice.family and entry.actor == staff and entry.object_id == str(alice.pk)
    assert entry.note == "identifiant famille.alice fermé : foyer archivé"
    assert "(1 identifiant fermé)" in AuditEntry.objects.get(action=AuditEntry.Action.ARCHIVE).note
