"""The rate limit is per token: 429 with Retry-After past the rate."""

import json

import pytest

from caseflow.accounts.roles import Role
from caseflow.intake.models import PartnerOrganisation
from caseflow.intake.services import partner_token_issue
from caseflow.referrals.models import Referral
from tests.factories import UserFactory

from .conftest import URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate(settings):
    def set_rate(value):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"partner": value}}

    return set_rate


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def test_throttle_answers_429_after_the_rate(api, payload, rate):
    rate("3/min")

    codes = [post(api, payload).status_code for _ in range(4)]

    assert codes == [201, 201, 201, 429]
    response = post(api, payload)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert set(response.json()) == {"detail"}
    assert Referral.objects.count() == 3


def test_throttle_counts_bad_requests_too(api, rate):
    rate("2/min")

    codes = [post(api, {}).status_code for _ in range(3)]

    assert codes == [400, 400, 429]


def test_throttle_is_per_token(api, payload, rate, partner_team, client_for):
    rate("1/min")
    other = PartnerOrganisation.objects.create(
        name="Fiktiv Ungdomsklub", team=partner_team,
        service_user=UserFactory(username="svc-klub", team=None, roles=[Role.PARTNER_INTAKE]),
    )
    other_api = client_for(partner_token_issue(actor=None, organisation=other))

    assert post(api, payload).status_code == 201
    assert post(api, payload).status_code == 429
    assert post(other_api, payload).status_code == 201


def test_throttle_does_not_apply_to_the_schema(client, rate):
    rate("1/min")

    assert [client.get("/api/schema/").status_code for _ in range(3)] == [200, 200, 200]


def test_failed_authentications_are_limited_per_client_address(client_for, api, payload, settings):
    """Guessing tokens: past the limit of failures the address gets 429 and its tokens
    are not even looked at; another address and the partner's own token elsewhere are
    unaffected; each failure before the limit is audited."""
    from caseflow.audit.models import AuditEvent

    settings.CASEFLOW_API_AUTH_FAILURE_LIMIT = 3
    guesser = client_for("wrongtokenwrongtokenwrongtoken")
    codes = [post(guesser, payload).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 3
    # The right token from the same address is refused too until the window ends ...
    assert post(api, payload).status_code == 429
    # ... but not from another address.
    from rest_framework.test import APIClient

    other = APIClient(REMOTE_ADDR="10.254.254.254")
    other.credentials(**api._credentials)
    assert post(other, payload).status_code == 201
    assert Referral.objects.count() == 1


def test_partners_keep_submitting_when_the_cache_is_down(api, client_for, payload, settings):
    """Redis (the cache) unreachable: the rate limit and the failure counter step aside
    instead of answering 500; authentication and the audit trail still work."""
    from caseflow.audit.models import AuditEvent

    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }}
    assert post(api, payload).status_code == 201
    assert post(client_for("wrongtokenwrongtokenwrongtoken"), payload).status_code == 401
    assert Referral.objects.count() == 1
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1
