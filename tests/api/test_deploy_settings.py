"""Production settings are safe unless told otherwise: `check --deploy` is clean, plain HTTP is redirected,
cookies are Secure, HSTS and CSP are sent, a weak SECRET_KEY stops the start; INSECURE_HTTP=1 is the one
explicit way out (and check --deploy then says what it gives up).

Each case starts its own process with DEBUG off and no test runner, as a production web node would.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import django
django.setup()
from django.test import Client
client = Client()
plain = client.get("/accounts/login/")
print("plain", plain.status_code, plain.get("Location", ""))
secure = client.get("/accounts/login/", secure=True)
print("secure", secure.status_code)
print("hsts", secure.get("Strict-Transport-Security", ""))
print("csp", secure.get("Content-Security-Policy", ""))
csrf = secure.cookies.get("csrftoken")
print("csrf_secure", bool(csrf and csrf["secure"]))
probe = client.get("/healthz")
print("healthz", probe.status_code)
"""


def production_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SHELFAI_TESTING", "INSECURE_HTTP")}
    env.update(DJANGO_SETTINGS_MODULE="shelfai.settings", SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="testserver,shelfai.example.com", SHELFAI_VAR_DIR=str(tmp_path),
               STATIC_ROOT=str(tmp_path / "static"),
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", CELERY_BROKER_URL="memory://")
    env.update(extra)
    return env


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    env = production_env(tmp_path)
    assert run(["manage.py", "migrate", "--noinput", "-v", "0"], env).returncode == 0
    # Pages name their static files through the release's manifest, as in production.
    assert run(["manage.py", "collectstatic", "--noinput", "-v", "0"], env).returncode == 0
    return tmp_path


def test_check_deploy_is_clean_in_the_production_configuration(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_redirects_plain_http_and_sends_hsts_csp_and_secure_cookies(migrated):
    result = run(["-c", PROBE], production_env(migrated))
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert lines["plain"] == "301 https://testserver/accounts/login/"
    assert lines["secure"] == "200"
    assert "max-age=31536000" in lines["hsts"] and "includeSubDomains" in lines["hsts"]
    assert "default-src 'self'" in lines["csp"] and "script-src 'self';" in lines["csp"]
    assert lines["csrf_secure"] == "True"
    assert lines["healthz"] == "200"  # the load balancer's plain-HTTP probe is not redirected


def test_insecure_http_is_an_explicit_opt_out(migrated):
    env = production_env(migrated, INSECURE_HTTP="1")
    result = run(["-c", PROBE], env)
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert lines["plain"].startswith("200") and lines["hsts"] == "" and lines["csrf_secure"] == "False"
    check = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert check.returncode != 0
    assert all(code in check.stderr + check.stdout for code in ("W004", "W008", "W012", "W016"))


@pytest.mark.parametrize("key", ["x", "a" * 60, "django-insecure-" + secrets.token_urlsafe(50), ""])
def test_a_weak_or_missing_secret_key_stops_the_start(tmp_path, key):
    result = run(["manage.py", "check"], production_env(tmp_path, SECRET_KEY=key))
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_four_password_validators_refuse_weak_passwords(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from shelfai.accounts.models import User

    user = User(username="maria.lopez", email="maria@example.com")
    for weak in ("short1", "1234567890123", "password123", "maria.lopez1"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("violet-harbour-lantern-42", user)
