"""Uploading documents: the type by content, limits, refusals that leave nothing
behind but an audit event, and who may file on a case."""

import datetime
import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.core.exceptions import ApplicationError
from caseflow.documents.models import Document
from caseflow.documents.services import document_upload
from permissions.policy import AccessDenied
from tests.documents.samples import ELF, EXE, PDF, TEXT, office_bytes, png_bytes, stored_files

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PREFIX = "document"  # the upload form's prefix: its fields are posted as "document-<name>"


def _prefixed(fields: dict) -> dict:
    return {f"{PREFIX}-{name}": value for name, value in fields.items()}


def _post(client, user, case, name, data, content_type="application/octet-stream", **fields):
    client.force_login(user)
    payload = {"file": SimpleUploadedFile(name, data, content_type=content_type), "subject": "Brev fra skolen",
               "filed_on": timezone.localdate().isoformat(), "received_from": "", **fields}
    return client.post(reverse("documents:upload", args=[case.pk]), _prefixed(payload), **EN)


@pytest.mark.parametrize(("name", "data", "content_type", "label"), [
    ("rapport.pdf", PDF, "application/pdf", "PDF"),
    ("foto.png", png_bytes(), "image/png", "PNG"),
    ("referat.txt", TEXT, "text/plain; charset=utf-8", "TXT"),
    ("plan.docx", office_bytes("word"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "DOCX"),
])
def test_document_upload_valid_file_is_filed(client, media_root, case, worker, name, data, content_type, label):
    response = _post(client, worker, case, name, data, received_from="Politiet")

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    document = Document.objects.get(case=case)
    assert (document.subject, document.received_from, document.content_type) == (
        "Brev fra skolen", "Politiet", content_type)
    assert (document.size, document.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert document.original_name == name
    assert document.type_label == label
    assert document.uploaded_by == worker
    assert document.filed_on == timezone.localdate()
    assert not document.restricted
    # Stored by a random name, never the uploader's.
    files = stored_files(media_root)
    assert files == [document.file.name]
    assert name not in document.file.name
    assert (media_root / document.file.name).read_bytes() == data
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_UPLOADED)
    assert (event.actor_id, event.case_id, event.target_id) == (worker.pk, case.pk, str(document.pk))
    assert event.extra["sha256"] == document.sha256


def test_document_upload_detected_type_wins_over_the_name(client, media_root, case, worker):
    _post(client, worker, case, "notat.txt", PDF, content_type="text/plain")

    document = Document.objects.get()
    assert document.content_type == "application/pdf"
    assert document.original_name == "notat.pdf"


def test_document_upload_restricted_and_intervention(client, media_root, case, worker, users):
    intervention = users["intervention"]
    response = _post(client, worker, case, "politi.pdf", PDF, restricted="on", intervention=str(intervention.pk))

    assert response.status_code == 302
    document = Document.objects.get()
    assert document.restricted
    assert document.intervention == intervention


@pytest.mark.parametrize(("name", "data", "reason", "message"), [
    ("rapport.pdf", EXE, "executable", "Programs and scripts cannot be filed"),
    ("noter.txt", ELF, "executable", "Programs and scripts cannot be filed"),
    ("script.txt", b"#!/bin/bash\necho hej\n", "executable", "Programs and scripts cannot be filed"),
    ("tom.txt", b"", "empty", "The file is empty."),
    ("billede.gif", b"GIF89a" + b"\x00" * 40, "unsupported_type", "This type of file cannot be filed"),
    ("binær.txt", b"abc\x00def", "not_text", "This type of file cannot be filed"),
    ("makro.docx", office_bytes("word", extra=["word/vbaProject.bin"]), "office_macros", "with macros"),
])
def test_document_upload_refused_content_leaves_nothing(client, media_root, case, worker, name, data, reason,
                                                        message):
    response = _post(client, worker, case, name, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert 'id="id_document-file_error"' in html
    assert not Document.objects.exists()
    assert stored_files(media_root) == []
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_REFUSED)
    assert event.extra == {"reason": reason, "size": len(data)}
    assert (event.actor_id, event.case_id) == (worker.pk, case.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.DOCUMENT_UPLOADED).exists()


def test_document_upload_oversized_refused_before_reading(settings, client, media_root, case, worker):
    settings.CASEFLOW_DOCUMENT_MAX_BYTES = 1024 * 1024
    response = _post(client, worker, case, "stor.txt", b"a" * (1024 * 1024 + 1))

    assert response.status_code == 200
    assert "The file is too large. The limit is 1 MB." in response.content.decode()
    assert not Document.objects.exists()
    assert stored_files(media_root) == []
    assert AuditEvent.objects.get(action=AuditAction.DOCUMENT_REFUSED).extra == {
        "reason": "too_large", "size": 1024 * 1024 + 1}


def test_document_upload_exactly_at_the_limit_is_filed(settings, media_root, case, worker):
    settings.CASEFLOW_DOCUMENT_MAX_BYTES = 2048
    document = document_upload(actor=worker, case=case, uploaded_file=SimpleUploadedFile("a.txt", b"a" * 2048),
                               subject="Grænse")
    assert document.size == 2048


def test_document_upload_size_checked_while_reading(settings, media_root, case, worker):
    """A file whose declared size understates its content is still cut off."""
    settings.CASEFLOW_DOCUMENT_MAX_BYTES = 100
    upload = SimpleUploadedFile("a.txt", b"a" * 500)
    upload.size = 10
    with pytest.raises(ApplicationError) as refused:
        document_upload(actor=worker, case=case, uploaded_file=upload, subject="Løgn")
    assert refused.value.extra["reason"] == "too_large"
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"subject": "  "}, "subject", "This field is required."),
    ({"filed_on": (timezone.localdate() + datetime.timedelta(days=2)).isoformat()}, "filed_on",
     "The filing date cannot be in the future."),
])
def test_document_upload_bad_fields_shown_on_the_form(client, media_root, case, worker, fields, field, message):
    response = _post(client, worker, case, "rapport.pdf", PDF, **fields)

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="id_document-{field}_error"' in html
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_document_upload_refused_keeps_what_was_typed(client, media_root, case, worker, users):
    """A refused upload comes back with the error and every value as typed, under the
    form's prefixed names (issue 20 point 5); only the file must be chosen again (a
    browser never pre-fills a file input)."""
    intervention = users["intervention"]
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = _post(client, worker, case, "politi.pdf", PDF, subject="Rapport fra politiet", filed_on=future,
                     received_from="Politiet", restricted="on", intervention=str(intervention.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert "The filing date cannot be in the future." in html
    assert 'name="document-subject" value="Rapport fra politiet"' in html
    assert f'name="document-filed_on" value="{future}"' in html
    assert 'name="document-received_from" value="Politiet"' in html
    assert re.search(r'<input type="checkbox" name="document-restricted"[^>]* checked>', html)
    assert f'<option value="{intervention.pk}" selected>' in html
    assert not Document.objects.exists()


def test_document_upload_with_unprefixed_names_is_refused(client, media_root, case, worker):
    """A post with the names of before the prefix (a page left open across the
    release) is refused with the errors shown: never filed without its restriction."""
    client.force_login(worker)
    response = client.post(reverse("documents:upload", args=[case.pk]),
                           {"file": SimpleUploadedFile("politi.pdf", PDF), "subject": "Politiets rapport",
                            "filed_on": timezone.localdate().isoformat(), "restricted": "on"}, **EN)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a file to upload." in html
    assert 'id="id_document-file_error"' in html
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_document_upload_service_refuses_blank_subject_and_foreign_intervention(media_root, case, worker):
    from tests.factories import InterventionFactory

    with pytest.raises(ApplicationError) as blank:
        document_upload(actor=worker, case=case, uploaded_file=SimpleUploadedFile("a.pdf", PDF), subject=" ")
    assert blank.value.field == "subject"
    other = InterventionFactory()
    with pytest.raises(ApplicationError) as foreign:
        document_upload(actor=worker, case=case, uploaded_file=SimpleUploadedFile("a.pdf", PDF), subject="X",
                        intervention=other)
    assert foreign.value.field == "intervention"
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_document_upload_get_shows_the_form(client, media_root, case, worker):
    client.force_login(worker)
    response = client.get(reverse("documents:upload", args=[case.pk]), **EN)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert 'name="document-restricted"' in html
    assert '<label for="id_document-file">File</label>' in html


@pytest.mark.parametrize(("who", "status"), [
    ("consultant", 403), ("bbu", 403), ("break_glass", 403), ("mentor", 404), ("outsider", 404),
])
def test_document_upload_refused_to_the_wrong_users(client, media_root, case, users, who, status):
    user = users[who]
    client.force_login(user)
    url = reverse("documents:upload", args=[case.pk])

    assert client.get(url).status_code == status
    response = _post(client, user, case, "rapport.pdf", PDF)

    assert response.status_code == status
    assert not Document.objects.exists()
    assert stored_files(media_root) == []
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, actor_id=user.pk).exists()


def test_document_upload_supervisor_may_file(client, media_root, case, users):
    response = _post(client, users["supervisor"], case, "rapport.pdf", PDF)

    assert response.status_code == 302
    assert Document.objects.filter(uploaded_by=users["supervisor"]).exists()


def test_document_upload_service_denies_without_change(media_root, case, users):
    with pytest.raises(AccessDenied):
        document_upload(actor=users["consultant"], case=case, uploaded_file=SimpleUploadedFile("a.pdf", PDF),
                        subject="Forsøg")
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_document_upload_anonymous_is_sent_to_login(client, media_root, case):
    response = client.post(reverse("documents:upload", args=[case.pk]),
                           _prefixed({"file": SimpleUploadedFile("a.pdf", PDF), "subject": "x"}))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Document.objects.exists()


def test_document_upload_success_message_on_the_case_page(client, media_root, case, worker):
    client.force_login(worker)
    response = client.post(
        reverse("documents:upload", args=[case.pk]),
        _prefixed({"file": SimpleUploadedFile("rapport.pdf", PDF), "subject": "Brev fra skolen",
                   "filed_on": timezone.localdate().isoformat()}),
        follow=True, **EN,
    )

    html = response.content.decode()
    assert response.redirect_chain == [(reverse("cases:detail", args=[case.pk]), 302)]
    assert "The document “Brev fra skolen” is filed." in html
    assert reverse("documents:download", args=[Document.objects.get().pk]) in html
