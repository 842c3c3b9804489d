"""The rate limit is per token: 429 with Retry-After past the rate. Failed
authentications are limited per client address and per token prefix, never refusing a
valid token."""

import json
import secrets

import pytest
from rest_framework.test import APIClient

from caseflow.accounts.roles import Role
from caseflow.audit.models import AuditEvent
from caseflow.intake.models import PartnerOrganisation, PartnerToken
from caseflow.intake.services import partner_token_issue, partner_token_revoke
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


def guess():
    """A wrong token of its own (failures are also counted per prefix, in the shared Redis)."""
    return secrets.token_urlsafe(32)


def login_failures():
    return AuditEvent.objects.filter(action="auth.login_failed").count()


@pytest.fixture
def limit(settings):
    settings.CASEFLOW_API_AUTH_FAILURE_LIMIT = 3
    return 3


def test_failed_authentications_are_limited_per_client_address(client_for, payload, limit):
    """Guessing tokens: past the limit of failures the address gets 429 (with Retry-After)
    for every token that is not valid, and nothing more is audited; each failure before the
    limit is."""
    codes = [post(client_for(guess()), payload).status_code for _ in range(limit + 2)]

    assert codes == [401] * limit + [429, 429]
    assert login_failures() == limit
    response = post(client_for(guess()), payload)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 600
    assert set(response.json()) == {"detail"}
    assert login_failures() == limit


@pytest.mark.parametrize("how", ["missing", "malformed", "unknown", "revoked", "same_prefix"])
def test_address_over_the_limit_gets_429_for_every_invalid_token(client_for, payload, token, limit, how):
    for _ in range(limit):
        post(client_for(guess()), payload)
    if how == "revoked":
        partner_token_revoke(actor=None, token=PartnerToken.objects.get())
    client = {
        "missing": lambda: client_for(),
        "malformed": lambda: client_for(HTTP_AUTHORIZATION=f"Bearer {token}"),
        "unknown": lambda: client_for(guess()),
        "revoked": lambda: client_for(token),
        "same_prefix": lambda: client_for(token[:8] + guess()[8:]),
    }[how]()

    assert post(client, payload).status_code == 429
    assert login_failures() == limit
    assert Referral.objects.count() == 0


def test_valid_token_is_accepted_from_an_address_over_the_default_limit(client_for, api, payload, settings):
    """Issue 20: partners behind one NAT must not lock each other out. 20 failures (the
    default limit) from the address, then the partner's valid token from it is served."""
    settings.CASEFLOW_API_AUTH_FAILURE_LIMIT = limit = 20  # the default, whatever the environment says
    codes = [post(client_for(guess()), payload).status_code for _ in range(limit + 1)]
    assert codes[-2:] == [401, 429]

    response = post(api, payload)

    assert response.status_code == 201, response.content
    assert Referral.objects.count() == 1
    # ... and the guesser is still refused afterwards: a success resets nothing.
    assert post(client_for(guess()), payload).status_code == 429


def test_rate_limit_still_applies_to_a_valid_token_from_an_address_over_the_limit(
    client_for, api, payload, rate, limit
):
    rate("2/min")
    for _ in range(limit):
        post(client_for(guess()), payload)

    codes = [post(api, payload).status_code for _ in range(3)]

    assert codes == [201, 201, 429]
    response = post(api, payload)
    assert 0 < int(response["Retry-After"]) <= 60
    assert Referral.objects.count() == 2


def test_failed_authentications_are_limited_per_token_prefix(payload, token, limit):
    """Guesses at one partner's prefix spread over many addresses: past the limit, that
    prefix gets 429 from any address, other prefixes do not, and the partner's own token
    (same prefix) is still served."""

    def client_at(address, presented):
        client = APIClient(REMOTE_ADDR=address)
        client.credentials(HTTP_AUTHORIZATION=f"Token {presented}")
        return client

    def fresh_address():
        return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"

    same_prefix = [post(client_at(fresh_address(), token[:8] + guess()[8:]), payload).status_code
                   for _ in range(limit + 1)]

    assert same_prefix == [401] * limit + [429]
    assert post(client_at(fresh_address(), guess()), payload).status_code == 401
    assert post(client_at(fresh_address(), token), payload).status_code == 201
    assert login_failures() == limit + 1


def test_partners_keep_submitting_when_the_cache_is_down(api, client_for, payload, settings):
    """Redis (the cache) unreachable: the rate limit and the failure counter step aside
    instead of answering 500; authentication and the audit trail still work."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }}
    assert post(api, payload).status_code == 201
    assert post(client_for(guess()), payload).status_code == 401
    assert Referral.objects.count() == 1
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1
