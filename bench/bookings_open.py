#!/usr/bin/env python3
"""The day bookings open: concurrent households booking a month of canteen through the portal's own form.

On a database filled by `manage.py generate_commune` (DATABASE_URL, default the enfance_bench PostgreSQL
database), this script:

1. makes the usual catalogue (activities.catalogue) if the commune has no activity;
2. picks --clients generated households, each with exactly 2 children, both at one school of a canteen
   (catalogue.PRIMAIRE or MATERNELLE) and neither in shared custody, and 4 consecutive school weeks whose
   canteen days (Monday, Tuesday, Thursday, Friday) are all open to booking now (deadline, holidays, public
   holidays, closures: the commune's calendar and the booking rules decide);
3. measures the floor (bench/floor/, as bench/portal_pages.py does) unless --no-floor;
4. starts gunicorn as in production (DEBUG off, Redis when REDIS_URL is set) and logs every household in
   through the real login form;
5. --rounds times: deletes the bench households' canteen bookings of those weeks and sets the PlaceDay counts
   back (ORM, one transaction); every client GETs its month page(s), then all POST at once, each ONE
   submission of the calendar form (csrf, mois, b, was) holding its 2 children x 16 days = 32 new lines, the
   checkbox values of both months when the weeks span two; afterwards each follows its redirect to
   /portail/demandes/<id>/;
6. then the same with one client alone (--single-rounds submissions, one after the other), for the latency of
   one submission on an idle server;
7. checks the database: every household has its 32 bookings, every line of every request its outcome, and for
   every PlaceDay booked <= capacity and booked == the live booked bookings that took it (Booking.taken).

Prints bookings (child-unit-days booked) per second, submissions per second, p50 and p95 of a submission (the
POST), the month page and the request page, errors (an answer other than a 302 to /portail/demandes/), each
figure also against the floor. See bench/README.md.
"""

import argparse
import os
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

AIM_RATE = 400  # bookings per second at 16 clients
AIM_P95 = 0.250  # seconds, one client alone
WEEKS = 4


def pick(count, *, assign_schools):
    """[{username, family_id, school, children: [child ids]}] of `count` households of 2 children at one
    canteen school, no shared custody. With assign_schools, households of 2 children at other schools make up
    the number, their children moved to catalogue.PRIMAIRE (the bench's own database only)."""
    from enfance.activities import catalogue
    from enfance.families.models import Child

    schools = (catalogue.PRIMAIRE, catalogue.MATERNELLE)
    logins = bb.family_logins(limit=5000)
    kids = bb.children_by_family([family_id for _u, family_id in logins])
    chosen, spare = [], []
    for username, family_id in logins:
        children = kids.get(family_id, [])
        if len(children) != 2 or any(shared for *_x, shared in children):
            continue
        found = {school for _c, school, _b, _s in children}
        entry = {"username": username, "family_id": family_id, "children": [c for c, *_x in children]}
        if len(found) == 1 and found <= set(schools):
            chosen.append({**entry, "school": found.pop()})
        else:
            spare.append({**entry, "school": catalogue.PRIMAIRE})
        if len(chosen) == count:
            return chosen, 0
    assigned = 0
    if assign_schools:
        for entry in spare[: count - len(chosen)]:
            assigned += Child.objects.filter(pk__in=entry["children"]).update(school=catalogue.PRIMAIRE)
            chosen.append(entry)
    if len(chosen) < count:
        raise SystemExit(f"Only {len(chosen)} households of 2 children at one canteen school (of {count}): "
                         "use --assign-schools, or a larger commune.")
    return chosen, assigned


def plan(households, units_by_school, start):
    """The weeks, days and keys of every household: (days, {username: [keys]}); SystemExit if no 4 weeks."""
    import datetime

    from enfance.activities.bookings import Line
    from enfance.activities.calendar import OpeningCalendar
    from enfance.families.models import Child, Family

    first = households[0]
    family = Family.objects.get(pk=first["family_id"])
    children = list(Child.objects.filter(pk__in=first["children"]))
    unit = units_by_school[first["school"]]
    horizon_end = start + datetime.timedelta(days=7 * 52)
    opening = OpeningCalendar.load(start, horizon_end)
    rules = bb.usable_for(family, lambda day: [Line(child, unit, day) for child in children])

    def usable(day):
        return opening.is_school_day(day) and rules(day)

    days = bb.pick_weeks(start, usable, count=WEEKS)
    if not days:
        raise SystemExit("No 4 consecutive school weeks open to booking within a year.")
    keys = {h["username"]: [bb.key(child, units_by_school[h["school"]].pk, day) for day in days
                            for child in h["children"]] for h in households}
    return days, keys


def check_open(households, units_by_school, days):
    """Every line of every household open to booking (the rules, before any capacity): [] or what refuses."""
    from enfance.activities import bookings
    from enfance.activities.bookings import Line
    from enfance.families.models import Child, Family

    refused = []
    for h in households:
        family = Family.objects.get(pk=h["family_id"])
        children = list(Child.objects.filter(pk__in=h["children"]))
        lines = {(c.pk, d): Line(c, units_by_school[h["school"]], d) for c in children for d in days}
        refused += [f"{h['username']} {k}: {r.message}" for k, r in bookings.refusals(family=family,
                                                                                       lines=lines).items()]
    return refused


def booked_counts(households, unit_ids, days):
    """{family id: live booked bookings of its children, of these units, on these days}."""
    from django.db.models import Count

    from enfance.activities.models import Booking

    rows = (Booking.objects.filter(family_id__in=[h["family_id"] for h in households], unit_id__in=unit_ids,
                                   day__in=days, state=Booking.State.BOOKED)
            .values("family_id").annotate(n=Count("pk")).values_list("family_id", "n"))
    return dict(rows)


def line_outcomes(request_ids):
    """{outcome: lines} over these requests, and the requests' statuses {status: n}."""
    from django.db.models import Count

    from enfance.changes.models import ChangeRequest, RequestLine

    lines = dict(RequestLine.objects.filter(request_id__in=request_ids).values("outcome")
                 .annotate(n=Count("pk")).values_list("outcome", "n"))
    statuses = dict(ChangeRequest.objects.filter(pk__in=request_ids).values("status")
                    .annotate(n=Count("pk")).values_list("status", "n"))
    return lines, statuses


class Client:
    """One household's browser: its session, the keys it books."""

    def __init__(self, port, household, keys, months):
        self.session = pp.Session(port, timeout=120)
        self.household, self.keys, self.months = household, keys, months

    def prepare(self):
        """GET the month page(s): the POST body, and the page times; RuntimeError if a key is not offered."""
        csrf, boxes, was, times = None, {}, set(), []
        for month in self.months:
            status, _h, body, elapsed = self.session.get(f"{bb.CALENDAR}?mois={month}")
            times.append(elapsed)
            if status != 200:
                raise RuntimeError(f"{self.household['username']}: {bb.CALENDAR}?mois={month} HTTP {status}")
            token, page_boxes, page_was = bb.parse_calendar_form(body.decode("utf-8", "replace"))
            csrf = token or csrf
            boxes.update(page_boxes)
            was |= page_was
        missing = [k for k in self.keys if k not in boxes]
        held = [k for k in self.keys if boxes.get(k)]
        if missing or held or not csrf:
            raise RuntimeError(f"{self.household['username']}: {len(missing)} cases absentes de la page, "
                               f"{len(held)} déjà cochées (remise à zéro ratée ?), jeton CSRF : {bool(csrf)}")
        checked = {k for k, on in boxes.items() if on} | set(self.keys)
        return bb.form_body(csrf, self.months[0], checked, was), times

    def post(self, body):
        return self.session.request("POST", bb.CALENDAR, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://{pp.HOST}:{self.session.port}{bb.CALENDAR}"})


def run_round(clients):
    """All clients GET their pages, then POST at the same moment, then follow their redirects.

    {"wall": seconds from the start to the last POST answered, "posts": [seconds], "pages": [seconds],
    "targets": [seconds], "errors": [why], "requests": [request ids]}."""
    n = len(clients)
    ready, fired, done = threading.Barrier(n + 1), threading.Barrier(n + 1), threading.Barrier(n)
    out = [None] * n

    def work(i, client):
        result = {"posts": [], "pages": [], "targets": [], "errors": [], "requests": [], "end": None}
        out[i] = result
        body = None
        try:
            body, result["pages"] = client.prepare()
        except (OSError, RuntimeError) as exc:
            result["errors"].append(str(exc))
        ready.wait(300)
        fired.wait(300)
        location = None
        if body is not None:
            try:
                status, headers, _b, elapsed = client.post(body)
                result["end"] = time.perf_counter()
                result["posts"].append(elapsed)
                location = headers.get("Location")
                number = bb.request_id(location)
                if status != 302 or number is None:
                    result["errors"].append(f"{client.household['username']}: HTTP {status} → {location}")
                else:
                    result["requests"].append(number)
            except OSError as exc:
                result["errors"].append(f"{client.household['username']}: {exc}")
        done.wait(600)
        if result["requests"]:
            status, _h, _b, elapsed = client.session.get(location)
            result["targets"].append(elapsed)
            if status != 200:
                result["errors"].append(f"{client.household['username']}: {location} HTTP {status}")

    threads = [threading.Thread(target=work, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    ready.wait(300)
    started = time.perf_counter()
    fired.wait(300)
    for t in threads:
        t.join(900)
    ends = [r["end"] for r in out if r and r["end"]]
    merged = {name: [x for r in out if r for x in r[name]] for name in ("posts", "pages", "targets", "errors",
                                                                          "requests")}
    merged["wall"] = (max(ends) - started) if ends else 0.0
    return merged


def run_phase(clients, rounds, reset, households, unit_ids, days, expected):
    """`rounds` rounds, each after a reset: the figures summed, and what the database says after each round."""
    total = {"posts": [], "pages": [], "targets": [], "errors": [], "requests": [], "wall": 0.0, "booked": 0,
             "short": [], "resets": []}
    for _ in range(rounds):
        total["resets"].append(reset())
        result = run_round(clients)
        for name in ("posts", "pages", "targets", "errors", "requests"):
            total[name] += result[name]
        total["wall"] += result["wall"]
        counts = booked_counts(households, unit_ids, days)
        total["booked"] += sum(counts.values())
        total["short"] += [f"{h['username']}: {counts.get(h['family_id'], 0)} réservations sur {expected}"
                           for h in households if counts.get(h["family_id"], 0) != expected]
    bb.close_connections()
    return total


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def describe(title, phase, clients, floor, floor_latency):
    """The lines of one phase's figures, each against the floor: floor_latency = (median, p95) of the floor's
    page under the same number of clients."""
    lines = [title]
    rate = phase["booked"] / phase["wall"] if phase["wall"] else 0.0
    submissions = len(phase["posts"]) / phase["wall"] if phase["wall"] else 0.0
    floor_rate = floor["rate"] if floor else None
    fmed, fp95 = floor_latency if floor else (None, None)

    def against(value, floor_value):
        ratio = pp.times_floor(value, floor_value)
        return f" = {ratio} le plancher" if ratio else ""

    lines.append(f"  réservations (enfant × prestation × jour) : {rate:.0f} /s"
                 + (f" = {rate / floor_rate:.2f} × le débit du plancher ({floor_rate:.0f} requêtes/s)"
                    if floor_rate else "")
                 + f" ({phase['booked']} en {phase['wall']:.2f} s de soumissions)")
    lines.append(f"  soumissions : {submissions:.1f} /s"
                 + (f" = {pp.share_of_floor(submissions, floor_rate)} du débit du plancher" if floor_rate else "")
                 + f" ({len(phase['posts'])} POST de {clients} client(s))")
    for label, values in (("soumission (POST)", phase["posts"]), ("page du mois (GET)", phase["pages"]),
                          ("page de la demande (GET après la redirection)", phase["targets"])):
        if values:
            p50, p95 = statistics.median(values), pp.percentile(values, 0.95)
            lines.append(f"  {label} : p50 {ms(p50)}{against(p50, fmed)}, p95 {ms(p95)}{against(p95, fp95)}"
                         f" sur {len(values)}")
    lines.append(f"  erreurs : {len(phase['errors'])}" + "".join(f"\n    {e}" for e in phase["errors"][:10]))
    if phase["short"]:
        lines.append(f"  foyers sans toutes leurs réservations : {len(phase['short'])}"
                     + "".join(f"\n    {s}" for s in phase["short"][:10]))
    return lines, rate, submissions


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or pp.DEFAULT_DATABASE_URL)
    parser.add_argument("--password", default="Bench-Password-2026", help="password of the generated logins")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients, each its own household")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the concurrent phase (one POST each)")
    parser.add_argument("--warmup-rounds", type=int, default=1,
                        help="rounds run first and not counted (each worker's first requests are slow)")
    parser.add_argument("--single-rounds", type=int, default=20,
                        help="submissions of the single-client phase (0: none)")
    parser.add_argument("--from", dest="start", help="first day to look for the 4 weeks from (YYYY-MM-DD); "
                        "default today")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--assign-schools", action="store_true",
                        help="if too few households of 2 children at a canteen school, move some to one")
    parser.add_argument("--no-floor", action="store_true", help="do not measure the floor first")
    parser.add_argument("--floor-requests", type=int, default=200, help="the floor's sequential requests")
    parser.add_argument("--floor-duration", type=float, default=10.0, help="seconds of the floor's concurrent run")
    args = parser.parse_args()
    for name in ("clients", "rounds", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")

    proc = None
    var_dir = None
    try:
        var_dir, env, log_path, catalogue = bb.start(args, pp)
        import datetime

        from django.utils import timezone

        units_by_school = {}
        for key in ("canteen_e", "canteen_m"):
            activity = catalogue[key]
            (school,) = activity.schools
            units_by_school[school] = activity.units.get()
        unit_ids = [u.pk for u in units_by_school.values()]
        households, assigned = pick(args.clients, assign_schools=args.assign_schools)
        if assigned:
            print(f"Écoles : {assigned} enfants des foyers du banc rattachés à « {households[-1]['school']} ».")
        start = datetime.date.fromisoformat(args.start) if args.start else timezone.localdate()
        days, keys = plan(households, units_by_school, start)
        months = bb.months_of(days)
        refused = check_open(households, units_by_school, days)
        if refused:
            raise SystemExit("Lines the rules refuse:\n  " + "\n  ".join(refused[:10]))
        expected = len(keys[households[0]["username"]])
        family_ids = [h["family_id"] for h in households]
        print(f"Semaines : du {days[0]:%d/%m/%Y} au {days[-1]:%d/%m/%Y} ({WEEKS} semaines, {len(days)} jours de "
              f"cantine), page(s) {', '.join(months)} ; {expected} lignes par soumission")
        schools = sorted({h["school"] for h in households})
        print(f"Foyers : {households[0]['username']} … {households[-1]['username']} ({len(households)}, 2 enfants "
              f"chacun ; écoles : {', '.join(schools)})")
        print("Remise à zéro avant chaque tour (ORM, une transaction) : les réservations de cantine de ces foyers "
              "sur ces jours supprimées, les compteurs PlaceDay recalculés.")

        def reset():
            return bb.reset_bookings(unit_ids=unit_ids, days=days, family_ids=family_ids)

        bb.close_connections()
        cache = "Redis" if env.get("REDIS_URL") else "base de données"
        floor = None
        if not args.no_floor:
            floor_args = SimpleNamespace(password=args.password, workers=args.workers, warmup=10,
                                         requests=args.floor_requests, duration=args.floor_duration)
            floor = pp.measure_floor(floor_args, env, households[0], households, log_path)
            print(f"\nPlancher (bench/floor, gunicorn {args.workers} workers, cache : {cache}) : "
                  f"{pp.FLOOR_PAGE} médiane {ms(floor['median'])}, p95 {ms(floor['p95'])} en séquence ; "
                  f"{floor['rate']:.0f} requêtes/s à {len(households)} clients (médiane {ms(floor['load_median'])}, "
                  f"p95 {ms(floor['load_p95'])}, {floor['load_errors']} erreurs) ; charge "
                  f"{floor['load'][0]:.1f} → {floor['load'][1]:.1f}")

        load_start = pp.load_average()
        port = pp.free_port()
        proc = pp.start_server("enfance.wsgi", pp.ROOT, env, args.workers, port, log_path)
        print(f"gunicorn : {args.workers} workers sync, DEBUG off, http://{pp.HOST}:{port}/ (cache : {cache})")
        clients = [Client(port, h, keys[h["username"]], months) for h in households]
        started = time.perf_counter()
        for client in clients:
            client.session.login(client.household["username"], args.password)
        print(f"{len(clients)} connexions par le formulaire en {time.perf_counter() - started:.1f} s\n")

        if args.warmup_rounds:
            warm = run_phase(clients, args.warmup_rounds, reset, households, unit_ids, days, expected)
            print(f"Chauffe : {args.warmup_rounds} tour(s) non compté(s), {len(warm['errors'])} erreur(s)")
        concurrent = run_phase(clients, args.rounds, reset, households, unit_ids, days, expected)
        lines, rate, _subs = describe(f"{len(clients)} client(s) en même temps, {args.rounds} tour(s) :", concurrent,
                                      len(clients), floor, floor and (floor["load_median"], floor["load_p95"]))
        print("\n".join(lines))
        single = None
        if args.single_rounds and len(clients) > 1:
            single = run_phase(clients[:1], args.single_rounds, reset, households[:1], unit_ids, days, expected)
            lines, _r, _s = describe(f"\nUn client seul, {args.single_rounds} soumissions l'une après l'autre :",
                                     single, 1, floor, floor and (floor["median"], floor["p95"]))
            print("\n".join(lines))
        load_end = pp.load_average()

        checked, over, mismatched = bb.place_problems()
        print(f"\nContrôle de la base : {checked} lignes PlaceDay, {len(over)} en surréservation, {len(mismatched)} "
              "dont le compteur diffère des réservations qui l'ont prise")
        for row in (over + mismatched)[:10]:
            print(f"  {row}")
        outcomes, statuses = line_outcomes(concurrent["requests"] + (single["requests"] if single else []))
        print(f"  lignes des demandes : {outcomes} ; demandes : {statuses}")
        print(f"  charge de la machine : {load_start:.1f} au début, {load_end:.1f} à la fin ({os.cpu_count()} cœurs)")

        p95_single = pp.percentile((single or concurrent)["posts"], 0.95) if (single or concurrent)["posts"] else None
        errors = len(concurrent["errors"]) + (len(single["errors"]) if single else 0)
        print("\nObjectifs (issue 8) :")
        print(f"  ≥ {AIM_RATE} réservations/s à 16 clients : {rate:.0f} /s à {len(clients)} clients "
              f"{'atteint' if rate >= AIM_RATE and len(clients) >= 16 else 'NON atteint' if rate < AIM_RATE else ''}")
        if p95_single is not None:
            print(f"  p95 d'une soumission d'un client seul < {AIM_P95 * 1000:.0f} ms : {ms(p95_single)} "
                  f"{'atteint' if p95_single < AIM_P95 else 'NON atteint'}")
        print(f"  0 erreur : {errors} ; 0 surréservation : {len(over)} ; compteurs justes : "
              f"{'oui' if not mismatched else 'NON'}")
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
