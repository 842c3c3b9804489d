"""Sessions (issue 10 point 3): idle timeout, absolute lifetime, a new session key at
sign-in and at the second factor, and the cookie flags in production mode."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "test-password-123"


def expired_events(user):
    return AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED, actor=user)


def test_idle_session_is_signed_out_and_audited(client, worker, settings):
    assert settings.CASEFLOW_SESSION_IDLE_MINUTES == 15
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(worker)
        assert client.get(reverse("dashboard:home")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        response = client.get(reverse("cases:list"), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "next=" in response["Location"]
        assert expired_events(worker).get().extra == {"reason": "idle"}
        page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
        assert "15 minutes without activity" in page.content.decode()
        # the session is gone, not just this one request
        assert client.get(reverse("dashboard:home"))["Location"].startswith(reverse("login"))
        assert expired_events(worker).count() == 1


def test_activity_keeps_the_session_alive(client, worker):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(worker)
        for _ in range(4):
            clock.shift(datetime.timedelta(minutes=14))
            assert client.get(reverse("dashboard:home")).status_code == 200
    assert not expired_events(worker).exists()


def test_absolute_lifetime_ends_even_an_active_session(client, worker, settings):
    settings.CASEFLOW_SESSION_MAX_HOURS = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(worker)
        for _ in range(4):
            clock.shift(datetime.timedelta(minutes=14))
            assert client.get(reverse("dashboard:home")).status_code == 200
        clock.shift(datetime.timedelta(minutes=14))  # 70 minutes after signing in
        response = client.get(reverse("dashboard:home"))
        assert response["Location"].startswith(reverse("login"))
    assert expired_events(worker).get().extra == {"reason": "absolute"}


def test_default_absolute_lifetime_is_ten_hours(settings):
    assert settings.CASEFLOW_SESSION_MAX_HOURS == 10
    assert settings.SESSION_COOKIE_AGE == 10 * 60 * 60


def test_session_key_is_rotated_at_sign_in(client, worker):
    session = client.session
    session["before"] = "anonymous"
    session.save()
    anonymous_key = session.session_key
    client.cookies["sessionid"] = anonymous_key
    response = client.post(reverse("login"), {"username": worker.username, "password": PASSWORD})
    assert response.status_code == 302
    signed_in_key = client.cookies["sessionid"].value
    assert signed_in_key != anonymous_key
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=anonymous_key).exists()


def test_session_cookie_flags_in_production(client, worker, settings):
    assert settings.DEBUG is False
    response = client.post(reverse("login"), {"username": worker.username, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"]  # ends with the browser; the server side ends it earlier
    csrf = client.get(reverse("login")).cookies.get("csrftoken") or response.cookies.get("csrftoken")
    if csrf is not None:
        assert csrf["secure"] is True
        assert csrf["httponly"] is True


def test_api_requests_are_not_touched_by_the_session_rules(client, worker):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(worker, otp=False)
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        response = client.get("/api/schema/")
        assert response.status_code != 302 or not response["Location"].startswith(reverse("login"))
    assert not expired_events(worker).exists()
