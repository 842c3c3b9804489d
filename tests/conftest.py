"""Shared fixtures. ``make test`` provides PostgreSQL and Redis (scripts/run_tests.py);
the ``celery_worker`` fixture starts a real worker process against them."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

from caseflow.celery import app as celery_app
from scripts.services import Redis

ROOT = Path(__file__).resolve().parent.parent

# Hypothesis. "ci" (the default, `make test`): a fixed seed per test and no example
# database, so a run passes or fails the same way every time. "fuzz" (`make fuzz`, or
# HYPOTHESIS_PROFILE=fuzz): new random examples on every run, many more of them;
# failures are kept in .hypothesis/ and replayed first next time. What a test sets in
# its own @settings (max_examples, deadline...) wins over the profile.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
hypothesis_settings.register_profile("fuzz", derandomize=False, max_examples=5000, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items):
    """Mark tests that commit (transaction=True). They truncate every table afterwards,
    so `make test` runs them in a second phase, after the tests that rely on the
    migrated base data (roles, permissions)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
            item.add_marker(pytest.mark.transactional)
            # Without it the flush at its end re-creates content types and permissions with
            # new ids, and the next serialized test cannot restore the base data.
            if not marker.kwargs.get("serialized_rollback"):
                raise pytest.UsageError(f"{item.nodeid}: a test with transaction=True must also set "
                                        "serialized_rollback=True")


@pytest.fixture(scope="session", autouse=True)
def _load_urlconf():
    """viewflow builds node namespaces when the URLconf loads (viewflow-notes P2)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the access is the point


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing is not what these tests test; PBKDF2's cost would dominate them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _test_client_second_factor(monkeypatch):
    """Tests run in production mode, so every page needs a verified second factor
    (caseflow.accounts.middleware.OTPRequiredMiddleware). ``client.force_login(user)`` and
    ``client.login(...)`` therefore sign in the way a finished two-factor sign-in does: the
    user gets a confirmed TOTP device and the session django-otp's verified-device key.
    ``force_login(user, otp=False)`` / ``login(..., otp=False)`` give a password-only session
    (the tests of the second step). ``login()`` also passes django-axes the request it needs.
    Production code is untouched: only the test client's sign-in shortcut changes."""
    from django.shortcuts import resolve_url
    from django.test import Client, RequestFactory

    original_login_impl = Client._login
    original_force_login = Client.force_login
    original_login = Client.login

    def _login(self, user, backend=None):
        result = original_login_impl(self, user, backend)
        if getattr(self, "_caseflow_otp", True) and user.pk is not None:
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device = (TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
                      or TOTPDevice.objects.create(user=user, name="test", confirmed=True))
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return result

    def force_login(self, user, backend=None, otp=True):
        self._caseflow_otp = otp
        try:
            return original_force_login(self, user, backend)
        finally:
            self._caseflow_otp = True

    def login(self, otp=True, **credentials):
        credentials.setdefault("request", RequestFactory().post(resolve_url(settings.LOGIN_URL)))
        self._caseflow_otp = otp
        try:
            return original_login(self, **credentials)
        finally:
            self._caseflow_otp = True

    monkeypatch.setattr(Client, "_login", _login)
    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "login", login)


def _require_real_services():
    if not settings.REDIS_URL or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail(
            "This test needs the real PostgreSQL and Redis that `make test` starts "
            "(DATABASE_URL and REDIS_URL are not set)."
        )


def _database_url_for(db_name: str) -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db['HOST']}:{db['PORT']}/{db_name}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, worker_id, tmp_path_factory):
    """A real ``celery worker`` process bound to this test session's database and its
    own queue (so parallel test processes never take each other's tasks)."""
    _require_real_services()
    from django.db import connection

    queue = f"caseflow-test-{worker_id}-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for(connection.settings_dict["NAME"]),
        "CASEFLOW_CELERY_QUEUE": queue,
    }
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "caseflow", "worker", "--queues", queue,
             "--concurrency", "1", "--pool", "prefork", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel", "INFO", "--hostname", f"{queue}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        from caseflow.core.tasks import ping_task

        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"celery worker exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                if ping_task.delay(nonce="ready").get(timeout=5) == "pong:ready":
                    break
            except Exception:  # not consuming yet
                if time.monotonic() > deadline:
                    pytest.fail(f"celery worker not ready after 60s:\n{log_path.read_text()[-3000:]}")
        yield proc
    finally:
        celery_app.conf.task_default_queue = previous_queue
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def redis_factory(tmp_path):
    """Start extra Redis servers (e.g. to stop one while the app uses it)."""
    started = []

    def start() -> Redis:
        server = Redis(tmp_path / f"redis-{len(started)}").start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --------------------------------------------------------------------------- people most tests need


@pytest.fixture
def team():
    from tests.factories import TeamFactory

    return TeamFactory(name="Koordineringsenheden")


@pytest.fixture
def worker(team):
    """A caseworker of ``team``."""
    from tests.factories import UserFactory

    return UserFactory(team=team, roles=["caseworker"])


@pytest.fixture
def supervisor(team):
    from tests.factories import UserFactory

    return UserFactory(team=team, roles=["supervisor"])


@pytest.fixture
def consultant():
    """A child-focused consultant (no team: they serve every team's minors)."""
    from tests.factories import UserFactory

    return UserFactory(team=None, roles=["child_consultant"])


@pytest.fixture
def outsider():
    """A caseworker of another team."""
    from tests.factories import TeamFactory, UserFactory

    return UserFactory(team=TeamFactory(name="Andet hold"), roles=["caseworker"])
