"""A broadcast to the households of an activity (to announce a closure): a child registered to it, or, for an
activity booked without registration, booked from today on. Never another activity's households, never an
archived household; both households of a child in shared custody."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from enfance.activities.catalogue import create_catalogue
from enfance.activities.models import Booking, Registration
from enfance.families.models import ChildLink
from enfance.messaging import services
from enfance.messaging.models import Broadcast, Thread
from tests.factories import make_household
from tests.helpers import text

pytestmark = pytest.mark.django_db

ACTIVITY = Broadcast.Audience.ACTIVITY


def _days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def _register(child, family, activity, first, last):
    return Registration.objects.create(child=child, family=family, activity=activity, first_day=first, last_day=last)


def _book(child, family, activity, day, state=Booking.State.BOOKED):
    unit = activity.units.order_by("pk").first()
    return Booking.objects.create(child=child, family=family, unit=unit, day=day, state=state,
                                  waiting_position=1 if state == Booking.State.WAITING else None)


@pytest.fixture
def world():
    catalogue = create_catalogue()
    holidays, wednesday, canteen = catalogue["holidays"], catalogue["wednesday"], catalogue["canteen_e"]
    households = {}
    for name in ("Inscrit", "Partage", "Ancien", "Autre", "Archive", "Mercredi", "Attente", "Passe", "Annule"):
        households[name] = make_household(name, children=1 if name != "Partage" else 0)
    child = {name: kids[0] for name, (_, _, kids) in households.items() if kids}
    family = {name: fam for name, (fam, _, _) in households.items()}
    # Registered to the holidays until later (shared custody: Partage's home too), one whose registration ended
    # yesterday, one registered to another activity, an archived household registered.
    _register(child["Inscrit"], family["Inscrit"], holidays, _days(-30), _days(60))
    ChildLink.objects.create(family=family["Partage"], child=child["Inscrit"])
    _register(child["Ancien"], family["Ancien"], holidays, _days(-60), _days(-1))
    _register(child["Autre"], family["Autre"], wednesday, _days(-30), _days(60))
    _book(child["Autre"], family["Autre"], canteen, _days(3))
    _register(child["Archive"], family["Archive"], holidays, _days(-30), _days(60))
    family["Archive"].archived_at = timezone.now()
    family["Archive"].save(update_fields=["archived_at"])
    # The Wednesdays, booked without registration: booked or waiting from today on; past and cancelled are not.
    _book(child["Mercredi"], family["Mercredi"], wednesday, _days(0))
    _book(child["Attente"], family["Attente"], wednesday, _days(7), state=Booking.State.WAITING)
    _book(child["Passe"], family["Passe"], wednesday, _days(-1))
    _book(child["Annule"], family["Annule"], wednesday, _days(7), state=Booking.State.CANCELLED)
    _book(child["Archive"], family["Archive"], wednesday, _days(7))
    return {"catalogue": catalogue, "family": family}


def _names(families):
    return sorted(f.guardians.get(rank=1).last_name for f in families)


def test_an_activity_with_registration_reaches_its_registered_households_only(world):
    holidays = world["catalogue"]["holidays"]
    assert holidays.needs_registration
    reached = services.audience_families(ACTIVITY, activity=holidays)
    assert _names(reached) == ["Inscrit", "Partage"]  # not Ancien (ended), Autre (another activity), Archive


def test_an_activity_without_registration_reaches_the_households_booked_from_today(world):
    wednesday = world["catalogue"]["wednesday"]
    assert not wednesday.needs_registration
    reached = services.audience_families(ACTIVITY, activity=wednesday)
    # Autre is registered to it, but the Wednesdays go by bookings; Archive booked, but archived.
    assert _names(reached) == ["Attente", "Mercredi"]
    canteen = world["catalogue"]["canteen_e"]
    assert _names(services.audience_families(ACTIVITY, activity=canteen)) == ["Autre"]
    assert _names(services.audience_families(ACTIVITY, activity=world["catalogue"]["morning"])) == []


def test_no_activity_reaches_nobody(world):
    assert not services.audience_families(ACTIVITY, activity=None).exists()


def test_staff_see_then_send_a_broadcast_to_an_activity(staff_client, world, django_capture_on_commit_callbacks):
    holidays = world["catalogue"]["holidays"]
    data = {"audience": "activity", "activity": str(holidays.pk), "school": "École oubliée", "school_class": "",
            "subject": "Centre fermé", "body": "Le centre de loisirs est fermé lundi.", "topic": ""}
    response = staff_client.post(reverse("backoffice:broadcast_new"), {**data, "etape": "apercu"})
    assert response.status_code == 200
    assert (response.context["households"], response.context["logins"]) == (2, 2)
    page = text(response)
    assert "2 foyers recevront ce message" in page and holidays.name in page
    audience = page.split('id="audience-title"')[1].split("</section>")[0]
    assert f"Les foyers d'un enfant inscrit à une activité : {holidays.name}" in audience
    assert "École oubliée" not in audience  # typed before the activity was ticked: not kept
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("backoffice:broadcast_new"), {**data, "etape": "envoyer"})
    assert response.status_code == 302
    broadcast = Broadcast.objects.get()
    assert (broadcast.audience, broadcast.activity, broadcast.school) == (ACTIVITY, holidays, "")
    assert broadcast.state == Broadcast.State.SENT and broadcast.households_count == 2
    family = world["family"]
    assert sorted(Thread.objects.filter(broadcast=broadcast).values_list("family_id", flat=True)) == sorted(
        [family["Inscrit"].pk, family["Partage"].pk])
    for other in ("Ancien", "Autre", "Archive", "Mercredi", "Attente"):
        assert not Thread.objects.filter(broadcast=broadcast, family=family[other]).exists(), other
    listing = text(staff_client.get(reverse("backoffice:broadcasts")))
    assert f"Activité : {holidays.name}" in listing


def test_the_activity_is_chosen_on_the_server_from_the_list(staff_client, world):
    url = reverse("backoffice:broadcast_new")
    data = {"audience": "activity", "subject": "Fermeture", "body": "Fermé lundi.", "topic": "", "etape": "apercu"}
    response = staff_client.post(url, {**data, "activity": ""})
    assert "Choisissez l'activité." in text(response) and "households" not in response.context
    for hostile in ("987654321", "abc", "9" * 40, "-1"):
        response = staff_client.post(url, {**data, "activity": hostile})
        assert response.status_code == 200, hostile
        assert "Choisissez une activité de la liste." in text(response), hostile
    # An activity nobody is concerned by: said next to the field, nothing sent.
    response = staff_client.post(url, {**data, "activity": str(world["catalogue"]["morning"].pk)})
    assert "aucun enfant n'est inscrit à cette activité" in text(response)
    assert not Broadcast.objects.exists()


def test_another_audience_keeps_no_activity(staff_client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("backoffice:broadcast_new"), {
            "audience": "all", "activity": str(world["catalogue"]["holidays"].pk), "subject": "Info",
            "body": "Pour tous.", "topic": "", "etape": "envoyer"})
    broadcast = Broadcast.objects.get()
    assert broadcast.activity is None
    assert broadcast.households_count == 8  # every open household (Archive aside)


def test_the_broadcast_form_offers_every_activity(staff_client, world):
    page = text(staff_client.get(reverse("backoffice:broadcast_new")))
    assert "Les foyers d'un enfant inscrit à une activité" in page
    for activity in world["catalogue"].values():
        assert activity.name in page
