"""The attendance sheet's service: who is expected, marks safe to repeat, departures with whom, in a fixed
number of queries."""

import datetime

import pytest
from django.utils import timezone

from enfance.activities import attendance
from enfance.activities.catalogue import create_catalogue
from enfance.activities.models import Attendance, Booking, Place, Registration, Site, Unit
from enfance.families.models import ChildLink
from tests.factories import (
    AuthorizedPersonFactory,
    ChildFactory,
    FamilyFactory,
    GuardianFactory,
    HealthRecordFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 12)  # a Thursday
AFTER = timezone.make_aware(datetime.datetime(2026, 3, 12, 19, 0))
Status = Attendance.Status


@pytest.fixture
def catalogue():
    return create_catalogue(DAY)


@pytest.fixture
def evening(catalogue):
    return catalogue["evening"]


def unit_of(activity):
    return activity.units.order_by("pk").first()


def household(name="Martin", *, children=1, **child_fields):
    family = FamilyFactory()
    GuardianFactory(family=family, first_name="Claire", last_name=name, relation="Mère", mobile_phone="06 11 11 11 11")
    kids = [ChildFactory(family=family, last_name=name, first_name=f"Enfant{i + 1}", **child_fields)
            for i in range(children)]
    return family, kids


def book(child, unit, family, day=DAY, **fields):
    return Booking.objects.create(child=child, family=family, unit=unit, day=day,
                                  **{"state": Booking.State.BOOKED, **fields})


def test_the_sheet_lists_the_children_booked_and_only_them(evening):
    unit = unit_of(evening)
    family, (lea, tom, zoe, max_, ines) = household(children=5)
    book(lea, unit, family)
    book(tom, unit, family, state=Booking.State.WAITING, waiting_position=1)
    cancelled = book(zoe, unit, family)
    cancelled.state = Booking.State.CANCELLED
    cancelled.save()
    # A place given from the waiting list, not accepted yet: not expected; accepted: expected.
    book(max_, unit, family, needs_acceptance=True)
    book(ines, unit, family, needs_acceptance=True, accepted_at=AFTER)
    book(tom, unit, family, day=DAY + datetime.timedelta(days=1))  # another day
    sheet = attendance.sheet(evening, DAY)
    assert [row.child for row in sheet.rows] == [lea, ines]
    assert sheet.expected == 2 and sheet.to_mark == 2 and sheet.present == 0


def test_flags_and_who_may_collect_the_child(evening):
    unit = unit_of(evening)
    family, (lea, tom) = household(children=2)
    HealthRecordFactory(child=lea, allergies="Arachide", has_pai=True, pai_details="Trousse d'urgence")
    HealthRecordFactory(child=tom, allergies="  ", has_pai=False)
    lea.may_leave_alone = True
    lea.save()
    AuthorizedPersonFactory(family=family, child=lea, first_name="Odette", last_name="Marchal", can_pick_up=True)
    AuthorizedPersonFactory(family=family, child=lea, first_name="Urgence", last_name="Seule", can_pick_up=False,
                            is_emergency_contact=True)
    AuthorizedPersonFactory(family=family, child=lea, first_name="Hugo", last_name="Bastide", can_pick_up=False,
                            is_forbidden=True)
    # Shared custody: the other household's guardian may collect the child too.
    other = FamilyFactory()
    GuardianFactory(family=other, first_name="Marc", last_name="Durand", mobile_phone="07 22 22 22 22")
    ChildLink.objects.create(family=other, child=lea)
    for child in (lea, tom):
        book(child, unit, family)
    rows = {row.child: row for row in attendance.sheet(evening, DAY).rows}
    assert (rows[lea].allergy, rows[lea].pai) == (True, True)
    assert (rows[tom].allergy, rows[tom].pai) == (False, False)
    assert sorted(p.name for p in rows[lea].pick_up) == ["Claire Martin", "Marc Durand", "Odette Marchal"]
    assert [p.name for p in rows[lea].forbidden] == ["Hugo Bastide"]
    assert [p.name for p in rows[tom].pick_up] == ["Claire Martin"]
    assert rows[lea].child.may_leave_alone and not rows[tom].child.may_leave_alone


def _many(evening, n, tag):
    unit = unit_of(evening)
    for i in range(n):
        family, (child,) = household(f"{tag}{i}")
        HealthRecordFactory(child=child)
        AuthorizedPersonFactory(family=family, child=child)
        book(child, unit, family)
        if i % 2:
            Attendance.objects.create(child=child, unit=unit, day=DAY, status=Status.PRESENT)


def test_the_sheet_takes_a_fixed_number_of_queries(evening, django_assert_num_queries):
    _many(evening, 2, "Peu")
    with django_assert_num_queries(7):
        assert len(attendance.sheet(evening, DAY).rows) == 2
    _many(evening, 6, "Beaucoup")
    with django_assert_num_queries(7):
        sheet = attendance.sheet(evening, DAY)
        assert len(sheet.rows) == 8
        assert sheet.present == 4 and all(row.pick_up for row in sheet.rows)


def test_the_site_keeps_its_units_and_the_group_its_children(catalogue):
    wednesday = catalogue["wednesday"]
    whole = wednesday.units.get(name="Journée avec repas")
    elsewhere = Unit.objects.create(activity=wednesday, name="Journée à l'annexe")
    annexe = Site.objects.create(name="Annexe")
    elsewhere.places.set([Place.objects.create(name="Salle de l'annexe", site=annexe, slot="morning", capacity=10)])
    family, (small,) = household("Petit", birth_date=DAY.replace(year=DAY.year - 4))
    _other, (big,) = household("Grand", birth_date=DAY.replace(year=DAY.year - 8))
    _third, (far,) = household("Loin", birth_date=DAY.replace(year=DAY.year - 4))
    book(small, whole, family)
    book(big, whole, _other)
    book(far, elsewhere, _third)
    centre = Site.objects.get(name__startswith="Centre de loisirs")
    assert {r.child for r in attendance.sheet(wednesday, DAY).rows} == {small, big, far}
    assert {r.child for r in attendance.sheet(wednesday, DAY, site=centre).rows} == {small, big}
    assert {r.child for r in attendance.sheet(wednesday, DAY, site=annexe).rows} == {far}
    little_ones = wednesday.groups.get(name__startswith="Maternelles")
    assert [r.child for r in attendance.sheet(wednesday, DAY, site=centre, group=little_ones).rows] == [small]
    assert set(attendance.sites_of(wednesday)) == {centre, annexe}


def test_marking_twice_keeps_one_row_and_the_departure(evening):
    unit = unit_of(evening)
    family, (lea,) = household()
    booking = book(lea, unit, family)
    leader = UserFactory(role="leader")
    for _ in range(2):
        attendance.mark(activity=evening, child_id=lea.pk, unit_id=unit.pk, day=DAY, status=Status.PRESENT,
                        user=leader)
    row = Attendance.objects.get()
    assert (row.status, row.booking, row.recorded_by) == (Status.PRESENT, booking, leader)
    attendance.record_departure(activity=evening, child_id=lea.pk, unit_id=unit.pk, day=DAY,
                                departed_at=datetime.time(17, 45, 12), collected_by="Claire Martin", user=leader,
                                now=AFTER)
    # Marked present again (a second tap): the departure stays.
    attendance.mark(activity=evening, child_id=lea.pk, unit_id=unit.pk, day=DAY, status=Status.PRESENT, user=leader)
    row.refresh_from_db()
    assert (row.departed_at, row.collected_by) == (datetime.time(17, 45), "Claire Martin")
    # Absent by mistake, then: the departure goes with it.
    attendance.mark(activity=evening, child_id=lea.pk, unit_id=unit.pk, day=DAY, status=Status.ABSENT, user=leader)
    row.refresh_from_db()
    assert (row.status, row.departed_at, row.collected_by) == (Status.ABSENT, None, "")
    assert Attendance.objects.count() == 1


def test_a_mark_saves_only_its_fields(evening):
    """What another leader recorded meanwhile on the same row (the departure) is not written back stale."""
    unit = unit_of(evening)
    family, (lea,) = household()
    book(lea, unit, family)
    attendance.mark(activity=evening, child_id=lea.pk, unit_id=unit.pk, day=DAY, status=Status.PRESENT, user=None)
    Attendance.objects.update(departed_at=datetime.time(18, 0), collected_by="Claire Martin")
    attendance.mark(activity=evening, child_id=lea.pk, unit_id=unit.pk, day=DAY, status=Status.PRESENT, user=None)
    assert Attendance.objects.values_list("departed_at", "collected_by").get() == (datetime.time(18, 0),
                                                                                   "Claire Martin")


def test_present_without_a_booking_only_for_the_activitys_households(evening):
    unit = unit_of(evening)
    family, (lea, sister) = household(children=2)
    book(lea, unit, family, day=DAY - datetime.timedelta(days=7))  # the household uses the activity
    _stranger_family, (stranger,) = household("Inconnu")
    row = attendance.mark(activity=evening, child_id=sister.pk, unit_id=unit.pk, day=DAY,
                          status=Status.UNBOOKED, user=None)
    assert (row.status, row.booking) == (Status.UNBOOKED, None)
    # Present asked for a child without a booking is still "present without a booking".
    attendance.mark(activity=evening, child_id=sister.pk, unit_id=unit.pk, day=DAY, status=Status.PRESENT, user=None)
    assert Attendance.objects.get().status == Status.UNBOOKED
    sheet = attendance.sheet(evening, DAY)
    assert [(r.child, r.entries[0].booking) for r in sheet.rows] == [(sister, None)]
    assert sheet.unbooked == 1 and sheet.expected == 0
    with pytest.raises(attendance.AttendanceError) as refused:
        attendance.mark(activity=evening, child_id=sister.pk, unit_id=unit.pk, day=DAY, status=Status.ABSENT,
                        user=None)
    assert "retirez" in refused.value.message
    with pytest.raises(attendance.NotOnSheet):
        attendance.mark(activity=evening, child_id=stranger.pk, unit_id=unit.pk, day=DAY, status=Status.UNBOOKED,
                        user=None)
    with pytest.raises(attendance.NotOnSheet):
        attendance.mark(activity=evening, child_id=987654, unit_id=unit.pk, day=DAY, status=Status.UNBOOKED,
                        user=None)
    assert attendance.remove(activity=evening, child_id=sister.pk, unit_id=unit.pk, day=DAY)
    assert not Attendance.objects.exists()


def test_a_registered_child_may_be_added_and_a_booked_one_is_simply_present(catalogue):
    holidays_ = catalogue["holidays"]
    unit = unit_of(holidays_)
    family, (lea, tom) = household(children=2)
    Registration.objects.create(child=lea, family=family, activity=holidays_, first_day=DAY, last_day=DAY)
    assert list(attendance.candidates(holidays_, DAY, "martin")) == [lea, tom]  # the registered and its sibling
    booking = book(tom, unit, family)
    row = attendance.mark(activity=holidays_, child_id=tom.pk, unit_id=unit.pk, day=DAY, status=Status.UNBOOKED,
                          user=None)
    assert (row.status, row.booking) == (Status.PRESENT, booking)


def test_wrong_units_and_statuses_are_refused(catalogue, evening):
    unit = unit_of(evening)
    family, (lea,) = household()
    book(lea, unit, family)
    canteen_unit = unit_of(catalogue["canteen_e"])
    with pytest.raises(attendance.NotOnSheet):
        attendance.mark(activity=evening, child_id=lea.pk, unit_id=canteen_unit.pk, day=DAY, status=Status.PRESENT,
                        user=None)
    with pytest.raises(attendance.AttendanceError) as refused:
        attendance.mark(activity=evening, child_id=lea.pk, unit_id=unit.pk, day=DAY, status="late", user=None)
    assert refused.value.field == "status"
    with pytest.raises(attendance.NotOnSheet):
        attendance.mark(activity=evening, child_id="1; DROP", unit_id=unit.pk, day=DAY, status=Status.PRESENT,
                        user=None)
    assert not Attendance.objects.exists()


def _depart(evening, child, who, at=datetime.time(17, 30), now=AFTER):
    return attendance.record_departure(activity=evening, child_id=child.pk, unit_id=unit_of(evening).pk, day=DAY,
                                       departed_at=at, collected_by=who, user=None, now=now)


def test_departures_only_with_someone_allowed(evening):
    unit = unit_of(evening)
    family, (lea, tom) = household(children=2)
    AuthorizedPersonFactory(family=family, child=lea, first_name="Odette", last_name="Marchal")
    AuthorizedPersonFactory(family=family, child=lea, first_name="Hugo", last_name="Bastide", can_pick_up=False,
                            is_forbidden=True)
    AuthorizedPersonFactory(family=family, child=tom, first_name="Paul", last_name="Voisin")
    book(lea, unit, family)
    book(tom, unit, family)
    with pytest.raises(attendance.AttendanceError) as refused:
        _depart(evening, lea, "Hugo Bastide")
    assert refused.value.field == "collected_by" and "n'est pas autorisé(e)" in refused.value.message
    with pytest.raises(attendance.AttendanceError):
        _depart(evening, lea, "Paul Voisin")  # named for Tom, not for Léa
    with pytest.raises(attendance.AttendanceError):
        _depart(evening, lea, attendance.LEFT_ALONE)  # may not leave alone
    with pytest.raises(attendance.AttendanceError) as refused:
        _depart(evening, lea, "Odette Marchal", at=datetime.time(20, 0),
                now=timezone.make_aware(datetime.datetime(2026, 3, 12, 18, 0)))
    assert refused.value.field == "departed_at"
    assert not Attendance.objects.exists()
    # Not marked yet: leaving marks the child present.
    row = _depart(evening, lea, "Odette Marchal")
    assert (row.status, row.departed_at, row.collected_by) == (Status.PRESENT, datetime.time(17, 30), "Odette Marchal")
    tom.may_leave_alone = True
    tom.save()
    assert _depart(evening, tom, attendance.LEFT_ALONE).collected_by == "Parti(e) seul(e)"
    attendance.mark(activity=evening, child_id=tom.pk, unit_id=unit.pk, day=DAY, status=Status.ABSENT, user=None)
    with pytest.raises(attendance.AttendanceError) as refused:
        _depart(evening, tom, "Claire Martin")
    assert "absent" in refused.value.message


def test_candidates_by_name_whatever_the_accents(evening):
    unit = unit_of(evening)
    family, (lea,) = household("Lefèvre")
    lea.first_name = "Léa"
    lea.save()
    book(lea, unit, family, day=DAY + datetime.timedelta(days=3))
    _far, (old,) = household("Lefebvre")
    book(old, unit, _far, day=DAY - datetime.timedelta(days=90))  # too long ago: not the activity's any more
    assert list(attendance.candidates(evening, DAY, "lea LEFEVRE")) == [lea]
    assert list(attendance.candidates(evening, DAY, "lefe")) == [lea]


def test_leaders_reach_only_their_activities(catalogue, evening):
    leader = UserFactory(role="leader")
    evening.leaders.add(leader)
    assert list(attendance.activities_for(leader)) == [evening]
    assert attendance.activities_for(UserFactory(role="agent")).count() == len(catalogue)
    family, _kids = household()
    assert not attendance.activities_for(UserFactory(role="family", family=family)).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_marks_at_the_same_moment_all_persist_on_postgresql():
    """Two leaders tapping two children at once, and one child tapped twice at once: no error, one row each."""
    from django.db import connection

    from tests.changes.test_concurrency import run_together

    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL (set DATABASE_URL)")
    evening = create_catalogue(DAY)["evening"]
    unit = unit_of(evening)
    family, kids = household(children=4)
    for child in kids:
        book(child, unit, family)

    def marker(child, status):
        return lambda: attendance.mark(activity=evening, child_id=child.pk, unit_id=unit.pk, day=DAY, status=status,
                                       user=None)

    for _round in range(3):
        Attendance.objects.all().delete()
        results = run_together(marker(kids[0], Status.PRESENT), marker(kids[1], Status.ABSENT),
                               marker(kids[2], Status.PRESENT), marker(kids[2], Status.PRESENT),
                               marker(kids[3], Status.ABSENT))
        assert not [r for r in results if isinstance(r, Exception)], results
        assert dict(Attendance.objects.values_list("child_id", "status")) == {
            kids[0].pk: Status.PRESENT, kids[1].pk: Status.ABSENT, kids[2].pk: Status.PRESENT,
            kids[3].pk: Status.ABSENT}
