"""The preference page: only signed-in users, each their own preference, audited; bad
input is a form error and nothing is written."""

import pytest
from django.urls import reverse

from caseflow.audit.models import AuditEvent
from caseflow.notifications.models import NotificationPreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/notifications/preferences/"


def test_preferences_url_is_routed():
    assert reverse("notifications:preferences") == URL


def test_preferences_need_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.post(URL, {"mode": "digest"}).status_code == 302
    assert not NotificationPreference.objects.exists()


def test_user_sets_own_preference_audited_and_nobody_elses(client, worker):
    other = UserFactory(team=worker.team, roles=["caseworker"])
    NotificationPreference.objects.create(user=other, mode=NotificationPreference.Mode.IMMEDIATE)
    client.force_login(worker)
    page = client.get(URL)
    assert page.status_code == 200
    assert page.context["form"].initial["mode"] == "immediate"
    response = client.post(URL, {"mode": "digest", "user": other.pk})  # a user field is ignored
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=worker).mode == "digest"
    assert NotificationPreference.objects.get(user=other).mode == "immediate"
    event = AuditEvent.objects.get(action="notification.preferences_changed")
    assert event.actor == worker
    assert event.changes == {"mode": [None, "digest"]}
    assert client.get(URL).context["form"].initial["mode"] == "digest"
    # Saving the same choice again changes nothing and records nothing new.
    client.post(URL, {"mode": "digest"})
    assert AuditEvent.objects.filter(action="notification.preferences_changed").count() == 1


@pytest.mark.parametrize("data", [{}, {"mode": "hourly"}, {"mode": "<script>"}])
def test_bad_input_is_a_form_error_and_nothing_is_written(client, worker, data):
    client.force_login(worker)
    response = client.post(URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors["mode"]
    assert not NotificationPreference.objects.exists()
    assert not AuditEvent.objects.filter(action="notification.preferences_changed").exists()


@pytest.mark.parametrize("roles", [["caseworker"], ["supervisor"], ["mentor"], ["auditor"], ["bbu_liaison"]])
def test_menu_has_the_notifications_entry_for_staff(client, team, roles):
    user = UserFactory(team=team, roles=roles)
    client.force_login(user)
    assert URL in client.get(URL).content.decode()
