"""Real Celery workers and an outbox relay for the fault tests, each bound to this test
session's PostgreSQL database and to a Redis of their own (``redis_factory``), and the
switch that points this test process's Celery publisher at that Redis."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from caseflow.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent.parent


def _reset_publisher() -> None:
    """Forget pooled broker connections (kombu's global pools, as Celery does after a
    fork): the next publish connects to the current URL."""
    from kombu import pools

    with contextlib.suppress(Exception):
        pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def publishing_to(broker_url: str, queue: str):
    """This process publishes to ``broker_url``, queue ``queue``, inside the block."""
    old_url, old_queue = celery_app.conf.broker_url, celery_app.conf.task_default_queue
    _reset_publisher()
    celery_app.conf.broker_url, celery_app.conf.task_default_queue = broker_url, queue
    try:
        yield
    finally:
        _reset_publisher()
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = old_url, old_queue
        from caseflow.notifications import outbox

        outbox._note_broker_up()


def _database_url() -> str:
    db = connection.settings_dict
    auth = f"{db['USER']}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}@" if db.get("USER") else ""
    return f"postgres://{auth}{db['HOST']}:{db['PORT']}/{db['NAME']}"


def app_env(redis_url: str, queue: str, **extra: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CASEFLOW_CELERY_QUEUE": queue,
        "CASEFLOW_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_worker(redis_url: str, queue: str, log_path: Path, *, include: str = "", **extra: str) -> subprocess.Popen:
    """A prefork worker with one pool process, in its own process group (to kill it whole)."""
    argv = [sys.executable, "-m", "celery", "-A", "caseflow", "worker", "--queues", queue,
            "--concurrency", "1", "--pool", "prefork", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "--loglevel", "INFO", "--hostname", f"{queue}-{time.monotonic_ns()}@%h"]
    if include:
        argv += ["--include", include]
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(argv, cwd=ROOT, env=app_env(redis_url, queue, **extra), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def start_relay(redis_url: str, queue: str, log_path: Path, *, interval: float = 0.5) -> subprocess.Popen:
    log = open(log_path, "ab")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "manage.py", "outbox_relay", "--interval", str(interval)],
                            cwd=ROOT, env=app_env(redis_url, queue), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(proc: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    """The worker is connected and consuming (it logs "ready.")."""
    deadline = time.monotonic() + timeout
    while b" ready." not in log_path.read_bytes():
        if proc.poll() is not None:
            raise AssertionError(f"worker exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"worker not ready:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen | None, *, kill: bool = False) -> None:
    """Stop a process started here and its group (the worker's pool processes)."""
    if proc is None:
        return
    if proc.poll() is None and not kill:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            kill = True
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
