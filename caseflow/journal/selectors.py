"""Reads of journal notes, through the policy.

Who sees what: notes are part of the case file (``Action.VIEW_FILE``); notes that may
not be passed on only with ``Action.VIEW_RESTRICTED``; a draft only by its author. A
note the viewer may not see answers 404 and leaves an ``access.denied`` event (its
existence is never confirmed); a note's own page leaves a ``journal.note_viewed`` event.
The case page's list is part of that page's ``case.viewed`` event.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.http import Http404

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case
from permissions.policy import case_actions, visible_cases
from permissions.rules import Action

from .models import JournalNote

PURPOSE_CASE_WORK = "case_work"


def _visible_q(actor, actions) -> Q:
    visible = Q(status=JournalNote.Status.FINAL) | Q(author_id=actor.pk)
    if Action.VIEW_RESTRICTED not in actions:
        visible &= Q(restricted=False)
    return visible


def _may_see(actor, note: JournalNote, actions) -> bool:
    """The rule of :func:`_visible_q` for one loaded note."""
    return (Action.VIEW_FILE in actions
            and (note.is_final or note.author_id == actor.pk)
            and (not note.restricted or Action.VIEW_RESTRICTED in actions))


def _with_links(queryset):
    """Author, intervention, the corrected note and the corrections in a fixed number of
    queries (one for the notes, one for all their corrections)."""
    return queryset.select_related("author", "intervention", "corrects", "corrects__author").prefetch_related(
        Prefetch("corrections", queryset=JournalNote.objects.select_related("author").order_by("pk"))
    )


def _mark_corrections(notes, actions) -> None:
    """Split each note's corrections into those the viewer may see and a flag for those
    they may not (a correction that may not be passed on): the viewer learns that the
    note was corrected, never what the hidden correction says."""
    may_restricted = Action.VIEW_RESTRICTED in actions
    for note in notes:
        corrections = list(note.corrections.all())
        note.visible_corrections = [c for c in corrections if may_restricted or not c.restricted]
        note.has_hidden_correction = len(note.visible_corrections) < len(corrections)


def journal_notes_for(*, actor, case: Case, actions=None) -> list[JournalNote]:
    """The notes of ``case`` that ``actor`` may see, newest event first. ``actions``: the
    viewer's actions on the case when the caller already has them."""
    actions = case_actions(actor, case) if actions is None else actions
    if Action.VIEW_FILE not in actions:
        return []
    notes = list(_with_links(JournalNote.objects.filter(case_id=case.pk).filter(_visible_q(actor, actions)))
                 .order_by("-event_at", "-pk"))
    _mark_corrections(notes, actions)
    return notes


def _deny(actor, *, note_id, case_id=None, purpose):
    audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="journal.journalnote",
                 target_id=str(note_id), case_id=case_id, purpose=purpose)
    raise Http404


def journal_note_visible_get(*, actor, note_id, purpose=PURPOSE_CASE_WORK) -> JournalNote:
    """The note if ``actor`` may see it (with ``note.viewer_actions``, the actor's actions
    on its case); otherwise Http404 and an ``access.denied`` event. Records no read: for
    the write pages, whose service records the write."""
    try:
        note_id = int(note_id)
    except (TypeError, ValueError):
        raise Http404 from None
    note = _with_links(JournalNote.objects.select_related("case")).filter(pk=note_id).first()
    if note is None:
        _deny(actor, note_id=note_id, purpose=purpose)
    actions = case_actions(actor, note.case)
    if not _may_see(actor, note, actions):
        _deny(actor, note_id=note_id, case_id=note.case_id, purpose=purpose)
    _mark_corrections([note], actions)
    note.viewer_actions = actions
    return note


def journal_note_get_for(*, actor, note_id, purpose=PURPOSE_CASE_WORK) -> JournalNote:
    """The note's own page: as :func:`journal_note_visible_get`, recorded as one read."""
    note = journal_note_visible_get(actor=actor, note_id=note_id, purpose=purpose)
    audit_record(actor=actor, action=AuditAction.JOURNAL_NOTE_VIEWED, target=note, purpose=purpose)
    return note


def journal_case_get_for(*, actor, case_id, purpose=PURPOSE_CASE_WORK) -> Case:
    """The case a note is written on, with its interventions, if ``actor`` may see it;
    otherwise Http404 and an ``access.denied`` event. Whether they may write is the
    service's question."""
    case = visible_cases(actor).prefetch_related("interventions").filter(pk=case_id).first()
    if case is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="cases.case",
                     target_id=str(case_id), case_id=case_id, purpose=purpose)
        raise Http404
    return case
