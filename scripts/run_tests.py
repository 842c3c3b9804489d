"""``make test``: start a throwaway PostgreSQL and Redis on 127.0.0.1 (free ports, data
under var/), run the migration check and the whole pytest suite against them, and
always stop what was started (also on failure, Ctrl-C or SIGTERM).

The integration tests start a real Celery worker themselves (tests/conftest.py)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from scripts.services import VAR, Postgres, Redis, ServiceError, ensure_tool  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
NO_TESTS_COLLECTED = 5  # pytest's exit code when a selection is empty


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _clean_stale_runs() -> None:
    """Stop servers and remove data left by an earlier run that was killed hard."""
    for run_dir in VAR.glob("test-*"):
        try:
            pid = int(run_dir.name.split("-", 1)[1])
        except ValueError:
            continue
        try:
            os.kill(pid, 0)
            continue  # that run is still going
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        pg = Postgres(run_dir / "pg" / "data")
        if (run_dir / "pg" / "data" / "postmaster.pid").exists():
            pg.started = True
            pg.stop()
        pidfile = run_dir / "redis" / "redis.pid"
        if pidfile.exists():
            with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        shutil.rmtree(run_dir, ignore_errors=True)


def test_environment(pg: Postgres, redis: Redis) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "caseflow.settings",
        "DATABASE_URL": pg.url,
        "REDIS_URL": redis.url,
        # Production mode, with keys that exist only for this run.
        "CASEFLOW_DEBUG": "false",
        "CASEFLOW_SECRET_KEY": secrets.token_urlsafe(48),
        "CASEFLOW_CPR_KEY": secrets.token_urlsafe(32),
        "CASEFLOW_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "CASEFLOW_SECURE_SSL_REDIRECT": "false",
        "CASEFLOW_STATIC_MANIFEST": "false",
        "CASEFLOW_TEST_VAR": str(VAR),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def main(pytest_args: list[str]) -> int:
    signal.signal(signal.SIGTERM, _raise_interrupt)
    (VAR / "static").mkdir(parents=True, exist_ok=True)
    _clean_stale_runs()
    run_dir = VAR / f"test-{os.getpid()}"
    pg = Postgres(run_dir / "pg" / "data")
    redis = Redis(run_dir / "redis")
    started = time.monotonic()
    try:
        try:
            ensure_tool("xgettext", "gettext")  # the catalogue-completeness test extracts strings
            chromium = ensure_tool("chromium", "chromium")  # the browser tests (Playwright drives it)
            pg.start()
            redis.start()
        except ServiceError as exc:
            print(f"make test: cannot start the test servers: {exc}", file=sys.stderr)
            return 2
        print(f"[make test] PostgreSQL {pg.url}  Redis {redis.url}  ({time.monotonic() - started:.1f}s)",
              flush=True)
        env = {**test_environment(pg, redis), "CASEFLOW_CHROMIUM": chromium}
        check = subprocess.run(
            [PYTHON, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=ROOT, env=env
        )
        if check.returncode != 0:
            print("make test: models and migrations differ (run makemigrations)", file=sys.stderr)
            return check.returncode
        workers = os.environ.get("CASEFLOW_TEST_WORKERS", "auto")
        cmd = [PYTHON, "-m", "pytest", "-n", workers, "--dist", "loadfile", *pytest_args]
        if "-m" in pytest_args:
            return subprocess.run(cmd, cwd=ROOT, env=env).returncode
        # Tests that commit truncate every table when they end (roles and permissions
        # included), so they run after the others, in a second phase.
        codes = [subprocess.run([*cmd, "-m", marker], cwd=ROOT, env=env).returncode
                 for marker in ("not transactional", "transactional")]
        if all(code == NO_TESTS_COLLECTED for code in codes):
            return NO_TESTS_COLLECTED
        return max((code for code in codes if code != NO_TESTS_COLLECTED), default=0)
    except KeyboardInterrupt:
        print("make test: interrupted, stopping servers", file=sys.stderr)
        return 130
    finally:
        redis.stop()
        pg.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
