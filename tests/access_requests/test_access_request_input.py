"""Bad input: a clear, translated form error and nothing written."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from caseflow.access_requests import services
from caseflow.access_requests.models import AccessRequest, ItemDecision
from caseflow.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def post_register(client, user, person, **data):
    client.force_login(user)
    form = {"received_on": timezone.localdate().isoformat(), "legal_basis": "gdpr_15", "requester": "subject",
            "representative_note": ""}
    form.update(data)
    return client.post(reverse("access_requests:new", args=[person.pk]), form, HTTP_ACCEPT_LANGUAGE="en")


def test_register_through_the_page(client, worker, person, case):
    response = post_register(client, worker, person, requester="representative",
                             representative_note="Advokat (fiktiv) med fuldmagt.",
                             representative_authority="power_of_attorney")
    assert response.status_code == 302
    request = AccessRequest.objects.get()
    assert request.representative_authority == "power_of_attorney"
    assert request.handler == worker
    assert request.team_id == worker.team_id
    event = AuditEvent.objects.get(action="access_request.registered")
    assert event.extra["person_id"] == person.pk
    assert "Advokat" not in str(event.extra)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"received_on": (timezone.localdate() + datetime.timedelta(days=2)).isoformat()}, "received_on",
     "The date received cannot be in the future."),
    ({"received_on": "31-02-2026"}, "received_on", "Enter a valid date."),
    ({"legal_basis": "whatever"}, "legal_basis", "Select a valid choice."),
    ({"requester": "representative"}, "representative_note",
     "Name the representative and on what authority they act."),
    ({"requester": "representative", "representative_note": "Fiktiv onkel"}, "representative_authority",
     "Choose the representative's documented authority, or that there is none."),
])
def test_register_refused_with_form_error(client, worker, person, case, data, field, message):
    response = post_register(client, worker, person, **data)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not AccessRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="access_request.registered").exists()


def test_danish_error_message(client, worker, person, case):
    client.force_login(worker)
    response = client.post(reverse("access_requests:new", args=[person.pk]), {
        "received_on": timezone.localdate().isoformat(), "legal_basis": "gdpr_15", "requester": "representative",
        "representative_note": ""}, HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 200
    assert response.context["form"].errors["representative_note"]
    assert not AccessRequest.objects.exists()


@pytest.fixture
def access_request(worker, person, case):
    return services.access_request_register(actor=worker, person=person, received_on=timezone.localdate(),
                                            legal_basis="fvl", requester="subject")


def test_delay_refused_with_form_errors(client, worker, access_request):
    client.force_login(worker)
    url = reverse("access_requests:delay", args=[access_request.pk])
    response = client.post(url, {"delay-letter_on": timezone.localdate().isoformat(), "delay-reason": "Fiktiv.",
                                 "delay-expected_on": timezone.localdate().isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["expected_on"]
    response = client.post(url, {"delay-letter_on": "", "delay-reason": "", "delay-expected_on": "x"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"letter_on", "reason",
                                                                                    "expected_on"}
    access_request.refresh_from_db()
    assert access_request.delay_letter_on is None
    assert not AuditEvent.objects.filter(action="access_request.delayed").exists()


def test_item_decision_refused_with_form_errors(client, worker, access_request):
    client.force_login(worker)
    url = reverse("access_requests:decide", args=[access_request.pk, "person", access_request.person_id])
    response = client.post(url, {"decision": "withhold", "withhold_basis": "", "note": ""},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Choose the legal basis for withholding the item." in response.context["form"].errors["withhold_basis"]
    response = client.post(url, {"decision": "withhold", "withhold_basis": "gdpr_23", "note": "x" * 301},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert not ItemDecision.objects.exists()
    # An item that is not in the file: no 500, nothing written.
    missing = reverse("access_requests:decide", args=[access_request.pk, "journal_note", 999999])
    assert client.post(missing, {"decision": "release"}).status_code == 200
    assert client.get(missing).status_code == 302
    assert not ItemDecision.objects.exists()
    response = client.post(url, {"decision": "withhold", "withhold_basis": "gdpr_23", "note": ""})
    assert response.status_code == 302
    assert ItemDecision.objects.get().basis == "gdpr_23"
