"""Writes of journal notes. Each service checks the policy on the case (writing needs
``Action.CHANGE``; a note that may not be passed on needs ``Action.VIEW_RESTRICTED`` as
well), writes, and records one audit event, in one transaction.

Refusals of who may act raise ``AccessDenied`` (the interfaces answer 403); refusals the
user can act on raise a translated ``ApplicationError`` naming the form field.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_diff, audit_record
from caseflow.cases.models import Case
from caseflow.core.exceptions import ApplicationError
from permissions.policy import AccessDenied, case_actions
from permissions.rules import Action

from .models import TEXT_MAX_LENGTH, JournalNote

TEXT_REQUIRED = _("Write the note.")
TEXT_TOO_LONG = _("The note is too long (at most %(limit)s characters).")
EVENT_AT_REQUIRED = _("Enter when it happened.")
EVENT_AT_IN_FUTURE = _("The time of the event cannot be in the future.")
SOURCE_INVALID = _("Choose where the information comes from.")
RESTRICTED_NOT_ALLOWED = _("You cannot write notes that may not be passed on.")
INTERVENTION_OTHER_CASE = _("The intervention does not belong to this case.")
CASE_ARCHIVED = _("The case is archived: no new notes can be written.")
NOTE_IS_FINAL = _("The note is final and cannot be changed. Write a correction instead.")
NOTE_IS_FINAL_DELETE = _("A final note is never deleted. Write a correction instead.")
ONLY_FINAL_CORRECTED = _("Only a final note can be corrected. Change the draft instead.")
ALREADY_CORRECTED = _("This note has already been corrected. Correct the latest correction instead.")
CORRECTION_STAYS_RESTRICTED = _("A correction of a note that may not be passed on may not be passed on either.")

#: Fields a draft's author may change, and the audit diff's vocabulary.
NOTE_FIELDS = ("text", "event_at", "source_authority", "restricted", "intervention")


def _require_write(actor, case: Case, *, restricted: bool) -> None:
    actions = case_actions(actor, case)
    if Action.CHANGE not in actions:
        raise AccessDenied(Action.CHANGE)
    if restricted and Action.VIEW_RESTRICTED not in actions:
        raise ApplicationError(RESTRICTED_NOT_ALLOWED, field="restricted")
    if case.status == Case.Status.ARCHIVED:
        raise ApplicationError(CASE_ARCHIVED)


def _require_author(actor, note: JournalNote) -> None:
    if actor is None or note.author_id != actor.pk:
        raise AccessDenied(Action.CHANGE)


def _clean(*, case: Case, text, event_at, source_authority, intervention) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(TEXT_REQUIRED, field="text")
    if len(text) > TEXT_MAX_LENGTH:
        raise ApplicationError(TEXT_TOO_LONG % {"limit": TEXT_MAX_LENGTH}, field="text")
    if not isinstance(event_at, datetime.datetime):
        raise ApplicationError(EVENT_AT_REQUIRED, field="event_at")
    if timezone.is_naive(event_at):
        event_at = timezone.make_aware(event_at)
    if event_at > timezone.now():
        raise ApplicationError(EVENT_AT_IN_FUTURE, field="event_at")
    if source_authority not in JournalNote.SourceAuthority.values:
        raise ApplicationError(SOURCE_INVALID, field="source_authority")
    if intervention is not None and intervention.case_id != case.pk:
        raise ApplicationError(INTERVENTION_OTHER_CASE, field="intervention")
    return text


def _locked(note: JournalNote) -> JournalNote:
    return JournalNote.objects.select_for_update().select_related("case").get(pk=note.pk)


def _snapshot(note: JournalNote) -> dict:
    return {name: getattr(note, name) for name in NOTE_FIELDS}


@transaction.atomic
def journal_note_create(
    *, actor, case: Case, text: str, event_at: datetime.datetime, source_authority: str,
    restricted: bool = False, intervention=None, final: bool = False,
) -> JournalNote:
    """Write a note on ``case``: a draft (only its author sees it) or directly final."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_write(actor, case, restricted=restricted)
    text = _clean(case=case, text=text, event_at=event_at, source_authority=source_authority,
                  intervention=intervention)
    now = timezone.now()
    note = JournalNote.objects.create(
        case=case, author=actor, event_at=event_at, text=text, source_authority=source_authority,
        restricted=bool(restricted), intervention=intervention,
        status=JournalNote.Status.FINAL if final else JournalNote.Status.DRAFT,
        finalised_at=now if final else None,
    )
    audit_record(actor=actor, action=AuditAction.JOURNAL_NOTE_CREATED, target=note,
                 changes=audit_diff({}, _snapshot(note)), extra={"status": note.status})
    return note


@transaction.atomic
def journal_note_update(
    *, actor, note: JournalNote, text: str, event_at: datetime.datetime, source_authority: str,
    restricted: bool = False, intervention=None, final: bool = False,
) -> JournalNote:
    """Change a draft (and, with ``final``, make it final in the same step). Only its
    author may, and only while it is a draft."""
    note = _locked(note)
    _require_author(actor, note)
    if note.is_final:
        raise ApplicationError(NOTE_IS_FINAL)
    _require_write(actor, note.case, restricted=restricted or note.restricted)
    text = _clean(case=note.case, text=text, event_at=event_at, source_authority=source_authority,
                  intervention=intervention)
    before = _snapshot(note)
    note.text, note.event_at, note.source_authority = text, event_at, source_authority
    note.restricted, note.intervention = bool(restricted), intervention
    changes = audit_diff(before, _snapshot(note))
    if changes:
        note.save(update_fields=list(NOTE_FIELDS))
        audit_record(actor=actor, action=AuditAction.JOURNAL_NOTE_CHANGED, target=note, changes=changes)
    if final:
        _finalise(actor=actor, note=note)
    return note


def _finalise(*, actor, note: JournalNote) -> None:
    note.status, note.finalised_at = JournalNote.Status.FINAL, timezone.now()
    note.save(update_fields=["status", "finalised_at"])
    audit_record(actor=actor, action=AuditAction.JOURNAL_NOTE_FINALISED, target=note,
                 changes={"status": [JournalNote.Status.DRAFT.value, JournalNote.Status.FINAL.value]})


@transaction.atomic
def journal_note_finalise(*, actor, note: JournalNote) -> JournalNote:
    """The author makes a draft final: from now on it never changes."""
    note = _locked(note)
    _require_author(actor, note)
    if note.is_final:
        raise ApplicationError(NOTE_IS_FINAL)
    _require_write(actor, note.case, restricted=note.restricted)
    _finalise(actor=actor, note=note)
    return note


@transaction.atomic
def journal_note_delete_draft(*, actor, note: JournalNote) -> None:
    """The author throws a draft away. Final notes are never deleted."""
    note = _locked(note)
    _require_author(actor, note)
    if note.is_final:
        raise ApplicationError(NOTE_IS_FINAL_DELETE)
    _require_write(actor, note.case, restricted=note.restricted)
    note_id, case_id = note.pk, note.case_id
    note.delete()
    audit_record(actor=actor, action=AuditAction.JOURNAL_NOTE_DELETED, target_type="journal.journalnote",
                 target_id=str(note_id), case_id=case_id)


_UNSET = object()


@transaction.atomic
def journal_note_correct(
    *, actor, note: JournalNote, text: str, event_at: datetime.datetime | None = None,
    source_authority: str | None = None, restricted: bool | None = None, intervention=_UNSET,
) -> JournalNote:
    """Correct a final note by a new final note that references it. The original stays
    as it is; it shows that it was corrected. Omitted details are taken over from the
    original. Only the latest note of a chain can be corrected (the chain stays a line)."""
    note = _locked(note)  # the lock serialises two corrections of the same note
    actions = case_actions(actor, note.case)
    if Action.CHANGE not in actions or (note.restricted and Action.VIEW_RESTRICTED not in actions):
        raise AccessDenied(Action.CHANGE)
    if not note.is_final:
        raise ApplicationError(ONLY_FINAL_CORRECTED)
    if note.corrections.exists():
        raise ApplicationError(ALREADY_CORRECTED)
    restricted = note.restricted if restricted is None else bool(restricted)
    if note.restricted and not restricted:
        raise ApplicationError(CORRECTION_STAYS_RESTRICTED, field="restricted")
    _require_write(actor, note.case, restricted=restricted)
    event_at = note.event_at if event_at is None else event_at
    source_authority = source_authority or note.source_authority
    intervention = note.intervention if intervention is _UNSET else intervention
    text = _clean(case=note.case, text=text, event_at=event_at, source_authority=source_authority,
                  intervention=intervention)
    correction = JournalNote.objects.create(
        case=note.case, author=actor, event_at=event_at, text=text, source_authority=source_authority,
        restricted=restricted, intervention=intervention, corrects=note,
        status=JournalNote.Status.FINAL, finalised_at=timezone.now(),
    )
    audit_record(actor=actor, action=AuditAction.JOURNAL_NOTE_CREATED, target=correction,
                 changes=audit_diff({}, _snapshot(correction)),
                 extra={"status": correction.status, "corrects": note.pk})
    return correction
