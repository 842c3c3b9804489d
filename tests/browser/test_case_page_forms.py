"""Issue 20 point 5 in a real browser: on the case page the journal form and the upload
form both have a "Må ikke videregives" box. A click on the upload form's label ticks the
upload form's box (it ticked the journal form's when both had the id ``id_restricted``),
and the document is filed as not to be passed on."""

import pytest

from caseflow.documents.models import Document
from caseflow.journal.models import JournalNote
from tests.browser.conftest import sign_in
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RESTRICTED = "Må ikke videregives"


def test_the_upload_forms_restricted_label_ticks_its_own_box(new_page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    team = TeamFactory(name="Koordineringsenheden")
    worker = UserFactory(username="forms-worker", team=team, roles=["caseworker"])
    case = CaseFactory(team=team, responsible=worker)

    page = new_page()
    sign_in(page, worker.username)
    response = page.goto(f"/cases/{case.pk}/")
    assert response.status == 200
    journal = page.locator(f"form[action='/journal/case/{case.pk}/new/']")
    upload = page.locator(f"form[action='/documents/upload/{case.pk}/']")
    journal_box, upload_box = (form.locator("input[type=checkbox][name$=restricted]") for form in (journal, upload))
    page.get_by_text("Journalisér et dokument", exact=True).click()  # opens the upload form's <details>

    upload.get_by_text(RESTRICTED, exact=True).click()
    assert (upload_box.is_checked(), journal_box.is_checked()) == (True, False)

    upload.get_by_label("Fil", exact=True).set_input_files(
        {"name": "politi.txt", "mimeType": "text/plain", "buffer": b"Fiktiv politirapport.\n"})
    upload.get_by_label("Emne", exact=True).fill("Politiets rapport")
    with page.expect_navigation():
        upload.get_by_role("button", name="Journalisér dokumentet", exact=True).click()
    assert page.url.endswith(f"/cases/{case.pk}/")
    document = Document.objects.get(case=case)
    assert (document.subject, document.restricted) == ("Politiets rapport", True)
    assert not JournalNote.objects.filter(case=case).exists()

    # and the journal form's label ticks the journal form's box
    journal.get_by_text(RESTRICTED, exact=True).click()
    assert (journal_box.is_checked(), upload_box.is_checked()) == (True, False)
