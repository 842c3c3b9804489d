"""CSRF is enforced on every state-changing view (issue 10 point 5).

Every route of the URLconf that accepts POST is posted to with a client that enforces
CSRF checks: without a token the answer is 403 from the CSRF check and nothing is
written; with a token the CSRF check passes. Only the token-authenticated intake API is
exempt."""

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from rest_framework.authentication import SessionAuthentication

from tests.security.conftest import CSRF_REFUSED, WriteProbe, all_routes, post_routes

pytestmark = pytest.mark.django_db

#: The only views without Django's CSRF check: DRF views of the partner intake API,
#: which authenticate by token (no cookie, so nothing for a forged request to ride on).
CSRF_EXEMPT_ALLOWED = {"intake:referral-create", "intake:schema"}


@pytest.fixture
def csrf_settings(settings):
    settings.CSRF_FAILURE_VIEW = "tests.security.conftest.csrf_failure"
    return settings


def _fill(route, value=1):
    return route.url(**dict.fromkeys(route.params, value))


def _protected_post_routes():
    """One route per view (the flows route the same task views under many node names;
    whether a view is exempt is checked for every route in the test below)."""
    by_view = {}
    for route in post_routes():
        if not route.csrf_exempt:
            by_view.setdefault(route.view_path, route)
    return list(by_view.values())


def test_only_the_token_api_is_csrf_exempt():
    exempt = {route.name or route.route for route in all_routes() if route.csrf_exempt}
    assert exempt == CSRF_EXEMPT_ALLOWED
    for route in all_routes():
        if route.name in CSRF_EXEMPT_ALLOWED:
            authentication = getattr(route.view_class, "authentication_classes", [])
            # Session authentication would make DRF accept the browser's cookie.
            assert not any(issubclass(cls, SessionAuthentication) for cls in authentication), route.name


def test_the_enumeration_finds_the_state_changing_views():
    names = {route.name for route in post_routes() if not route.csrf_exempt}
    assert {"referrals:new", "journal:new", "documents:upload", "cases:consent_new", "permissions:break_glass_open",
            "workflows:claim", "referral:screen:execute", "case:plan:execute"} <= names
    # the newer apps' forms (meetings, two-factor sign-in, supervision, access requests,
    # retention, notifications)
    assert {"meetings:new", "meetings:detail", "meetings:register_check", "meetings:decide", "accounts:otp_verify",
            "accounts:otp_enrol", "accounts:otp_recovery_codes", "supervision:case_reassign",
            "supervision:task_reassign", "access_requests:new", "access_requests:complete", "retention:holds",
            "retention:hold_lift", "retention:review_decide", "notifications:preferences"} <= names
    assert "cases:detail" not in names  # GET only
    assert len(_protected_post_routes()) >= 30


@pytest.mark.parametrize("who", ["anonymous", "supervisor", "caseworker1"])
def test_post_without_a_token_is_refused_and_writes_nothing(demo, csrf_settings, who):
    client = Client(enforce_csrf_checks=True)
    if who != "anonymous":
        client.force_login(demo[who])
    probe = WriteProbe.take()
    refused = []
    for route in _protected_post_routes():  # logout among them: refused too, so the session stays
        response = client.post(_fill(route), {"note": "x", "reason": "x", "text": "x"})
        if response.status_code != 403 or response.content != CSRF_REFUSED:
            refused.append((route.route, response.status_code))
    assert refused == []
    assert probe.changed_tables() == {}
    assert probe.audit_writes() == []


def test_post_with_a_token_passes_the_csrf_check(demo, csrf_settings):
    client = Client(enforce_csrf_checks=True)
    token = _get_new_csrf_string()
    failures = []
    for route in _protected_post_routes():
        client.force_login(demo["supervisor"])
        client.cookies["csrftoken"] = token
        response = client.post(_fill(route), {"csrfmiddlewaretoken": token})
        if response.content == CSRF_REFUSED:
            failures.append(route.route)
    assert failures == []


def test_the_token_in_the_header_also_passes(demo, csrf_settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo["caseworker1"])
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    response = client.post("/people/search/", {"q": "Nielsen"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.content != CSRF_REFUSED


def test_admin_login_is_csrf_protected(csrf_settings):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert response.content == CSRF_REFUSED
