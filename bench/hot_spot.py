#!/usr/bin/env python3
"""The hot spot: --households households competing for the places of one Wednesday through the portal's form.

On a database filled by `manage.py generate_commune` (DATABASE_URL, default the enfance_bench PostgreSQL
database), this script:

1. makes the usual catalogue (activities.catalogue) if the commune has no activity;
2. picks the first Wednesday open to booking now ("Mercredis loisirs", unit "Journée avec repas": its deadline,
   the school holidays, the closures decide) and --households generated households (500), each with a child of
   the activity's ages that day, not in shared custody;
3. resets that Wednesday: every booking of the activity's units that day deleted, the PlaceDay counts set back
   (ORM, one transaction);
4. starts gunicorn as in production (DEBUG off, Redis when REDIS_URL is set), logs every household in through
   the real login form and GETs its month page (--threads threads), so that every POST is ready;
5. fires: --threads threads post the 500 submissions as fast as the server answers, each ONE submission of the
   calendar form booking one child for that Wednesday;
6. checks the database: exactly min(capacity, households) booked, the others waiting at positions 1..n (unique,
   contiguous) in the order the server took the lock (booking primary keys increase with the position, every
   booked one before every waiting one), each household one live booking, each PlaceDay's count right.

Prints the wall time of the firing, submissions per second, p50 and p95 of a submission, the errors (an answer
other than a 302 to /portail/demandes/), and the checks. See bench/README.md.
"""

import argparse
import os
import queue
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

import booking_bench as bb  # noqa: E402
import portal_pages as pp  # noqa: E402

UNIT = "Journée avec repas"


def pick(count, activity, day):
    """[{username, family_id, child}] of `count` households with a child of the activity's ages on `day`."""
    from enfance.activities.bookings import age_on

    logins = bb.family_logins()
    chosen = []
    for start in range(0, len(logins), 2000):
        batch = logins[start:start + 2000]
        kids = bb.children_by_family([family_id for _u, family_id in batch])
        for username, family_id in batch:
            for child_id, school, birth, shared in kids.get(family_id, []):
                age = age_on(birth, day)
                if shared or (activity.min_age is not None and age < activity.min_age) or \
                        (activity.max_age is not None and age > activity.max_age) or \
                        (activity.schools and school not in activity.schools):
                    continue
                chosen.append({"username": username, "family_id": family_id, "child": child_id})
                break
            if len(chosen) == count:
                return chosen
    raise SystemExit(f"Only {len(chosen)} households with a child of {activity.name}'s ages (of {count}).")


def in_threads(items, work, threads):
    """work(item) for every item, `threads` at a time: [result or exception] in the items' order."""
    jobs = queue.Queue()
    for i, item in enumerate(items):
        jobs.put((i, item))
    results = [None] * len(items)

    def loop():
        while True:
            try:
                i, item = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                results[i] = work(item)
            except (OSError, RuntimeError) as exc:
                results[i] = exc

    pool = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(1800)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or pp.DEFAULT_DATABASE_URL)
    parser.add_argument("--password", default="Bench-Password-2026", help="password of the generated logins")
    parser.add_argument("--households", type=int, default=500, help="households competing")
    parser.add_argument("--threads", type=int, default=24, help="client threads (16 to 32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--from", dest="start", help="first day to look for the Wednesday from (YYYY-MM-DD)")
    parser.add_argument("--floor", action="store_true", help="measure the floor (bench/floor/) first")
    args = parser.parse_args()
    for name in ("households", "threads", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")

    proc = None
    var_dir = None
    try:
        var_dir, env, log_path, catalogue = bb.start(args, pp)
        import datetime

        from django.db.models import Count
        from django.utils import timezone

        from enfance.activities.bookings import Line
        from enfance.activities.calendar import OpeningCalendar
        from enfance.activities.models import Booking
        from enfance.changes.models import RequestLine
        from enfance.families.models import Child, Family

        activity = catalogue["wednesday"]
        unit = activity.units.get(name=UNIT)
        places = list(unit.places.order_by("pk"))
        capacity = min(p.capacity for p in places)
        unit_ids = list(activity.units.values_list("pk", flat=True))
        start = datetime.date.fromisoformat(args.start) if args.start else timezone.localdate()
        # The day is picked with a probe household (the first of a first pick), then the households of that day.
        probe = pick(1, activity, start + datetime.timedelta(days=14))[0]
        family, child = Family.objects.get(pk=probe["family_id"]), Child.objects.get(pk=probe["child"])
        opening = OpeningCalendar.load(start, start + datetime.timedelta(days=366))
        rules = bb.usable_for(family, lambda d: [Line(child, unit, d)])
        day = bb.pick_day(start, lambda d: opening.is_school_day(d) and rules(d), weekday=2)
        if day is None:
            raise SystemExit("No Wednesday open to booking within a year.")
        households = pick(args.households, activity, day)
        deleted, withdrawn = bb.reset_bookings(unit_ids=unit_ids, days=[day])
        print(f"Mercredi : {day:%d/%m/%Y}, « {activity.name} – {unit.name} » ({len(places)} lieux, {capacity} places) ; "
              f"{len(households)} foyers ({households[0]['username']} …), un enfant chacun")
        print(f"Remise à zéro (ORM, une transaction) : {deleted} réservation(s) de ce jour supprimée(s), "
              f"{withdrawn} demande(s) en attente retirée(s), compteurs PlaceDay recalculés")
        month = bb.month_of(day)
        keys = {h["username"]: bb.key(h["child"], unit.pk, day) for h in households}
        bb.close_connections()

        floor = None
        if args.floor:
            floor_args = SimpleNamespace(password=args.password, workers=args.workers, warmup=10, requests=200,
                                         duration=10.0)
            floor = pp.measure_floor(floor_args, env, households[0], households[:args.threads], log_path)
            print(f"Plancher : {pp.FLOOR_PAGE} médiane {floor['median'] * 1000:.1f} ms, p95 {floor['p95'] * 1000:.1f} ms ; "
                  f"{floor['rate']:.0f} requêtes/s à {args.threads} clients")

        load_start = pp.load_average()
        port = pp.free_port()
        proc = pp.start_server("enfance.wsgi", pp.ROOT, env, args.workers, port, log_path)
        cache = "Redis" if env.get("REDIS_URL") else "base de données"
        print(f"gunicorn : {args.workers} workers sync, DEBUG off, http://{pp.HOST}:{port}/ (cache : {cache})")

        def prepare(household):
            session = pp.Session(port, timeout=300)
            session.login(household["username"], args.password)
            status, _h, body, _t = session.get(f"{bb.CALENDAR}?mois={month}")
            if status != 200:
                raise RuntimeError(f"{household['username']}: HTTP {status}")
            csrf, boxes, was = bb.parse_calendar_form(body.decode("utf-8", "replace"))
            wanted = keys[household["username"]]
            if wanted not in boxes or boxes[wanted] or not csrf:
                raise RuntimeError(f"{household['username']}: case {wanted} absente ou déjà cochée")
            checked = {k for k, on in boxes.items() if on} | {wanted}
            return session, bb.form_body(csrf, month, checked, was)

        started = time.perf_counter()
        ready = in_threads(households, prepare, args.threads)
        failed = [r for r in ready if isinstance(r, Exception)]
        print(f"{len(households) - len(failed)} foyers connectés (formulaire de connexion) et leur page du mois lue "
              f"en {time.perf_counter() - started:.1f} s, {args.threads} fils" + (f" ; {len(failed)} échecs : "
                                                                                  f"{failed[:3]}" if failed else ""))

        def fire(prepared):
            session, body = prepared
            status, headers, _b, elapsed = session.request("POST", bb.CALENDAR, body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{pp.HOST}:{port}{bb.CALENDAR}"})
            return status, headers.get("Location"), elapsed

        fired_at = time.perf_counter()
        answers = in_threads([r for r in ready if not isinstance(r, Exception)], fire, args.threads)
        wall = time.perf_counter() - fired_at
        load_end = pp.load_average()
        errors = [a for a in answers if isinstance(a, Exception) or a[0] != 302 or bb.request_id(a[1]) is None]
        times = [a[2] for a in answers if not isinstance(a, Exception)]
        request_ids = [bb.request_id(a[1]) for a in answers if not isinstance(a, Exception) and bb.request_id(a[1])]
        print(f"\nTir : {len(answers)} soumissions en {wall:.2f} s, {len(answers) / wall:.1f} soumissions/s, "
              f"{args.threads} fils ; soumission p50 {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {pp.percentile(times, 0.95) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms"
              + (f" (plancher : {pp.times_floor(statistics.median(times), floor['load_median'])} / "
                 f"{pp.times_floor(pp.percentile(times, 0.95), floor['load_p95'])})" if floor else ""))
        print(f"  erreurs : {len(errors) + len(failed)}" + "".join(f"\n    {e}" for e in errors[:10]))

        rows = list(Booking.objects.filter(unit=unit, day=day).exclude(state=Booking.State.CANCELLED)
                    .values_list("pk", "state", "waiting_position"))
        booked = sum(1 for _pk, state, _p in rows if state == Booking.State.BOOKED)
        waiting = sum(1 for _pk, state, _p in rows if state == Booking.State.WAITING)
        problems = bb.waiting_list_problems(rows, capacity, len(households))
        per_family = (Booking.objects.filter(unit_id__in=unit_ids, day=day).exclude(state=Booking.State.CANCELLED)
                      .values("family_id").annotate(n=Count("pk")).filter(n__gt=1).count())
        checked, over, mismatched = bb.place_problems(place_ids=[p.pk for p in places], days=[day])
        outcomes = dict(RequestLine.objects.filter(request_id__in=request_ids).values("outcome")
                        .annotate(n=Count("pk")).values_list("outcome", "n"))
        positions = sorted(p for _pk, state, p in rows if state == Booking.State.WAITING)
        print(f"\nContrôle de la base : {booked} réservées, {waiting} en attente (rangs "
              f"{positions[0] if positions else '-'} à {positions[-1] if positions else '-'}), "
              f"{len(rows)} réservations vivantes pour {len(households)} foyers ; "
              f"foyers avec plus d'une réservation : {per_family}")
        print(f"  ordre de la liste d'attente = ordre de prise du verrou (clés croissantes avec le rang, réservées "
              f"avant les attentes) : {'oui' if not problems else 'NON'}")
        for problem in problems:
            print(f"    {problem}")
        print(f"  PlaceDay : {checked} lignes, {len(over)} en surréservation, {len(mismatched)} compteur(s) faux ; "
              f"lignes des demandes : {outcomes}")
        print(f"  charge de la machine : {load_start:.1f} au début, {load_end:.1f} à la fin ({os.cpu_count()} cœurs)")
        ok = not problems and not over and not mismatched and not errors and not failed and not per_family
        print(f"\nRésultat : {'conforme' if ok else 'NON conforme'} ({booked} réservées / {waiting} en attente, "
              f"attendu {min(capacity, len(households))} / {max(0, len(households) - capacity)}), "
              f"{len(errors) + len(failed)} erreur(s), {wall:.2f} s")
    except BaseException:
        if log_path.exists():
            tail = log_path.read_text(errors="replace").splitlines()[-30:]
            if tail:
                print("--- fin du journal de gunicorn ---\n" + "\n".join(tail), file=sys.stderr)
        raise
    finally:
        pp.stop_server(proc)
        if var_dir is not None:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
