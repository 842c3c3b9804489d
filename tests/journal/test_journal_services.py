"""Journal note services, the model guard and the PostgreSQL trigger: notatpligt, drafts
seen only by their author, final notes immutable, corrections as a chain of new notes,
restricted material, and an audit event for each write."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.core.exceptions import ApplicationError
from caseflow.journal import services
from caseflow.journal.models import FinalNoteImmutableError, JournalNote
from caseflow.journal.selectors import journal_notes_for
from caseflow.journal.services import (
    journal_note_correct,
    journal_note_create,
    journal_note_delete_draft,
    journal_note_finalise,
    journal_note_update,
)
from permissions.policy import AccessDenied
from tests.factories import CaseFactory, InterventionFactory

pytestmark = pytest.mark.django_db

POLICE = JournalNote.SourceAuthority.POLICE
SCHOOL = JournalNote.SourceAuthority.SCHOOL


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def _write(actor, case, *, text="Samtale med skolen om Emil.", final=False, restricted=False, event_at=None,
           **kwargs):
    return journal_note_create(
        actor=actor, case=case, text=text, event_at=event_at or timezone.now() - datetime.timedelta(hours=1),
        source_authority=kwargs.pop("source_authority", SCHOOL), restricted=restricted, final=final, **kwargs,
    )


# --------------------------------------------------------------------------- writing


def test_journal_note_create_keeps_event_and_writing_time_and_audits(worker, case, earlier):
    note = _write(worker, case, event_at=earlier, text="  Telefonsamtale med mor.  ")
    note.refresh_from_db()
    assert note.event_at == earlier
    assert note.written_at > earlier
    assert note.text == "Telefonsamtale med mor."
    assert note.status == JournalNote.Status.DRAFT
    assert note.finalised_at is None
    assert note.author == worker
    (event,) = _events("journal.note_created")
    assert event.actor_id == worker.pk
    assert event.case_id == case.pk
    assert event.target_id == str(note.pk)
    assert event.changes["text"] == [None, "[redacted]"]  # the note's text never enters the audit trail
    assert "mor" not in str(event.changes)


def test_journal_note_create_directly_final(worker, case):
    note = _write(worker, case, final=True)
    assert note.is_final
    assert note.finalised_at is not None


def test_journal_note_create_refuses_event_in_future(worker, case):
    with pytest.raises(ApplicationError) as excinfo:
        _write(worker, case, event_at=timezone.now() + datetime.timedelta(minutes=5))
    assert excinfo.value.field == "event_at"
    assert excinfo.value.message == services.EVENT_AT_IN_FUTURE
    assert not JournalNote.objects.exists()
    assert not _events("journal.note_created")


@pytest.mark.parametrize("text", ["", "   \n", "x" * 20001])
def test_journal_note_create_refuses_empty_or_too_long_text(worker, case, text):
    with pytest.raises(ApplicationError) as excinfo:
        _write(worker, case, text=text)
    assert excinfo.value.field == "text"
    assert not JournalNote.objects.exists()


def test_journal_note_create_refuses_unknown_source_and_foreign_intervention(worker, case):
    with pytest.raises(ApplicationError) as excinfo:
        _write(worker, case, source_authority="tabloid")
    assert excinfo.value.field == "source_authority"
    other_intervention = InterventionFactory(case=CaseFactory(team=case.team, responsible=worker))
    with pytest.raises(ApplicationError) as excinfo:
        _write(worker, case, intervention=other_intervention)
    assert excinfo.value.field == "intervention"
    assert not JournalNote.objects.exists()


def test_journal_note_create_about_an_intervention(worker, case, intervention):
    note = _write(worker, case, intervention=intervention)
    assert note.intervention == intervention


def test_journal_note_create_refused_on_archived_case(worker, case):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.ARCHIVED)
    with pytest.raises(ApplicationError):
        _write(worker, case)
    assert not JournalNote.objects.exists()


@pytest.mark.parametrize("who", ["consultant", "bbu", "reader", "outsider", "mentor"])
def test_journal_note_create_denied_without_change(request, case, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(AccessDenied):
        _write(actor, case)
    assert not JournalNote.objects.exists()
    assert not _events("journal.note_created")


@pytest.mark.parametrize("who", ["worker", "colleague", "supervisor"])
def test_journal_note_create_allowed_for_case_team(request, case, who):
    actor = request.getfixturevalue(who)
    note = _write(actor, case, restricted=True, source_authority=POLICE)
    assert note.restricted
    assert note.author == actor


# --------------------------------------------------------------------------- drafts


def test_journal_note_update_changes_draft_and_audits(worker, case, earlier):
    note = _write(worker, case)
    journal_note_update(actor=worker, note=note, text="Rettet kladde.", event_at=earlier, source_authority=POLICE,
                        restricted=True)
    note.refresh_from_db()
    assert (note.text, note.event_at, note.source_authority, note.restricted) == (
        "Rettet kladde.", earlier, POLICE, True)
    (event,) = _events("journal.note_changed")
    assert event.changes["source_authority"] == [SCHOOL, POLICE]
    assert event.changes["text"] == ["[redacted]", "[redacted]"]


def test_journal_note_update_and_finalise_in_one_step(worker, case, earlier):
    note = _write(worker, case)
    journal_note_update(actor=worker, note=note, text="Endelig tekst.", event_at=earlier, source_authority=SCHOOL,
                        final=True)
    note.refresh_from_db()
    assert note.is_final
    assert note.text == "Endelig tekst."
    assert len(_events("journal.note_finalised")) == 1


def test_journal_note_draft_changes_only_by_author(worker, colleague, case, earlier):
    note = _write(worker, case, text="Min kladde.")
    with pytest.raises(AccessDenied):
        journal_note_update(actor=colleague, note=note, text="Andens tekst.", event_at=earlier,
                            source_authority=SCHOOL)
    with pytest.raises(AccessDenied):
        journal_note_finalise(actor=colleague, note=note)
    with pytest.raises(AccessDenied):
        journal_note_delete_draft(actor=colleague, note=note)
    note.refresh_from_db()
    assert note.text == "Min kladde."
    assert note.status == JournalNote.Status.DRAFT
    assert not _events("journal.note_changed")
    assert not _events("journal.note_finalised")


def test_journal_note_finalise_and_delete_draft_audited(worker, case):
    note = _write(worker, case)
    journal_note_finalise(actor=worker, note=note)
    note.refresh_from_db()
    assert note.is_final
    assert note.finalised_at is not None
    (event,) = _events("journal.note_finalised")
    assert event.target_id == str(note.pk)

    draft = _write(worker, case)
    draft_id = draft.pk
    journal_note_delete_draft(actor=worker, note=draft)
    assert not JournalNote.objects.filter(pk=draft_id).exists()
    (event,) = _events("journal.note_deleted")
    assert event.target_id == str(draft_id)
    assert event.case_id == case.pk


def test_drafts_visible_only_to_their_author(worker, colleague, supervisor, case):
    draft = _write(worker, case, text="Kladde.")
    final = _write(worker, case, text="Endelig.", final=True)
    assert {n.pk for n in journal_notes_for(actor=worker, case=case)} == {draft.pk, final.pk}
    assert [n.pk for n in journal_notes_for(actor=colleague, case=case)] == [final.pk]
    assert [n.pk for n in journal_notes_for(actor=supervisor, case=case)] == [final.pk]


# --------------------------------------------------------------------------- final is final


def test_final_note_refused_by_services(worker, case, earlier):
    note = _write(worker, case, final=True, text="Endelig.")
    with pytest.raises(ApplicationError) as excinfo:
        journal_note_update(actor=worker, note=note, text="Ændret.", event_at=earlier, source_authority=SCHOOL)
    assert excinfo.value.message == services.NOTE_IS_FINAL
    with pytest.raises(ApplicationError) as excinfo:
        journal_note_delete_draft(actor=worker, note=note)
    assert excinfo.value.message == services.NOTE_IS_FINAL_DELETE
    with pytest.raises(ApplicationError):
        journal_note_finalise(actor=worker, note=note)
    note.refresh_from_db()
    assert note.text == "Endelig."


def test_final_note_refused_by_model(worker, case):
    note = _write(worker, case, final=True, text="Endelig.")
    note.text = "Ændret."
    with pytest.raises(FinalNoteImmutableError):
        note.save()
    stale = JournalNote.objects.get(pk=note.pk)
    stale.status = JournalNote.Status.DRAFT  # pretending to be a draft does not help
    with pytest.raises(FinalNoteImmutableError):
        stale.save()
    with pytest.raises(FinalNoteImmutableError):
        JournalNote.objects.get(pk=note.pk).delete()
    assert JournalNote.objects.get(pk=note.pk).text == "Endelig."


def test_final_note_refused_by_database_trigger(worker, case):
    note = _write(worker, case, final=True, text="Endelig.")
    with pytest.raises(IntegrityError, match="final"), transaction.atomic():
        JournalNote.objects.filter(pk=note.pk).update(text="Ændret bag om systemet.")
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalNote.objects.filter(pk=note.pk).update(status=JournalNote.Status.DRAFT, finalised_at=None)
    with pytest.raises(IntegrityError, match="final"), transaction.atomic():
        JournalNote.objects.filter(pk=note.pk).delete()
    note.refresh_from_db()
    assert note.text == "Endelig."
    assert note.is_final


def test_database_trigger_leaves_drafts_alone(worker, case):
    draft = _write(worker, case, text="Kladde.")
    assert JournalNote.objects.filter(pk=draft.pk).update(text="Ny kladde.") == 1
    assert JournalNote.objects.filter(pk=draft.pk).delete()[0] == 1


# --------------------------------------------------------------------------- corrections


def test_correction_chain_leaves_originals_untouched(worker, colleague, case, earlier):
    original = _write(worker, case, final=True, text="Mødet var tirsdag.", event_at=earlier)
    stored = JournalNote.objects.values().get(pk=original.pk)

    first = journal_note_correct(actor=colleague, note=original, text="Mødet var onsdag.")
    assert first.is_final
    assert first.corrects == original
    assert first.author == colleague
    assert first.event_at == original.event_at
    assert first.source_authority == original.source_authority
    second = journal_note_correct(actor=worker, note=first, text="Mødet var torsdag.",
                                  event_at=earlier - datetime.timedelta(days=1))
    assert second.corrects == first

    assert JournalNote.objects.values().get(pk=original.pk) == stored
    notes = {n.pk: n for n in journal_notes_for(actor=worker, case=case)}
    assert [c.pk for c in notes[original.pk].visible_corrections] == [first.pk]
    assert [c.pk for c in notes[first.pk].visible_corrections] == [second.pk]
    assert notes[second.pk].visible_corrections == []
    events = _events("journal.note_created")
    assert [e.extra.get("corrects") for e in events] == [None, original.pk, first.pk]


def test_correction_only_of_final_and_latest_note(worker, case):
    draft = _write(worker, case)
    with pytest.raises(ApplicationError) as excinfo:
        journal_note_correct(actor=worker, note=draft, text="Rettelse.")
    assert excinfo.value.message == services.ONLY_FINAL_CORRECTED
    final = _write(worker, case, final=True)
    journal_note_correct(actor=worker, note=final, text="Rettelse.")
    with pytest.raises(ApplicationError) as excinfo:
        journal_note_correct(actor=worker, note=final, text="Endnu en rettelse.")
    assert excinfo.value.message == services.ALREADY_CORRECTED
    assert JournalNote.objects.filter(corrects=final).count() == 1


def test_correction_denied_without_change_and_keeps_restriction(worker, consultant, case):
    final = _write(worker, case, final=True)
    with pytest.raises(AccessDenied):
        journal_note_correct(actor=consultant, note=final, text="Rettelse.")
    restricted = _write(worker, case, final=True, restricted=True, source_authority=POLICE)
    with pytest.raises(ApplicationError) as excinfo:
        journal_note_correct(actor=worker, note=restricted, text="Rettelse.", restricted=False)
    assert excinfo.value.field == "restricted"
    assert journal_note_correct(actor=worker, note=restricted, text="Rettelse.").restricted is True
    assert JournalNote.objects.filter(corrects__isnull=False).count() == 1


# --------------------------------------------------------------------------- restricted


def test_restricted_notes_seen_by_case_team_only(worker, colleague, supervisor, consultant, reader, bbu, case):
    open_note = _write(worker, case, final=True)
    police_note = _write(worker, case, final=True, restricted=True, source_authority=POLICE)
    for member in (worker, colleague, supervisor):
        assert {n.pk for n in journal_notes_for(actor=member, case=case)} == {open_note.pk, police_note.pk}
    for outside_team in (consultant, reader):
        assert [n.pk for n in journal_notes_for(actor=outside_team, case=case)] == [open_note.pk]
    assert journal_notes_for(actor=bbu, case=case) == []


def test_restricted_correction_hidden_but_flagged(worker, consultant, case):
    original = _write(worker, case, final=True)
    journal_note_correct(actor=worker, note=original, text="Politiets oplysninger.", restricted=True)
    (seen,) = journal_notes_for(actor=consultant, case=case)
    assert seen.pk == original.pk
    assert seen.visible_corrections == []
    assert seen.has_hidden_correction is True
