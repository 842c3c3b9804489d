import time

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from caseflow.accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_roles_exist_as_groups_from_the_data_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_login_page_renders_in_danish_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Log ind" in response.content.decode()


def test_login_page_renders_in_english_on_request(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Sign in" in response.content.decode()


def test_demo_user_signs_in_and_sees_cases(client, settings):
    settings.CASEFLOW_DEMO_PASSWORD = "demo-test-pw"
    call_command("seed_demo")
    response = client.post(reverse("login"), {"username": "caseworker1", "password": "demo-test-pw"}, follow=True)
    assert response.status_code == 200
    assert response.wsgi_request.user.username == "caseworker1"
    # production mode: the password leads to setting up the second factor, not to the cases
    assert response.request["PATH_INFO"] == reverse("accounts:otp_enrol")
    assert "KE-" not in response.content.decode()
    device = TOTPDevice.objects.get(user__username="caseworker1", confirmed=False)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(reverse("accounts:otp_enrol"), {"code": f"{totp.token():06d}"}, follow=True)
    assert response.request["PATH_INFO"] == reverse("accounts:otp_recovery_codes")
    content = client.get(reverse("dashboard:home")).content.decode()
    assert content.count("KE-") == 2  # caseworker1 is responsible for two demo cases


def test_login_with_wrong_password_shows_translated_error(client):
    UserFactory(username="someone")
    response = client.post(reverse("login"), {"username": "someone", "password": "wrong"})
    assert response.status_code == 200
    assert "korrekt brugernavn" in response.content.decode()


def test_admin_is_for_superusers_only(client):
    staff = UserFactory(is_staff=True, roles=["supervisor"])
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 302
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 200
