"""Downloading a document: only the case file's readers, restricted material only for
the case team; served as an attachment that is neither sniffed nor cached."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.documents.services import document_upload
from tests.documents.samples import PDF, TEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents(media_root, case, worker, users):
    return {
        "open": document_upload(actor=worker, case=case, subject="Skolens brev",
                                uploaded_file=SimpleUploadedFile("Skolens brev æ.pdf", PDF)),
        "restricted": document_upload(actor=worker, case=case, subject="Politiets oplysninger", restricted=True,
                                      uploaded_file=SimpleUploadedFile("politi.txt", TEXT)),
    }


def _get(client, user, document):
    client.force_login(user)
    return client.get(reverse("documents:download", args=[document.pk]))


def _downloads(user, document):
    return AuditEvent.objects.filter(action=AuditAction.DOCUMENT_DOWNLOADED, actor_id=user.pk,
                                     target_id=str(document.pk)).count()


@pytest.mark.parametrize("who", ["worker", "supervisor"])
def test_document_download_case_team_gets_the_bytes(client, documents, users, who):
    user, document = users[who], documents["open"]
    response = _get(client, user, document)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Skolens%20brev%20%C3%A6.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert _downloads(user, document) == 1
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_DOWNLOADED)
    assert event.case_id == document.case_id
    assert event.extra["sha256"] == document.sha256


def test_document_download_restricted_for_the_case_team(client, documents, worker):
    response = _get(client, worker, documents["restricted"])

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == TEXT
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert 'filename="politi.txt"' in response["Content-Disposition"]


@pytest.mark.parametrize("who", ["consultant", "break_glass"])
def test_document_download_file_readers_get_only_unrestricted(client, documents, users, who):
    user = users[who]
    assert _get(client, user, documents["open"]).status_code == 200
    assert _get(client, user, documents["restricted"]).status_code == 404
    assert _downloads(user, documents["open"]) == 1
    assert _downloads(user, documents["restricted"]) == 0
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, actor_id=user.pk,
                                     target_id=str(documents["restricted"].pk)).exists()


@pytest.mark.parametrize("who", ["bbu", "mentor", "outsider"])
def test_document_download_others_get_404(client, documents, users, who):
    user = users[who]
    for document in documents.values():
        assert _get(client, user, document).status_code == 404
        assert _downloads(user, document) == 0
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, actor_id=user.pk).count() == 2


def test_document_download_unknown_id_is_404(client, documents, worker):
    client.force_login(worker)
    assert client.get(reverse("documents:download", args=[999999])).status_code == 404


def test_document_download_anonymous_is_sent_to_login(client, documents):
    response = client.get(reverse("documents:download", args=[documents["open"].pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_document_download_missing_file_is_404(client, documents, worker, media_root):
    (media_root / documents["open"].file.name).unlink()
    assert _get(client, worker, documents["open"]).status_code == 404


def test_documents_not_served_under_media_url(client, documents, worker):
    """No MEDIA_URL route: the stored file is reachable only through the download view."""
    client.force_login(worker)
    name = documents["open"].file.name
    for prefix in ("/media/", "/static/", "/"):
        assert client.get(prefix + name).status_code == 404
