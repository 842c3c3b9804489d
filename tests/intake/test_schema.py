"""The OpenAPI schema at /api/schema/, and a schemathesis run against the API it
describes: no 500, every answer conforms to the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from caseflow.referrals.models import Referral
from caseflow.wsgi import application


def test_schema_is_public_and_documents_the_api(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/referrals/"]["post"]
    assert set(operation["responses"]) == {"201", "400", "401", "409", "429"}
    assert operation["security"] == [{"partnerToken": []}]
    assert schema["components"]["securitySchemes"]["partnerToken"]["name"] == "Authorization"
    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key"
    body = schema["components"]["schemas"]["ReferralCreate"]
    assert set(body["required"]) == {"referrer_type", "concern_text"}
    assert body["properties"]["concern_text"]["maxLength"] == 10_000
    assert list(schema["paths"]) == ["/api/v1/referrals/"]


@pytest.fixture
def wsgi_keeps_connection():
    """As Django's test client does: the end of a request served by the WSGI app must not
    close the test's database connection (it is inside the test transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_schema(db, token, settings, wsgi_keeps_connection, mode):
    # Every generated request must reach the endpoint, not the rate limit.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"partner": "100000/min"}}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    operation = schema["/api/v1/referrals/"]["POST"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck),
                         derandomize=True, database=None)
    def call(case):
        response = case.call_and_validate(
            headers={"Authorization": f"Token {token}"},
            checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                    response_schema_conformance],
        )
        statuses.append(response.status_code)

    statuses = []
    call()

    assert len(statuses) >= 10
    if mode == GenerationMode.POSITIVE:
        assert 201 in statuses
        assert Referral.objects.exists()
    print(mode, sorted(statuses))  # noqa: T201 - visible with -s
