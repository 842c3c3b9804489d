"""Journal pages: the case-page section, a note's page, writing, editing, finalising,
deleting and correcting through the UI. Who may and who may not, in both directions."""

import datetime
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from caseflow.audit.models import AuditEvent
from caseflow.journal.models import JournalNote
from caseflow.journal.sections import case_section
from caseflow.journal.services import journal_note_correct, journal_note_create
from permissions.policy import case_actions

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SCHOOL = JournalNote.SourceAuthority.SCHOOL
POLICE = JournalNote.SourceAuthority.POLICE
NOTE_PREFIX = "note"


def _write(actor, case, *, text="Samtale med skolen.", final=True, restricted=False, **kwargs):
    return journal_note_create(
        actor=actor, case=case, text=text, event_at=timezone.now() - datetime.timedelta(days=1),
        source_authority=POLICE if restricted else SCHOOL, restricted=restricted, final=final, **kwargs,
    )


def _form_data(**overrides):
    """A valid submission of the note form; keys are the form's field names (posted
    with its prefix) and the ``save`` button's (posted as it is)."""
    fields = {
        "event_at": (timezone.localtime() - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "source_authority": SCHOOL,
        "text": "Telefonsamtale med klasselæreren.",
        "save": "final",
    }
    fields.update(overrides)
    return {name if name == "save" else f"{NOTE_PREFIX}-{name}": value for name, value in fields.items()}


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def _get(client, user, url):
    client.force_login(user)
    return client.get(url, **EN)


def _post(client, user, url, data=None):
    client.force_login(user)
    return client.post(url, data or {}, **EN)


# --------------------------------------------------------------------------- the case page


def test_case_page_section_for_the_case_team(client, worker, colleague, case):
    _write(worker, case, text="Fortrolig politioplysning.", restricted=True)
    _write(worker, case, text="Min egen kladde.", final=False)
    _write(colleague, case, text="Kollegas kladde.", final=False)
    response = _get(client, worker, reverse("cases:detail", args=[case.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="journal"' in body
    assert "Fortrolig politioplysning." in body
    assert "Må ikke videregives" in body
    assert "Min egen kladde." in body
    assert "Draft" in body
    assert "Kollegas kladde." not in body
    assert reverse("journal:new", args=[case.pk]) in body  # the write form


def test_case_page_section_for_consultant_bbu_and_provider(client, worker, consultant, bbu, mentor, case):
    _write(worker, case, text="Fortrolig politioplysning.", restricted=True)
    _write(worker, case, text="Samtale med forældrene.")
    body = _get(client, consultant, reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Samtale med forældrene." in body
    assert "Fortrolig politioplysning." not in body
    assert reverse("journal:new", args=[case.pk]) not in body  # no form without CHANGE

    response = _get(client, bbu, reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="journal"' not in body
    assert "Samtale med forældrene." not in body

    assert _get(client, mentor, reverse("cases:detail", args=[case.pk])).status_code == 404


def test_case_section_query_count_does_not_grow(worker, case, intervention):
    def count(actor):
        actions = case_actions(actor, case)
        with CaptureQueriesContext(connection) as queries:
            section = case_section(actor=actor, case=case, actions=actions)
            html = render_to_string(section["template"], {"section": section})
        return len(queries), html

    notes = [_write(worker, case, text=f"Notat {i}.", intervention=intervention if i % 2 else None)
             for i in range(10)]
    journal_note_correct(actor=worker, note=notes[0], text="Rettelse 0.")
    few, html = count(worker)
    assert html.count('class="journal-note') == 11
    for i in range(50):
        note = _write(worker, case, text=f"Notat {i + 10}.", final=i % 3 != 0)
        if i % 5 == 1 and note.is_final:
            journal_note_correct(actor=worker, note=note, text=f"Rettelse {i}.")
    many, html = count(worker)
    assert html.count('class="journal-note') == JournalNote.objects.filter(case=case).count() == 68
    assert many == few


# --------------------------------------------------------------------------- a note's page


def test_note_page_shows_note_and_audits_the_read(client, worker, case):
    note = _write(worker, case, text="Samtale med Emil om hans netværk.")
    response = _get(client, worker, reverse("journal:detail", args=[note.pk]))
    assert response.status_code == 200
    assert "Samtale med Emil om hans netværk." in response.content.decode()
    (event,) = _events("journal.note_viewed")
    assert event.actor_id == worker.pk
    assert event.target_id == str(note.pk)
    assert event.case_id == case.pk


@pytest.mark.parametrize("who", ["consultant", "reader"])
def test_note_page_restricted_hidden_from_consultant_and_break_glass(client, request, worker, case, who):
    viewer = request.getfixturevalue(who)
    restricted = _write(worker, case, text="Politiets oplysninger.", restricted=True)
    plain = _write(worker, case, text="Almindeligt notat.")
    response = _get(client, viewer, reverse("journal:detail", args=[restricted.pk]))
    assert response.status_code == 404
    assert "Politiets oplysninger." not in response.content.decode()
    assert _events("access.denied")[-1].target_id == str(restricted.pk)
    assert _get(client, viewer, reverse("journal:detail", args=[plain.pk])).status_code == 200


@pytest.mark.parametrize("who", ["bbu", "mentor", "outsider"])
def test_note_page_404_for_bbu_provider_and_outsider(client, request, worker, case, who):
    viewer = request.getfixturevalue(who)
    note = _write(worker, case, text="Almindeligt notat.")
    response = _get(client, viewer, reverse("journal:detail", args=[note.pk]))
    assert response.status_code == 404
    assert not _events("journal.note_viewed")


def test_note_page_404_for_others_draft(client, worker, colleague, case):
    draft = _write(worker, case, final=False)
    assert _get(client, colleague, reverse("journal:detail", args=[draft.pk])).status_code == 404
    assert _get(client, worker, reverse("journal:detail", args=[draft.pk])).status_code == 200


def test_note_page_shows_correction_links(client, worker, case):
    original = _write(worker, case, text="Mødet var tirsdag.")
    correction = journal_note_correct(actor=worker, note=original, text="Mødet var onsdag.")
    body = _get(client, worker, reverse("journal:detail", args=[original.pk])).content.decode()
    assert "Corrected by" in body
    assert reverse("journal:detail", args=[correction.pk]) in body
    assert reverse("journal:correct", args=[original.pk]) not in body  # only the latest is corrected
    body = _get(client, worker, reverse("journal:detail", args=[correction.pk])).content.decode()
    assert "Corrects the note" in body
    assert reverse("journal:detail", args=[original.pk]) in body
    assert reverse("journal:correct", args=[correction.pk]) in body


# --------------------------------------------------------------------------- writing


def test_write_note_from_case_page(client, worker, case, intervention):
    response = _post(client, worker, reverse("journal:new", args=[case.pk]),
                     _form_data(intervention=str(intervention.pk), restricted="on", source_authority=POLICE))
    assert response.status_code == 302
    note = JournalNote.objects.get()
    assert note.is_final
    assert note.restricted
    assert note.intervention == intervention
    assert note.author == worker
    assert len(_events("journal.note_created")) == 1


def test_write_note_as_draft(client, worker, case):
    _post(client, worker, reverse("journal:new", args=[case.pk]), _form_data(save="draft"))
    assert JournalNote.objects.get().status == JournalNote.Status.DRAFT


def test_write_note_future_event_refused_on_the_form(client, worker, case):
    future = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _post(client, worker, reverse("journal:new", args=[case.pk]), _form_data(event_at=future))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "cannot be in the future" in body
    assert 'id="id_note-event_at_error"' in body
    assert not JournalNote.objects.exists()


def test_write_note_missing_fields_refused(client, worker, case):
    response = _post(client, worker, reverse("journal:new", args=[case.pk]), _form_data(text="", event_at=""))
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not JournalNote.objects.exists()


def test_write_note_refused_keeps_what_was_typed(client, worker, case, intervention):
    """A refused note comes back with the error and every value as typed, under the
    form's prefixed names (issue 20 point 5)."""
    future = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _post(client, worker, reverse("journal:new", args=[case.pk]), _form_data(
        event_at=future, text="Samtale med moren om skolen.", restricted="on", source_authority=POLICE,
        intervention=str(intervention.pk)))
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot be in the future" in body
    assert f'name="note-event_at" value="{future}"' in body
    assert re.search(r'<textarea name="note-text"[^>]*>\s*Samtale med moren om skolen.</textarea>', body)
    assert re.search(r'<input type="checkbox" name="note-restricted"[^>]* checked>', body)
    assert f'<option value="{intervention.pk}" selected>' in body
    assert f'<option value="{POLICE}" selected>' in body
    assert not JournalNote.objects.exists()


def test_write_note_with_unprefixed_names_is_refused(client, worker, case):
    """A post with the names of before the prefix (a page left open across the
    release) is refused with the errors shown, never half-read."""
    data = {"event_at": (timezone.localtime() - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "source_authority": SCHOOL, "restricted": "on", "text": "Notat.", "save": "final"}
    response = _post(client, worker, reverse("journal:new", args=[case.pk]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert 'id="id_note-text_error"' in body
    assert not JournalNote.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("consultant", 403), ("bbu", 403), ("reader", 403),
                                             ("mentor", 404), ("outsider", 404)])
def test_write_note_denied(client, request, case, who, status):
    actor = request.getfixturevalue(who)
    response = _post(client, actor, reverse("journal:new", args=[case.pk]), _form_data())
    assert response.status_code == status
    assert not JournalNote.objects.exists()
    denied = _events("access.denied")
    assert denied
    assert denied[-1].actor_id == actor.pk


# --------------------------------------------------------------------------- drafts and corrections


def test_edit_draft_by_author(client, worker, case):
    draft = _write(worker, case, final=False, text="Første udkast.")
    url = reverse("journal:edit", args=[draft.pk])
    response = _get(client, worker, url)
    assert response.status_code == 200
    assert "Første udkast." in response.content.decode()
    response = _post(client, worker, url, _form_data(text="Andet udkast.", save="draft"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.text == "Andet udkast."
    assert not draft.is_final
    assert len(_events("journal.note_changed")) == 1


def test_edit_draft_denied_to_others_and_final_refused(client, worker, colleague, case):
    draft = _write(worker, case, final=False, text="Første udkast.")
    response = _post(client, colleague, reverse("journal:edit", args=[draft.pk]), _form_data(text="Kapret."))
    assert response.status_code == 404
    final = _write(worker, case, text="Endelig.")
    response = _post(client, worker, reverse("journal:edit", args=[final.pk]), _form_data(text="Ændret."))
    assert response.status_code == 400
    assert "final and cannot be changed" in response.content.decode()
    assert _get(client, worker, reverse("journal:edit", args=[final.pk])).status_code == 302
    draft.refresh_from_db()
    final.refresh_from_db()
    assert (draft.text, final.text) == ("Første udkast.", "Endelig.")


def test_finalise_and_delete_draft(client, worker, colleague, case):
    draft = _write(worker, case, final=False)
    assert _post(client, colleague, reverse("journal:finalise", args=[draft.pk])).status_code == 404
    assert _post(client, colleague, reverse("journal:delete", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert not draft.is_final
    assert _post(client, worker, reverse("journal:finalise", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.is_final
    # a final note is never deleted
    _post(client, worker, reverse("journal:delete", args=[draft.pk]))
    assert JournalNote.objects.filter(pk=draft.pk).exists()
    other = _write(worker, case, final=False)
    assert _post(client, worker, reverse("journal:delete", args=[other.pk])).status_code == 302
    assert not JournalNote.objects.filter(pk=other.pk).exists()
    assert len(_events("journal.note_deleted")) == 1


def test_correct_note_page(client, worker, consultant, case):
    original = _write(worker, case, text="Mødet var tirsdag.")
    url = reverse("journal:correct", args=[original.pk])
    assert _get(client, worker, url).status_code == 200
    assert _post(client, consultant, url, _form_data(text="Rettelse fra konsulenten.")).status_code == 403
    assert not JournalNote.objects.filter(corrects=original).exists()
    response = _post(client, worker, url, _form_data(text="Mødet var onsdag."))
    assert response.status_code == 302
    correction = JournalNote.objects.get(corrects=original)
    assert correction.is_final
    assert correction.text == "Mødet var onsdag."
    original.refresh_from_db()
    assert original.text == "Mødet var tirsdag."
