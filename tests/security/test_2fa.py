"""Two-factor sign-in (issue 10 point 1): a password alone reaches no page behind the
sign-in; the second step takes a code from the authenticator (computed here from the
device's key, as the app does) or a single-use recovery code; enrolment end to end;
refusals, throttling and resets are audited."""

import datetime
import re
import time

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from caseflow.accounts.otp import CODE_THROTTLED
from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.core.exceptions import ApplicationError
from permissions.policy import may_reset_second_factor
from permissions.services import second_factor_reset
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "test-password-123"  # tests.factories.UserFactory's
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def code_for(device, offset_steps=0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


def password_sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password step failed"
    return response


def events(action, user=None):
    qs = AuditEvent.objects.filter(action=action)
    if user is not None:
        qs = qs.filter(target_id=str(user.pk), target_type="accounts.user")
    return qs


@pytest.fixture
def enrolled(worker):
    device = TOTPDevice.objects.create(user=worker, name="phone", confirmed=True)
    recovery = StaticDevice.objects.create(user=worker, name="recovery codes", confirmed=True)
    for token in ("abcd2345", "efgh6723"):
        StaticToken.objects.create(device=recovery, token=token)
    return device


# --------------------------------------------------------------------------- no page without the second factor


@pytest.mark.parametrize("url_name", ["detail", "list", "dashboard", "inbox", "people", "admin"])
def test_password_alone_reaches_no_case_page(client, worker, team, enrolled, url_name):
    case = CaseFactory(team=team, responsible=worker)
    worker.is_staff = worker.is_superuser = url_name == "admin"
    worker.save()
    url = {
        "detail": reverse("cases:detail", args=[case.pk]),
        "list": reverse("cases:list"),
        "dashboard": reverse("dashboard:home"),
        "inbox": reverse("workflows:inbox"),
        "people": reverse("people:search"),
        "admin": reverse("admin:index"),
    }[url_name]
    password_sign_in(client, worker)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify") + "?next=")
    assert case.reference not in response.content.decode()
    followed = client.get(url, follow=True)
    assert followed.request["PATH_INFO"] == reverse("accounts:otp_verify")
    assert case.reference not in followed.content.decode()
    # a POST is turned away just the same
    assert client.post(url, {})["Location"] == reverse("accounts:otp_verify")


def test_without_an_authenticator_the_password_leads_to_enrolment(client, worker, team):
    case = CaseFactory(team=team, responsible=worker)
    password_sign_in(client, worker)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response["Location"].startswith(reverse("accounts:otp_enrol"))
    assert client.get(reverse("accounts:otp_verify"))["Location"] == reverse("accounts:otp_enrol")


def test_exempt_urls_work_before_the_second_factor(client, worker, enrolled):
    password_sign_in(client, worker)
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("accounts:otp_verify")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    # signing out needs no second factor
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard:home"))["Location"].startswith(reverse("login"))


def test_the_second_step_page_has_no_navigation(client, worker, enrolled):
    password_sign_in(client, worker)
    content = client.get(reverse("accounts:otp_verify"), **EN).content.decode()
    assert "Two-factor sign-in" in content
    assert reverse("cases:list") not in content
    assert reverse("logout") in content


# --------------------------------------------------------------------------- the second step


def test_wrong_code_is_refused_and_audited(client, worker, team, enrolled):
    case = CaseFactory(team=team, responsible=worker)
    password_sign_in(client, worker)
    wrong = code_for(enrolled, offset_steps=10)
    response = client.post(reverse("accounts:otp_verify"), {"code": wrong}, **EN)
    assert response.status_code == 400
    assert "The code is not correct" in response.content.decode()
    assert events(AuditAction.OTP_FAILED, worker).count() == 1
    assert not events(AuditAction.OTP_VERIFIED, worker).exists()
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 302
    enrolled.refresh_from_db()
    assert enrolled.throttling_failure_count == 1


@pytest.mark.parametrize("garbage", ["", " ", "x" * 40, "12345", "<script>alert(1)</script>", "1234567\x00"])
def test_bad_input_in_the_code_field_is_a_form_error(client, worker, enrolled, garbage):
    password_sign_in(client, worker)
    response = client.post(reverse("accounts:otp_verify"), {"code": garbage}, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not events(AuditAction.OTP_VERIFIED).exists()


def test_right_code_lets_in_and_rotates_the_session(client, worker, team, enrolled):
    case = CaseFactory(team=team, responsible=worker)
    password_sign_in(client, worker)
    key_after_password = client.cookies["sessionid"].value
    next_url = reverse("cases:detail", args=[case.pk])
    response = client.post(reverse("accounts:otp_verify"), {"code": code_for(enrolled), "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert client.cookies["sessionid"].value != key_after_password
    page = client.get(next_url)
    assert page.status_code == 200
    assert case.reference in page.content.decode()
    event = events(AuditAction.OTP_VERIFIED, worker).get()
    assert event.actor == worker
    assert event.extra == {"recovery_code": False}


def test_the_same_code_is_not_accepted_twice(client, worker, enrolled):
    password_sign_in(client, worker)
    code = code_for(enrolled)
    assert client.post(reverse("accounts:otp_verify"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    password_sign_in(client, worker)
    assert client.post(reverse("accounts:otp_verify"), {"code": code}).status_code == 400


def test_an_offsite_next_is_ignored(client, worker, enrolled):
    password_sign_in(client, worker)
    response = client.post(reverse("accounts:otp_verify"),
                           {"code": code_for(enrolled), "next": "https://evil.example.invalid/"})
    assert response["Location"] == reverse("dashboard:home")


def test_code_guessing_is_throttled(client, worker, enrolled):
    password_sign_in(client, worker)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post(reverse("accounts:otp_verify"), {"code": code_for(enrolled, offset_steps=20)})
        # at once the right code is refused too: django-otp's delay after a failure
        response = client.post(reverse("accounts:otp_verify"), {"code": code_for(enrolled)}, **EN)
        assert response.status_code == 400
        assert str(CODE_THROTTLED) in response.content.decode()
        assert not events(AuditAction.OTP_VERIFIED, worker).exists()
        # after the delay (1 s after the first failure, then 2 s, 4 s ...) the right code works
        clock.shift(datetime.timedelta(seconds=2))
        assert client.post(reverse("accounts:otp_verify"), {"code": code_for(enrolled)}).status_code == 302
    throttled = events(AuditAction.OTP_FAILED, worker).order_by("-sequence").first()
    assert throttled.extra["throttled"] is True


def test_recovery_code_works_once(client, worker, team, enrolled):
    case = CaseFactory(team=team, responsible=worker)
    password_sign_in(client, worker)
    response = client.post(reverse("accounts:otp_verify"), {"code": "ABCD 2345"}, follow=True, **EN)
    assert response.status_code == 200
    assert "1 code is left" in response.content.decode()
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    used = events(AuditAction.OTP_RECOVERY_CODE_USED, worker).get()
    assert used.extra == {"codes_left": 1}
    assert events(AuditAction.OTP_VERIFIED, worker).get().extra == {"recovery_code": True}
    assert "abcd2345" not in str(used.extra)

    client.post(reverse("logout"))
    password_sign_in(client, worker)
    response = client.post(reverse("accounts:otp_verify"), {"code": "abcd2345"})
    assert response.status_code == 400
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 302
    assert StaticToken.objects.filter(device__user=worker).count() == 1


# --------------------------------------------------------------------------- enrolment


def test_enrolment_end_to_end(client, worker, team):
    case = CaseFactory(team=team, responsible=worker)
    case_url = reverse("cases:detail", args=[case.pk])
    password_sign_in(client, worker)
    first = client.get(case_url, follow=True, **EN)
    assert first.request["PATH_INFO"] == reverse("accounts:otp_enrol")
    content = first.content.decode()
    assert "<svg" in content
    assert "<path" in content
    device = TOTPDevice.objects.get(user=worker, confirmed=False)
    text_key = re.search(r'data-testid="otp-key">([A-Z2-7 ]+)<', content).group(1)
    import base64

    assert base64.b32decode(text_key.replace(" ", "") + "=" * (-len(text_key.replace(" ", "")) % 8)) == device.bin_key
    # a reload shows the same key
    assert client.get(reverse("accounts:otp_enrol")).context["text_key"] == text_key

    refused = client.post(reverse("accounts:otp_enrol"), {"code": code_for(device, offset_steps=30),
                                                          "next": case_url}, **EN)
    assert refused.status_code == 400
    assert "The code is not correct" in refused.content.decode()
    assert events(AuditAction.OTP_FAILED, worker).get().extra == {"step": "enrolment"}
    assert not TOTPDevice.objects.filter(user=worker, confirmed=True).exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)

    response = client.post(reverse("accounts:otp_enrol"), {"code": code_for(device), "next": case_url})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_recovery_codes"))
    codes_page = client.get(response["Location"], **EN)
    codes = re.findall(r'<li><code class="ref">([a-z2-7]+)</code></li>', codes_page.content.decode())
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert codes_page.context["next"] == case_url
    # shown once only
    again = client.get(reverse("accounts:otp_recovery_codes"), **EN)
    assert not again.context["codes"]
    assert "10 unused recovery codes" in again.content.decode()

    assert client.get(case_url).status_code == 200
    assert events(AuditAction.OTP_ENROLLED, worker).count() == 1
    assert events(AuditAction.OTP_RECOVERY_CODES_CREATED, worker).get().extra == {"count": 10}
    for event in AuditEvent.objects.filter(action__startswith="auth."):
        for code in codes:
            assert code not in str(event.extra)

    # next time: the second step, not enrolment; a recovery code from the page works
    client.post(reverse("logout"))
    password_sign_in(client, worker)
    assert client.get(case_url)["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.get(reverse("accounts:otp_enrol"))["Location"] == reverse("accounts:otp_verify")
    assert client.post(reverse("accounts:otp_verify"), {"code": codes[3]}).status_code == 302
    assert client.get(case_url).status_code == 200


def test_recovery_codes_can_be_renewed_by_a_verified_user(client, worker, enrolled):
    client.force_login(worker)
    response = client.post(reverse("accounts:otp_recovery_codes"))
    assert response.status_code == 302
    page = client.get(reverse("accounts:otp_recovery_codes"))
    assert len(page.context["codes"]) == 10
    assert not StaticToken.objects.filter(device__user=worker, token="abcd2345").exists()
    assert events(AuditAction.OTP_RECOVERY_CODES_CREATED, worker).get().extra == {"count": 10, "renewed": True}


def test_recovery_codes_cannot_be_renewed_before_the_second_factor(client, worker, enrolled):
    password_sign_in(client, worker)
    assert client.post(reverse("accounts:otp_recovery_codes"))["Location"] == reverse("accounts:otp_verify")
    assert StaticToken.objects.filter(device__user=worker).count() == 2
    assert not events(AuditAction.OTP_RECOVERY_CODES_CREATED).exists()


# --------------------------------------------------------------------------- reset


def test_admin_resets_a_users_second_factor(client, worker, enrolled):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(reverse("admin:accounts_user_changelist"),
                           {"action": "reset_two_factor", "_selected_action": [worker.pk]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=worker).exists()
    assert not StaticDevice.objects.filter(user=worker).exists()
    event = events(AuditAction.OTP_RESET, worker).get()
    assert event.actor == admin
    assert event.extra == {"devices_removed": 2}
    # the user enrols again at the next sign-in
    other = client.__class__()
    other.post(reverse("login"), {"username": worker.username, "password": PASSWORD})
    assert other.get(reverse("dashboard:home"))["Location"].startswith(reverse("accounts:otp_enrol"))


def test_only_a_superuser_or_the_teams_supervisor_may_reset(worker, supervisor, outsider, enrolled):
    other_supervisor = UserFactory(team=outsider.team, roles=["supervisor"])
    assert may_reset_second_factor(supervisor, worker)
    assert not may_reset_second_factor(other_supervisor, worker)
    assert not may_reset_second_factor(outsider, worker)
    assert not may_reset_second_factor(worker, worker)
    with pytest.raises(ApplicationError):
        second_factor_reset(actor=outsider, user=worker)
    assert TOTPDevice.objects.filter(user=worker).exists()
    assert not events(AuditAction.OTP_RESET).exists()
    assert second_factor_reset(actor=supervisor, user=worker) == 2
    assert events(AuditAction.OTP_RESET, worker).get().actor == supervisor


def test_device_secrets_are_not_in_the_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    content = client.get(reverse("admin:index")).content.decode()
    assert "otp_totp" not in content
    assert "otp_static" not in content


# --------------------------------------------------------------------------- make run


def test_with_debug_on_the_second_factor_may_be_skipped(client, worker, settings):
    settings.CASEFLOW_OTP_REQUIRED = False
    password_sign_in(client, worker)
    assert client.get(reverse("dashboard:home")).status_code == 200
