"""PostgreSQL restarted under load (issue 9, point 3c).

The suite's PostgreSQL is shared by every test process, so this test starts a second,
throwaway PostgreSQL (``scripts.services.Postgres``, production settings: fsync on),
migrates it, seeds four caseworkers with TOTP authenticators (``scripts/loadtest.py seed``)
and serves the application from a real gunicorn (two workers, persistent connections with
health checks, production mode) bound to it. Four caseworkers sign in (password + TOTP)
and write as fast as they can through the pages: journal notes, and referrals registered
and taken through triage, initial assessment, claim and the screening decision. While they
do, ``pg_ctl restart -m fast`` restarts that PostgreSQL.

Required: a request in flight fails cleanly (HTTP 503, the "try again" page with
``Retry-After``, never a 500 or a traceback) or succeeds; requests after the restart work
again at once (``CONN_HEALTH_CHECKS``); every write a caseworker was told about is there;
nothing is half written (each referral has its process and its audit event and vice
versa; each decision its justification, decider and audit event; each journal note its
audit event; each screened referral its screening decision); ``manage.py audit_verify``
passes on that database afterwards.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
from django_otp.oath import totp

from scripts.services import Postgres, free_port, wait_for_port

pytestmark = [pytest.mark.integration, pytest.mark.transactional]

ROOT = Path(__file__).resolve().parent.parent.parent
WRITERS = 4
#: Seconds of load before the restart, and after PostgreSQL is back.
LOAD_BEFORE, LOAD_AFTER = 5.0, 8.0
UNAVAILABLE_TITLE = "Caseflow"  # the 503 page is ours: a plain page, no traceback

ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
EXECUTE = re.compile(r'href="(/workflows/referral/\d+/(\w+)/\d+/execute/)"')
CLAIM = re.compile(r'action="(/tasks/\d+/claim/)"')
NODE_DATA = {
    "acute_triage": {"police_alerted": "no", "note": ""},
    "assess": {"outcome": "to_coordination_unit", "note": ""},
    "screen": {"outcome": "unfounded", "members_present": "Fiktiv A, Fiktiv B",
               "justification": "Drøftet i enheden: ingen konkrete tegn (fiktiv fejltest)."},
}


def loopback_cookies(jar) -> None:
    """Production mode marks cookies Secure; browsers still send them to http://127.0.0.1, and
    so does this client (requests builds the cookie header from a copy of the jar with the
    default policy, so the flag itself is cleared)."""
    for cookie in jar:
        cookie.secure = False


@dataclass
class Outcome:
    started: float
    ended: float
    label: str
    status: int  # 0: no HTTP answer at all
    detail: str = ""


@dataclass
class Writer:
    base: str
    account: dict
    outcomes: list[Outcome] = field(default_factory=list)
    referral_ids: list[int] = field(default_factory=list)  # registrations confirmed by a redirect
    screened: list[int] = field(default_factory=list)  # screening decisions confirmed by a redirect
    notes: int = 0  # journal notes confirmed by a redirect
    error: BaseException | None = None

    def __post_init__(self):
        self.http = requests.Session()
        self.referral: int | None = None

    # ------------------------------------------------------------------ requests

    def _send(self, method: str, path: str, label: str, data: dict | None = None) -> requests.Response | None:
        loopback_cookies(self.http.cookies)
        started = time.monotonic()
        try:
            if method == "POST":
                data = {**(data or {}), "csrfmiddlewaretoken": self.http.cookies.get("csrftoken", "")}
                response = self.http.post(self.base + path, data=data, allow_redirects=False, timeout=30)
            else:
                response = self.http.get(self.base + path, allow_redirects=False, timeout=30)
        except requests.RequestException as exc:
            self.outcomes.append(Outcome(started, time.monotonic(), label, 0, type(exc).__name__))
            return None
        detail = ""
        if response.status_code >= 400:
            detail = f"{response.headers.get('Retry-After')}|{response.text[:3000]}"
        self.outcomes.append(Outcome(started, time.monotonic(), label, response.status_code, detail))
        return response

    def sign_in(self) -> None:
        self._send("GET", "/accounts/login/", "sign-in page")
        response = self._send("POST", "/accounts/login/", "sign in",
                              {"username": self.account["username"], "password": self.account["password"]})
        assert response is not None
        assert response.status_code == 302, response.text[:2000]
        code = totp(bytes.fromhex(self.account["totp_key"]))
        response = self._send("POST", "/accounts/2fa/", "second factor", {"code": f"{code:06d}"})
        assert response is not None
        assert response.status_code == 302, response.text[:2000]

    # ------------------------------------------------------------------ work

    def journal_note(self) -> None:
        case_id = self.account["case_id"]
        event_at = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
        response = self._send("POST", f"/journal/case/{case_id}/new/", "journal note", {
            "note-event_at": event_at, "note-source_authority": "coordination_unit", "save": "final",
            "note-text": "Fiktiv samtale med skolen (fejltest: PostgreSQL genstartes).",
        })
        if response is not None and response.status_code == 302:
            self.notes += 1

    def referral_step(self) -> None:
        """One step of the current referral, decided by what the pages show now (so a step
        that failed is simply tried again, and one that took effect is not repeated)."""
        if self.referral is None:
            received = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
            response = self._send("POST", "/referrals/new/", "register referral", {
                "received_at": received, "channel": "phone", "referrer_type": "primary_school",
                "referrer_name": "Fiktiv Lærer", "referrer_contact": "skole@example.invalid",
                "concern_text": "Fiktiv bekymring (fejltest).", "warning_signs": ["extremist_media"],
                "urgency": "normal", "cpr": "", "first_name": "Fiktiv",
                "last_name": f"Genstart{uuid.uuid4().hex[:8]}", "birth_date": "1990-05-04",
            })
            if response is not None and response.status_code == 302:
                self.referral = int(re.search(r"/referrals/(\d+)/$", response.headers["Location"]).group(1))
                self.referral_ids.append(self.referral)
            return
        link = f'href="/referrals/{self.referral}/"'
        inbox = self._send("GET", "/tasks/", "inbox")
        if inbox is None or inbox.status_code != 200:
            return
        for row in ROW.findall(inbox.text):
            found = EXECUTE.search(row) if link in row else None
            if found:
                url, node = found.groups()
                response = self._send("POST", url, f"task {node}", NODE_DATA[node])
                if response is not None and response.status_code == 302 and node == "screen":
                    self.screened.append(self.referral)
                    self.referral = None
                return
        queue = self._send("GET", "/tasks/queue/", "queue")
        if queue is None or queue.status_code != 200:
            return
        for row in ROW.findall(queue.text):
            found = CLAIM.search(row) if link in row else None
            if found:
                self._send("POST", found.group(1), "claim", {})
                return
        # In neither list: the screening took effect although its answer was lost.
        self.screened.append(self.referral)
        self.referral = None

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self.journal_note()
                self.referral_step()
                if self.outcomes and self.outcomes[-1].status in (0, 503):
                    time.sleep(0.2)  # the user reads "try again" and does
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


# --------------------------------------------------------------------------- processes


@pytest.fixture
def second_postgres():
    base = Path(os.environ.get("CASEFLOW_TEST_VAR", ROOT / "var")) / f"fault-pg-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    pg = Postgres(base / "data")
    try:
        pg.start(fast=False)  # fsync on, as in production: the restart may lose nothing committed
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(base, ignore_errors=True)


def restart(pg: Postgres) -> subprocess.CompletedProcess:
    """``pg_ctl restart -m fast``: backends are terminated, in-flight transactions roll back."""
    return pg._run([str(pg.bindir / "pg_ctl"), "-D", str(pg.datadir), "-m", "fast", "-w", "-t", "60",
                    "-l", str(pg.datadir.parent / "postgres.log"), "restart"])


def app_env(pg: Postgres) -> dict:
    return {**os.environ, "DATABASE_URL": pg.url, "PYTHONUNBUFFERED": "1",
            "CASEFLOW_CELERY_QUEUE": f"fault-pg-{uuid.uuid4().hex[:8]}"}


def manage(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture
def served(second_postgres, tmp_path):
    """The migrated second database, four seeded caseworkers and gunicorn serving them."""
    env = app_env(second_postgres)
    migrated = manage(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-3000:]
    users_file = tmp_path / "users.json"
    seeded = subprocess.run([sys.executable, "scripts/loadtest.py", "seed", "--users", str(WRITERS),
                             "--out", str(users_file)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "caseflow.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--timeout", "60", "--error-logfile", "-"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_for_port(port, 60, web, "gunicorn")
        yield {"base": f"http://127.0.0.1:{port}", "accounts": json.loads(users_file.read_text()),
               "env": env, "pg": second_postgres, "log": log_path, "web": web}
    finally:
        if web.poll() is None:
            os.killpg(web.pid, signal.SIGTERM)
            try:
                web.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(web.pid, signal.SIGKILL)
                web.wait(10)


# --------------------------------------------------------------------------- the database afterwards


def ids(cursor, sql: str) -> list:
    cursor.execute(sql)
    return [row[0] for row in cursor.fetchall()]


def events_of(cursor, action: str) -> list[int]:
    cursor.execute("SELECT target_id FROM audit_auditevent WHERE action = %s", [action])
    return [int(row[0]) for row in cursor.fetchall()]


def check_nothing_half_written(pg: Postgres, writers: list[Writer]) -> dict:
    with psycopg.connect(pg.url.replace("postgres://", "postgresql://")) as conn, conn.cursor() as cursor:
        referrals = ids(cursor, "SELECT id FROM referrals_referral")
        registered = events_of(cursor, "referral.registered")
        assert sorted(registered) == sorted(referrals), "a referral without its audit event, or the reverse"
        without_process = ids(cursor, "SELECT r.id FROM referrals_referral r LEFT JOIN workflows_referralprocess p "
                                      "ON p.referral_id = r.id WHERE p.process_ptr_id IS NULL")
        assert without_process == [], f"referrals without their workflow process: {without_process}"
        without_tasks = ids(cursor, "SELECT p.referral_id FROM workflows_referralprocess p WHERE NOT EXISTS "
                                    "(SELECT 1 FROM viewflow_task t WHERE t.process_id = p.process_ptr_id)")
        assert without_tasks == [], f"processes without tasks: {without_tasks}"

        decisions = ids(cursor, "SELECT id FROM cases_decision")
        assert sorted(events_of(cursor, "decision.recorded")) == sorted(decisions)
        assert ids(cursor, "SELECT id FROM cases_decision WHERE btrim(justification) = '' "
                           "OR decided_by_id IS NULL") == []
        screened = ids(cursor, "SELECT id FROM referrals_referral WHERE status = 'assessed'")
        screening = ids(cursor, "SELECT referral_id FROM cases_decision WHERE kind = 'screening'")
        assert sorted(screening) == sorted(screened), "a screening outcome without its decision, or the reverse"
        assert sorted(events_of(cursor, "referral.screened")) == sorted(screened)

        notes = ids(cursor, "SELECT id FROM journal_journalnote")
        assert sorted(events_of(cursor, "journal.note_created")) == sorted(notes)

        # Every write a caseworker was told about (a redirect) is there.
        confirmed = {pk for writer in writers for pk in writer.referral_ids}
        assert confirmed <= set(referrals)
        assert {pk for writer in writers for pk in writer.screened} <= set(screened)
        assert len(notes) >= sum(writer.notes for writer in writers)
        return {"referrals": len(referrals), "screened": len(screened), "decisions": len(decisions),
                "notes": len(notes)}


# --------------------------------------------------------------------------- the test


def test_postgres_restart_under_load_fails_cleanly_and_loses_or_half_writes_nothing(served):
    writers = [Writer(served["base"], account) for account in served["accounts"]]
    for writer in writers:
        writer.sign_in()
    stop = threading.Event()
    threads = [threading.Thread(target=writer.run, args=(stop,), daemon=True) for writer in writers]
    for thread in threads:
        thread.start()
    try:
        time.sleep(LOAD_BEFORE)
        restart_began = time.monotonic()
        result = restart(served["pg"])
        restart_ended = time.monotonic()
        assert result.returncode == 0, result.stdout + result.stderr
        time.sleep(LOAD_AFTER)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert all(writer.error is None for writer in writers), [writer.error for writer in writers]

    outcomes = [outcome for writer in writers for outcome in writer.outcomes]
    failed = [o for o in outcomes if o.status >= 400 or o.status == 0]
    # Each failure clean: our 503 page with Retry-After, no 500, no traceback, no dropped connection.
    unclean = [o for o in failed if o.status != 503 or not o.detail.startswith("5|")
               or UNAVAILABLE_TITLE not in o.detail or "Traceback" in o.detail]
    assert unclean == [], [(o.label, o.status, o.detail[:300]) for o in unclean[:5]]
    assert failed, "no request was in flight during the restart; the test proved nothing"
    # ... and only requests in flight while PostgreSQL restarted failed.
    assert all(o.ended >= restart_began and o.started <= restart_ended for o in failed), \
        [(o.label, o.started - restart_began, o.ended - restart_began, restart_ended - restart_began)
         for o in failed]
    # After the restart the next requests work again (persistent connections are checked).
    after = [o for o in outcomes if o.started > restart_ended]
    assert after
    assert all(o.status in (200, 302) for o in after), [(o.label, o.status) for o in after if o.status >= 400]
    for writer in writers:
        assert any(o.status == 302 and o.started > restart_ended for o in writer.outcomes), \
            f"{writer.account['username']} wrote nothing after the restart"
    assert served["web"].poll() is None

    counts = check_nothing_half_written(served["pg"], writers)
    assert counts["referrals"] >= WRITERS, counts
    assert counts["screened"] >= 1, counts
    assert counts["notes"] >= WRITERS, counts

    verified = manage(served["env"], "audit_verify", timeout=300)
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
