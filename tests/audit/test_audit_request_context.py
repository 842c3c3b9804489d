"""The middleware's request context, and sign-in events through the real login URL."""

import json

import pytest
from django.forms.models import model_to_dict

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
PASSWORD = "test-password-123"  # tests.factories.UserFactory's


def last_event(action) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-sequence").first()


def test_login_records_the_user_with_request_context(client):
    user = UserFactory(username="cw-login", roles=["caseworker"])
    response = client.post(LOGIN_URL, {"username": "cw-login", "password": PASSWORD},
                           HTTP_USER_AGENT="Mozilla/5.0 (X11) Firefox/140.0", REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 302
    event = last_event(AuditAction.LOGIN)
    assert event.actor == user
    assert event.actor_username == "cw-login"
    assert event.actor_role == "caseworker"
    assert (event.target_type, event.target_id) == ("accounts.user", str(user.pk))
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "192.0.2.10"
    assert event.user_agent == "Mozilla/5.0 (X11) Firefox/140.0"
    assert event.system_actor == ""


def test_failed_login_records_the_attempted_username_never_the_password(client):
    UserFactory(username="cw-fail")
    response = client.post(LOGIN_URL, {"username": "cw-fail", "password": "Wrong-Secret-9876"})
    assert response.status_code == 200
    event = last_event(AuditAction.LOGIN_FAILED)
    assert event.actor is None
    assert event.extra == {"username": "cw-fail"}
    assert event.request_id == response["X-Request-ID"]
    stored = json.dumps(model_to_dict(event), default=str)
    assert "Wrong-Secret-9876" not in stored
    assert "password" not in stored


def test_failed_login_with_a_cpr_number_as_username_is_redacted(client):
    client.post(LOGIN_URL, {"username": "010190-1234", "password": "whatever-pw"})
    assert last_event(AuditAction.LOGIN_FAILED).extra == {"username": "[redacted]"}


def test_logout_records_the_user(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/accounts/logout/")
    event = last_event(AuditAction.LOGOUT)
    assert event.actor == user
    assert event.request_id == response["X-Request-ID"]


def test_every_response_carries_a_fresh_request_id(client):
    first = client.get(LOGIN_URL)["X-Request-ID"]
    second = client.get("/no-such-page/")["X-Request-ID"]
    assert len(first) == 36
    assert first != second


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    UserFactory(username="cw-ip")
    client.post(LOGIN_URL, {"username": "cw-ip", "password": PASSWORD}, REMOTE_ADDR="10.0.0.5",
                HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert last_event(AuditAction.LOGIN).ip == "10.0.0.5"


def test_forwarded_for_is_read_behind_the_tls_proxy_last_entry_only(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    UserFactory(username="cw-proxy")
    client.post(LOGIN_URL, {"username": "cw-proxy", "password": PASSWORD}, REMOTE_ADDR="10.0.0.5",
                HTTP_X_FORWARDED_FOR="198.51.100.1, 2001:DB8::7", HTTP_X_FORWARDED_PROTO="https")
    assert last_event(AuditAction.LOGIN).ip == "2001:db8::7"


def test_garbage_in_forwarded_for_falls_back_to_nothing(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client.post(LOGIN_URL, {"username": "nobody", "password": "x"}, HTTP_X_FORWARDED_FOR="<script>",
                HTTP_X_FORWARDED_PROTO="https")
    assert last_event(AuditAction.LOGIN_FAILED).ip == ""


def test_long_user_agents_are_cut(client):
    client.post(LOGIN_URL, {"username": "nobody", "password": "x"}, HTTP_USER_AGENT="A" * 1000)
    assert last_event(AuditAction.LOGIN_FAILED).user_agent == "A" * 256
