"""The attendance sheet's pages: a leader fills only the sheets of the activities they lead, without
JavaScript (one small form per action, back to the child's card), health details logged, never a 500."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from enfance.activities.catalogue import create_catalogue
from enfance.activities.models import Absence, Attendance, Booking
from enfance.core.models import HealthAccessLog
from tests.factories import AuthorizedPersonFactory, HealthRecordFactory, UserFactory, make_household
from tests.helpers import text
from tests.url_table import MISSING_ID, give_photo

from .conftest import client_for, count_queries

pytestmark = pytest.mark.django_db

Status = Attendance.Status


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def catalogue(today):
    return create_catalogue(today)


@pytest.fixture
def evening(catalogue):
    return catalogue["evening"]


@pytest.fixture
def unit(evening):
    return evening.units.get()


@pytest.fixture
def rightful(evening):
    leader = UserFactory(username="animatrice.soir", role="leader")
    evening.leaders.add(leader)
    return leader


@pytest.fixture
def other_leader(catalogue):
    leader = UserFactory(username="animateur.cantine", role="leader")
    catalogue["canteen_e"].leaders.add(leader)
    return leader


@pytest.fixture
def booked(unit, today):
    """The Martin household's two children, booked for this evening; Léa has an allergy and a PAI."""
    family, _login, (lea, tom) = make_household("Martin", children=2)
    lea.first_name = "Léa"
    lea.save()
    lea.health.allergies = "Arachide et fruits à coque"
    lea.health.has_pai = True
    lea.health.pai_details = "Stylo d'adrénaline dans le sac"
    lea.health.save()
    tom.health.allergies = ""
    tom.health.save()
    give_photo(lea)
    for child in (lea, tom):
        Booking.objects.create(child=child, family=family, unit=unit, day=today, state=Booking.State.BOOKED)
    return family, lea, tom


def sheet_url(activity, day, **query):
    url = reverse("backoffice:attendance_sheet", kwargs={"activity_id": activity.pk, "day": day.isoformat()})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_leader_sees_the_sheet_with_flags_but_no_health_text(rightful, evening, booked, today):
    _family, lea, tom = booked
    response = client_for(rightful).get(sheet_url(evening, today))
    assert response.status_code == 200
    page = text(response)
    assert "Léa Martin" in page and "Enfant2 Martin" in page
    assert reverse("backoffice:child_photo", args=[lea.pk]) in page
    health = reverse("backoffice:attendance_health", args=[evening.pk, today.isoformat(), lea.pk])
    assert health in page
    assert reverse("backoffice:attendance_health", args=[evening.pk, today.isoformat(), tom.pk]) not in page
    assert "Arachide" not in page and "adrénaline" not in page  # flags only: the details are logged
    assert not HealthAccessLog.objects.exists()
    assert "Qui peut venir chercher Léa" in page and "Claire" in page  # the guardian
    assert 'type="submit" name="status" value="present"' in page


def test_a_leader_of_another_activity_gets_404_like_a_missing_sheet(other_leader, evening, booked, unit, today):
    _family, lea, _tom = booked
    client = client_for(other_leader)
    day = today.isoformat()
    for name, args in (("backoffice:attendance_sheet", []), ("backoffice:attendance_add", []),
                       ("backoffice:attendance_health", [lea.pk])):
        foreign = client.get(reverse(name, args=[evening.pk, day, *args]))
        missing = client.get(reverse(name, args=[MISSING_ID, day, *args]))
        assert foreign.status_code == missing.status_code == 404, name
        assert foreign.content == missing.content
    response = client.post(sheet_url(evening, today), {"child": lea.pk, "unit": unit.pk, "status": "present"})
    assert response.status_code == 404
    assert not Attendance.objects.exists() and not HealthAccessLog.objects.exists()
    # The entry page offers only their own activity.
    page = text(client.get(reverse("backoffice:attendance")))
    assert "Restauration scolaire – élémentaire" in page and "Accueil du soir" not in page


def test_marking_present_comes_back_to_the_childs_card_and_persists(rightful, evening, booked, unit, today):
    _family, lea, _tom = booked
    client = client_for(rightful)
    url = sheet_url(evening, today)
    for _tap in range(2):  # a second tap changes nothing
        response = client.post(url, {"child": lea.pk, "unit": unit.pk, "status": "present"})
        assert response.status_code == 302
        assert response["Location"] == f"{url}#enfant-{lea.pk}"
    row = Attendance.objects.get()
    assert (row.child, row.status, row.recorded_by, row.booking.child) == (lea, Status.PRESENT, rightful, lea)
    page = text(client.get(url))
    assert re.search(r'value="present" class="mark mark-present" aria-pressed="true"', page)


def test_bad_posts_get_a_404_or_a_french_message_never_a_500(rightful, evening, booked, unit, today, catalogue):
    _family, lea, _tom = booked
    client = client_for(rightful)
    url = sheet_url(evening, today)
    stranger_family, _login, (stranger,) = make_household("Inconnu", children=1)
    canteen_unit = catalogue["canteen_e"].units.get()
    for data in ({"child": stranger.pk, "unit": unit.pk, "status": "present"},
                 {"child": MISSING_ID, "unit": unit.pk, "status": "present"},
                 {"child": lea.pk, "unit": canteen_unit.pk, "status": "present"},
                 {"child": "abc", "unit": unit.pk, "status": "present"},
                 {"child": lea.pk, "unit": "9" * 40, "status": "present"},
                 {"child": lea.pk, "unit": unit.pk, "action": "remove"}):  # booked: not removable
        assert client.post(url, data).status_code == 404, data
    response = client.post(url, {"child": lea.pk, "unit": unit.pk, "status": "bientôt"})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode() and "Choisissez présent ou absent." in text(response)
    assert not Attendance.objects.exists()
    for bad in ("not-a-day", "2026-02-30"):
        assert client.get(reverse("backoffice:attendance_sheet", args=[evening.pk, bad])).status_code == 404
    assert client.get(url + "?site=abc").status_code == 404
    assert client.get(url + f"?groupe={catalogue['wednesday'].groups.first().pk}").status_code == 404


def test_departure_with_an_allowed_person_and_errors_next_to_the_fields(rightful, evening, booked, unit, today):
    family, lea, _tom = booked
    AuthorizedPersonFactory(family=family, child=lea, first_name="Hugo", last_name="Bastide", can_pick_up=False,
                            is_forbidden=True)
    client = client_for(rightful)
    url = sheet_url(evening, today)
    client.post(url, {"child": lea.pk, "unit": unit.pk, "status": "present"})
    key = f"{lea.pk}-{unit.pk}"
    response = client.post(url, {"child": lea.pk, "unit": unit.pk, "action": "depart", "departed_at": "25:99",
                                 "collected_by": "Claire Martin"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<p class="error" id="error-{key}">' in body and "Indiquez l&#x27;heure de départ" in body
    assert re.search(rf'id="departed-{key}"[^>]*aria-invalid="true"', body)
    response = client.post(url, {"child": lea.pk, "unit": unit.pk, "action": "depart", "departed_at": "00:05",
                                 "collected_by": "Hugo Bastide"})
    assert "Hugo Bastide n'est pas autorisé(e) à venir chercher Léa." in text(response)
    assert "Interdit de venir le chercher" in text(response)
    guardian = family.guardians.get(rank=1)
    name = f"{guardian.first_name} {guardian.last_name}"
    response = client.post(url, {"child": lea.pk, "unit": unit.pk, "action": "depart", "departed_at": "00:05",
                                 "collected_by": name})
    assert response.status_code == 302 and response["Location"].endswith(f"#enfant-{lea.pk}")
    row = Attendance.objects.get()
    assert (row.status, row.departed_at, row.collected_by) == (Status.PRESENT, datetime.time(0, 5), name)
    assert f"parti(e) à 00:05 ({name})" in text(client.get(url))


def test_the_health_details_open_on_a_logged_page(rightful, evening, booked, today):
    _family, lea, _tom = booked
    client = client_for(rightful)
    url = reverse("backoffice:attendance_health", args=[evening.pk, today.isoformat(), lea.pk])
    page = text(client.get(url))
    assert "Arachide et fruits à coque" in page and "Stylo d'adrénaline dans le sac" in page
    log = HealthAccessLog.objects.get()
    assert (log.user, log.child, log.path) == (rightful, lea, url)
    # A child who is not on the sheet: 404, nothing logged.
    _other, _login, (stranger,) = make_household("Dupuis", children=1)
    assert client.get(reverse("backoffice:attendance_health", args=[evening.pk, today.isoformat(),
                                                                   stranger.pk])).status_code == 404
    assert HealthAccessLog.objects.count() == 1


def test_no_medical_certificate_on_the_sheet(rightful, evening, booked, today):
    _family, lea, _tom = booked
    booking = Booking.objects.get(child=lea)
    Absence.objects.create(booking=booking, reason=Absence.Reason.ILLNESS, note="Gastro-entérite",
                           declared_at=timezone.now(), certificate_received_at=timezone.now())
    page = text(client_for(rightful).get(sheet_url(evening, today)))
    assert "Absence signalée par la famille" in page
    assert "Gastro" not in page and "certificat" not in page.lower()


def test_present_without_a_booking_by_name(rightful, evening, booked, unit, today):
    family, lea, _tom = booked
    sister = family.children.create(last_name="Martin", first_name="Zoé", birth_date=datetime.date(2019, 1, 2),
                                    sex="F")
    HealthRecordFactory(child=sister, allergies="")
    client = client_for(rightful)
    add = reverse("backoffice:attendance_add", args=[evening.pk, today.isoformat()])
    page = text(client.get(add + "?q=zoe"))
    assert "Zoé Martin" in page and "Ajouter Zoé (présent sans réservation)" in page
    assert "Léa est déjà sur la feuille" in text(client.get(add + "?q=lea martin"))
    response = client.post(add, {"child": sister.pk})
    assert response.status_code == 302 and response["Location"].endswith(f"#enfant-{sister.pk}")
    assert Attendance.objects.get(child=sister).status == Status.UNBOOKED
    page = text(client.get(sheet_url(evening, today)))
    assert "Présent(e) sans réservation" in page and "Retirer de la feuille" in page
    _other, _login, (stranger,) = make_household("Dupuis", children=1)
    assert client.post(add, {"child": stranger.pk}).status_code == 404
    assert client.post(add, {"child": "x"}).status_code == 404
    # Taken off the sheet again.
    response = client.post(sheet_url(evening, today), {"child": sister.pk, "unit": unit.pk, "action": "remove"})
    assert response.status_code == 302 and not Attendance.objects.filter(child=sister).exists()


def test_the_entry_page_chooses_a_sheet(rightful, evening, catalogue, today):
    client = client_for(rightful)
    entry = reverse("backoffice:attendance")
    page = text(client.get(entry))
    assert sheet_url(evening, today) in page
    response = client.get(entry, {"activity": evening.pk, "day": today.isoformat()})
    assert response.status_code == 302 and response["Location"] == sheet_url(evening, today)
    agent = client_for(UserFactory(role="agent"))
    wednesday = catalogue["wednesday"]
    group = catalogue["holidays"].groups.first()
    response = agent.get(entry, {"activity": wednesday.pk, "group": group.pk, "day": "31/02/2026"})
    page = text(response)
    assert response.status_code == 200
    assert "Ce groupe n'est pas un groupe de Mercredis loisirs." in page
    assert "Indiquez une date valide" in page
    # A leader cannot open another activity's sheet through the form either.
    response = client.get(entry, {"activity": wednesday.pk, "day": today.isoformat()})
    assert response.status_code == 200 and "Choisissez une activité de la liste." in text(response)
    little = wednesday.groups.get(name__startswith="Maternelles")
    response = agent.get(entry, {"activity": wednesday.pk, "group": little.pk, "day": today.isoformat()})
    assert response["Location"] == sheet_url(wednesday, today, groupe=little.pk)


def test_agents_fill_every_sheet(evening, booked, unit, today):
    _family, lea, _tom = booked
    agent = UserFactory(role="agent")
    response = client_for(agent).post(sheet_url(evening, today), {"child": lea.pk, "unit": unit.pk,
                                                                  "status": "absent"})
    assert response.status_code == 302
    assert Attendance.objects.get().status == Status.ABSENT


def test_the_sheet_page_does_not_grow_with_its_children(rightful, evening, unit, today):
    client = client_for(rightful)

    def add(n, tag):
        for i in range(n):
            family, _login, (child,) = make_household(f"{tag}{i}", children=1)
            give_photo(child)
            Booking.objects.create(child=child, family=family, unit=unit, day=today, state=Booking.State.BOOKED)
            if i % 2:
                Attendance.objects.create(child=child, unit=unit, day=today, status=Status.PRESENT,
                                          departed_at=datetime.time(0, 1), collected_by="X")

    add(2, "Peu")
    few = count_queries(lambda: client.get(sheet_url(evening, today)))
    add(5, "Beaucoup")
    assert count_queries(lambda: client.get(sheet_url(evening, today))) == few


def test_sheet_forms_resist_hostile_values(client, rightful, evening, booked, today):
    from tests.test_hostile_input import crawl, submit_all

    _family, lea, _tom = booked
    Attendance.objects.create(child=lea, unit=evening.units.get(), day=today, status=Status.PRESENT)
    client.force_login(rightful)
    start = [reverse("backoffice:attendance"), sheet_url(evening, today),
             reverse("backoffice:attendance_add", args=[evening.pk, today.isoformat()]) + "?q=martin"]
    pages = crawl(client, start)
    assert submit_all(client, pages) >= 5
