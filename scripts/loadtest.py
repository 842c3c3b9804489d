"""``make loadtest``: caseworkers under load against ``make stack``'s topology, on loopback.

1. Starts the production topology of ``scripts/stack.py`` (PostgreSQL, Redis, gunicorn with
   3 workers, a Celery worker and Celery beat, production mode) in a throwaway directory,
   ``var/loadtest/`` (emptied at the start but for the collected static files; free ports on
   127.0.0.1), migrates and collects static files.
2. Seeds ``manage.py seed_demo`` (fictional) and ``--users`` load caseworkers
   (``loadcw01``, ...): random password, a confirmed TOTP authenticator (two-factor sign-in
   is enforced in production mode; the locustfile computes the codes with django-otp's
   ``totp`` from the keys written to ``var/loadtest/users.json``, mode 0600) and one case each.
3. Runs locust headless (``scripts/locustfile.py``) for ``--run-time`` (default 2m) with at
   most ``--max-requests`` requests: caseworkers browse (dashboard, case list, case page,
   inbox), write journal notes, register referrals and take them through triage,
   assessment and screening with the real workflow forms.
4. Runs ``manage.py audit_verify`` on the database afterwards.
5. Writes requests/s, p50/p95/p99 and errors per request type into the section of
   ``BENCHMARKS.md`` between ``<!-- loadtest:start -->`` and ``<!-- loadtest:end -->``
   (below ``make bench``'s findings marker, which ``make bench`` keeps).

Exit status 0 only with zero failed requests and a verifying audit chain.
``python scripts/loadtest.py seed --users N --out FILE`` is the seeding step on its own (it
runs inside the application's environment: DATABASE_URL, keys).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import stack as stack_module  # noqa: E402
from scripts.services import ServiceError, free_port, wait_for_port  # noqa: E402

LOAD_DIR = ROOT / "var" / "loadtest"
VENV_BIN = ROOT / ".venv" / "bin"
BENCHMARKS = ROOT / "BENCHMARKS.md"
START_MARKER = "<!-- loadtest:start -->"
END_MARKER = "<!-- loadtest:end -->"
USERNAME_PREFIX = "loadcw"


def say(message: str) -> None:
    print(f"[loadtest] {message}", flush=True)


# --------------------------------------------------------------------------- seeding (inside Django)


def seed(*, users: int, out: Path) -> list[dict]:
    """``users`` caseworkers of the demo team, each with a password, a confirmed TOTP device
    and one open case of their own (fictional person), written to ``out`` (mode 0600)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseflow.settings")
    django.setup()
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from caseflow.accounts.models import Team, User
    from caseflow.accounts.roles import Role
    from caseflow.cases.models import Case
    from caseflow.cases.services import case_open
    from caseflow.demo.seed import TEAM_NAME
    from caseflow.people.services import person_identify

    accounts = []
    with transaction.atomic():
        team, _created = Team.objects.get_or_create(name=TEAM_NAME)
        caseworkers = Group.objects.get_or_create(name=Role.CASEWORKER.value)[0]
        for number in range(1, users + 1):
            username = f"{USERNAME_PREFIX}{number:02d}"
            password = secrets.token_urlsafe(18)
            user, _created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": "Last", "last_name": f"Sagsbehandler {number}", "team": team,
                          "email": f"{username}@caseflow.invalid"},
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            user.groups.add(caseworkers)
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name="loadtest", confirmed=True)
            case = Case.objects.filter(responsible=user, closed_at__isnull=True).first()
            if case is None:
                person = person_identify(actor=user, first_name="Fiktiv", last_name=f"Belastningsen {number}",
                                         birth_date=datetime.date(1990, 1, 1) + datetime.timedelta(days=number))
                case = case_open(actor=user, person=person, team=team, level=2, responsible=user)
            accounts.append({"username": username, "password": password, "totp_key": device.key,
                             "case_id": case.pk})
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(accounts, fh, indent=1)
    return accounts


# --------------------------------------------------------------------------- the stack


def _point_stack_at(directory: Path) -> None:
    """``make stack``'s processes and commands (scripts/stack.py), but in ``directory``."""
    stack_module.STACK_DIR = directory
    stack_module.SECRETS_FILE = directory / "secrets.env"
    stack_module.STATE_FILE = directory / "stack.pids"
    stack_module.LOCK_FILE = directory / "stack.lock"
    stack_module.LOG_DIR = directory / "log"


def _manage(env: dict, *args: str, capture: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=capture, text=True, check=False)


# --------------------------------------------------------------------------- results


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _num(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def render_section(*, rows: list[dict], args, started: datetime.datetime, elapsed: float,
                   verify: subprocess.CompletedProcess, seeded: int, postgres: str, load: tuple) -> str:
    total = next(row for row in rows if row["Name"] == "Aggregated")
    verified = verify.returncode == 0
    verify_line = ((verify.stdout or verify.stderr).strip().splitlines()[-1:] or [""])[0].strip()
    lines = [
        START_MARKER,
        "",
        "## Load test (`make loadtest`)",
        "",
        f"Written by `scripts/loadtest.py` ({started:%Y-%m-%d %H:%M} UTC). `make stack`'s topology on "
        f"loopback in production mode (gunicorn 3 workers, Celery worker and beat, {postgres}, Redis), "
        f"{os.cpu_count()} CPUs shared with other work (load average {load[0]:.1f} when locust started, "
        f"{load[1]:.1f} when it ended); Python {platform.python_version()}.",
        "",
        f"- {args.users} simulated caseworkers (each its own account, signed in with password and TOTP), "
        f"spawned {args.spawn_rate}/s, wait 1–3 s between actions, run time {args.run_time} "
        f"(cap {args.max_requests} requests); locust ran {elapsed:.0f} s in all. Seed: `seed_demo` + "
        f"{seeded} load caseworkers with a case each.",
        "- Each user: dashboard, case list, a case page, inbox (browsing, most of the actions); a journal "
        "note on their case; a referral registered and taken through acute triage, initial assessment, "
        "claim and screening (outcome *unfounded*, with a justification) through the workflow forms.",
        f"- **{int(_num(total['Request Count']))} requests, {int(_num(total['Failure Count']))} errors, "
        f"{_num(total['Requests/s']):.1f} requests/s; p50 {_num(total['50%']):.0f} ms, "
        f"p95 {_num(total['95%']):.0f} ms, p99 {_num(total['99%']):.0f} ms.**",
        f"- `manage.py audit_verify` afterwards: **{'passed' if verified else 'FAILED'}** (`{verify_line}`).",
        "",
        "| Request | Count | Errors | Req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Type"], r["Name"])):
        name = "**all**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        lines.append(
            f"| {name} | {int(_num(row['Request Count']))} | {int(_num(row['Failure Count']))} | "
            f"{_num(row['Requests/s']):.2f} | {_num(row['50%']):.0f} | {_num(row['95%']):.0f} | "
            f"{_num(row['99%']):.0f} | {_num(row['Max Response Time']):.0f} |"
        )
    lines += ["", END_MARKER, ""]
    return "\n".join(lines)


def write_section(section: str, path: Path = BENCHMARKS) -> None:
    """Replace the loadtest section (or append it at the end: below make bench's findings
    marker, which make bench keeps)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START_MARKER) + r".*?" + re.escape(END_MARKER) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


# --------------------------------------------------------------------------- main


def run(args) -> int:
    missing = [name for name in ("python", "gunicorn", "celery", "locust") if not (VENV_BIN / name).exists()]
    if missing:
        print(f"loadtest: {', '.join(missing)} missing in .venv/bin; install with "
              '.venv/bin/pip install -e ".[load]" (make loadtest does)', file=sys.stderr)
        return 2
    if LOAD_DIR.exists():
        leftover = LOAD_DIR / "pg" / "data"
        if (leftover / "postmaster.pid").exists():
            stale = stack_module.Postgres(leftover)
            stale.started = True
            stale.stop()
        for child in LOAD_DIR.iterdir():  # collected static files stay: collectstatic is then quick
            if child.name != "static":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    LOAD_DIR.mkdir(parents=True, exist_ok=True)
    _point_stack_at(LOAD_DIR)
    started_at = datetime.datetime.now(datetime.UTC)
    stack = stack_module.Stack(check=True, web_port=free_port(), pg_port=free_port())
    try:
        stack.start_services()
        stack.build_env(stack_module.load_secrets())
        env = {**stack.env, "DEMO_PASSWORD": secrets.token_urlsafe(18)}
        stack.env = env
        stack.manage("migrate", "--noinput")
        stack.manage(*stack_module.COLLECTSTATIC)
        say("seeding: seed_demo and the load caseworkers ...")
        result = _manage(env, "seed_demo")
        if result.returncode != 0:
            raise ServiceError(f"seed_demo failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        users_file = LOAD_DIR / "users.json"
        result = subprocess.run([str(VENV_BIN / "python"), str(Path(__file__)), "seed", "--users",
                                 str(args.users), "--out", str(users_file)],
                                cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ServiceError(f"seeding the load users failed:\n{result.stderr[-3000:]}")
        seeded = len(json.loads(users_file.read_text()))
        stack.start_children()
        wait_for_port(stack.web_port, 60, stack.children["web"], "gunicorn")
        host = f"http://127.0.0.1:{stack.web_port}"
        deadline = time.monotonic() + 60
        while stack_module.health_problems(*stack_module.get_health(stack.web_port)):
            if time.monotonic() > deadline:
                raise ServiceError("/healthz did not become healthy within 60s")
            time.sleep(0.5)
        say(f"stack ready at {host}; locust: {args.users} users for {args.run_time} ...")
        prefix = LOAD_DIR / "locust"
        locust_env = {**os.environ, "CASEFLOW_LOADTEST_USERS": str(users_file),
                      "CASEFLOW_LOADTEST_MAX_REQUESTS": str(args.max_requests), "PYTHONUNBUFFERED": "1"}
        began, load_before = time.monotonic(), os.getloadavg()[0]
        with open(LOAD_DIR / "log" / "locust.log", "wb") as log:
            locust = subprocess.run(
                [str(VENV_BIN / "locust"), "-f", str(ROOT / "scripts" / "locustfile.py"), "--headless",
                 "--host", host, "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
                 "--run-time", args.run_time, "--stop-timeout", "20", "--csv", str(prefix),
                 "--only-summary", "--loglevel", "INFO", "--exit-code-on-error", "1"],
                cwd=ROOT, env=locust_env, stdout=log, stderr=subprocess.STDOUT, check=False,
                timeout=_seconds(args.run_time) + 180,
            )
        elapsed, load_after = time.monotonic() - began, os.getloadavg()[0]
        say(f"locust exited with {locust.returncode} after {elapsed:.0f}s (log: var/loadtest/log/locust.log)")
        # Let the worker finish what the load queued before the chain is verified.
        time.sleep(5)
        verify = _manage(env, "audit_verify")
        say(f"audit_verify: exit {verify.returncode}: {(verify.stdout or verify.stderr).strip()[-300:]}")
        rows = read_stats(prefix)
        version = _manage(env, "shell", "-c", "from django.db import connection; "
                          "connection.ensure_connection(); print(connection.pg_version)")
        pg_version = (version.stdout.strip().splitlines() or ["0"])[-1]
        postgres = f"PostgreSQL {int(pg_version) // 10000}" if pg_version.isdigit() else "PostgreSQL"
        section = render_section(rows=rows, args=args, started=started_at, elapsed=elapsed, verify=verify,
                                 seeded=seeded, postgres=postgres, load=(load_before, load_after))
        if not args.no_write:
            write_section(section)
            say("BENCHMARKS.md: loadtest section written")
        print(section, flush=True)
        total = next(row for row in rows if row["Name"] == "Aggregated")
        failures = int(_num(total["Failure Count"]))
        if failures:
            say(f"FAIL: {failures} failed requests (see {prefix}_failures.csv)")
        if verify.returncode != 0:
            say("FAIL: audit_verify did not pass")
        return 0 if failures == 0 and verify.returncode == 0 and locust.returncode == 0 else 1
    except ServiceError as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stopping = True
        stack.stop()


def _seconds(run_time: str) -> int:
    total = 0
    for amount, unit in re.findall(r"(\d+)\s*([hms])", run_time):
        total += int(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total or int(run_time)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    seed_parser = sub.add_parser("seed", help="seed the load caseworkers (inside the app's environment)")
    seed_parser.add_argument("--users", type=int, default=10)
    seed_parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--users", type=int, default=10, help="simulated caseworkers (default 10)")
    parser.add_argument("--spawn-rate", type=float, default=2.0, help="users started per second")
    parser.add_argument("--run-time", default="2m", help="locust --run-time (default 2m)")
    parser.add_argument("--max-requests", type=int, default=20000,
                        help="stop earlier after this many requests (default 20000)")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.command == "seed":
        accounts = seed(users=args.users, out=args.out)
        print(f"seeded {len(accounts)} load caseworkers into {args.out}")
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
