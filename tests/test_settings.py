"""Settings switching: each case imports caseflow.settings in a fresh interpreter with
a controlled environment, so the real module-level logic runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
from django.conf import settings
import django
django.setup()
from caseflow.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "db_options": settings.DATABASES["default"].get("OPTIONS", {}),
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": app.conf.broker_url,
    "backend": app.conf.result_backend,
    "eager": app.conf.task_always_eager,
    "acks_late": app.conf.task_acks_late,
    "debug": settings.DEBUG,
    "ssl_redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
    "session_secure": settings.SESSION_COOKIE_SECURE,
}))
"""

STRONG_SECRET = "s" * 60
STRONG_CPR_KEY = "c" * 40


def _run(env_overrides: dict, code: str = PROBE, args=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEFLOW_", "DATABASE_URL", "REDIS_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "caseflow.settings", **env_overrides})
    cmd = args or [sys.executable, "-c", code]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _probe(env_overrides: dict) -> dict:
    result = _run(env_overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_default_is_sqlite_with_eager_celery_and_local_cache():
    probe = _probe({"CASEFLOW_DEBUG": "true"})
    assert probe["engine"] == "django.db.backends.sqlite3"
    assert probe["db_name"].endswith("var/caseflow.sqlite3")
    assert probe["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert probe["broker"] == "memory://"
    assert probe["eager"] is True
    assert probe["debug"] is True


def test_settings_postgres_and_redis_from_environment():
    probe = _probe({
        "CASEFLOW_DEBUG": "true",
        "DATABASE_URL": "postgres://caseflow@127.0.0.1:5439/caseflow",
        "REDIS_URL": "redis://127.0.0.1:6390/0",
    })
    assert probe["engine"] == "django.db.backends.postgresql"
    assert probe["db_name"] == "caseflow"
    assert "lock_timeout" in probe["db_options"]["options"]
    assert probe["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert probe["broker"] == "redis://127.0.0.1:6390/0"
    assert probe["backend"] == "redis://127.0.0.1:6390/0"
    assert probe["eager"] is False
    assert probe["acks_late"] is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "CASEFLOW_SECRET_KEY"),
        ({"CASEFLOW_SECRET_KEY": "caseflow-development-secret-key-not-for-production"}, "CASEFLOW_SECRET_KEY"),
        ({"CASEFLOW_SECRET_KEY": STRONG_SECRET}, "CASEFLOW_CPR_KEY"),
        ({"CASEFLOW_SECRET_KEY": STRONG_SECRET,
          "CASEFLOW_CPR_KEY": "caseflow-development-cpr-key-not-for-production"}, "CASEFLOW_CPR_KEY"),
    ],
)
def test_settings_production_refuses_development_keys(overrides, message):
    result = _run(overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_settings_production_mode_is_secure():
    probe = _probe({"CASEFLOW_SECRET_KEY": STRONG_SECRET, "CASEFLOW_CPR_KEY": STRONG_CPR_KEY})
    assert probe["debug"] is False
    assert probe["ssl_redirect"] is True
    assert probe["session_secure"] is True


def test_settings_production_check_deploy_is_clean():
    result = _run(
        {
            "CASEFLOW_SECRET_KEY": "k8Jd7-x_2mQ9vLp4rT1zW6yB3nH5cF0sA8eG2uK7oP9iD4jR1tX6wZ3q",
            "CASEFLOW_CPR_KEY": STRONG_CPR_KEY,
            "CASEFLOW_ALLOWED_HOSTS": "caseflow.example.invalid",
        },
        args=[sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
