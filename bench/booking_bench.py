"""What bench/bookings_open.py and bench/hot_spot.py share: the portal's calendar form read and posted over HTTP,
the days picked from the commune's calendar and rules, the reset of the bench's bookings, and the database
checks after a run (no place overbooked, every count matching the bookings that took it).

The functions that parse, pick or format are pure (tests/test_bench_scripts.py); the others need Django set up
(`setup_django`) and run in the bench's own process, never inside a timed request.
"""

import datetime
import os
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
INPUT_RE = re.compile(r"<input\b([^>]*)>")
ATTRIBUTE_RE = re.compile(r'([a-zA-Z][\w-]*)(?:="([^"]*)")?')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REQUEST_RE = re.compile(r"^(?:https?://[^/]+)?/portail/demandes/(\d+)/$")
CALENDAR = "/portail/reservations/"


# --- pure helpers --------------------------------------------------------------------------------------


def key(child_id, unit_id, day):
    """The calendar form's checkbox value: "12.3.20270104"."""
    return f"{child_id}.{unit_id}.{day:%Y%m%d}"


def month_of(day):
    return f"{day:%Y-%m}"


def months_of(days):
    """The month pages ("2027-01", ...) these days are shown on, in order."""
    return sorted({month_of(day) for day in days})


def parse_calendar_form(html):
    """(csrf token, {editable checkbox value: checked}, {hidden "was" values}) of a calendar page, whatever the
    order of the inputs' attributes."""
    csrf = CSRF_RE.search(html)
    boxes, was = {}, set()
    for raw in INPUT_RE.findall(html):
        attrs = {name: value for name, value in ATTRIBUTE_RE.findall(raw)}
        if attrs.get("type") == "checkbox" and attrs.get("name") == "b":
            boxes[attrs.get("value", "")] = "checked" in attrs
        elif attrs.get("type") == "hidden" and attrs.get("name") == "was":
            was.add(attrs.get("value", ""))
    return (csrf.group(1) if csrf else None), boxes, was


def form_body(csrf, month, checked, was):
    """The POST body a browser sends for the calendar form: every checked box and every hidden "was"."""
    fields = [("csrfmiddlewaretoken", csrf), ("mois", month)]
    fields += [("b", value) for value in sorted(checked)]
    fields += [("was", value) for value in sorted(was)]
    return urlencode(fields)


def request_id(location):
    """The request's number from a redirect to /portail/demandes/<id>/, or None."""
    match = REQUEST_RE.match(location or "")
    return int(match.group(1)) if match else None


def pick_weeks(start, usable, *, weekdays=(0, 1, 3, 4), count=4, horizon_weeks=52):
    """The days (of `weekdays`) of the first `count` consecutive calendar weeks starting on a Monday after
    `start` (or on it) in which `usable(day)` holds for every one of those days; [] if none within the horizon."""
    monday = start + datetime.timedelta(days=(7 - start.weekday()) % 7)
    run = []
    for _ in range(horizon_weeks):
        days = [monday + datetime.timedelta(days=d) for d in weekdays]
        if all(usable(day) for day in days):
            run.append(days)
            if len(run) == count:
                return [day for week in run for day in week]
        else:
            run = []
        monday += datetime.timedelta(days=7)
    return []


def pick_day(start, usable, *, weekday=2, horizon_weeks=52):
    """The first day of `weekday` on or after `start` for which `usable(day)` holds, or None."""
    day = start + datetime.timedelta(days=(weekday - start.weekday()) % 7)
    for _ in range(horizon_weeks):
        if usable(day):
            return day
        day += datetime.timedelta(days=7)
    return None


def waiting_list_problems(rows, capacity, households):
    """What is wrong with the bookings of the hot spot, [] if nothing: rows are (pk, state, waiting position)
    of the unit's live bookings that day; exactly min(capacity, households) booked, the others waiting at
    positions 1..n (unique, contiguous) in the order their rows were inserted, i.e. the server's lock order,
    every booked one before every waiting one."""
    problems = []
    booked = sorted(pk for pk, state, _p in rows if state == "booked")
    waiting = sorted((position, pk) for pk, state, position in rows if state == "waiting")
    want_booked = min(capacity, households)
    if len(booked) != want_booked:
        problems.append(f"{len(booked)} réservées au lieu de {want_booked}")
    if len(waiting) != households - want_booked:
        problems.append(f"{len(waiting)} en attente au lieu de {households - want_booked}")
    positions = [position for position, _pk in waiting]
    if positions != list(range(1, len(waiting) + 1)):
        problems.append("rangs d'attente non contigus ou en double : "
                        f"{positions[:5]}…{positions[-5:]}" if positions else "aucun rang")
    pks = [pk for _position, pk in waiting]
    disorder = sum(1 for a, b in zip(pks, pks[1:], strict=False) if b < a)
    if disorder:
        problems.append(f"{disorder} rang(s) d'attente hors de l'ordre d'insertion (clé primaire)")
    if booked and waiting and max(booked) > min(pks):
        problems.append("une réservation acceptée est postérieure à une mise en attente")
    return problems


# --- Django ----------------------------------------------------------------------------------------------


def setup_django(env):
    """Django in this process, on the servers' database and cache (see portal_pages.pick_households)."""
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_catalogue():
    """({key: Activity} of the usual catalogue (activities.catalogue), whether it was made now): made if the
    commune has no activity yet; create_catalogue is idempotent, so a commune that has it gains nothing."""
    from enfance.activities.catalogue import create_catalogue
    from enfance.activities.models import Activity

    made = not Activity.objects.exists()
    return create_catalogue(), made


def family_logins(limit=None):
    """[(username, family id)] of the generated family logins of live households, by username."""
    from enfance.accounts.models import User

    rows = (User.objects.filter(role="family", is_active=True, username__startswith="gen.",
                                family__archived_at__isnull=True)
            .order_by("username").values_list("username", "family_id"))
    return list(rows[:limit] if limit else rows)


def children_by_family(family_ids):
    """{family id: [(child id, school, birth date, shared custody)]} for these households, children by birth
    date; `shared` when the child has a link to another household too."""
    from django.db.models import Count

    from enfance.families.models import ChildLink

    links = list(ChildLink.objects.filter(family_id__in=list(family_ids))
                 .annotate(households=Count("child__links"))
                 .values_list("family_id", "child_id", "child__school", "child__birth_date", "households")
                 .order_by("family_id", "child__birth_date", "child_id"))
    found = {}
    for family_id, child_id, school, birth, households in links:
        found.setdefault(family_id, []).append((child_id, school, birth, households > 1))
    return found


def place_problems(place_ids=None, days=None):
    """(PlaceDay rows checked, [overbooked], [count not matching]) over every PlaceDay (or those places and
    days): booked <= capacity, and booked == the number of live booked bookings that took it (Booking.taken)."""
    from django.db.models import Count, F, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from enfance.activities.models import Booking, PlaceDay

    through = Booking.taken.through
    took = (through.objects.filter(placeday_id=OuterRef("pk"), booking__state=Booking.State.BOOKED)
            .order_by().values("placeday_id").annotate(n=Count("pk")).values("n"))
    rows = PlaceDay.objects.all()
    if place_ids is not None:
        rows = rows.filter(place_id__in=list(place_ids))
    if days is not None:
        rows = rows.filter(day__in=list(days))
    rows = list(rows.annotate(took=Coalesce(Subquery(took, output_field=IntegerField()), 0),
                              capacity=F("place__capacity"))
                .values("place__name", "day", "booked", "capacity", "took").order_by("day", "place_id"))
    over = [r for r in rows if r["booked"] > r["capacity"]]
    mismatched = [r for r in rows if r["booked"] != r["took"]]
    return len(rows), over, mismatched


def reset_bookings(*, unit_ids, days, family_ids=None):
    """In one transaction: delete the bookings of these units on these days (of these households only, if
    given), withdraw those households' pending requests of bookings (their open lines would refuse the next
    run's), and set each PlaceDay row of the units' places on those days to the number of live booked bookings
    that still took it. Locks in bookings.py's order: the PlaceDay rows (by day, place id), then the bookings.
    (bookings deleted, requests withdrawn)."""
    from django.db import transaction
    from django.db.models import Count, Q

    from enfance.activities.models import Booking, PlaceDay, Unit
    from enfance.changes.models import ChangeRequest, RequestLine

    days = sorted(set(days))
    place_ids = set(Unit.places.through.objects.filter(unit_id__in=unit_ids).values_list("place_id", flat=True))
    with transaction.atomic():
        list(PlaceDay.objects.select_for_update(no_key=True).filter(place_id__in=place_ids, day__in=days)
             .order_by("day", "place_id").values_list("pk", flat=True))
        doomed = Booking.objects.filter(unit_id__in=unit_ids, day__in=days)
        pending = ChangeRequest.objects.filter(status=ChangeRequest.Status.PENDING, request_type="bookings")
        if family_ids is not None:
            doomed = doomed.filter(family_id__in=list(family_ids))
            pending = pending.filter(family_id__in=list(family_ids))
        deleted = doomed.count()
        doomed.delete()  # their Booking.taken rows and absences go with them
        pending_ids = list(pending.values_list("pk", flat=True))
        withdrawn = ChangeRequest.objects.filter(pk__in=pending_ids).update(
            status=ChangeRequest.Status.CANCELLED, conflict_key="")
        RequestLine.objects.filter(request_id__in=pending_ids, is_open=True).update(
            is_open=False, outcome=RequestLine.Outcome.CANCELLED, conflict_key="")
        through = Booking.taken.through
        counts = dict(through.objects.filter(placeday__place_id__in=place_ids, placeday__day__in=days)
                      .filter(Q(booking__state=Booking.State.BOOKED)).values("placeday_id")
                      .annotate(n=Count("pk")).values_list("placeday_id", "n"))
        for row in PlaceDay.objects.filter(place_id__in=place_ids, day__in=days):
            if row.booked != counts.get(row.pk, 0):
                row.booked = counts.get(row.pk, 0)
                row.save(update_fields=["booked"])
    return deleted, withdrawn


def usable_for(family, lines_of, *, margin=datetime.timedelta(hours=1)):
    """usable(day) for pick_weeks/pick_day: the commune's calendar and the activity's rules (deadline,
    opening, closures, age, school) accept every line lines_of(day) gives for `family`, `margin` from now
    (a run takes minutes: a deadline an hour away is too close)."""
    from django.utils import timezone

    from enfance.activities import bookings

    later = timezone.now() + margin

    def usable(day):
        lines = {i: line for i, line in enumerate(lines_of(day))}
        return bool(lines) and not bookings.refusals(family=family, lines=lines, now=later)

    return usable


def close_connections():
    from django.db import connections

    connections.close_all()


def start(args, pp):
    """What both booking benches do first: a temporary folder, the servers' environment, the static files, the
    cache table without Redis, Django set up, the catalogue made if missing. (var_dir, env, log_path,
    catalogue)."""
    var_dir = Path(tempfile.mkdtemp(prefix="enfance-bench-"))
    env = pp.server_env(args, var_dir)
    print(f"Base : {args.database_url}")
    pp.manage(env, "collectstatic", "--noinput", "-v", "0")
    if not env.get("REDIS_URL"):
        pp.manage(env, "createcachetable")
    setup_django(env)
    catalogue, made = ensure_catalogue()
    if made:
        print("Catalogue absent : créé par activities.catalogue.create_catalogue().")
    return var_dir, env, var_dir / "gunicorn.log", catalogue
