"""Fixtures of the partner intake API: a partner organisation with a service user and a
token, and an API client that sends it."""

import secrets

import pytest
from rest_framework.test import APIClient

from caseflow.accounts.roles import Role
from caseflow.intake.models import PartnerOrganisation
from caseflow.intake.services import partner_token_issue
from tests.factories import TeamFactory, UserFactory

URL = "/api/v1/referrals/"


@pytest.fixture
def partner_team():
    return TeamFactory(name="Forebyggelsesteam Nord")


@pytest.fixture
def organisation(partner_team):
    service_user = UserFactory(username="svc-fiktiv-skole", team=None, roles=[Role.PARTNER_INTAKE])
    return PartnerOrganisation.objects.create(
        name="Fiktiv Skole", team=partner_team, service_user=service_user
    )


@pytest.fixture
def token(organisation):
    return partner_token_issue(actor=None, organisation=organisation)


@pytest.fixture
def client_address():
    """A client address of this test's own: failed authentications are counted per
    address in the shared Redis, so tests must not add to each other's count."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@pytest.fixture
def client_for(client_address):
    def make(token=None, **headers):
        client = APIClient(REMOTE_ADDR=client_address)
        if token is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}", **headers)
        elif headers:
            client.credentials(**headers)
        return client

    return make


@pytest.fixture
def api(client_for, token):
    return client_for(token)


@pytest.fixture
def payload():
    return {
        "referrer_type": "primary_school",
        "referrer_name": "Fiktiv Lærer",
        "referrer_contact": "laerer@example.org",
        "concern_text": "Eleven har delt ekstremistisk materiale i klassen.",
        "warning_signs": ["extremist_media", "threats"],
        "urgency": "high",
    }
