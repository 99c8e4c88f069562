#!/usr/bin/env python3
"""Where one calendar submission spends its time, in-process: `bench/profile_submission.py`.

The submission of bench/bookings_open.py (one household, 2 children, the canteen 4 days a week for 4 weeks: 32
lines) POSTed through Django's test client (DEBUG off, the database and cache of the environment), after the
same reset, --requests times. Prints the time per submission and, per stage (the view, requests.submit, the
lines' insertion and judging, requests.approve, bookings.change_many, the redirect target's page), the time
and SQL queries spent in it; then cProfile's functions by cumulative time (--top). See bench/README.md.
"""

import argparse
import cProfile
import functools
import os
import pstats
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import booking_bench as bb  # noqa: E402
import bookings_open  # noqa: E402

STAGES = defaultdict(lambda: [0.0, 0, 0.0, 0])  # name: [seconds, queries, seconds in SQL, calls]
CURRENT = []


def staged(owner, name, label):
    """Wrap owner.name to add its time to STAGES[label]; its queries go to the innermost stage."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        CURRENT.append(label)
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            STAGES[label][0] += time.perf_counter() - started
            STAGES[label][3] += 1
            CURRENT.pop()

    setattr(owner, name, wrapper)


def count_queries(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        for label in set(CURRENT) or {"(hors étapes)"}:
            STAGES[label][1] += 1
            STAGES[label][2] += time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10, help="submissions measured (each after a reset)")
    parser.add_argument("--top", type=int, default=40, help="cProfile lines printed (0: no profile)")
    parser.add_argument("--from", dest="start", help="first day to look for the 4 weeks from (YYYY-MM-DD)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enfance.settings")
    os.environ.update(DEBUG="0", ALLOWED_HOSTS="testserver", ENFANCE_HTTPS="0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("ENFANCE_VAR_DIR", tempfile.mkdtemp(prefix="enfance-profile-"))
    bb.setup_django({})
    import datetime

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from enfance.accounts.models import User
    from enfance.activities import bookings, request_types
    from enfance.changes import services
    from enfance.portal import activity_views

    call_command("collectstatic", interactive=False, verbosity=0)
    catalogue, _made = bb.ensure_catalogue()
    units = {catalogue[k].schools[0]: catalogue[k].units.get() for k in ("canteen_e", "canteen_m")}
    (household,), _assigned = bookings_open.pick(1, assign_schools=False)
    start = datetime.date.fromisoformat(args.start) if args.start else timezone.localdate()
    days, keys = bookings_open.plan([household], units, start)
    unit_ids = [u.pk for u in units.values()]
    months = bb.months_of(days)
    client = Client()
    client.force_login(User.objects.get(username=household["username"]))

    def body():
        boxes, was = {}, set()
        for month in months:
            page = client.get(f"{bb.CALENDAR}?mois={month}")
            assert page.status_code == 200, page.status_code
            _token, page_boxes, page_was = bb.parse_calendar_form(page.content.decode())
            boxes.update(page_boxes)
            was |= page_was
        checked = {k for k, on in boxes.items() if on} | set(keys[household["username"]])
        return {"mois": months[0], "b": sorted(checked), "was": sorted(was)}

    def submit(follow):
        bb.reset_bookings(unit_ids=unit_ids, days=days, family_ids=[household["family_id"]])
        data = body()
        STAGES.clear()
        started = time.perf_counter()
        with connection.execute_wrapper(count_queries):
            CURRENT.append("POST (la vue entière)")
            response = client.post(bb.CALENDAR, data)
            CURRENT.pop()
            elapsed = time.perf_counter() - started
            assert response.status_code == 302 and bb.request_id(response["Location"]), response
            if follow:
                CURRENT.append("page de la demande (GET)")
                page_started = time.perf_counter()
                assert client.get(response["Location"]).status_code == 200
                STAGES["page de la demande (GET)"][0] += time.perf_counter() - page_started
                STAGES["page de la demande (GET)"][3] += 1
                CURRENT.pop()
        STAGES["POST (la vue entière)"][0] += elapsed
        STAGES["POST (la vue entière)"][3] += 1
        return elapsed

    staged(activity_views, "_submit_keys", "vue : _submit_keys (enfants, prestations, lignes)")
    staged(services, "submit", "services.submit")
    staged(services, "_add_lines", "services._add_lines (insertion + judge_submission)")
    staged(request_types.BookingsType, "judge_submission", "BookingsType.judge_submission (refusals)")
    staged(services, "approve", "services.approve")
    staged(request_types.BookingsType, "decide_lines", "BookingsType.decide_lines")
    staged(bookings, "change_many", "bookings.change_many")
    staged(bookings, "_prejudge", "bookings._prejudge")
    staged(bookings, "_lock_places", "bookings._lock_places")
    staged(bookings, "_book_locked", "bookings._book_locked (par ligne)")
    staged(services, "_close_line", "services._close_line (par ligne)")
    staged(activity_views, "_outcome_message", "vue : _outcome_message")

    for _ in range(3):
        submit(follow=True)  # warm-up
    totals = defaultdict(lambda: [0.0, 0, 0.0, 0])
    times = []
    for _ in range(args.requests):
        times.append(submit(follow=True))
        for label, (seconds, queries, sql, calls) in STAGES.items():
            t = totals[label]
            t[0], t[1], t[2], t[3] = t[0] + seconds, t[1] + queries, t[2] + sql, t[3] + calls
    n = args.requests
    print(f"Foyer {household['username']}, {len(keys[household['username']])} lignes, jours "
          f"{days[0]:%d/%m/%Y} à {days[-1]:%d/%m/%Y} ; {n} soumissions : "
          f"{sum(times) / n * 1000:.1f} ms par soumission (min {min(times) * 1000:.1f} ms)")
    print(f"  {'ms/soum.':>9} {'SQL/soum.':>9} {'ms SQL':>7} {'appels':>6}  étape")
    for label, (seconds, queries, sql, calls) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        print(f"  {seconds / n * 1000:9.1f} {queries / n:9.0f} {sql / n * 1000:7.1f} {calls / n:6.0f}  {label}")
    if args.top:
        profiler = cProfile.Profile()
        for _ in range(n):
            bb.reset_bookings(unit_ids=unit_ids, days=days, family_ids=[household["family_id"]])
            data = body()
            profiler.enable()
            client.post(bb.CALENDAR, data)
            profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    bb.reset_bookings(unit_ids=unit_ids, days=days, family_ids=[household["family_id"]])


if __name__ == "__main__":
    main()
