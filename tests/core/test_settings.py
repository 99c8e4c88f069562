"""Production settings: `check --deploy` is clean, and bad values stop the start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "SECRET_KEY": "k" * 20 + "-production-secret-that-is-long-enough-for-django-9f8e7d",
    "ALLOWED_HOSTS": "portail.mairie.example",
    "DATABASE_URL": "sqlite:///:memory:",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    "DJANGO_SETTINGS_MODULE": "enfance.settings",
}


def manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name, value", [("DEBUG", "peut-être"), ("EMAIL_PORT", "vingt-cinq")])
def test_bad_values_stop_the_start_up(name, value):
    result = manage("check", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_missing_secret_key_fails_the_deploy_check():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", "--deploy", env=env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_the_web_server_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = subprocess.run([sys.executable, "-c", "import enfance.wsgi"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_makemigrations_runs_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("makemigrations", "--check", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
