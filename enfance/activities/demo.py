"""The activities of the demo commune in use around today, so that every activity page shows something real
(called by seed_demo, after the households).

- The usual catalogue (catalogue.create_catalogue); the leader "animateur" leads the Wednesday leisure centre
  and the holiday session.
- Registrations, approved through registrations.approve with a weekly pattern: most pupils of the two
  Tourrettes schools at their canteen (Monday, Tuesday, Thursday, Friday, or only Monday and Thursday), some at
  morning or evening care, some at the Wednesday leisure centre, for the month the demo shows (the two weeks
  before this one, this one and the next). A registration books its pattern up to its last day: a whole school year
  would be thousands of bookings and seconds of seeding.
- The days already past were booked at the time: the registrations are approved as of a week before the first
  day (`now=`, before every deadline of the period), so their bookings went through the rules, not past them.
- The next Wednesday still open to bookings is full (its 40 places) with children waiting, in order; Hugo
  Martin is one of them.
- A place offered from a waiting list after the cancellation deadline, waiting for the household's answer
  (Inès Benali): a Wednesday already closed but still ahead, full, and a child withdrawn by staff past the
  deadline (an override with its reason). On a Wednesday, and on a Thursday morning, no Wednesday is both
  closed and ahead: there is no such offer on those days.
- Absences: Léa Martin ill for two days with a medical certificate (a PDF attached to the absence), an illness
  without certificate, an absence declared in advance (it cancels the booking) and one declared too late.
- Attendance for the past days of those weeks: present or absent as marked on the sheet, a child present
  without booking at evening care, and who collected each child from evening care and when.

Everything is drawn from a seeded generator: the same day gives the same demo.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from enfance.core import attachments
from enfance.core.attachments import PDF, CleanFile
from enfance.families.models import AuthorizedPerson, ChildLink, Guardian
from enfance.messaging.demo import DEMO_PDF

from . import absences, bookings, registrations
from .bookings import CALENDAR_REACH, BookingRefused, Line, Override
from .calendar import OpeningCalendar
from .catalogue import MATERNELLE, PRIMAIRE, create_catalogue
from .deadlines import is_before, rule_from_json
from .models import Absence, Activity, Attendance, Booking, CalendarPeriod, PlaceDay, Registration

SEED = 83448
WEEKS_BEFORE = 2
WEEKS_AFTER = 1
WAITING = 6  # children on the full Wednesday's waiting list
WITHDRAWAL = "Désistement signalé par téléphone après le délai d'annulation"
LOOK_AHEAD = datetime.timedelta(weeks=10)  # how far the full Wednesday and the next holidays are looked for

DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(weeks=1)


def _now():
    """The moment the demo is made (tests move it)."""
    return timezone.now()


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def populate(*, staff, today=None):
    """Registrations, bookings, waiting lists, absences and attendance of the demo's households around `today`
    (its moment: now, or 9:30 on a day given)."""
    now = _now() if today is None else _at(today, 9, 30)
    catalogue = create_catalogue(timezone.localdate(now))
    leader = get_user_model().objects.filter(username="animateur").first()
    if leader is not None:
        for key in ("wednesday", "holidays"):
            catalogue[key].leaders.add(leader)
    _Demo(catalogue, staff, leader, now).run()


class _Demo:
    def __init__(self, catalogue, staff, leader, now):
        self.rng = random.Random(SEED)
        self.c = catalogue
        self.staff, self.leader, self.now = staff, leader, now
        self.today = timezone.localdate(now)
        monday = self.today - datetime.timedelta(days=self.today.weekday())
        self.first = monday - WEEKS_BEFORE * WEEK
        self.last = monday + WEEKS_AFTER * WEEK + 4 * DAY  # a Friday
        # The registrations were approved a week before their first day: before every deadline of the weeks shown.
        self.approved_at = _at(self.first - WEEK, 9)
        self.calendar = OpeningCalendar.load(self.first - CALENDAR_REACH, self.today + LOOK_AHEAD)
        self.units = {key: list(activity.units.order_by("pk")) for key, activity in catalogue.items()}
        self.units_of = {catalogue[key].pk: units for key, units in self.units.items()}
        self.whole, self.half, self.meal = (self._unit("wednesday", name) for name in (
            "Journée avec repas", "Matinée", "Repas après la matinée"))
        # The demo's pupils: children of households with a dossier, not archived, each with the household that
        # books for it (the first one for a child in shared custody).
        self.pupils = {}
        links = (ChildLink.objects.filter(family__archived_at__isnull=True, family__dossier_received_on__isnull=False)
                 .select_related("child", "family").order_by("child_id", "pk"))
        for link in links:
            self.pupils.setdefault(link.child_id, (link.child, link.family))
        User = get_user_model()
        self.logins = {}
        for user in User.objects.filter(family__isnull=False, is_active=True).order_by("pk"):
            self.logins.setdefault(user.family_id, user)
        self.martin = self._children_of("famille.martin")
        self.benali = self._children_of("famille.benali")

    def _unit(self, key, name):
        return next(unit for unit in self.units[key] if unit.name == name)

    def _children_of(self, username):
        """{first name: child} of the household of that demo login (the README's)."""
        family_id = get_user_model().objects.filter(username=username).values_list("family_id", flat=True).first()
        return {child.first_name: child for child, family in self.pupils.values() if family.pk == family_id}

    def _family(self, child):
        return self.pupils[child.pk][1]

    def _login(self, family):
        return self.logins.get(family.pk) or self.staff

    def run(self):
        self.register()
        full, offered = self.wednesdays()
        self.fill(full)
        if offered is not None:
            self.offer(offered)
        self.holidays()
        self.absences(full, offered)
        self.attendance()

    # --- registrations -------------------------------------------------------------------------------------
    def register(self):
        """The registrations of the weeks shown, as registrations.approve makes them (the child's eligibility
        checked, its pattern booked through the rules), a household's registrations booked in one book_many
        call rather than one per registration: the seeding stays fast."""
        rng = self.rng
        martin, benali = {c.pk for c in self.martin.values()}, {c.pk for c in self.benali.values()}
        canteens = {MATERNELLE: self.c["canteen_m"], PRIMAIRE: self.c["canteen_e"]}
        plans = {}
        for child, family in self.pupils.values():
            wanted = plans.setdefault(family.pk, (family, []))[1]
            fixed = child.pk in martin | benali
            if child.school in canteens and (fixed or rng.random() < 0.85):
                every_day = child != self.benali.get("Yanis") and (fixed or rng.random() < 0.7)
                wanted.append((child, canteens[child.school], None, [0, 1, 3, 4] if every_day else [0, 3]))
            if child.school in canteens:
                if child.pk in martin or (not fixed and rng.random() < 0.3):
                    days = [1, 3] if child.pk in martin else sorted(rng.sample([0, 1, 3, 4], rng.randrange(2, 5)))
                    wanted.append((child, self.c["evening"], None, days))
                if not fixed and rng.random() < 0.15:
                    wanted.append((child, self.c["morning"], None, sorted(rng.sample([0, 1, 3, 4], 2))))
            # The Wednesday leisure centre: Léa Martin every week; Hugo and the Benali children book by hand.
            if child == self.martin.get("Léa") or (not fixed and rng.random() < 0.3):
                units = [self.whole] if child.pk in martin or rng.random() < 0.75 else [self.half, self.meal]
                wanted.append((child, self.c["wednesday"], units, [2]))
        days = [self.first + n * DAY for n in range((self.last - self.first).days + 1)]
        days = [day for day in days if self.calendar.is_open_day(day)]
        for family, wanted in plans.values():
            lines = []
            for child, activity, units, weekdays in wanted:
                if bookings.eligibility_refusal(activity, child, self.first):
                    continue  # not of an age for it: the commune would not have registered the child either
                units = units or self.units_of[activity.pk][:1]
                registration = Registration.objects.create(
                    child=child, family=family, activity=activity, first_day=self.first, last_day=self.last,
                    pattern={str(d): [u.pk for u in units] for d in weekdays}, created_by=self.staff)
                lines += [Line(child, unit, day, registration) for day in days if day.weekday() in weekdays
                          for unit in units]
            # A unit's requirement first (the morning before its meal), as registrations.approve orders them.
            lines.sort(key=lambda line: (line.day, line.unit.requires_id is not None, line.unit.pk))
            if lines:
                bookings.book_many(family=family, lines=lines, user=self.staff, now=self.approved_at)

    # --- Wednesdays ----------------------------------------------------------------------------------------
    def _runs(self, activity, day):
        """Whether `activity` runs on `day` (its weekdays, school days or holidays, the commune open)."""
        if day.weekday() not in (activity.weekdays or range(5)) or self.calendar.closed_because(day) \
                or self.calendar.activity_closed_because(activity.pk, day):
            return False
        holidays = day in self.calendar.school_holidays
        return activity.runs == Activity.Runs.ALL or holidays == (activity.runs == Activity.Runs.HOLIDAYS)

    def wednesdays(self):
        """The next Wednesday still open to bookings (to fill), and the one before it if it is still ahead (closed
        to bookings and cancellations: a place freed there is offered, to be accepted)."""
        wednesday = self.c["wednesday"]
        booking_rule = rule_from_json(wednesday.booking_rule)
        cancellation_rule = rule_from_json(wednesday.cancellation_rule)
        day = self.today + DAY
        full = offered = None
        while full is None and day <= self.today + LOOK_AHEAD:
            if self._runs(wednesday, day):
                if is_before(self.now, booking_rule.deadline(day, self.calendar)):
                    full = day
                elif not is_before(self.now, cancellation_rule.deadline(day, self.calendar)):
                    offered = day
            day += DAY
        return full, offered

    def _candidates(self, day):
        """The children who may come on that Wednesday and are not booked or waiting yet, in a drawn order."""
        live = set(Booking.objects.filter(day=day, unit__activity=self.c["wednesday"])
                   .exclude(state=Booking.State.CANCELLED).values_list("child_id", flat=True))
        wednesday = self.c["wednesday"]
        children = [child for child, _family in self.pupils.values() if child.pk not in live
                    and not bookings.eligibility_refusal(wednesday, child, day)]
        self.rng.shuffle(children)
        return children

    def _room(self, day):
        place = self.whole.places.get(slot="morning")  # every unit of the day takes the morning
        taken = PlaceDay.objects.filter(place=place, day=day).values_list("booked", flat=True).first() or 0
        return max(place.capacity - taken, 0)

    def _book_in_order(self, children, day, now):
        """Book the children in that order (whole days, a few mornings): booked while there is room, then
        waiting in that order."""
        calls = []  # consecutive children of one household in one call
        for child in children:
            line = Line(child, self.whole if self.rng.random() < 0.85 else self.half, day)
            family = self._family(child)
            if calls and calls[-1][0] == family:
                calls[-1][1].append(line)
            else:
                calls.append((family, [line]))
        for family, lines in calls:
            bookings.book_many(family=family, lines=lines, user=self._login(family), now=now)

    def fill(self, day):
        """The next Wednesday open to bookings: full, with WAITING children waiting (Hugo Martin second)."""
        if day is None:
            return
        room = self._room(day)
        hugo = self.martin.get("Hugo")
        children = [c for c in self._candidates(day) if c != hugo][:room + WAITING]
        if hugo is not None and not bookings.eligibility_refusal(self.c["wednesday"], hugo, day):
            children.insert(min(room + 1, len(children)), hugo)
            children = children[:room + WAITING]
        self._book_in_order(children, day, self.now)

    def offer(self, day):
        """A Wednesday ahead whose deadlines are past: booked full a day before its deadline, two children
        waiting (Inès Benali first); staff withdraw a child past the deadline, and the place offered to Inès
        waits for her household's answer."""
        room = self._room(day)
        ines = self.benali.get("Inès")
        candidates = [c for c in self._candidates(day) if c != ines and c not in self.martin.values()]
        booked, waiting = candidates[:room], candidates[room:room + 1]
        if ines is not None and not bookings.eligibility_refusal(self.c["wednesday"], ines, day):
            waiting.insert(0, ines)
        deadline = rule_from_json(self.c["wednesday"].booking_rule).deadline(day, self.calendar)
        self._book_in_order(booked + waiting, day, deadline - DAY)
        withdrawn = (Booking.objects.filter(day=day, unit=self.whole, state=Booking.State.BOOKED,
                                            registration__isnull=True, child__in=booked)
                     .select_related("family").order_by("pk").first())
        if withdrawn is not None:
            bookings.cancel_many([withdrawn], family=withdrawn.family, user=self.staff, now=self.now,
                                 override=Override(reason=WITHDRAWAL))

    # --- the holiday session -------------------------------------------------------------------------------
    def holidays(self):
        """A few children registered to the next school holidays at the leisure centre, their days booked where
        the deadline allows."""
        period = (CalendarPeriod.objects.filter(kind=CalendarPeriod.Kind.SCHOOL_HOLIDAYS, first_day__gt=self.today,
                                                first_day__lte=self.today + LOOK_AHEAD).order_by("first_day").first())
        if period is None:
            return
        activity = self.c["holidays"]
        (unit,) = self.units["holidays"][:1]
        children = [c for c, _f in self.pupils.values() if not bookings.eligibility_refusal(activity, c, period.first_day)]
        self.rng.shuffle(children)
        for child in children[:8]:
            family = self._family(child)
            try:
                registrations.approve(family=family, child=child, activity=activity, first_day=period.first_day,
                                      last_day=period.last_day, user=self.staff, now=self.now)
            except BookingRefused:
                continue
            days = [period.first_day + n * DAY for n in range((period.last_day - period.first_day).days + 1)]
            lines = [Line(child, unit, d) for d in days if self._runs(activity, d) and self.rng.random() < 0.7]
            if lines:
                bookings.book_many(family=family, lines=lines, user=self._login(family), now=self.now)

    # --- absences ------------------------------------------------------------------------------------------
    def _booked_days(self, child, first, last, exclude=()):
        return sorted(set(Booking.objects.filter(child=child, family=self._family(child), day__range=(first, last),
                                                 state=Booking.State.BOOKED, absence__isnull=True)
                          .exclude(day__in=[d for d in exclude if d]).values_list("day", flat=True)))

    def _declare(self, child, first, last, reason, note, at):
        family = self._family(child)
        return absences.declare(family=family, child=child, first_day=first, last_day=last, reason=reason,
                                note=note, user=self._login(family), now=at)

    def absences(self, full, offered):
        yesterday = self.today - DAY
        lea = self.martin.get("Léa")
        if lea is not None:
            # Ill on her first two days booked of the last past week, declared the first morning (past the
            # deadline: the meals were ordered), the certificate brought the next evening.
            days = self._booked_days(lea, self.first, yesterday)
            last_week = [d for d in days if d >= days[-1] - datetime.timedelta(days=days[-1].weekday())] if days else []
            ill = (last_week or days)[:2]
            if ill:
                declared = self._declare(lea, ill[0], ill[-1], Absence.Reason.ILLNESS, "Gastro-entérite",
                                         _at(ill[0], 7, 40))
                if declared:
                    attachments.store(CleanFile(DEMO_PDF, PDF, "certificat-medical-lea-martin.pdf"),
                                      owner=declared[0], role="certificate", uploaded_by=self._login(self._family(lea)))
                    absences.add_certificate(declared[0], at=_at(ill[-1], 17, 30))
        others = [child for child, _family in self.pupils.values() if child not in self.martin.values()]
        self.rng.shuffle(others)
        past, ahead = iter(others), iter(others[::-1])
        # Ill a past day, no certificate (yet).
        self._one(past, self.first, yesterday, Absence.Reason.ILLNESS, "Fièvre", lambda d: _at(d, 8, 5))
        # Declared the evening before, past the deadline: billed.
        self._one(past, self.first, yesterday, Absence.Reason.OTHER, "Journée chez les grands-parents",
                  lambda d: _at(d - DAY, 20, 15))
        # Declared in advance for a day ahead: the booking is cancelled, nothing billed.
        self._one(ahead, self.today + WEEK, self.last, Absence.Reason.OTHER, "Rendez-vous chez l'orthodontiste",
                  lambda d: self.now, exclude=(full, offered))

    def _one(self, children, first, last, reason, note, at, exclude=()):
        for child in children:
            days = self._booked_days(child, first, last, exclude)
            if days:
                day = days[len(days) // 2]
                self._declare(child, day, day, reason, note, at(day))
                return

    # --- attendance ----------------------------------------------------------------------------------------
    def attendance(self):
        """The sheets of the past days: present, absent (declared or not), who collected each child from evening
        care and when, and one child present at evening care without a booking."""
        rng = self.rng
        evening = self.c["evening"]
        past = list(Booking.objects.filter(day__gte=self.first, day__lt=self.today, state=Booking.State.BOOKED,
                                           unit__activity__in=list(self.c.values()))
                    .select_related("unit__activity", "child", "absence").order_by("day", "unit_id", "child_id"))
        pickers = self._pickers()
        rows = []
        for booking in past:
            activity = booking.unit.activity
            declared = getattr(booking, "absence", None) is not None
            came = not declared and rng.random() > 0.02
            row = Attendance(child=booking.child, unit=booking.unit, day=booking.day, booking=booking,
                             status=Attendance.Status.PRESENT if came else Attendance.Status.ABSENT,
                             recorded_by=self.leader if activity.kind == Activity.Kind.LEISURE else self.staff)
            if came and activity == evening:
                self._departure(row, booking.child, pickers, rng)
            rows.append(row)
        # Present at evening care without a booking: a pupil at the canteen that day who stayed.
        booked_evening = {(r.child_id, r.day) for r in rows if r.unit.activity_id == evening.pk}
        unit = self.units["evening"][0]
        for row in rows:
            if (row.unit.activity.kind == Activity.Kind.CANTEEN and row.status == Attendance.Status.PRESENT
                    and (row.child_id, row.day) not in booked_evening and row.child not in self.martin.values()):
                extra = Attendance(child=row.child, unit=unit, day=row.day, status=Attendance.Status.UNBOOKED,
                                   recorded_by=self.staff)
                self._departure(extra, row.child, pickers, rng)
                rows.append(extra)
                break
        Attendance.objects.bulk_create(rows)

    def _pickers(self):
        """{(family id, child id): [who may collect the child]}: its household's guardians and authorised
        persons."""
        names = {}
        for guardian in Guardian.objects.filter(family__in={f.pk for _c, f in self.pupils.values()}):
            names.setdefault(guardian.family_id, []).append(
                f"{guardian.first_name} {guardian.last_name} ({guardian.relation.lower() or 'responsable'})")
        pickers = {}
        for child, family in self.pupils.values():
            pickers[(family.pk, child.pk)] = list(names.get(family.pk, []))
        for person in AuthorizedPerson.objects.filter(can_pick_up=True, is_forbidden=False,
                                                      child__in=list(self.pupils)):
            key = (person.family_id, person.child_id)
            if key in pickers:
                pickers[key].append(f"{person.first_name} {person.last_name} ({person.relation.lower()})")
        return pickers

    def _departure(self, row, child, pickers, rng):
        row.departed_at = (datetime.datetime.combine(row.day, datetime.time(16, 30))
                           + datetime.timedelta(minutes=5 * rng.randrange(3, 24))).time()
        if child.may_leave_alone and rng.random() < 0.4:
            row.collected_by = "Parti seul (autorisé par la famille)"
        else:
            who = pickers.get((self._family(child).pk, child.pk)) or ["Un responsable"]
            row.collected_by = who[0] if rng.random() < 0.7 else rng.choice(who)
