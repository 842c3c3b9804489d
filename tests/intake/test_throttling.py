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
