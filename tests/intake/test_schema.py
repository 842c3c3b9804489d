"""The OpenAPI schema at /api/schema/, and a schemathesis run against the API it
describes: no 500, every answer conforms to the schema, and what the schema refuses the
server refuses. The schema's claims (lengths, blank text, dates, the 400 body, headers,
the token prefix) are also checked one by one against the server."""

import json
import re

import jsonschema
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
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from caseflow.referrals.models import Referral
from caseflow.wsgi import application

from .conftest import URL

pytestmark = pytest.mark.django_db


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
                    response_schema_conformance, response_headers_conformance, negative_data_rejection],
        )
        statuses.append(response.status_code)

    statuses = []
    call()

    assert len(statuses) >= 10
    if mode == GenerationMode.POSITIVE:
        assert 201 in statuses
        assert Referral.objects.exists()
    print(mode, sorted(statuses))  # noqa: T201 - visible with -s


# --------------------------------------------------------------------------- the schema's claims, one by one


@pytest.fixture
def schema(client, db):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def validator(schema, component):
    """A JSON Schema validator of ``component``, its ``$ref``s resolved in the document."""
    return jsonschema.Draft7Validator(
        {"$ref": f"#/components/schemas/{component}", "components": schema["components"]}
    )


def post(api, body, **extra):
    return api.post(URL, data=json.dumps(body), content_type="application/json", **extra)


#: Every string property of the request body with a maxLength, as (path, maxLength).
TEXT_FIELDS = [
    (("concern_text",), 10_000),
    (("referrer_name",), 200),
    (("referrer_contact",), 255),
    (("person", "cpr"), 20),
    (("person", "first_name"), 120),
    (("person", "last_name"), 120),
]


def with_value(payload, path, value):
    body = json.loads(json.dumps(payload))
    target = body
    for name in path[:-1]:
        target = target.setdefault(name, {})
    target[path[-1]] = value
    return body


def errors_at(response, path):
    errors = response.json()["errors"]
    for name in path:
        errors = errors[name]
    return errors


def test_schema_text_fields_max_length_is_the_servers(schema):
    body = schema["components"]["schemas"]["ReferralCreate"]
    person = schema["components"]["schemas"]["Person"]
    declared = {("person", name): value["maxLength"] for name, value in person["properties"].items()
                if "maxLength" in value}
    declared |= {(name,): value["maxLength"] for name, value in body["properties"].items() if "maxLength" in value}

    assert declared == dict(TEXT_FIELDS)


@pytest.mark.parametrize(("path", "max_length"), TEXT_FIELDS)
def test_schema_max_length_counts_the_raw_input(api, payload, schema, monkeypatch, path, max_length):
    """Whitespace around the text counts: one character more than maxLength as sent is
    refused by the schema and by the server, even though it would fit once stripped."""
    from caseflow.intake import services

    monkeypatch.setattr(services, "person_identify", lambda **kwargs: None)  # only the length is refused
    value = " " + "x" * max_length
    body = with_value(payload, path, value)
    assert not validator(schema, "ReferralCreate").is_valid(body)

    response = post(api, body)

    assert response.status_code == 400, response.content
    assert errors_at(response, path)
    assert Referral.objects.count() == 0


@pytest.mark.parametrize(("path", "max_length"), [f for f in TEXT_FIELDS if f[0] != ("person", "cpr")])
def test_schema_max_length_raw_input_at_the_limit_is_accepted(api, payload, schema, path, max_length):
    value = " " + "x" * (max_length - 2) + " "
    body = with_value(payload, path, value)
    assert validator(schema, "ReferralCreate").is_valid(body)

    response = post(api, body)

    assert response.status_code == 201, response.content


def test_schema_cpr_max_length_raw_input_at_the_limit_is_not_refused_for_length(api, payload, monkeypatch):
    from caseflow.intake import services

    monkeypatch.setattr(services, "person_identify", lambda **kwargs: None)
    body = with_value(payload, ("person", "cpr"), "  010203-1234" + " " * 7)

    assert post(api, body).status_code == 201


def test_schema_required_text_fields_have_min_length_and_not_blank_pattern(schema):
    components = schema["components"]["schemas"]
    for component in ("ReferralCreate", "Person"):
        properties = components[component]["properties"]
        for name in components[component].get("required", []):
            if properties[name].get("type") == "string":
                assert properties[name]["minLength"] == 1, name
                assert "pattern" in properties[name], name
    assert components["ReferralCreate"]["properties"]["concern_text"]["minLength"] == 1


#: Every character Python's str.strip() removes (what the server's blank check ignores).
WHITESPACE = [c for c in map(chr, range(0x3001)) if c.isspace()]


@pytest.mark.parametrize("value", ["", *(c * 2 for c in WHITESPACE)], ids=lambda v: repr(v[:1]))
def test_schema_blank_required_text_is_refused_by_schema_and_server(api, payload, schema, value):
    body = payload | {"concern_text": value}
    assert not validator(schema, "ReferralCreate").is_valid(body)

    response = post(api, body)

    assert response.status_code == 400, response.content
    assert "concern_text" in response.json()["errors"]


@pytest.mark.parametrize("value", ["x", "\u200b", "\ufeff", " \u00ad "], ids=repr)
def test_schema_text_that_is_not_blank_is_accepted_by_schema_and_server(api, payload, schema, value):
    """Zero-width space, BOM and soft hyphen are not whitespace to the server, nor to the
    schema's pattern (ECMA-262's ``\\s`` would call the BOM whitespace; the pattern lists
    its characters instead)."""
    body = payload | {"concern_text": value}
    assert validator(schema, "ReferralCreate").is_valid(body)

    assert post(api, body).status_code == 201


def test_schema_not_blank_pattern_matches_the_servers_whitespace(schema):
    pattern = schema["components"]["schemas"]["ReferralCreate"]["properties"]["concern_text"]["pattern"]
    for code_point in range(0x3001):
        char = chr(code_point)
        assert bool(re.search(pattern, char)) != char.isspace(), hex(code_point)


@pytest.mark.parametrize("value", ["20100401", "2010-4-1", "2010-W13-4", "\u0662\u0660\u0661\u0660-\u0660\u0664-\u0660\u0661"])
def test_schema_birth_date_other_iso_forms_are_refused(api, payload, schema, value):
    """``format: date`` is RFC 3339's YYYY-MM-DD; other ISO 8601 forms Python would parse
    are refused."""
    body = payload | {"person": {"birth_date": value}}
    assert schema["components"]["schemas"]["Person"]["properties"]["birth_date"]["format"] == "date"

    response = post(api, body)

    assert response.status_code == 400, response.content
    assert "birth_date" in response.json()["errors"]["person"]


def test_schema_birth_date_yyyy_mm_dd_is_accepted(api, payload):
    assert post(api, payload | {"person": {"birth_date": "2010-04-01"}}).status_code == 201


def test_schema_400_body_describes_the_field_errors(schema):
    errors = schema["components"]["schemas"]["ReferralErrors"]["properties"]["errors"]
    body = schema["components"]["schemas"]["ReferralCreate"]

    assert errors["additionalProperties"] is False
    assert set(errors["properties"]) == {*body["properties"], "non_field_errors", "Idempotency-Key"}
    [_, person] = errors["properties"]["person"]["oneOf"]
    assert set(person["properties"]) == {"cpr", "first_name", "last_name", "birth_date", "non_field_errors"}
    check = validator(schema, "ReferralErrors")
    assert not check.is_valid({"errors": {"nonsense": ["x"]}})
    assert not check.is_valid({"errors": {"concern_text": "not a list"}})
    assert not check.is_valid({"errors": {"person": {"nonsense": ["x"]}}})
    assert check.is_valid({"errors": {"warning_signs": {"1": ["x"]}, "person": {"cpr": ["x"]}}})


def _refuse(field):
    """A stand-in for a service that refuses on ``field``."""

    def refuse(**kwargs):
        from caseflow.core.exceptions import ApplicationError

        raise ApplicationError("Afvist.", field=field)

    return refuse


@pytest.mark.parametrize(
    ("body", "headers", "patch", "expected"),
    [
        ({}, {}, None, {"referrer_type": ..., "concern_text": ...}),
        ({"concern_text": 7, "is_anonymous": "yes"}, {}, None, {"concern_text": ..., "is_anonymous": ...}),
        ({"warning_signs": ["violence", "astrology", None]}, {}, None, {"warning_signs": {"1": ..., "2": ...}}),
        ({"warning_signs": "violence"}, {}, None, {"warning_signs": ...}),
        ({"person": "Fiktiv Elev"}, {}, None, {"person": {"non_field_errors": ...}}),
        ({"person": {"first_name": 1, "birth_date": "x"}}, {}, None, {"person": {"first_name": ..., "birth_date": ...}}),
        ([1, 2], {}, None, {"non_field_errors": ...}),
        (None, {}, None, {"non_field_errors": ...}),
        ({}, {"HTTP_IDEMPOTENCY_KEY": "with space"}, None, {"Idempotency-Key": ...}),
        ({"person": {"cpr": "x"}}, {}, ("person_identify", _refuse("cpr")), {"person": {"cpr": ...}}),
        ({"person": {"cpr": "x"}}, {}, ("person_identify", _refuse(None)), {"person": ...}),
        ({"person": {"cpr": "x"}}, {}, ("person_identify", _refuse("nickname")),
         {"person": {"non_field_errors": ...}}),
        ({}, {}, ("referral_register", _refuse("received_at")), {"non_field_errors": ...}),
        ({}, {}, ("referral_register", _refuse(None)), {"non_field_errors": ...}),
        ({}, {}, ("referral_register", _refuse("warning_signs")), {"warning_signs": ...}),
    ],
)
def test_schema_400_bodies_conform_to_the_described_structure(
    api, payload, schema, monkeypatch, body, headers, patch, expected
):
    """Every kind of 400 the server answers validates against the ReferralErrors
    component, and carries its messages where the test expects them."""
    from caseflow.intake import services

    if patch:
        monkeypatch.setattr(services, *patch)
    if isinstance(body, dict) and (body or patch or headers):
        body = payload | body

    response = post(api, body, **headers) if body is not None else api.post(
        URL, data="{not json", content_type="application/json"
    )

    assert response.status_code == 400, response.content
    errors = response.json()
    assert validator(schema, "ReferralErrors").is_valid(errors), errors

    def shape(value):
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else ...

    assert shape(errors["errors"]) == expected
    assert Referral.objects.count() == 0


def test_schema_documents_the_idempotent_replayed_header(api, payload, schema):
    headers = schema["paths"]["/api/v1/referrals/"]["post"]["responses"]["201"]["headers"]
    assert headers["Idempotent-Replayed"]["schema"] == {"type": "string", "enum": ["true"]}

    first = post(api, payload, HTTP_IDEMPOTENCY_KEY="replay-doc")
    second = post(api, payload, HTTP_IDEMPOTENCY_KEY="replay-doc")

    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] in headers["Idempotent-Replayed"]["schema"]["enum"]


def test_schema_documents_the_token_prefix(schema, client_for, token, payload):
    scheme = schema["components"]["securitySchemes"]["partnerToken"]
    assert scheme["name"] == "Authorization"
    assert 'required prefix "Token"' in scheme["description"]
    assert "`Authorization: Token <token>`" in scheme["description"]
    unauthorised = schema["paths"]["/api/v1/referrals/"]["post"]["responses"]["401"]["headers"]
    assert unauthorised["WWW-Authenticate"]["schema"]["enum"] == ["Token"]

    bare = client_for(HTTP_AUTHORIZATION=token)
    response = post(bare, payload)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert post(client_for(token), payload).status_code == 201


def test_schema_documents_retry_after_on_429(schema):
    headers = schema["paths"]["/api/v1/referrals/"]["post"]["responses"]["429"]["headers"]
    assert headers["Retry-After"]["schema"] == {"type": "integer"}
