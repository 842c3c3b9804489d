"""Sign-in lockout (django-axes, issue 10 point 2): after CASEFLOW_LOGIN_FAILURE_LIMIT
failures per user name + address the sign-in is locked for the cool-off, with a
translated page (not a 500), audited once per lockout next to the single failed-sign-in
event per attempt."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "test-password-123"
IP = "192.0.2.44"


def attempt(client, username, password, ip=IP, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def fail(client, username, times, ip=IP):
    for _ in range(times):
        assert attempt(client, username, "Wrong-password-1", ip).status_code == 200


def lock(client, username, ip=IP):
    """Four refusals, and the fifth failure locks."""
    fail(client, username, 4, ip)
    assert attempt(client, username, "Wrong-password-1", ip).status_code == 429


def test_five_failures_lock_the_user_name_at_that_address(client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    user = UserFactory(username="locky")
    fail(client, "locky", 4)
    assert not AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).exists()
    response = attempt(client, "locky", "Wrong-password-1")
    assert response.status_code == 429
    locked = AuditEvent.objects.get(action=AuditAction.LOCKED_OUT)
    assert locked.extra == {"username": "locky"}
    assert locked.ip == IP
    # each attempt is one failed sign-in event, never two
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 5

    # now even the right password is refused, with the page, not a 500
    response = attempt(client, "locky", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    content = response.content.decode()
    assert "Sign-in locked" in content
    assert "after 5 failed attempts" in content
    assert "30 minutes" in content
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=user).exists()
    assert "_auth_user_id" not in client.session


def test_the_lock_page_is_danish_by_default(client):
    UserFactory(username="laas")
    lock(client, "laas")
    response = attempt(client, "laas", PASSWORD)
    assert response.status_code == 429
    assert '<html lang="da"' in response.content.decode()


def test_another_address_or_user_name_is_not_locked(client):
    UserFactory(username="locky2")
    other = UserFactory(username="bystander")
    lock(client, "locky2")
    assert attempt(client, "locky2", PASSWORD, ip="198.51.100.7").status_code == 302
    client.post(reverse("logout"))
    assert attempt(client, other.username, PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(client, settings):
    UserFactory(username="patient")
    lock(client, "patient")
    assert attempt(client, "patient", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=settings.CASEFLOW_LOGIN_COOLOFF_MINUTES + 1)):
        assert attempt(client, "patient", PASSWORD).status_code == 302


def test_a_success_resets_the_count(client):
    UserFactory(username="typo")
    fail(client, "typo", 4)
    assert attempt(client, "typo", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    fail(client, "typo", 4)
    assert attempt(client, "typo", PASSWORD).status_code == 302


def test_test_client_login_goes_through_axes(client):
    UserFactory(username="viaclient")
    assert client.login(username="viaclient", password=PASSWORD)
    assert not client.login(username="viaclient", password="nope-nope-nope")


def test_admin_lifts_a_lockout_audited(client):
    user = UserFactory(username="freed")
    lock(client, "freed")
    admin = UserFactory(is_staff=True, is_superuser=True)
    admin_client = client.__class__()
    admin_client.force_login(admin)
    response = admin_client.post(reverse("admin:accounts_user_changelist"),
                                 {"action": "lift_lockout", "_selected_action": [user.pk]})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOCKOUT_RESET)
    assert event.actor == admin
    assert event.extra["attempts_removed"] >= 1
    assert attempt(client, "freed", PASSWORD).status_code == 302


def test_a_cpr_number_typed_as_user_name_is_not_stored_by_axes(client):
    from axes.models import AccessAttempt

    for _ in range(2):
        attempt(client, "010190-1234", "Wrong-password-1")
    stored = list(AccessAttempt.objects.values_list("username", "post_data"))
    assert stored
    for username, post_data in stored:
        assert "1234" not in username
        assert "010190" not in (username + post_data)
