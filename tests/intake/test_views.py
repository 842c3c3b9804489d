"""POST /api/v1/referrals/: the receipt, bad input (400, nothing written), idempotency."""

import json

import pytest

from caseflow.audit.models import AuditEvent
from caseflow.intake.models import IdempotencyRecord
from caseflow.referrals.models import Referral

from .conftest import URL

pytestmark = pytest.mark.django_db


def post(api, body, **extra):
    return api.post(URL, data=json.dumps(body), content_type="application/json", **extra)


def test_referral_create_answers_receipt_only(api, payload, organisation):
    response = post(api, payload)

    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    assert response.json() == {"receipt": referral.reference}
    assert referral.team == organisation.team
    assert referral.registered_by == organisation.service_user
    assert referral.channel == Referral.Channel.PARTNER_SYSTEM
    assert referral.urgency == "high"
    assert referral.warning_signs == ["extremist_media", "threats"]
    event = AuditEvent.objects.get(action="referral.registered")
    assert event.actor_id == organisation.service_user.pk
    assert event.target_id == str(referral.pk)


def test_referral_create_url_is_named(api):
    from django.urls import reverse

    assert reverse("intake:referral-create") == URL
    assert reverse("intake:schema") == "/api/schema/"


def test_referral_create_refuses_get(api):
    assert api.get(URL).status_code == 405


def test_referral_create_stores_html_as_text(api, payload):
    script = '<script>alert("x")</script><b onmouseover="evil()">fed</b> & co'
    payload |= {"concern_text": script, "referrer_name": "<img src=x onerror=alert(1)>"}

    assert post(api, payload).status_code == 201

    referral = Referral.objects.get()
    assert referral.concern_text == script
    assert referral.referrer_name == "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"concern_text": ""}, "concern_text"),
        ({"concern_text": "   \n "}, "concern_text"),
        ({"concern_text": None}, "concern_text"),
        ({"concern_text": "x" * (Referral.CONCERN_MAX_LENGTH + 1)}, "concern_text"),
        ({"concern_text": 42}, "concern_text"),
        ({"concern_text": "nul\x00byte"}, "concern_text"),
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"channel": 3}, "channel"),
        ({"referrer_type": "oracle"}, "referrer_type"),
        ({"referrer_type": None}, "referrer_type"),
        ({"urgency": "whenever"}, "urgency"),
        ({"warning_signs": ["violence", "astrology"]}, "warning_signs"),
        ({"warning_signs": "violence"}, "warning_signs"),
        ({"warning_signs": ["violence"] * 21}, "warning_signs"),
        ({"referrer_name": "n" * 201}, "referrer_name"),
        ({"referrer_contact": "c" * 256}, "referrer_contact"),
        ({"referrer_name": ["a list"]}, "referrer_name"),
        ({"is_anonymous": "yes"}, "is_anonymous"),
        ({"referrer_wishes_anonymity": 1}, "referrer_wishes_anonymity"),
        ({"person": "Fiktiv Elev"}, "person"),
        ({"person": {"first_name": "f" * 121}}, "person"),
        ({"person": {"last_name": 7}}, "person"),
        ({"person": {"birth_date": "31-12-2010"}}, "person"),
    ],
)
def test_referral_create_bad_field_is_400_and_writes_nothing(api, payload, change, field):
    events = AuditEvent.objects.count()

    response = post(api, payload | change)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Referral.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_referral_create_missing_required_fields(api):
    response = post(api, {})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"referrer_type", "concern_text"}
    assert Referral.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("", "application/json"),
        ("[1, 2]", "application/json"),
        ('"just a string"', "application/json"),
        ("null", "application/json"),
        ("concern_text=hello", "application/x-www-form-urlencoded"),
        ("<referral/>", "application/xml"),
        ("hello", "text/plain"),
    ],
)
def test_referral_create_non_json_body_is_400(api, body, content_type):
    response = api.post(URL, data=body, content_type=content_type)

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert "errors" in response.json()
    assert Referral.objects.count() == 0


def test_referral_create_person_refusal_is_400_and_writes_nothing(api, payload, monkeypatch):
    from caseflow.core.exceptions import ApplicationError
    from caseflow.intake import services

    def refuse(**kwargs):
        raise ApplicationError("Ugyldigt CPR-nummer.", field="cpr")

    monkeypatch.setattr(services, "person_identify", refuse)

    response = post(api, payload | {"person": {"cpr": "321399-1234"}}, HTTP_IDEMPOTENCY_KEY="p-1")

    assert response.status_code == 400
    assert response.json() == {"errors": {"person": {"cpr": ["Ugyldigt CPR-nummer."]}}}
    assert Referral.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_referral_create_passes_person_on(api, payload, monkeypatch):
    import datetime

    from caseflow.intake import services
    from tests.factories import PersonFactory

    person = PersonFactory()
    calls = []

    def identify(**kwargs):
        calls.append(kwargs)
        return person

    monkeypatch.setattr(services, "person_identify", identify)
    body = payload | {"person": {"first_name": "Fiktiv", "last_name": "Elev", "birth_date": "2010-04-01"}}

    response = post(api, body)

    assert response.status_code == 201
    assert Referral.objects.get().person == person
    assert calls[0]["birth_date"] == datetime.date(2010, 4, 1)
    assert calls[0]["cpr"] == ""
    assert calls[0]["actor"].username == "svc-fiktiv-skole"


def test_referral_create_rolls_back_when_registration_fails_late(api, payload, monkeypatch):
    """A failure after the referral row exists leaves neither it nor the key behind."""
    from caseflow.intake import services

    def boom(**kwargs):
        raise RuntimeError("database went away")

    real = services.IdempotencyRecord.objects.create
    monkeypatch.setattr(services.IdempotencyRecord.objects, "create", boom)
    with pytest.raises(RuntimeError):
        post(api, payload, HTTP_IDEMPOTENCY_KEY="late-1")
    monkeypatch.setattr(services.IdempotencyRecord.objects, "create", real)

    assert Referral.objects.count() == 0
    assert not AuditEvent.objects.filter(action="referral.registered").exists()


# --------------------------------------------------------------------------- idempotency


def test_referral_create_replay_answers_same_receipt(api, payload):
    first = post(api, payload, HTTP_IDEMPOTENCY_KEY="7d1c0f3e-retry")
    events = AuditEvent.objects.count()
    reordered = dict(reversed(list(payload.items())))  # same document, other key order
    second = post(api, reordered, HTTP_IDEMPOTENCY_KEY="7d1c0f3e-retry")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Referral.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_referral_create_same_key_other_body_is_409(api, payload):
    post(api, payload, HTTP_IDEMPOTENCY_KEY="key-A")

    response = post(api, payload | {"concern_text": "Noget andet."}, HTTP_IDEMPOTENCY_KEY="key-A")

    assert response.status_code == 409
    assert "detail" in response.json()
    assert Referral.objects.count() == 1


def test_referral_create_without_key_creates_each_time(api, payload):
    post(api, payload)
    post(api, payload)

    assert Referral.objects.count() == 2


def test_referral_create_keys_are_per_partner(api, payload, partner_team, client_for):
    from caseflow.accounts.roles import Role
    from caseflow.intake.models import PartnerOrganisation
    from caseflow.intake.services import partner_token_issue
    from tests.factories import UserFactory

    other = PartnerOrganisation.objects.create(
        name="Fiktiv Politikreds", team=partner_team,
        service_user=UserFactory(username="svc-politi", team=None, roles=[Role.PARTNER_INTAKE]),
    )
    other_api = client_for(partner_token_issue(actor=None, organisation=other))

    a = post(api, payload, HTTP_IDEMPOTENCY_KEY="shared")
    b = post(other_api, payload, HTTP_IDEMPOTENCY_KEY="shared")

    assert a.status_code == b.status_code == 201
    assert a.json() != b.json()
    assert Referral.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 101, "with space", "tab\tkey", "æøå"])
def test_referral_create_invalid_idempotency_key_is_400(api, payload, key):
    response = post(api, payload, HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert Referral.objects.count() == 0


def test_referral_create_replay_after_concurrent_insert(api, payload, organisation, monkeypatch):
    """The loser of a race (its lookup saw no record, its insert hits the unique key)
    answers the winner's receipt and rolls its own referral back."""
    from caseflow.intake import services

    first = post(api, payload, HTTP_IDEMPOTENCY_KEY="race").json()
    real_get = services.idempotent_referral_get
    calls = {"n": 0}

    def first_lookup_misses(**kwargs):
        calls["n"] += 1
        return None if calls["n"] == 1 else real_get(**kwargs)

    monkeypatch.setattr(services, "idempotent_referral_get", first_lookup_misses)

    response = post(api, payload, HTTP_IDEMPOTENCY_KEY="race")

    assert response.status_code == 201
    assert response.json() == first
    assert Referral.objects.count() == 1


# --------------------------------------------------------------------------- OPTIONS


SCHEMA_JSON = "application/vnd.oai.openapi+json"


@pytest.mark.parametrize(("url", "accept"), [(URL, "application/json"), ("/api/schema/", SCHEMA_JSON)])
def test_options_does_not_answer_the_views_docstring(api, url, accept):
    """DRF's OPTIONS metadata carries the view's description (by default its docstring:
    notes for developers); the API says nothing there."""
    from django.urls import resolve

    response = api.options(url, HTTP_ACCEPT=accept)

    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert body["description"] == ""
    docstring = resolve(url).func.view_class.__doc__
    assert docstring.split()[0] not in response.content.decode()
    assert "REST_FRAMEWORK" not in response.content.decode()


def test_options_on_the_schema_needs_no_token(client):
    response = client.options("/api/schema/", HTTP_ACCEPT=SCHEMA_JSON)

    assert response.status_code == 200
    assert json.loads(response.content)["description"] == ""


def test_options_on_referrals_needs_a_token(client_for, organisation):
    response = client_for().options(URL)

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


# --------------------------------------------------------------------------- person names


def test_referral_create_name_longer_once_normalised_is_400_not_500(api, payload):
    """U+FB2C is one character as sent and three in NFC, the form names are stored in: a
    name within maxLength as sent but over it normalised is refused on its field."""
    response = post(api, payload | {"person": {"first_name": "\ufb2c" * 120}})

    assert response.status_code == 400, response.content
    assert "first_name" in response.json()["errors"]["person"]
    assert Referral.objects.count() == 0
