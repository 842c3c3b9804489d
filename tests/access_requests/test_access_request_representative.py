"""A representative without documented authority (issue 20 point 7): nothing of the file
is released by default, the page warns, and the export never carries the full CPR
number (only the person themself gets it). A concern written by the referrer is withheld
until the handler has read and released it, whoever asks."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from caseflow.access_requests import services
from caseflow.access_requests.models import AccessRequest
from caseflow.audit.models import AuditEvent
from caseflow.core.exceptions import ApplicationError
from tests.pdf_utils import pdf_text

from .conftest import CONCERN, CPR, ORDINARY_NOTE

pytestmark = pytest.mark.django_db


def _register(actor, person, **kwargs):
    return services.access_request_register(actor=actor, person=person, received_on=timezone.localdate(),
                                            legal_basis="gdpr_15", **kwargs)


def _export(client, user, access_request, fmt):
    client.force_login(user)
    with translation.override("en"):
        response = client.get(reverse("access_requests:export", args=[access_request.pk, fmt]),
                              HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content


def test_no_authority_releases_nothing_by_default_and_warns(client, worker, person, material):
    request = _register(worker, person, requester="representative",
                        representative_note="Fiktiv onkel, Hans Fiktivsen", representative_authority="none")
    assert request.lacks_authority
    data = json.loads(_export(client, worker, request, "json"))
    assert data["items"] == []
    assert data["person"] is None
    assert data["lookups"] is None
    bases = {row["kind"]: row["basis"] for row in data["withheld"]}
    assert bases["person"] == bases["lookups"] == bases["consent"] == "no_authority"
    assert bases["referral"] == "dbl_22_1"  # the concern: protected already
    text = pdf_text(_export(client, worker, request, "pdf"))
    assert ORDINARY_NOTE not in text
    assert CONCERN not in text
    assert CPR not in text

    client.force_login(worker)
    with translation.override("en"):
        page = client.get(reverse("access_requests:detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "The representative has documented no authority to act for the person." in page.content.decode()

    # Releasing an item needs a basis; with one, it goes out, and still no full CPR number.
    with pytest.raises(ApplicationError):
        services.access_request_item_decide(actor=worker, request=request, kind="person",
                                            object_id=person.pk, release=True)
    services.access_request_item_decide(actor=worker, request=request, kind="person", object_id=person.pk,
                                        release=True, basis="no_exception")
    data = json.loads(_export(client, worker, request, "json"))
    assert data["person"]["cpr"] is None
    assert data["person"]["cpr_masked"] == f"{CPR[:6]}-****"
    event = AuditEvent.objects.filter(action="access_request.exported", target_id=str(request.pk)).latest("sequence")
    assert event.extra["cpr_included"] is False


def test_a_representative_with_authority_gets_the_file_but_never_the_full_cpr(client, worker, person, material):
    request = _register(worker, person, requester="representative",
                        representative_note="Fiktiv advokat", representative_authority="power_of_attorney")
    assert not request.lacks_authority
    data = json.loads(_export(client, worker, request, "json"))
    assert any(item["kind"] == "journal_note" and ORDINARY_NOTE in item["content"]["text"] for item in data["items"])
    assert data["person"]["cpr"] is None
    assert CPR not in pdf_text(_export(client, worker, request, "pdf"))


def test_the_person_themself_gets_the_full_cpr(client, worker, person, material):
    request = _register(worker, person, requester="subject")
    data = json.loads(_export(client, worker, request, "json"))
    assert data["person"]["cpr"] == f"{CPR[:6]}-{CPR[6:]}"


def test_the_concern_is_withheld_until_reviewed(client, worker, person, referral, material):
    request = _register(worker, person, requester="subject")
    data = json.loads(_export(client, worker, request, "json"))
    assert not any(item["kind"] == "referral" for item in data["items"])
    assert any(row["kind"] == "referral" and row["basis"] == "dbl_22_1" for row in data["withheld"])
    with translation.override("en"):
        client.force_login(worker)
        page = client.get(reverse("access_requests:detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Written by the referrer" in page.content.decode()
    services.access_request_item_decide(actor=worker, request=request, kind="referral", object_id=referral.pk,
                                        release=True, basis="no_exception")
    data = json.loads(_export(client, worker, request, "json"))
    assert any(item["kind"] == "referral" and item["content"]["concern"] == CONCERN for item in data["items"])


def test_a_representative_needs_an_authority_choice(worker, person, material):
    with pytest.raises(ApplicationError) as refused:
        _register(worker, person, requester="representative", representative_note="Fiktiv onkel")
    assert refused.value.field == "representative_authority"
    assert not AccessRequest.objects.exists()


def test_the_registration_form_records_the_authority(client, worker, person, material):
    client.force_login(worker)
    response = client.post(reverse("access_requests:new", args=[person.pk]), {
        "received_on": timezone.localdate().isoformat(), "legal_basis": "gdpr_15", "requester": "representative",
        "representative_note": "Fiktiv onkel", "representative_authority": "none"})
    assert response.status_code == 302
    assert AccessRequest.objects.get().representative_authority == "none"
