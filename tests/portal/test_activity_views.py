"""The household's calendar: one submission books a week for two children, each line judged by the server;
unchecking cancels; a stale page cancels nothing it did not show; another household's child is never booked."""

import datetime
import html

import pytest
from django.urls import reverse

from enfance.activities import catalogue
from enfance.activities.models import Booking, Place, Unit
from enfance.changes import services as requests
from enfance.changes.models import CategorySetting, ChangeRequest
from enfance.families.models import Child
from tests.activities.frozen import freeze
from tests.helpers import session_queries

pytestmark = pytest.mark.django_db
MONTH = "2026-12"
THURSDAY = datetime.date(2026, 12, 10)
WEEK = [datetime.date(2026, 12, 14) + datetime.timedelta(days=i) for i in (0, 1, 3, 4)]  # canteen days


@pytest.fixture
def world(monkeypatch, alice, bob, django_capture_on_commit_callbacks):
    freeze(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):  # committed: the calendar's snapshot may keep it
        made = catalogue.create_catalogue(datetime.date(2026, 12, 7))
    Child.objects.update(school=catalogue.PRIMAIRE, school_class="CE1", birth_date=datetime.date(2018, 5, 4))
    canteen = Unit.objects.get(activity=made["canteen_e"])
    return made, canteen


def _children(login):
    from enfance.families.access import children_of

    return list(children_of(login.family).order_by("pk"))


def key(child, unit, day):
    return f"{child.pk}.{unit.pk}.{day:%Y%m%d}"


def test_the_calendar_shows_every_child_and_its_reasons_in_constant_queries(world, client, alice):
    _made, canteen = world
    client.force_login(alice)
    page = client.get(reverse("portal:calendar"), {"mois": MONTH}).content.decode()
    first, second = _children(alice)
    assert f'value="{key(first, canteen, WEEK[0])}"' in page and f'value="{key(second, canteen, WEEK[0])}"' in page
    # Tuesday 8: the canteen's deadline (2 open days before at 10:00) is past; it says so.
    assert "Réservations closes depuis le" in page
    assert "Prochain jour réservable" in page
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two:
        client.get(reverse("portal:calendar"), {"mois": MONTH})
    from tests.factories import ChildFactory

    ChildFactory(family=alice.family, school=catalogue.PRIMAIRE)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("portal:calendar"), {"mois": MONTH})
    # The login and its household, the unread count, the children, then one statement for the rest.
    assert len(three) == len(two) <= 4 + session_queries(), [q["sql"][:120] for q in three]


def test_one_submission_books_a_week_for_two_children(world, client, alice):
    _made, canteen = world
    first, second = _children(alice)
    client.force_login(alice)
    keys = [key(child, canteen, day) for child in (first, second) for day in WEEK]
    response = client.post(reverse("portal:calendar"), {"mois": MONTH, "b": keys})
    change = ChangeRequest.objects.get(request_type="bookings")
    assert response.status_code == 302 and response.url == reverse("portal:request", args=[change.pk])
    assert change.status == "approved" and change.auto_approved
    assert [line.outcome for line in change.lines.all()] == ["accepted"] * 8
    assert Booking.objects.filter(family=alice.family, state="booked").count() == 8
    detail = client.get(response.url).content.decode()
    assert "Réservé." in detail and "lundi 14 décembre 2026" in detail


def test_unchecking_cancels_and_a_stale_page_cancels_nothing_it_did_not_show(world, client, alice):
    _made, canteen = world
    first, _second = _children(alice)
    client.force_login(alice)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(first, canteen, d) for d in WEEK]})
    # A page shown before those bookings (nothing held) and posted with nothing checked: no change at all.
    client.post(reverse("portal:calendar"), {"mois": MONTH})
    assert Booking.objects.filter(state="booked").count() == 4
    # The page as it is now: uncheck Monday.
    held = [key(first, canteen, d) for d in WEEK]
    client.post(reverse("portal:calendar"), {"mois": MONTH, "was": held, "b": held[1:]})
    assert Booking.objects.get(day=WEEK[0]).state == "cancelled"
    assert Booking.objects.filter(state="booked").count() == 3


def test_another_households_child_is_never_booked_even_by_a_forged_identifier(world, client, alice, bob):
    _made, canteen = world
    (bobs_child,) = _children(bob)
    client.force_login(alice)
    response = client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(bobs_child, canteen, WEEK[0])]})
    assert response.status_code == 302
    assert not Booking.objects.exists()
    # Nor cancelled: Bob's booking named in Alice's form stays.
    client.force_login(bob)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(bobs_child, canteen, WEEK[0])]})
    client.force_login(alice)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "was": [key(bobs_child, canteen, WEEK[0])]})
    assert Booking.objects.get().state == "booked"


def test_a_full_day_puts_the_child_on_the_waiting_list_and_says_its_rank(world, client, alice):
    _made, canteen = world
    Place.objects.filter(units=canteen).update(capacity=1)
    first, second = _children(alice)
    client.force_login(alice)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(first, canteen, WEEK[0]),
                                                                  key(second, canteen, WEEK[0])]})
    change = ChangeRequest.objects.get()
    assert sorted(line.outcome for line in change.lines.all()) == ["accepted", "waiting"]
    assert "rang 1" in client.get(reverse("portal:request", args=[change.pk])).content.decode()


def test_a_line_past_its_deadline_is_refused_with_the_reason(world, client, alice):
    _made, canteen = world
    first, _second = _children(alice)
    client.force_login(alice)
    tuesday = datetime.date(2026, 12, 8)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(first, canteen, tuesday)]})
    line = ChangeRequest.objects.get().lines.get()
    assert line.outcome == "refused" and "closes depuis le" in line.reason
    assert not Booking.objects.exists()


def test_manual_checking_holds_no_place_until_staff_approve(world, client, alice, staff):
    _made, canteen = world
    CategorySetting.objects.create(category="bookings", auto_approve=False)
    first, _second = _children(alice)
    client.force_login(alice)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(first, canteen, WEEK[0])]})
    change = ChangeRequest.objects.get()
    assert change.status == "pending" and not Booking.objects.exists()
    requests.approve(change.pk, staff=staff)
    assert Booking.objects.get().state == "booked"
    assert change.lines.get().outcome == "accepted"


def test_bulk_form_books_every_monday_and_thursday_of_a_period(world, client, alice):
    _made, canteen = world
    first, second = _children(alice)
    client.force_login(alice)
    response = client.post(reverse("portal:bookings_bulk"), {
        "action": "book", "children": [first.pk, second.pk], "unit": canteen.pk, "weekdays": ["0", "3"],
        "first_day": "2026-12-10", "last_day": "2026-12-18"})
    assert response.status_code == 302
    days = set(Booking.objects.filter(state="booked").values_list("day", flat=True))
    assert days == {datetime.date(2026, 12, 10), datetime.date(2026, 12, 14), datetime.date(2026, 12, 17)}
    assert Booking.objects.count() == 6


def test_bulk_form_keeps_what_was_typed_and_says_what_is_wrong(world, client, alice):
    client.force_login(alice)
    response = client.post(reverse("portal:bookings_bulk"), {"action": "book", "first_day": "2026-12-18",
                                                             "last_day": "2026-12-10", "weekdays": ["0"]})
    page = response.content.decode()
    assert response.status_code == 200 and "Choisissez au moins un enfant." in page
    assert "Le dernier jour est avant le premier." in page and 'value="2026-12-18"' in page


def test_an_offered_place_is_accepted_by_its_household_only(world, client, alice, bob):
    _made, canteen = world
    first, _second = _children(alice)
    booking = Booking.objects.create(child=first, family=alice.family, unit=canteen, day=WEEK[0], state="booked",
                                     needs_acceptance=True)
    client.force_login(bob)
    assert client.post(reverse("portal:booking_accept", args=[booking.pk])).status_code == 404
    client.force_login(alice)
    assert "Une place s'est libérée" in client.get(reverse("portal:calendar"), {"mois": MONTH}).content.decode()
    client.post(reverse("portal:booking_accept", args=[booking.pk]))
    booking.refresh_from_db()
    assert booking.accepted_at is not None


def test_a_booking_checked_by_hand_after_its_deadline_keeps_the_time_it_was_asked(world, client, alice, staff,
                                                                                 monkeypatch):
    from tests.activities.frozen import MONDAY

    _made, canteen = world
    CategorySetting.objects.create(category="bookings", auto_approve=False)
    first, _second = _children(alice)
    client.force_login(alice)
    client.post(reverse("portal:calendar"), {"mois": MONTH, "b": [key(first, canteen, THURSDAY)]})
    freeze(monkeypatch, MONDAY + datetime.timedelta(days=2, hours=6))  # Wednesday 9, 14:00: Thursday's deadline past
    requests.approve(ChangeRequest.objects.get().pk, staff=staff)
    assert Booking.objects.get().state == "booked"


def test_a_unit_excluded_by_a_booking_of_the_day_is_locked_and_says_why(world, client, alice):
    from enfance.activities import bookings

    made, _canteen = world
    whole = Unit.objects.get(activity=made["wednesday"], name="Journée avec repas")
    half = Unit.objects.get(activity=made["wednesday"], name="Matinée")
    first, _second = _children(alice)
    wednesday = datetime.date(2026, 12, 16)
    bookings.book(family=alice.family, child=first, unit=whole, day=wednesday, user=None)
    client.force_login(alice)
    page = client.get(reverse("portal:calendar"), {"mois": MONTH}).content.decode()
    assert f'value="{key(first, half, wednesday)}"' not in page
    assert "Pas compatible avec « Journée avec repas », déjà réservé ce jour-là." in page


def _every_kind_of_cell(made, canteen, alice, bob):
    """Booked, waiting, absent, offered, booked by the other household (a shared child), past and to come."""
    from django.utils import timezone

    from enfance.activities.models import Absence
    from enfance.families.models import ChildLink

    first, second = _children(alice)
    ChildLink.objects.create(child=second, family=bob.family)
    booked = Booking.objects.create(child=first, family=alice.family, unit=canteen, day=WEEK[0], state="booked")
    Absence.objects.create(booking=booked, reason="illness", declared_at=timezone.now())
    Booking.objects.create(child=first, family=alice.family, unit=canteen, day=WEEK[1], state="waiting",
                           waiting_position=1)
    Booking.objects.create(child=first, family=alice.family, unit=canteen, day=WEEK[2], state="booked",
                           needs_acceptance=True, offer_expires_at=timezone.now() + datetime.timedelta(days=1))
    Booking.objects.create(child=second, family=bob.family, unit=canteen, day=WEEK[3], state="booked")
    Booking.objects.create(child=second, family=alice.family, unit=canteen, day=WEEK[0], state="booked", late=True)
    Booking.objects.create(child=second, family=alice.family, unit=canteen, day=datetime.date(2026, 12, 1),
                           state="booked")  # a day gone by


def test_the_calendar_reads_in_two_queries_whatever_the_children_and_the_weeks(world, alice, bob):
    """The household's children, then one statement: for a week or two months, two children or three, the family's
    page or the desk's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enfance.activities import family_calendar
    from tests.factories import ChildFactory

    made, canteen = world
    _every_kind_of_cell(made, canteen, alice, bob)
    family = alice.family

    def queries(last_day, **options):
        children = family_calendar.children_of(family)
        family_calendar.page(family, datetime.date(2026, 11, 30), last_day, children=children)  # the snapshot
        with CaptureQueriesContext(connection) as page:
            children = family_calendar.children_of(family)
            weeks = family_calendar.page(family, datetime.date(2026, 11, 30), last_day, children=children).weeks
        with CaptureQueriesContext(connection) as desk:
            family_calendar.build(family, datetime.date(2026, 11, 30), last_day, children=children, staff=True)
        cells = [c for w in weeks for d in w.days for cd in d.children for c in cd.cells]
        return len(page), len(desk), {c.status for c in cells}, len({c.child.pk for c in cells})

    short = queries(datetime.date(2026, 12, 6))
    long = queries(datetime.date(2027, 1, 31))
    assert short[:2] == long[:2] == (2, 1), (short, long)
    assert {"booked", "waiting", "offered", "absent", "other_household", "open", "locked"} <= long[2]
    ChildFactory(family=family, school=catalogue.PRIMAIRE, school_class="CE1", birth_date=datetime.date(2018, 1, 2))
    three = queries(datetime.date(2027, 1, 31))
    assert three[:2] == (2, 1) and three[3] == 3, three


def test_the_calendar_page_shows_every_kind_of_cell_and_the_offer(world, client, alice, bob):
    made, canteen = world
    _every_kind_of_cell(made, canteen, alice, bob)
    client.force_login(alice)
    page = client.get(reverse("portal:calendar"), {"mois": MONTH}).content.decode()
    text = html.unescape(page)
    for words in ("Absence signalée.", "Liste d'attente : rang 1.", "Place libérée pour vous : acceptez-la avant le",
                  "Réservé par l'autre foyer.", "Une place s'est libérée", "J'accepte cette place",
                  "Réservation tardive (majorée).", "Prochain jour réservable"):
        assert words in text, words
    # One markup for every screen (the stylesheet lays it out as a grid or a list): each checkbox once.
    first, _second = _children(alice)
    assert page.count(f'value="{key(first, canteen, WEEK[1])}"') == 2  # the checkbox and its "was" twin
