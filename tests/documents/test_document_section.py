"""The case page's documents section: what each viewer sees, and a fixed number of
queries whatever the number of documents."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from caseflow.documents.sections import case_section
from caseflow.documents.services import document_upload
from permissions.policy import case_actions
from tests.documents.samples import PDF

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _upload(case, worker, n, restricted=False, intervention=None):
    for i in range(n):
        document_upload(actor=worker, case=case, subject=f"Dokument {i}{' (politi)' if restricted else ''}",
                        restricted=restricted, intervention=intervention,
                        uploaded_file=SimpleUploadedFile(f"d{i}.pdf", PDF))


def _page(client, user, case):
    client.force_login(user)
    return client.get(reverse("cases:detail", args=[case.pk]), **EN)


def test_document_section_case_team_sees_all_and_the_form(client, media_root, case, worker, users):
    _upload(case, worker, 1)
    _upload(case, worker, 1, restricted=True, intervention=users["intervention"])

    html = _page(client, worker, case).content.decode()

    assert "Dokument 0 (politi)" in html
    assert "May not be passed on" in html
    assert 'enctype="multipart/form-data"' in html
    assert reverse("documents:upload", args=[case.pk]) in html
    assert "PDF" in html
    assert "Mentor programme" in html


@pytest.mark.parametrize("who", ["consultant", "break_glass"])
def test_document_section_file_readers_see_unrestricted_without_form(client, media_root, case, worker, users,
                                                                      who):
    _upload(case, worker, 1)
    _upload(case, worker, 1, restricted=True)

    response = _page(client, users[who], case)
    html = response.content.decode()

    assert response.status_code == 200
    assert "Dokument 0" in html
    assert "(politi)" not in html
    assert 'enctype="multipart/form-data"' not in html


def test_document_section_bbu_sees_no_documents(client, media_root, case, worker, users):
    _upload(case, worker, 1)
    response = _page(client, users["bbu"], case)

    assert response.status_code == 200
    assert "Dokument 0" not in response.content.decode()
    assert case_section(actor=users["bbu"], case=case, actions=case_actions(users["bbu"], case)) is None


@pytest.mark.parametrize("who", ["mentor", "outsider"])
def test_document_section_no_case_page_for_others(client, media_root, case, worker, users, who):
    _upload(case, worker, 1)
    assert _page(client, users[who], case).status_code == 404


def _count(client, user, case):
    actions = case_actions(user, case)
    with CaptureQueriesContext(connection) as section_queries:
        section = case_section(actor=user, case=case, actions=actions)
        assert section["form"] is not None
        str(section["form"])
    client.force_login(user)
    with CaptureQueriesContext(connection) as page_queries:
        response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return len(section_queries), len(page_queries), response.content.decode().count("/download/")


def test_document_section_query_count_constant(client, media_root, case, worker, users):
    _upload(case, worker, 2)
    _upload(case, worker, 1, restricted=True, intervention=users["intervention"])
    few = _count(client, worker, case)
    _upload(case, worker, 20)
    _upload(case, worker, 7, restricted=True, intervention=users["intervention"])
    many = _count(client, worker, case)

    assert (few[2], many[2]) == (3, 30)
    assert few[:2] == many[:2]
    assert few[0] <= 2
