"""The export (issue 8 acceptance): look-up dates and purposes in it; never the referrer's
identity; a "må ikke videregives" note only when explicitly released with a basis; the PDF
opens and its pages render; the export is audited (never the CPR number)."""

import json

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from caseflow.access_requests import services
from caseflow.access_requests.models import AccessRequest, ItemDecision
from caseflow.audit.models import AuditEvent
from caseflow.core.exceptions import ApplicationError
from tests.pdf_utils import pdf_pages, pdf_text

from .conftest import (
    CPR,
    ORDINARY_NOTE,
    REFERRER_EMAIL,
    REFERRER_NAME,
    REFERRER_PHONE,
    RESTRICTED_NOTE,
)

pytestmark = pytest.mark.django_db

REFERRER_TRACES = (REFERRER_NAME, "Referentsen", REFERRER_EMAIL, REFERRER_PHONE, "22334455")


@pytest.fixture
def access_request(worker, person, material):
    return services.access_request_register(actor=worker, person=person, received_on=timezone.localdate(),
                                            legal_basis="gdpr_15", requester="subject")


def export(client, user, access_request, fmt):
    client.force_login(user)
    with translation.override("en"):
        response = client.get(reverse("access_requests:export", args=[access_request.pk, fmt]),
                              HTTP_ACCEPT_LANGUAGE="en")
    return response


def export_json(client, user, access_request):
    response = export(client, user, access_request, "json")
    assert response.status_code == 200
    return json.loads(response.content), response.content.decode()


def export_pdf_text(client, user, access_request):
    response = export(client, user, access_request, "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content)
    assert pages
    assert all(png.startswith(b"\x89PNG") for png, _ in pages)
    return pdf_text(response.content)


def test_json_export_contains_lookup_dates_and_purposes(client, worker, access_request):
    data, _ = export_json(client, worker, access_request)
    assert data["schema"] == "caseflow.access_request_export"
    assert data["schema_version"] == 1
    today = timezone.localdate().isoformat()
    case_work = [row for row in data["lookups"] if row["purpose_code"] == "case_work"]
    assert case_work
    assert case_work[0]["date"] == today
    assert case_work[0]["purpose"] == "Case work"
    assert case_work[0]["action"] == "case.viewed"
    assert all(set(row) == {"date", "time", "purpose", "purpose_code", "action"} for row in data["lookups"])


def test_pdf_export_renders_and_contains_lookup_dates_and_purposes(client, worker, access_request):
    text = export_pdf_text(client, worker, access_request)
    with translation.override("en"):
        today = formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
    assert "Look-ups of your data" in text
    assert today in text
    assert "Case work" in text
    assert ORDINARY_NOTE.split(":")[0] in text
    assert "Anders" in text


def test_export_never_contains_the_referrers_identity(client, worker, supervisor, access_request, material,
                                                     referral):
    # Even a supervisor explicitly releasing every item cannot let the referrer out.
    for kind, pk in (("journal_note", material["quoting"].pk), ("document", material["document"].pk),
                     ("referral", referral.pk)):
        services.access_request_item_decide(actor=supervisor, request=access_request, kind=kind, object_id=pk,
                                            release=True, basis="no_exception")
    with pytest.raises(ApplicationError):
        services.access_request_item_decide(actor=supervisor, request=access_request, kind="referrer",
                                            object_id=1, release=True, basis="no_exception")
    data, raw = export_json(client, worker, access_request)
    text = export_pdf_text(client, worker, access_request)
    for trace in REFERRER_TRACES:
        assert trace.lower() not in raw.lower(), trace
        assert trace.lower() not in text.lower(), trace
    assert "[withheld]" in raw
    assert "fortalte om nye venner" in raw
    assert data["referrer"] == {"withheld": True, "basis": "dbl_22_1",
                                "basis_label": "Databeskyttelsesloven § 22 stk. 1 (weighty private interests)"}
    referral = next(item for item in data["items"] if item["kind"] == "referral")
    assert referral["content"]["referrer"] == {"withheld": True, "basis": "dbl_22_1"}


def test_restricted_note_absent_until_explicitly_released_with_a_basis(client, worker, access_request, material):
    note = material["restricted"]
    data, raw = export_json(client, worker, access_request)
    assert RESTRICTED_NOTE not in raw
    assert RESTRICTED_NOTE not in export_pdf_text(client, worker, access_request)
    assert any(w["kind"] == "journal_note" and w["basis"] == "rpl_115" and w["count"] == 1
               for w in data["withheld"])

    # A release without a basis is refused, and nothing is written.
    with pytest.raises(ApplicationError):
        services.access_request_item_decide(actor=worker, request=access_request, kind="journal_note",
                                            object_id=note.pk, release=True, basis="")
    assert not ItemDecision.objects.exists()
    _, raw = export_json(client, worker, access_request)
    assert RESTRICTED_NOTE not in raw

    services.access_request_item_decide(actor=worker, request=access_request, kind="journal_note",
                                        object_id=note.pk, release=True, basis="consulted",
                                        note="Politiet (fiktivt) hørt uden indvendinger.")
    data, raw = export_json(client, worker, access_request)
    released = next(item for item in data["items"] if item["kind"] == "journal_note" and item["id"] == note.pk)
    assert released["content"]["text"] == RESTRICTED_NOTE
    assert released["release_basis"] == "consulted"
    assert RESTRICTED_NOTE in export_pdf_text(client, worker, access_request)
    decision = ItemDecision.objects.get(request=access_request, kind="journal_note", object_id=note.pk)
    assert decision.released
    assert decision.basis == "consulted"
    assert decision.decided_by == worker
    event = AuditEvent.objects.filter(action="access_request.item_decided").latest("sequence")
    assert event.case_id == note.case_id
    assert event.extra["protected"] == "restricted"
    assert event.changes == {"released": [False, True], "basis": ["rpl_115", "consulted"]}


def test_withheld_item_leaves_the_export(client, worker, access_request, material):
    services.access_request_item_decide(actor=worker, request=access_request, kind="journal_note",
                                        object_id=material["ordinary"].pk, release=False, basis="fvl_15")
    data, raw = export_json(client, worker, access_request)
    assert ORDINARY_NOTE not in raw
    assert any(w["kind"] == "journal_note" and w["basis"] == "fvl_15" for w in data["withheld"])
    assert "Fiktiv kladde." not in raw  # drafts are never part of the file


def test_export_is_audited_attachment_no_store_and_cpr_only_in_the_file(client, worker, access_request):
    response = export(client, worker, access_request, "json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["person"]["cpr"] == f"{CPR[:6]}-{CPR[6:]}"  # GDPR art. 15(3): the person's own data
    events = AuditEvent.objects.filter(action="access_request.exported")
    assert events.count() == 1
    event = events.get()
    assert event.actor == worker
    assert event.target_id == str(access_request.pk)
    assert event.extra["format"] == "json"
    assert event.extra["cpr_included"] is True
    assert event.extra["case_ids"] == [access_request.person.cases.get().pk]
    assert CPR not in json.dumps(event.extra)
    assert CPR[6:] not in json.dumps(event.extra)
    export(client, worker, access_request, "pdf")
    assert AuditEvent.objects.filter(action="access_request.exported").count() == 2
    access_request.refresh_from_db()
    assert access_request.last_exported_at is not None


def test_earlier_exports_are_look_ups_in_the_next_one(client, worker, access_request):
    export(client, worker, access_request, "pdf")
    data, _ = export_json(client, worker, access_request)
    assert any(row["action"] == "access_request.exported" and row["purpose"] == "Access request"
               for row in data["lookups"])


def test_complete_needs_an_export_first(client, worker, access_request):
    with pytest.raises(ApplicationError):
        services.access_request_complete(actor=worker, request=access_request)
    export(client, worker, access_request, "json")
    client.force_login(worker)
    response = client.post(reverse("access_requests:complete", args=[access_request.pk]))
    assert response.status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.COMPLETED
    assert AuditEvent.objects.filter(action="access_request.completed", target_id=str(access_request.pk)).exists()
    with pytest.raises(ApplicationError):
        services.access_request_item_decide(actor=worker, request=access_request, kind="person",
                                            object_id=access_request.person_id, release=False, basis="gdpr_23")


def test_detail_page_shows_the_file_as_it_would_be_released(client, co_worker, access_request, material,
                                                            django_assert_max_num_queries):
    client.force_login(co_worker)
    url = reverse("access_requests:detail", args=[access_request.pk])
    with django_assert_max_num_queries(40):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert ORDINARY_NOTE in page
    assert "Withheld" in page
    assert "May not be passed on (må ikke videregives)" in page
    for trace in REFERRER_TRACES:
        assert trace not in page
    assert f"{CPR[:6]}-****" in page
    assert CPR not in page
    assert "Release or withhold" not in page  # the co-worker reads; the handler decides


def test_json_schema_top_level_is_stable(client, worker, access_request, referral):
    services.access_request_item_decide(actor=worker, request=access_request, kind="referral",
                                        object_id=referral.pk, release=True, basis="no_exception")
    data, _ = export_json(client, worker, access_request)
    assert set(data) == {"schema", "schema_version", "exported_at", "language", "request", "person", "items",
                         "lookups", "withheld", "referrer"}
    assert set(data["request"]) == {"reference", "received_on", "legal_basis", "requester", "due_on",
                                    "original_due_on", "delay"}
    assert {item["kind"] for item in data["items"]} >= {"referral", "decision", "journal_note", "document",
                                                        "consent", "intervention"}
    document = next(item for item in data["items"] if item["kind"] == "document")
    assert document["content"]["file"]["reference"] == f"document:{document['id']}"


def test_police_referral_withheld_until_released_with_a_basis(client, worker, team, person, access_request):
    from tests.factories import ReferralFactory

    police = ReferralFactory(team=team, person=person, registered_by=worker, referrer_type="police",
                             channel="police", concern_text="Fiktive politioplysninger om trusler.")
    data, raw = export_json(client, worker, access_request)
    assert "Fiktive politioplysninger" not in raw
    assert any(w["kind"] == "referral" and w["basis"] == "rpl_115" for w in data["withheld"])
    with pytest.raises(ApplicationError):
        services.access_request_item_decide(actor=worker, request=access_request, kind="referral",
                                            object_id=police.pk, release=True)
    services.access_request_item_decide(actor=worker, request=access_request, kind="referral",
                                        object_id=police.pk, release=True, basis="consulted")
    _, raw = export_json(client, worker, access_request)
    assert "Fiktive politioplysninger" in raw
