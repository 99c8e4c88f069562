"""The calendar's snapshot of the catalogue: what staff change shows on the next page of every process, at once;
a change behind the ORM's back shows after SNAPSHOT_SECONDS at most."""

import datetime
import html

import pytest
from django.core.cache import cache
from django.urls import reverse

from enfance.activities import catalogue, snapshot
from enfance.activities.capacity import set_capacity
from enfance.activities.models import Activity, CalendarPeriod, Place, Unit
from enfance.families.models import Child
from tests.activities.frozen import freeze

pytestmark = pytest.mark.django_db
MONTH = "2026-12"
MONDAY_14 = datetime.date(2026, 12, 14)
MONDAY_7 = datetime.date(2026, 12, 7)


@pytest.fixture
def world(monkeypatch, alice, django_capture_on_commit_callbacks):
    freeze(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):  # committed: the snapshot may keep it
        made = catalogue.create_catalogue(datetime.date(2026, 12, 7))
    Child.objects.update(school=catalogue.PRIMAIRE, school_class="CE1", birth_date=datetime.date(2018, 5, 4))
    return made


def _page(client, alice):
    client.force_login(alice)
    return client.get(reverse("portal:calendar"), {"mois": MONTH}).content.decode()


def test_a_closure_added_by_staff_shows_on_the_next_page(world, client, alice):
    assert "Fermé : Grève" not in _page(client, alice)
    CalendarPeriod.objects.create(kind="closure", label="Grève", first_day=MONDAY_14, last_day=MONDAY_14)
    assert "Fermé : Grève" in _page(client, alice)


def test_a_unit_renamed_and_an_activity_withdrawn_show_on_the_next_page(world, client, alice):
    canteen = Unit.objects.get(activity=world["canteen_e"])
    _page(client, alice)
    canteen.name = "Déjeuner du midi"
    canteen.save(update_fields=["name"])
    assert "Déjeuner du midi" in _page(client, alice)
    evening = world["evening"]
    assert evening.name in _page(client, alice)
    evening.is_active = False
    evening.save(update_fields=["is_active"])
    assert evening.name not in _page(client, alice)


def test_an_uncommitted_change_never_reaches_the_snapshot(world):
    """Read afresh by the connection that made it, kept by nobody until its commit (it may be rolled back)."""
    canteen = Unit.objects.get(activity=world["canteen_e"])
    snapshot.current(MONDAY_14, MONDAY_14)
    canteen.name = "Déjeuner pas encore validé"
    canteen.save(update_fields=["name"])
    assert "Déjeuner pas encore validé" in {u.name for u in snapshot.current(MONDAY_14, MONDAY_14)[0]}
    assert "Déjeuner pas encore validé" not in {u.name for u in snapshot._snapshot["units"]}


def test_a_capacity_set_by_update_replaces_the_version(world, django_user_model, django_capture_on_commit_callbacks):
    staff = django_user_model.objects.create(username="desk", role="admin")
    snapshot.current(MONDAY_14, MONDAY_14)
    before = cache.get(snapshot.VERSION_KEY)
    place = Place.objects.filter(units__activity=world["canteen_e"]).first()
    wanted = place.capacity + 5
    with django_capture_on_commit_callbacks(execute=True):
        set_capacity(place, wanted, actor=staff)
    units, _calendar = snapshot.current(MONDAY_14, MONDAY_14)
    assert cache.get(snapshot.VERSION_KEY) != before
    assert {p.capacity for u in units for p in u.place_list if p.pk == place.pk} == {wanted}


def test_other_processes_reload_after_the_commit_not_only_before_it(world, django_capture_on_commit_callbacks):
    """A process that reloads between the save and the commit reads the old rows under the new token: the token
    is replaced again on commit, so that it does not keep them."""
    activity = Activity.objects.get(pk=world["evening"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        activity.name = "Garderie du soir"
        activity.save(update_fields=["name"])
        in_transaction = cache.get(snapshot.VERSION_KEY)
    assert cache.get(snapshot.VERSION_KEY) != in_transaction


def test_a_change_behind_the_orm_shows_after_the_snapshot_expires(world, monkeypatch):
    canteen = Unit.objects.get(activity=world["canteen_e"])
    snapshot.current(MONDAY_14, MONDAY_14)
    Unit.objects.filter(pk=canteen.pk).update(name="Déjeuner renommé")  # no signal
    names = {u.name for u in snapshot.current(MONDAY_14, MONDAY_14)[0]}
    assert "Déjeuner renommé" not in names
    clock = snapshot.time.monotonic() + snapshot.SNAPSHOT_SECONDS + 1
    monkeypatch.setattr(snapshot.time, "monotonic", lambda: clock)
    assert "Déjeuner renommé" in {u.name for u in snapshot.current(MONDAY_14, MONDAY_14)[0]}


def test_calendars_of_many_spans_stay_bounded(world):
    for offset in range(snapshot.MAX_CALENDARS + 5):
        snapshot.current(MONDAY_14, MONDAY_14 + datetime.timedelta(days=offset))
    assert len(snapshot._snapshot["calendars"]) <= snapshot.MAX_CALENDARS


def test_a_deadline_reached_between_two_pages_locks_the_day_on_the_second(world, client, alice, monkeypatch):
    """The household-independent part of the calendar (deadlines and reasons in words) is kept with the span's
    calendar until the first moment that changes it: here Thursday 10's canteen deadline, Tuesday 8 at 10:00."""
    from enfance.families.access import children_of
    from tests.activities.frozen import MONDAY

    child = children_of(alice.family).order_by("pk").first()
    canteen = Unit.objects.get(activity=world["canteen_e"])
    box = f'value="{child.pk}.{canteen.pk}.20261210"'
    freeze(monkeypatch, MONDAY + datetime.timedelta(days=1, hours=1, minutes=59))  # Tuesday 9:59
    assert box in _page(client, alice) and "Réservable jusqu'au mardi 8 décembre à 10 h 00." in html.unescape(
        _page(client, alice))
    freeze(monkeypatch, MONDAY + datetime.timedelta(days=1, hours=2))  # Tuesday 10:00
    page = _page(client, alice)
    assert box not in page and "Réservations closes depuis le mardi 8 décembre à 10 h 00." in page


def test_midnight_moves_today_and_the_days_gone_by(world, client, alice, monkeypatch):
    from tests.activities.frozen import PARIS

    freeze(monkeypatch, datetime.datetime(2026, 12, 7, 23, 59, tzinfo=PARIS))
    assert 'class="cal-day cal-day-today" aria-labelledby="j20261207"' in _page(client, alice)
    freeze(monkeypatch, datetime.datetime(2026, 12, 8, 0, 0, tzinfo=PARIS))
    page = _page(client, alice)
    assert 'aria-labelledby="j20261208"><h3 id="j20261208">mardi 8 décembre <span class="cal-today">' in page
    assert 'class="cal-day cal-day-past" aria-labelledby="j20261207"' in page
    # The desk sees the reasons of past days: Monday's, worked out at 23:59, is now a day gone by.
    from enfance.activities import family_calendar

    def monday_reasons(now):
        weeks = family_calendar.build(alice.family, MONDAY_7, MONDAY_7, now=now, staff=True)
        return {cell.reason for child_day in weeks[0].days[0].children for cell in child_day.cells}

    assert "Jour passé." not in monday_reasons(datetime.datetime(2026, 12, 7, 23, 59, tzinfo=PARIS))
    assert monday_reasons(datetime.datetime(2026, 12, 8, 0, 0, tzinfo=PARIS)) == {"Jour passé."}
