#!/usr/bin/env python3
"""Where one portal page spends its time, in-process: `bench/profile_page.py /portail/ --login gen.g000001`.

Renders the page through Django's test client (DEBUG off, the database and cache of the environment, as
bench/portal_pages.py's servers), logged in as the given login without the login form. Prints the time per
request over --requests requests, the page's SQL queries, then a profile of as many more requests:
pyinstrument's call tree when pyinstrument is installed, else cProfile's functions by cumulative time.
See bench/README.md.
"""

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the page, e.g. /portail/messagerie/")
    parser.add_argument("--login", required=True, help="username of the login to render it for")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    if args.requests < 1:
        parser.error("--requests must be positive")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enfance.settings")
    os.environ.update(DEBUG="0", ALLOWED_HOSTS="testserver", ENFANCE_HTTPS="0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    var_dir = tempfile.mkdtemp(prefix="enfance-profile-")
    os.environ.setdefault("ENFANCE_VAR_DIR", var_dir)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from enfance.accounts.models import User

    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest storage needs it, DEBUG off
    client = Client()
    client.force_login(User.objects.get(username=args.login))
    for _ in range(10):
        status = client.get(args.path).status_code
        if status != 200:
            raise SystemExit(f"{args.path}: HTTP {status} for {args.login}")
    started = time.perf_counter()
    for _ in range(args.requests):
        client.get(args.path)
    print(f"{args.path}: {(time.perf_counter() - started) / args.requests * 1000:.2f} ms a request "
          f"over {args.requests}")
    with CaptureQueriesContext(connection) as queries:
        client.get(args.path)
    print(f"{len(queries)} SQL queries:")
    for query in queries.captured_queries:
        print(f"  {query['sql'][:160]}")
    try:
        from pyinstrument import Profiler
    except ImportError:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            client.get(args.path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(50)
    else:
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(args.requests):
            client.get(args.path)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
