"""Partner token authentication: every failure is 401 and an ``auth.login_failed`` event."""

import json

import pytest

from caseflow.audit.models import AuditEvent
from caseflow.intake.models import PartnerToken
from caseflow.intake.services import partner_token_revoke
from caseflow.referrals.models import Referral

from .conftest import URL

pytestmark = pytest.mark.django_db


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def failures():
    return list(AuditEvent.objects.filter(action="auth.login_failed").order_by("sequence"))


def assert_refused(response, *, reason, prefix):
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}
    assert Referral.objects.count() == 0
    [event] = failures()
    assert event.actor_id is None
    assert event.extra == {"channel": "api", "token_prefix": prefix, "reason": reason}


def test_authentication_missing_token(client_for, payload, organisation):
    assert_refused(post(client_for(), payload), reason="missing", prefix=None)


def test_authentication_unknown_token(client_for, payload, token):
    forged = "Zz" + token[2:]
    assert_refused(post(client_for(forged), payload), reason="unknown", prefix=forged[:8])


def test_authentication_malformed_header(client_for, payload, token):
    client = client_for(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_refused(post(client, payload), reason="malformed", prefix=token[:8])


def test_authentication_overlong_token(client_for, payload, organisation):
    assert_refused(post(client_for("a" * 5000), payload), reason="malformed", prefix="a" * 8)


def test_authentication_revoked_token(client_for, payload, token):
    partner_token_revoke(actor=None, token=PartnerToken.objects.get())
    response = post(client_for(token), payload)
    assert_refused(response, reason="revoked", prefix=token[:8])
    assert failures()[0].target_type == "intake.partnerorganisation"


def test_authentication_old_token_after_reissue(client_for, payload, organisation, token):
    from caseflow.intake.services import partner_token_issue

    new = partner_token_issue(actor=None, organisation=organisation)

    assert_refused(post(client_for(token), payload), reason="revoked", prefix=token[:8])
    assert post(client_for(new), payload).status_code == 201


def test_authentication_inactive_organisation(client_for, payload, organisation, token):
    organisation.active = False
    organisation.save()
    assert_refused(post(client_for(token), payload), reason="organisation_inactive", prefix=token[:8])


def test_authentication_service_user_without_role(client_for, payload, organisation, token):
    organisation.service_user.groups.clear()
    assert_refused(post(client_for(token), payload), reason="service_user_not_allowed", prefix=token[:8])


def test_authentication_inactive_service_user(client_for, payload, organisation, token):
    organisation.service_user.is_active = False
    organisation.service_user.save()
    assert_refused(post(client_for(token), payload), reason="service_user_not_allowed", prefix=token[:8])


def test_authentication_session_login_is_not_enough(client, payload, organisation):
    """A signed-in staff session is no API credential (only the token is)."""
    from tests.factories import UserFactory

    client.force_login(UserFactory(roles=["caseworker"]))
    response = client.post(URL, data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 401
    assert Referral.objects.count() == 0


def test_authentication_token_never_stored_in_clear(token):
    stored = PartnerToken.objects.get()
    assert stored.token_hash != token
    assert token not in stored.token_hash
    assert stored.prefix == token[:8]
    assert not AuditEvent.objects.filter(extra__icontains=token).exists()
