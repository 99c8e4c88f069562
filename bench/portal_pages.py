#!/usr/bin/env python3
"""Latency and throughput of the Portail Famille pages, served by gunicorn as in production.

On a database filled by `manage.py generate_commune` (DATABASE_URL, default the
enfance_bench PostgreSQL database), this script:

1. collects the static files into a temporary folder and makes sure the cache table exists;
2. starts gunicorn (2 sync workers, DEBUG off, plain http on 127.0.0.1);
3. logs in as a generated household through the real login form (GET the
   form, POST it with the CSRF token), crawls every /portail/ link reachable
   from the home page (same site, GET only, never /deconnexion/), and keeps one
   page per URL pattern (the first found; --all-pages keeps them all);
4. after a warm-up, prints the median and p95 latency of each page over
   --requests sequential requests, stating the household's size;
5. runs --clients concurrent clients (threads, each logged in as its own
   household of the same shape) for --duration seconds, round-robin over their
   pages, and prints the requests per second;
6. stops gunicorn.

Before that (unless --no-floor) it serves the floor, bench/floor/ (a bare Django project: a login, one
query, a 30-line template), with the same gunicorn, database and cache, measures its page the same way,
stops it, and prints every portal figure also as a ratio to the floor's. The two servers never run at
the same time: they would share the cores.

Only the Python standard library talks HTTP (http.client, one connection per
request as gunicorn's sync workers close it anyway). Everything stays on
127.0.0.1 and every loop is bounded. See bench/README.md.
"""

import argparse
import http.client
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/enfance_bench"
HOST = "127.0.0.1"
# The measured household has a conversation of at least this many messages, if the commune has one.
LONG_THREAD = 20
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- a minimal HTTP client with a cookie jar -----------------------------------------


class Session:
    def __init__(self, port, timeout=30):
        self.port = port
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes, seconds). One connection per request; redirects not followed."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        for raw in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.headers, data, elapsed

    def get(self, path):
        return self.request("GET", path)

    def login(self, username, password):
        status, _h, body, _t = self.get("/connexion/")
        match = CSRF_RE.search(body.decode("utf-8", "replace"))
        if status != 200 or not match:
            raise RuntimeError(f"login form: HTTP {status}, no CSRF token")
        form = urlencode({"csrfmiddlewaretoken": match.group(1), "username": username, "password": password,
                          "next": "/portail/"})
        status, headers, body, _t = self.request(
            "POST", "/connexion/", body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://{HOST}:{self.port}/connexion/"},
        )
        if status != 302 or "/connexion/" in (headers.get("Location") or ""):
            raise RuntimeError(f"login of {username} refused (HTTP {status}); wrong password or account locked?")
        status, _h, _b, _t = self.get("/portail/")
        if status != 200:
            raise RuntimeError(f"/portail/ after login of {username}: HTTP {status}")


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def portal_links(base, html, port):
    parser = LinkParser()
    parser.feed(html)
    found = []
    for href in parser.links:
        parts = urlsplit(urljoin(base, href))
        if parts.scheme not in ("", "http") or parts.netloc not in ("", f"{HOST}:{port}"):
            continue  # another site
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path.startswith("/portail/") and "/deconnexion/" not in parts.path:
            found.append(path)
    return found


def pattern_of(path):
    """The URL's pattern: identifiers in the path and numbers in the query string (a calendar's month) replaced."""
    path, _sep, query = path.partition("?")
    pattern = re.sub(r"/\d+(?=/|$)", "/<id>", path)
    return pattern + ("?" + re.sub(r"=[\d-]+(?=&|$)", "=<n>", query) if query else "")


def crawl(session, max_pages):
    """Every HTML page under /portail/ reachable from the home page: [(path, size in bytes)], skipped [(path, why)]."""
    queue, seen, pages, skipped = ["/portail/", "/portail/mes-informations/"], set(), [], []
    while queue and len(seen) < max_pages:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, headers, body, _t = session.get(path)
        kind = (headers.get("Content-Type") or "").split(";")[0]
        if status != 200 or kind != "text/html":
            skipped.append((path, f"HTTP {status} {kind}"))
            continue
        pages.append((path, len(body)))
        # Two pages of a pattern are enough to find the largest (the calendar links each month to the next).
        counts = {}
        for page_path, _size in pages:
            counts[pattern_of(page_path)] = counts.get(pattern_of(page_path), 0) + 1
        queue.extend(p for p in portal_links(path, body.decode("utf-8", "replace"), session.port)
                     if p not in seen and counts.get(pattern_of(p), 0) < 2)
    return pages, skipped, bool(queue)


def one_per_pattern(pages):
    """The largest page of each URL pattern (the conversation with the most messages, the child with the most
    records), in the order the crawl first met the pattern."""
    chosen = {}
    for path, size in pages:
        pattern = pattern_of(path)
        if pattern not in chosen or size > chosen[pattern][1]:
            chosen[pattern] = (path, size)
    return [path for path, _size in chosen.values()]


def percentile(values, fraction):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def ms(seconds):
    return f"{seconds * 1000:7.1f}"


def times_floor(value, floor):
    """How many times the floor's figure a portal figure is: "3.0 ×"; blank without a floor."""
    if not floor or value is None:
        return ""
    return f"{value / floor:.1f} ×"


def share_of_floor(rate, floor_rate):
    """A throughput as a share of the floor's: "36 %"; blank without a floor."""
    if not floor_rate or rate is None:
        return ""
    return f"{100 * rate / floor_rate:.0f} %"


def load_average():
    return os.getloadavg()[0]


def summary_lines(medians, rate, clients, floor):
    """The two headline lines: the median of the page medians and the throughput, against the floor if any.

    medians and floor["median"] in seconds; rate and floor["rate"] in requests per second.
    """
    median = statistics.median(medians)
    lines = [f"Médiane des médianes : {median * 1000:.1f} ms"]
    if floor:
        lines[0] += f" = {times_floor(median, floor['median'])} le plancher ({floor['median'] * 1000:.1f} ms)"
    lines.append(f"Débit à {clients} clients : {rate:.0f} requêtes/s")
    if floor:
        lines[1] += f" = {share_of_floor(rate, floor['rate'])} de celui du plancher ({floor['rate']:.0f} requêtes/s)"
    return lines


# --- the server ------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(args, var_dir):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": args.database_url,
        "DEBUG": "0",
        "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ENFANCE_HTTPS": "0",  # plain http on localhost: cookies without the Secure flag
        "ALLOWED_HOSTS": HOST,
        "ENFANCE_VAR_DIR": str(var_dir),  # STATIC_ROOT (collectstatic) goes to a temporary folder
        "DJANGO_SETTINGS_MODULE": "enfance.settings",
    })
    env.pop("ENFANCE_TESTING", None)
    return env


def manage(env, *arguments):
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *arguments], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def start_server(module, chdir, env, workers, port, log_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [str(gunicorn), module, "-w", str(workers), "-b", f"{HOST}:{port}", "--chdir", str(chdir)],
            cwd=chdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_until_up(port, proc)
    except BaseException:
        stop_server(proc)
        raise
    return proc


def stop_server(proc):
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def floor_env(env):
    """The portal's environment (database, cache, DEBUG off, secret key, hosts) with the floor's settings."""
    return {**env, "DJANGO_SETTINGS_MODULE": "floor.settings"}


def wait_until_up(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn stopped during start-up")
        try:
            status, *_ = Session(port, timeout=5).get("/connexion/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s")


# --- the households ----------------------------------------------------------------------


def pick_households(env, count, children):
    """The household measured first, then `count` households for the concurrent clients (same shape if possible)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections
    from django.db.models import Count, Exists, OuterRef

    from enfance.accounts.models import User
    from enfance.families.models import BankAccount, Vaccination
    from enfance.messaging.models import Thread

    base = (User.objects.filter(role="family", is_active=True, username__startswith="gen.",
                                family__archived_at__isnull=True, family__dossier_received_on__isnull=False)
            .order_by("username"))
    if not base.exists():
        raise SystemExit("No generated household in this database: run "
                         "`manage.py generate_commune --families 20000` first (see bench/README.md).")
    # Look at a bounded slice only: counting over 20,000 households is not the point.
    candidates = list(
        base.filter(pk__in=list(base.values_list("pk", flat=True)[:3000]))
        .annotate(guardians=Count("family__guardians", distinct=True),
                  children=Count("family__child_links", distinct=True),
                  persons=Count("family__authorized_persons", distinct=True),
                  bank=Exists(BankAccount.objects.filter(family_id=OuterRef("family_id"))),
                  long_thread=Exists(Thread.objects.filter(family_id=OuterRef("family_id"))
                                     .annotate(n=Count("messages")).filter(n__gte=LONG_THREAD)))
        .values("username", "family_id", "guardians", "children", "persons", "bank", "long_thread")
    )
    # Exactly `children` children first (the calendar's aim is for a household of 3: one of 5 is another page),
    # then the nearest count, more before fewer.
    candidates.sort(key=lambda c: (abs(c["children"] - children), c["children"] < children, -c["long_thread"],
                                   -c["guardians"], -c["bank"], -c["persons"], c["username"]))
    chosen = candidates[: count + 1]
    for c in chosen:
        c["vaccinations"] = Vaccination.objects.filter(child__links__family_id=c["family_id"]).count()
        threads = Thread.objects.filter(family_id=c["family_id"]).annotate(n=Count("messages"))
        c["threads"] = len(sizes := [t.n for t in threads])
        c["longest"] = max(sizes, default=0)
    connections.close_all()
    return chosen[0], chosen[1 : count + 1]


def query_counts(username, pages):
    """SQL queries per page, rendered in this process by Django's test client (same settings, same database)."""
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from enfance.accounts.models import User

    client = Client(HTTP_HOST=HOST)
    client.force_login(User.objects.get(username=username))
    counts = {}
    for path in pages:
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path).status_code
        counts[path] = len(queries) if status == 200 else None
    client.logout()
    connections.close_all()
    return counts


# --- the measures -------------------------------------------------------------------------


def measure_pages(session, pages, warmup, requests):
    for _ in range(warmup):
        for path in pages:
            session.get(path)
    results = []
    for path in pages:
        times, errors = [], 0
        for _ in range(requests):
            status, _h, _b, elapsed = session.get(path)
            if status != 200:
                errors += 1
            times.append(elapsed)
        results.append((path, statistics.median(times), percentile(times, 0.95), errors))
    return results


def throughput(port, logins, password, duration, pages_of):
    """pages_of(session) -> the paths that logged-in client goes round."""
    sessions = []
    for household in logins:
        session = Session(port)
        session.login(household["username"], password)
        sessions.append((session, pages_of(session)))
    barrier = threading.Barrier(len(sessions) + 1)
    results = [None] * len(sessions)

    def client(index, session, pages):
        times, errors = [], 0
        barrier.wait()
        deadline = time.perf_counter() + duration
        i = index  # each client starts at a different page
        while time.perf_counter() < deadline:
            try:
                status, _h, _b, elapsed = session.get(pages[i % len(pages)])
            except OSError:
                status, elapsed = 0, 0.0
            i += 1
            if status != 200:
                errors += 1
            times.append(elapsed)
        results[index] = (times, errors)

    threads = [threading.Thread(target=client, args=(i, s, p), daemon=True) for i, (s, p) in enumerate(sessions)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    for t in threads:
        t.join(duration + 60)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    times = [t for r in results if r for t in r[0]]
    errors = sum(r[1] for r in results if r)
    return len(times), errors, elapsed, times, client_cpu


FLOOR_PAGE = "/portail/"


def measure_floor(args, env, household, others, log_path):
    """The floor's page measured as the portal's pages are: {median, p95, errors, rate, ...} in seconds."""
    port = free_port()
    load_before = load_average()
    proc = start_server("floor.wsgi", ROOT / "bench", floor_env(env), args.workers, port, log_path)
    try:
        session = Session(port)
        session.login(household["username"], args.password)
        [(_path, median, p95, errors)] = measure_pages(session, [FLOOR_PAGE], args.warmup, args.requests)
        count, load_errors, elapsed, times, _cpu = throughput(port, others, args.password, args.duration,
                                                              lambda _session: [FLOOR_PAGE])
    finally:
        stop_server(proc)
    # The two servers run one after the other: a neighbour busy during one phase only skews the ratios,
    # and the load average at both ends of each phase is what shows it.
    return {"load": (load_before, load_average()), "median": median, "p95": p95, "errors": errors, "rate": count / elapsed, "count": count,
            "load_errors": load_errors, "elapsed": elapsed, "load_median": statistics.median(times),
            "load_p95": percentile(times, 0.95)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    parser.add_argument("--password", default="Bench-Password-2026", help="password of the generated logins")
    parser.add_argument("--children", type=int, default=4, help="households with this many children (else the nearest count)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up rounds over all pages")
    parser.add_argument("--clients", type=int, default=8, help="concurrent logged-in clients")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of the concurrent run")
    parser.add_argument("--max-pages", type=int, default=200, help="at most this many pages crawled per household")
    parser.add_argument("--all-pages", action="store_true", help="measure every crawled page, not one per pattern")
    parser.add_argument("--no-floor", action="store_true", help="do not measure the floor (bench/floor/) first")
    args = parser.parse_args()
    for name in ("requests", "clients", "workers", "max_pages"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")

    var_dir = Path(tempfile.mkdtemp(prefix="enfance-bench-"))
    env = server_env(args, var_dir)
    port = free_port()
    log_path = var_dir / "gunicorn.log"
    proc = None
    try:
        print(f"Base : {args.database_url}")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        if not env.get("REDIS_URL"):
            manage(env, "createcachetable")
        household, others = pick_households(env, args.clients, args.children)
        cache = "Redis" if env.get("REDIS_URL") else "base de données"
        floor = None
        if not args.no_floor:
            floor = measure_floor(args, env, household, others, log_path)
            print(f"Plancher (bench/floor : Django seul, connexion, 1 requête SQL, gabarit de 30 lignes ; "
                  f"gunicorn {args.workers} workers, cache : {cache}), foyer {household['username']} :")
            print(f"  {FLOOR_PAGE} : médiane {ms(floor['median']).strip()} ms, p95 {ms(floor['p95']).strip()} ms "
                  f"sur {args.requests} requêtes séquentielles"
                  + (f" ({floor['errors']} erreurs)" if floor["errors"] else ""))
            print(f"  débit, {len(others)} clients, {floor['elapsed']:.1f} s : {floor['rate']:.0f} requêtes/s "
                  f"({floor['count']} requêtes, {floor['load_errors']} erreurs) ; latence médiane "
                  f"{ms(floor['load_median']).strip()} ms, p95 {ms(floor['load_p95']).strip()} ms")
            print(f"  charge de la machine : {floor['load'][0]:.1f} au début, {floor['load'][1]:.1f} à la fin\n")
        portal_load = load_average()
        proc = start_server("enfance.wsgi", ROOT, env, args.workers, port, log_path)
        print(f"gunicorn : {args.workers} workers sync, DEBUG off, http://{HOST}:{port}/ (cache : {cache})")

        session = Session(port)
        session.login(household["username"], args.password)
        pages, skipped, truncated = crawl(session, args.max_pages)
        measured = [p for p, _s in pages] if args.all_pages else one_per_pattern(pages)
        print(f"Foyer {household['username']} : {household['guardians']} responsable(s), "
              f"{household['children']} enfant(s), {household['persons']} personne(s) autorisée(s), "
              f"{household['vaccinations']} vaccination(s), compte bancaire : {'oui' if household['bank'] else 'non'}, "
              f"{household['threads']} conversation(s), la plus longue de {household['longest']} messages")
        print(f"Pages du portail trouvées : {len(pages)} ({len(measured)} mesurées, "
              f"{'toutes' if args.all_pages else 'une par motif d’URL'}); ignorées : {len(skipped)}"
              + (" ; exploration tronquée (--max-pages)" if truncated else ""))
        for path, why in skipped:
            print(f"  ignorée {path} ({why})")

        queries = query_counts(household["username"], measured)
        results = measure_pages(session, measured, args.warmup, args.requests)
        print(f"\nLatence, {args.requests} requêtes séquentielles par page après {args.warmup} tours de chauffe (ms"
              + (", et en combien de fois celle du plancher" if floor else "") + ") :")
        print(f"  {'médiane':>7} {'':>7}  {'p95':>7} {'':>7}  {'SQL':>4}  page")
        for path, median, p95, errors in results:
            print(f"  {ms(median)} {times_floor(median, floor and floor['median']):>7}  "
                  f"{ms(p95)} {times_floor(p95, floor and floor['p95']):>7}  {queries.get(path) or '?':>4}  {path}"
                  + (f"  ({errors} erreurs)" if errors else ""))
        medians = [r[1] for r in results]
        print(f"  la plus lente : {ms(max(medians)).strip()} ms")

        def crawled_pages(client_session):
            pages, _skipped, _more = crawl(client_session, args.max_pages)
            return [p for p, _s in pages] if args.all_pages else one_per_pattern(pages)

        count, errors, elapsed, times, client_cpu = throughput(port, others, args.password, args.duration,
                                                               crawled_pages)
        rate = count / elapsed
        print(f"\nDébit : {len(others)} clients connectés en parallèle (chacun son foyer), {elapsed:.1f} s : "
              f"{rate:.0f} requêtes/s ({count} requêtes, {errors} erreurs) ; "
              f"latence médiane {ms(statistics.median(times)).strip()} ms, p95 {ms(percentile(times, 0.95)).strip()} ms")
        print(f"  (le client lui-même a pris {client_cpu:.1f} s de CPU pendant ces {elapsed:.1f} s, "
              f"sur {os.cpu_count()} cœurs ; charge de la machine : {portal_load:.1f} au début, "
              f"{load_average():.1f} à la fin)\n")
        for line in summary_lines(medians, rate, len(others), floor):
            print(line)
    except BaseException:
        if log_path.exists():
            tail = log_path.read_text(errors="replace").splitlines()[-30:]
            if tail:
                print("--- fin du journal de gunicorn ---\n" + "\n".join(tail), file=sys.stderr)
        raise
    finally:
        stop_server(proc)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
