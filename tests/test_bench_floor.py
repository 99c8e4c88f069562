"""The bench's floor (bench/floor/) and the ratios bench/portal_pages.py prints against it.

The bench itself needs gunicorn and a generated commune, so it is not run here; what is checked is the
arithmetic of the ratios and that the floor does what it claims: a login whose Argon2 hash verifies, one
query of its own on the page, and not a single `enfance` module loaded.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("portal_pages", ROOT / "bench" / "portal_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_page_figure_reads_as_times_the_floor(bench):
    assert bench.times_floor(0.0121, 0.0040) == "3.0 ×"
    assert bench.times_floor(0.0040, 0.0040) == "1.0 ×"
    assert bench.times_floor(0.0021, 0.0040) == "0.5 ×"


def test_without_a_floor_the_ratio_is_blank(bench):
    assert bench.times_floor(0.0121, None) == ""
    assert bench.share_of_floor(170, None) == ""
    assert bench.share_of_floor(170, 0) == ""


def test_a_throughput_reads_as_a_share_of_the_floor(bench):
    assert bench.share_of_floor(170, 470) == "36 %"
    assert bench.share_of_floor(470, 470) == "100 %"


def test_the_summary_gives_the_median_of_medians_and_the_throughput_against_the_floor(bench):
    medians = [0.0080, 0.0121, 0.0150]
    lines = bench.summary_lines(medians, 170.4, 8, {"median": 0.0040, "rate": 470.2})
    assert lines == [
        "Médiane des médianes : 12.1 ms = 3.0 × le plancher (4.0 ms)",
        "Débit à 8 clients : 170 requêtes/s = 36 % de celui du plancher (470 requêtes/s)",
    ]


def test_the_summary_without_a_floor_gives_the_bare_figures(bench):
    assert bench.summary_lines([0.0080, 0.0121], 170.4, 8, None) == [
        "Médiane des médianes : 10.1 ms",
        "Débit à 8 clients : 170 requêtes/s",
    ]


def test_the_floor_serves_the_portal_environment_with_its_own_settings(bench):
    env = {"DATABASE_URL": "postgres://x/y", "REDIS_URL": "redis://z", "DEBUG": "0", "SECRET_KEY": "k",
           "DJANGO_SETTINGS_MODULE": "enfance.settings"}
    assert bench.floor_env(env) == {**env, "DJANGO_SETTINGS_MODULE": "floor.settings"}
    assert env["DJANGO_SETTINGS_MODULE"] == "enfance.settings"


FLOOR_SCRIPT = """
import json, sys
import django
django.setup()
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from floor.models import Family, User

with connection.schema_editor() as editor:  # the tables the floor reads, as the portal's migrations make them
    for model in (Family, User, Session):
        editor.create_model(model)
family = Family.objects.create(reference="G000042", address_line1="1 place de la Mairie", postal_code="83440",
                               city="Tourrettes")
User.objects.create(username="gen.g000042", password=make_password("Bench-Password-2026"), role="family",
                    family=family, date_joined=timezone.now())
client = Client()
refused = client.post("/connexion/", {"username": "gen.g000042", "password": "wrong"}).status_code
login = client.post("/connexion/", {"username": "gen.g000042", "password": "Bench-Password-2026",
                                    "next": "/portail/"})
with CaptureQueriesContext(connection) as queries:
    page = client.get("/portail/")
print(json.dumps({
    "hash": User.objects.get().password.split("$")[0],
    "refused": refused, "login": login.status_code, "location": login.get("Location"),
    "page": page.status_code, "html": page.content.decode(), "queries": [q["sql"] for q in queries],
    "enfance": sorted(m for m in sys.modules if m == "enfance" or m.startswith("enfance.")),
}))
"""


def test_the_floor_logs_in_and_runs_one_query_of_its_own_without_enfance(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ENFANCE_", "REDIS_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "floor.settings", "PYTHONPATH": str(ROOT / "bench"), "SECRET_KEY": "test",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'floor.sqlite3'}", "ALLOWED_HOSTS": "testserver"})
    done = subprocess.run([sys.executable, "-c", FLOOR_SCRIPT], cwd=ROOT / "bench", env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["hash"] == "argon2"
    assert result["refused"] == 200  # the form again, with its error
    assert (result["login"], result["location"]) == (302, "/portail/")
    assert result["page"] == 200
    assert "Foyer G000042" in result["html"] and "83440 Tourrettes" in result["html"]
    assert result["html"].count("<a href=") == 6  # a nav of 5 links and the footer's
    # The session and the logged-in user (Django's own, as on the portal), then the household row.
    tables = [sql.split(" FROM ")[1].split()[0] for sql in result["queries"]]
    assert tables == ['"django_session"', '"accounts_user"', '"families_family"']
    assert result["enfance"] == []
