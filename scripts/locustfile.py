"""Locust: caseworkers of the coordination unit at work (``make loadtest``, scripts/loadtest.py).

Each simulated user signs in as its own load caseworker (``CASEFLOW_LOADTEST_USERS``: the
JSON written by ``scripts/loadtest.py seed``): password, then the second factor with a code
computed from the account's TOTP key (django-otp's ``totp``), as an authenticator app would.
Then, with 1-3 s between actions: dashboard, case list, a case page and the inbox (most of
the time), a journal note on their case, and a referral registered and taken through acute
triage, initial assessment, claim and screening with the real workflow forms.

Every request is checked (status and, for forms, the redirect that means "saved"): a form
answered with its errors is a failure. Redirects are not followed, so each request is
measured by itself. ``CASEFLOW_LOADTEST_MAX_REQUESTS`` stops the run after that many requests.

The stack runs in production mode over plain HTTP on loopback, so its cookies carry the
Secure flag; browsers send those to http://127.0.0.1 (a secure context), and this client
does the same (it only ever talks to the loopback stack).
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import os
import re
import secrets
from pathlib import Path

import gevent
from django_otp.oath import totp
from locust import HttpUser, between, events, task
from locust.exception import StopUser

ACCOUNTS = json.loads(Path(os.environ["CASEFLOW_LOADTEST_USERS"]).read_text())
MAX_REQUESTS = int(os.environ.get("CASEFLOW_LOADTEST_MAX_REQUESTS", "20000"))
_next_account = itertools.count()
_request_count = itertools.count(1)
_environment = None

ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
EXECUTE = re.compile(r'href="(/workflows/referral/\d+/(\w+)/\d+/execute/)"')
CLAIM = re.compile(r'action="(/tasks/\d+/claim/)"')
CASE_LINK = re.compile(r'href="/cases/(\d+)/"')
REFERRAL_LOCATION = re.compile(r"/referrals/(\d+)/$")


@events.init.add_listener
def _remember_environment(environment, **_kwargs):
    global _environment
    _environment = environment


@events.request.add_listener
def _request_cap(**_kwargs):
    if next(_request_count) == MAX_REQUESTS and _environment is not None and _environment.runner:
        gevent.spawn(_environment.runner.quit)


def loopback_cookies(jar) -> None:
    """Send the Secure cookies back over plain HTTP to 127.0.0.1, as browsers do for loopback
    (requests builds each request's cookie header from a copy of the jar with the default
    policy, so the flag itself is cleared; only ever pointed at the loopback stack)."""
    for cookie in jar:
        cookie.secure = False


class StepFailed(Exception):
    """A request did not answer as a caseworker's browser would expect (already reported)."""


def flow_failure(name: str, message: str) -> None:
    """A step that found the page but not what it needed on it (e.g. the task): an error."""
    events.request.fire(request_type="FLOW", name=name, response_time=0, response_length=0,
                        response=None, context={}, exception=StepFailed(message))
    raise StepFailed(name)


def step(method):
    """A task that stops at its first failed request (each failure is counted once)."""

    def run(self):
        with contextlib.suppress(StepFailed):
            method(self)

    run.__name__ = method.__name__
    run.__doc__ = method.__doc__
    return run


class Caseworker(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.account = ACCOUNTS[next(_next_account) % len(ACCOUNTS)]
        self.case_ids = [self.account["case_id"]]
        try:
            self.get("/accounts/login/", "sign-in page")
            self.post("/accounts/login/", "sign in: password",
                      {"username": self.account["username"], "password": self.account["password"]},
                      expect_location="/")
            code = totp(bytes.fromhex(self.account["totp_key"]))
            self.post("/accounts/2fa/", "sign in: second factor", {"code": f"{code:06d}"},
                      expect_location="/dashboard/")
        except StepFailed as exc:
            raise StopUser from exc  # the failed request is counted; this user cannot work

    # ------------------------------------------------------------------ requests

    def get(self, path: str, name: str) -> str:
        loopback_cookies(self.client.cookies)
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code} (expected 200)")
                raise StepFailed(name)
            return response.text

    def post(self, path: str, name: str, data: dict, *, expect_location: str = "") -> str:
        loopback_cookies(self.client.cookies)
        data = {**data, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
        headers = {"Referer": f"{self.host}{path}"}
        with self.client.post(path, data=data, name=name, headers=headers, allow_redirects=False,
                              catch_response=True) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302:
                response.failure(f"HTTP {response.status_code} (expected a redirect)")
                raise StepFailed(name)
            if expect_location and not location.startswith(expect_location):
                response.failure(f"redirected to {location} (expected {expect_location})")
                raise StepFailed(name)
            return location

    # ------------------------------------------------------------------ browsing

    @task(4)
    @step
    def dashboard(self):
        self.get("/dashboard/", "dashboard")

    @task(4)
    @step
    def case_list(self):
        html = self.get("/cases/", "case list")
        found = [int(pk) for pk in CASE_LINK.findall(html)]
        if found:
            self.case_ids = sorted(set(found))

    @task(4)
    @step
    def case_page(self):
        self.get(f"/cases/{secrets.choice(self.case_ids)}/", "case page")

    @task(3)
    @step
    def inbox(self):
        self.get("/tasks/", "inbox")

    # ------------------------------------------------------------------ writing

    @task(1)
    @step
    def journal_note(self):
        case_id = self.account["case_id"]
        event_at = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        self.post(f"/journal/case/{case_id}/new/", "journal note (final)", {
            "event_at": event_at, "source_authority": "coordination_unit", "save": "final",
            "text": "Fiktiv telefonsamtale med skolen om fremmøde og trivsel (belastningstest).",
        }, expect_location=f"/cases/{case_id}/")

    @task(2)
    @step
    def register_and_screen_referral(self):
        received = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        birth = datetime.date(1985, 1, 1) + datetime.timedelta(days=secrets.randbelow(5000))
        location = self.post("/referrals/new/", "referral: register", {
            "received_at": received, "channel": "phone", "referrer_type": "primary_school",
            "referrer_name": "Fiktiv Lærer", "referrer_contact": "skole@example.invalid",
            "concern_text": "Fiktiv bekymring: deler voldelige memes i klassens chat (belastningstest).",
            "warning_signs": ["extremist_media"], "urgency": "normal", "cpr": "",
            "first_name": "Fiktiv", "last_name": f"Belastning{secrets.randbelow(10**6)}",
            "birth_date": birth.isoformat(),
        }, expect_location="/referrals/")
        match = REFERRAL_LOCATION.search(location)
        if not match:
            flow_failure("referral: register", f"unexpected redirect {location}")
        referral_link = f'href="/referrals/{match.group(1)}/"'
        self.get(location, "referral page")

        self.post(self._execute_url(referral_link, "acute_triage"), "referral: acute triage",
                  {"police_alerted": "no", "note": ""})
        self.post(self._execute_url(referral_link, "assess"), "referral: initial assessment",
                  {"outcome": "to_coordination_unit", "note": ""})
        queue = self.get("/tasks/queue/", "task queue")
        claim = next((CLAIM.search(row) for row in ROW.findall(queue) if referral_link in row), None)
        if claim is None:
            flow_failure("task queue", "the screening task is not in the queue")
        self.post(claim.group(1), "task: claim", {})
        self.post(self._execute_url(referral_link, "screen"), "referral: screening decision", {
            "outcome": "unfounded", "members_present": "Fiktiv A, Fiktiv B",
            "justification": "Drøftet i koordineringsenheden: ingen konkrete tegn (belastningstest).",
        })

    def _execute_url(self, referral_link: str, node: str) -> str:
        """The execute link of this referral's task ``node`` in my inbox."""
        html = self.get("/tasks/", "inbox")
        for row in ROW.findall(html):
            if referral_link in row:
                for url, name in EXECUTE.findall(row):
                    if name == node:
                        return url
        flow_failure("inbox", f"the {node} task is not in the inbox")
