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
    "otp_required": settings.CASEFLOW_OTP_REQUIRED,
    "session_idle_minutes": settings.CASEFLOW_SESSION_IDLE_MINUTES,
    "session_max_hours": settings.CASEFLOW_SESSION_MAX_HOURS,
    "hsts": getattr(settings, "SECURE_HSTS_SECONDS", 0),
    "csp_script": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"],
    "axes_limit": settings.AXES_FAILURE_LIMIT,
    "cpr_old_keys": len(settings.CASEFLOW_CPR_OLD_KEYS),
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
    assert probe["otp_required"] is True
    assert probe["session_idle_minutes"] == 15
    assert probe["session_max_hours"] == 10
    assert probe["hsts"] == 31536000
    assert probe["csp_script"] == ["'self'"]
    assert probe["axes_limit"] == 5


def test_settings_second_factor_is_optional_only_with_debug():
    assert _probe({"CASEFLOW_DEBUG": "true"})["otp_required"] is False
    assert _probe({"CASEFLOW_DEBUG": "true", "CASEFLOW_OTP_REQUIRED": "true"})["otp_required"] is True
    result = _run({"CASEFLOW_SECRET_KEY": STRONG_SECRET, "CASEFLOW_CPR_KEY": STRONG_CPR_KEY,
                   "CASEFLOW_OTP_REQUIRED": "false"})
    assert result.returncode != 0
    assert "CASEFLOW_OTP_REQUIRED" in result.stderr


def test_settings_old_cpr_keys_come_from_the_environment():
    probe = _probe({"CASEFLOW_SECRET_KEY": STRONG_SECRET, "CASEFLOW_CPR_KEY": STRONG_CPR_KEY,
                    "CASEFLOW_CPR_OLD_KEYS": "o" * 40 + "," + "p" * 40})
    assert probe["cpr_old_keys"] == 2
    result = _run({"CASEFLOW_SECRET_KEY": STRONG_SECRET, "CASEFLOW_CPR_KEY": STRONG_CPR_KEY,
                   "CASEFLOW_CPR_OLD_KEYS": "short"})
    assert result.returncode != 0
    assert "CASEFLOW_CPR_OLD_KEYS" in result.stderr


def test_settings_hold_no_secret_literals():
    """Secrets come only from the environment: apart from the three refused development
    keys, the settings module assigns no literal to a *KEY*/*PASSWORD*/*SECRET* name."""
    import re

    source = (ROOT / "caseflow" / "settings.py").read_text()
    literal = re.compile(r'^([A-Z_]*(?:KEY|PASSWORD|SECRET|TOKEN)[A-Z_]*)\s*=\s*["\']', re.MULTILINE)
    assert set(literal.findall(source)) == {"DEVELOPMENT_SECRET_KEY", "DEVELOPMENT_CPR_KEY",
                                            "DEVELOPMENT_AUDIT_SIGNING_KEY"}


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
