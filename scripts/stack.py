"""``make stack``: Caseflow's production topology without Docker, on loopback.

Starts, in this order and all bound to 127.0.0.1:

* PostgreSQL   data in ``var/stack/pg/data`` (kept between runs), port 55432 unless busy
* Redis        data in ``var/stack/redis`` (append-only file, kept between runs)
* ``manage.py migrate --noinput`` and ``manage.py collectstatic --noinput``
* gunicorn     ``caseflow.wsgi:application`` on 127.0.0.1:8000 (``CASEFLOW_STACK_PORT``)
* Celery worker and Celery beat (beat also runs the outbox relay in a thread: work
  recorded while Redis was down is published when it is back; caseflow.notifications)

in production mode (``CASEFLOW_DEBUG`` off). The secret keys are generated with
``secrets`` on the first run and kept in ``var/stack/secrets.env`` (mode 0600).

Plain HTTP on loopback: ``CASEFLOW_SECURE_SSL_REDIRECT=false`` here. In a real
deployment a TLS-terminating proxy sits in front of gunicorn, redirects HTTP to HTTPS
and sets ``X-Forwarded-Proto`` (``CASEFLOW_BEHIND_TLS_PROXY=true``). PostgreSQL trusts
local connections (no password): this is a loopback rehearsal of the topology, not a
hardened server.

Ctrl-C or SIGTERM stops everything this script started (gunicorn, worker and beat
first, then Redis, then PostgreSQL). If a child dies, the rest is stopped too and the
exit status is non-zero.

``--check`` starts everything, requires ``GET /healthz`` to answer 200 with database,
cache and broker "ok" (PostgreSQL and Redis, not a fallback), requires worker and beat to
be alive a few seconds later and the worker to answer a Celery ping, prints the JSON,
stops everything and exits 0 (healthy) or 1.

``COMMANDS`` holds the argv of the three application processes; ``compose_command(name)``
gives the exact ``command:`` of the same service in ``docker-compose.yml`` (the test
``tests/test_stack_compose.py`` keeps the two in step).

Standard library only: it runs with any Python 3.11, the programs come from ``.venv/bin``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

try:
    from scripts.services import Postgres, Redis, ServiceError, free_port, wait_for_port
except ModuleNotFoundError:  # run as a file: python3 scripts/stack.py
    from services import Postgres, Redis, ServiceError, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
STACK_DIR = ROOT / "var" / "stack"
VENV_BIN = ROOT / ".venv" / "bin"
SECRETS_FILE = STACK_DIR / "secrets.env"
STATE_FILE = STACK_DIR / "stack.pids"
LOCK_FILE = STACK_DIR / "stack.lock"
LOG_DIR = STACK_DIR / "log"

DEFAULT_PG_PORT = 55432
DEFAULT_WEB_PORT = 8000

# The application processes. "{bind}" and "{schedule}" are filled in at run time:
# loopback and var/stack/ here, the container values in compose_command().
COMMANDS: dict[str, list[str]] = {
    "web": [
        "gunicorn", "caseflow.wsgi:application",
        "--bind", "{bind}",
        "--workers", "3",
        "--timeout", "60",
        "--graceful-timeout", "30",
        "--access-logfile", "-",
        # Path without the query string: search terms must not end up in the logs.
        "--access-logformat", '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "--error-logfile", "-",
    ],
    "worker": [
        "celery", "-A", "caseflow", "worker",
        "--loglevel", "INFO",
        "--concurrency", "2",
    ],
    "beat": [
        "celery", "-A", "caseflow", "beat",
        "--loglevel", "INFO",
        "--schedule", "{schedule}",
    ],
}
SERVICES = tuple(COMMANDS)

# node_modules is skipped by the static-files app config (caseflow.core.apps).
COLLECTSTATIC = ["collectstatic", "--noinput"]

COMPOSE_VALUES = {"bind": "0.0.0.0:8000", "schedule": "/tmp/celerybeat-schedule"}  # noqa: S108


def _fill(argv: list[str], values: dict[str, str]) -> list[str]:
    return [values.get(arg[1:-1], arg) if arg.startswith("{") and arg.endswith("}") else arg
            for arg in argv]


def compose_command(name: str) -> list[str]:
    """The exact ``command:`` list of service ``name`` in docker-compose.yml."""
    return _fill(COMMANDS[name], COMPOSE_VALUES)


def stack_command(name: str, *, bind: str, schedule: str) -> list[str]:
    """The argv ``make stack`` runs for ``name``: the program from .venv/bin."""
    argv = _fill(COMMANDS[name], {"bind": bind, "schedule": schedule})
    return [str(VENV_BIN / argv[0]), *argv[1:]]


# --------------------------------------------------------------------------- helpers


class Shutdown(Exception):  # noqa: N818 - a signal, not an error
    """SIGINT/SIGTERM arrived."""


def say(message: str) -> None:
    print(f"[stack] {message}", flush=True)


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def load_secrets() -> dict[str, str]:
    """CASEFLOW_SECRET_KEY and CASEFLOW_CPR_KEY: read from secrets.env, generated once."""
    values: dict[str, str] = {}
    if SECRETS_FILE.exists():
        for line in SECRETS_FILE.read_text().splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip()
        if SECRETS_FILE.stat().st_mode & 0o077:
            SECRETS_FILE.chmod(0o600)
            say(f"{rel(SECRETS_FILE)} was readable by others; mode set to 0600")
    wanted = {"CASEFLOW_SECRET_KEY": 50, "CASEFLOW_CPR_KEY": 32}
    changed = False
    for key, min_len in wanted.items():
        if len(values.get(key, "")) < min_len:
            values[key] = secrets.token_urlsafe(max(min_len, 48))
            changed = True
    if changed:
        STACK_DIR.mkdir(parents=True, exist_ok=True)
        tmp = SECRETS_FILE.with_suffix(".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("# Generated by scripts/stack.py (make stack). Keep private; do not commit.\n")
            for key in wanted:
                fh.write(f"{key}={values[key]}\n")
        os.replace(tmp, SECRETS_FILE)
        say(f"generated new secret keys in {rel(SECRETS_FILE)} (mode 0600)")
    return {key: values[key] for key in wanted}


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def stop_leftovers() -> None:
    """Processes of an earlier run that was killed outright (SIGKILL): stop them.

    Only what that run recorded, and only if the pid still runs the recorded command."""
    if STATE_FILE.exists():
        try:
            recorded = json.loads(STATE_FILE.read_text())
        except ValueError:
            recorded = {}
        for name, entry in reversed(recorded.items()):  # children first, Redis last
            pid, argv = entry.get("pid"), entry.get("argv")
            if isinstance(pid, int) and argv and _cmdline(pid) == argv:
                say(f"stopping {name} (pid {pid}) left over from an earlier run")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 20
                while _cmdline(pid) == argv and time.monotonic() < deadline:
                    time.sleep(0.2)
                if _cmdline(pid) == argv:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
        STATE_FILE.unlink()
    datadir = STACK_DIR / "pg" / "data"
    if (datadir / "postmaster.pid").exists():
        say("stopping a PostgreSQL left over from an earlier run on var/stack/pg/data")
        stale = Postgres(datadir)
        stale.started = True
        stale.stop()


def record_state(state: dict[str, dict]) -> None:
    STATE_FILE.write_text(json.dumps(state, indent=1))


def get_health(port: int) -> tuple[int, dict | None]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed http URL
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, None
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def health_problems(status: int, report: dict | None) -> list[str]:
    if status != 200 or not isinstance(report, dict):
        return [f"HTTP {status or 'no answer'}"]
    checks = report.get("checks", {})
    problems = [f"{name}: {checks.get(name, {}).get('status', 'missing')}"
                for name in ("database", "cache", "broker")
                if checks.get(name, {}).get("status") != "ok"]
    # The real services, not the development fallbacks.
    if checks.get("database", {}).get("vendor") != "postgresql":
        problems.append(f"database vendor is {checks.get('database', {}).get('vendor')!r}, not postgresql")
    if checks.get("cache", {}).get("backend") != "RedisCache":
        problems.append(f"cache backend is {checks.get('cache', {}).get('backend')!r}, not RedisCache")
    if checks.get("broker", {}).get("mode") != "redis":
        problems.append(f"broker mode is {checks.get('broker', {}).get('mode')!r}, not redis")
    return problems


# --------------------------------------------------------------------------- the stack


class Stack:
    def __init__(self, *, check: bool, web_port: int, pg_port: int) -> None:
        self.check = check
        self.web_port = web_port
        self.pg_port = pg_port
        self.pg: Postgres | None = None
        self.redis: Redis | None = None
        self.children: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.state: dict[str, dict] = {}
        self.force = False  # a second signal while stopping: skip the graceful wait
        self.stopping = False
        self.env: dict[str, str] = {}

    # ------------------------------------------------------------------ output

    def _output(self, name: str):
        """Normal run: the children write to this terminal (like `docker compose up`).
        --check: to var/stack/log/<name>.log, shown when something fails."""
        if not self.check:
            return None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.logs[name] = LOG_DIR / f"{name}.log"
        return open(self.logs[name], "wb")  # noqa: SIM115 - closed in stop()/manage()

    def show_log(self, name: str, lines: int = 40) -> None:
        path = self.logs.get(name)
        if path and path.exists():
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            print(f"----- last lines of {rel(path)} -----", file=sys.stderr)
            print("\n".join(tail), file=sys.stderr, flush=True)

    # ------------------------------------------------------------------ start

    def start_services(self) -> None:
        self.pg = Postgres(STACK_DIR / "pg" / "data", port=self.pg_port)
        say(f"starting PostgreSQL on 127.0.0.1:{self.pg_port} ...")
        self.pg.start(fast=False)
        # The database exists unless an earlier first run died between initdb and createdb.
        result = subprocess.run(
            [str(self.pg.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg.port),
             "-U", self.pg.user, self.pg.database],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise ServiceError(f"createdb failed: {result.stderr}")
        self.redis = Redis(STACK_DIR / "redis", persistent=True)
        say("starting Redis ...")
        self.redis.start()
        self.state["redis"] = {"pid": self.redis.proc.pid, "argv": _cmdline(self.redis.proc.pid)}
        record_state(self.state)

    def build_env(self, keys: dict[str, str]) -> None:
        env = dict(os.environ)
        for var in ("CASEFLOW_DEBUG", "CASEFLOW_STATIC_MANIFEST", "DJANGO_SETTINGS_MODULE"):
            env.pop(var, None)
        env.update(keys)
        env.update({
            "DJANGO_SETTINGS_MODULE": "caseflow.settings",
            "CASEFLOW_DEBUG": "false",
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            "CASEFLOW_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Loopback HTTP; in a real deployment a TLS proxy in front redirects to HTTPS.
            "CASEFLOW_SECURE_SSL_REDIRECT": "false",
            "CASEFLOW_BEHIND_TLS_PROXY": "false",
            "CASEFLOW_STATIC_ROOT": str(STACK_DIR / "static"),
            "CASEFLOW_MEDIA_ROOT": str(STACK_DIR / "media"),
            "PYTHONUNBUFFERED": "1",
        })
        self.env = env

    def manage(self, *args: str) -> None:
        name = args[0]
        say(f"manage.py {' '.join(args)} ...")
        out = self._output(name)
        try:
            result = subprocess.run(
                [str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env,
                stdout=out, stderr=subprocess.STDOUT if out else None, check=False,
            )
        finally:
            if out:
                out.close()
        if result.returncode != 0:
            self.show_log(name)
            raise ServiceError(f"manage.py {name} failed with exit code {result.returncode}")

    def spawn(self, name: str, argv: list[str]) -> None:
        out = self._output(name)
        try:
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT if out else None,
                start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
            )
        finally:
            if out:
                out.close()
        self.children[name] = proc
        time.sleep(0.2)
        self.state[name] = {"pid": proc.pid, "argv": _cmdline(proc.pid) or argv}
        record_state(self.state)

    def start_children(self) -> None:
        schedule = str(STACK_DIR / "celerybeat-schedule")
        self.spawn("web", stack_command("web", bind=f"127.0.0.1:{self.web_port}", schedule=schedule))
        self.spawn("worker", stack_command("worker", bind="", schedule=schedule))
        self.spawn("beat", stack_command("beat", bind="", schedule=schedule))

    def dead_child(self) -> str | None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                return name
        return None

    # ------------------------------------------------------------------ stop

    def stop(self) -> None:
        """Children first (TERM to each main process, KILL of its group after 30s),
        then Redis, then PostgreSQL."""
        for name, proc in self.children.items():
            if proc.poll() is None:
                say(f"stopping {name} (pid {proc.pid}) ...")
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while (any(p.poll() is None for p in self.children.values())
               and time.monotonic() < deadline and not self.force):
            time.sleep(0.1)
        for name, proc in self.children.items():
            if proc.poll() is None:
                say(f"{name} did not stop in time; killing it")
            # The group too: gunicorn workers and Celery pool processes.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        self.children.clear()
        if self.redis is not None:
            say("stopping Redis ...")
            self.redis.stop()
            self.redis = None
        if self.pg is not None and self.pg.started:
            say("stopping PostgreSQL ...")
            self.pg.stop()
        self.pg = None
        with contextlib.suppress(FileNotFoundError):
            STATE_FILE.unlink()

    # ------------------------------------------------------------------ run

    def summary(self) -> None:
        print(
            "\nCaseflow stack (production mode: CASEFLOW_DEBUG off, plain HTTP on loopback)\n"
            f"  PostgreSQL  {self.pg.url}   data {rel(self.pg.datadir)}, "
            f"log {rel(self.pg.datadir.parent / 'postgres.log')}\n"
            f"  Redis       {self.redis.url}   data {rel(self.redis.datadir)} (append-only)\n"
            f"  web         http://127.0.0.1:{self.web_port}/   gunicorn, pid {self.children['web'].pid}\n"
            f"  worker      celery -A caseflow worker, pid {self.children['worker'].pid}\n"
            f"  beat        celery -A caseflow beat (+ outbox relay), pid {self.children['beat'].pid}, "
            f"schedule {rel(STACK_DIR / 'celerybeat-schedule')}\n"
            f"  static      {rel(STACK_DIR / 'static')} (served by WhiteNoise)\n"
            f"  secrets     {rel(SECRETS_FILE)} (mode 0600)\n"
            + (f"  logs        {rel(LOG_DIR)}/\n" if self.check else ""),
            flush=True,
        )

    def run(self) -> int:
        started = time.monotonic()
        self.start_services()
        self.build_env(load_secrets())
        self.manage("migrate", "--noinput")
        self.manage(*COLLECTSTATIC)
        spawned = time.monotonic()
        self.start_children()
        wait_for_port(self.web_port, 60, self.children["web"], "gunicorn")
        self.summary()
        if self.check:
            return self.verify(started, spawned)
        say(f"ready after {time.monotonic() - started:.1f}s: http://127.0.0.1:{self.web_port}/  "
            "(Ctrl-C stops everything)")
        while True:
            dead = self.dead_child()
            if dead:
                say(f"{dead} exited with code {self.children[dead].returncode}; stopping the stack")
                return 1
            time.sleep(0.5)

    def verify(self, started: float, spawned: float) -> int:
        deadline = time.monotonic() + 90
        status, report, problems = 0, None, ["not asked yet"]
        while time.monotonic() < deadline:
            dead = self.dead_child()
            if dead:
                say(f"FAIL: {dead} exited with code {self.children[dead].returncode}")
                self.show_log(dead)
                return 1
            status, report = get_health(self.web_port)
            problems = health_problems(status, report)
            if not problems:
                break
            time.sleep(0.5)
        healthy_at = time.monotonic()
        print(json.dumps(report, indent=2, sort_keys=True), flush=True)
        if problems:
            say(f"FAIL: /healthz not healthy within 90s: {'; '.join(problems)}")
            self.show_log("web")
            return 1
        say(f"/healthz: HTTP 200, database/cache/broker ok, {healthy_at - started:.1f}s after start "
            f"({healthy_at - spawned:.1f}s after gunicorn, worker and beat were spawned)")

        self.probe_pages()
        ping = self.ping_worker()
        time.sleep(max(0.0, 5 - (time.monotonic() - healthy_at)))
        failed = [name for name, proc in self.children.items() if proc.poll() is not None]
        for name in failed:
            say(f"FAIL: {name} exited with code {self.children[name].returncode}")
            self.show_log(name)
        if failed:
            return 1
        alive = ", ".join(f"{name} pid {proc.pid}" for name, proc in self.children.items())
        say(f"still running {time.monotonic() - healthy_at:.1f}s later: {alive}")
        if not ping:
            self.show_log("worker")
            return 1
        if not self.workflow_job_runs():
            self.show_log("worker")
            return 1
        say("check passed")
        return 0

    def probe_pages(self) -> None:
        """Informational (not part of the pass/fail verdict): the sign-in page renders
        in production mode and its first static asset is served by WhiteNoise."""
        base = f"http://127.0.0.1:{self.web_port}"
        try:
            with urllib.request.urlopen(f"{base}/accounts/login/", timeout=10) as response:  # noqa: S310
                page_status, html = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            say(f"note: /accounts/login/ answered HTTP {exc.code}")
            return
        except (urllib.error.URLError, OSError) as exc:
            say(f"note: /accounts/login/ failed: {exc}")
            return
        asset = re.search(r'(?:href|src)="(/static/[^"]+)"', html)
        if not asset:
            say(f"note: /accounts/login/ HTTP {page_status}, no /static/ asset referenced")
            return
        try:
            with urllib.request.urlopen(base + asset.group(1), timeout=10) as response:  # noqa: S310
                asset_status = response.status
        except urllib.error.HTTPError as exc:
            asset_status = exc.code
        except (urllib.error.URLError, OSError):
            asset_status = 0
        say(f"note: /accounts/login/ HTTP {page_status}; {asset.group(1)} HTTP {asset_status}")

    def workflow_job_runs(self) -> bool:
        """A workflow job goes through commit, broker and worker (manage.py workflow_selfcheck)."""
        result = subprocess.run([str(VENV_BIN / "python"), "manage.py", "workflow_selfcheck", "--timeout", "60"],
                                cwd=ROOT, env=self.env, capture_output=True, text=True, check=False)
        say(f"workflow job: {(result.stdout or result.stderr).strip().splitlines()[-1:]}")
        return result.returncode == 0

    def ping_worker(self) -> bool:
        """The worker is connected to the broker and answers a remote-control ping."""
        argv = [str(VENV_BIN / "celery"), "-A", "caseflow", "inspect", "ping", "--timeout", "3"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            result = subprocess.run(argv, cwd=ROOT, env=self.env, capture_output=True, text=True,
                                    check=False)
            if result.returncode == 0 and "pong" in result.stdout:
                say(f"celery worker answers ping: {result.stdout.strip().splitlines()[0]}")
                return True
            if self.children["worker"].poll() is not None:
                break
            time.sleep(1)
        say("FAIL: the celery worker did not answer `celery inspect ping`")
        return False


# --------------------------------------------------------------------------- main


def choose_port(env_var: str, default: int, what: str) -> int:
    explicit = os.environ.get(env_var)
    port = int(explicit) if explicit else default
    if port_is_free(port):
        return port
    if explicit:
        raise ServiceError(f"{what} port {port} ({env_var}) is in use on 127.0.0.1")
    fallback = free_port()
    say(f"port {port} is busy; {what} uses {fallback} instead (set {env_var} to choose)")
    return fallback


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="start everything, verify /healthz, worker and beat, stop, exit 0/1")
    args = parser.parse_args(argv)

    missing = [name for name in ("python", "gunicorn", "celery") if not (VENV_BIN / name).exists()]
    if missing:
        print(f"stack: {', '.join(missing)} missing in .venv/bin; install first "
              "(make stack does: .venv/bin/python -m pip install -e .)", file=sys.stderr)
        return 2

    STACK_DIR.mkdir(parents=True, exist_ok=True)
    lock = open(LOCK_FILE, "w")  # noqa: SIM115 - held until the process exits
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"stack: another `make stack` is running on {rel(STACK_DIR)}", file=sys.stderr)
        return 2

    stack: Stack | None = None

    def on_signal(signum, frame):
        if stack is not None and stack.stopping:
            stack.force = True
            return
        raise Shutdown(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    code = 1
    try:
        stop_leftovers()
        stack = Stack(
            check=args.check,
            web_port=choose_port("CASEFLOW_STACK_PORT", DEFAULT_WEB_PORT, "gunicorn"),
            pg_port=DEFAULT_PG_PORT if port_is_free(DEFAULT_PG_PORT) else free_port(),
        )
        if stack.pg_port != DEFAULT_PG_PORT:
            say(f"port {DEFAULT_PG_PORT} is busy; PostgreSQL uses {stack.pg_port} instead")
        code = stack.run()
    except Shutdown as exc:
        say(f"{exc} received; stopping")
        code = 0 if not args.check else 1
    except ServiceError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        code = 1
    finally:
        if stack is not None:
            stack.stopping = True
            stack.stop()
        say(f"stopped (exit {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
