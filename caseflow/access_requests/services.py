"""Writes of access requests. Each service checks who may act, writes and records one
audit event, in one transaction (style.md).

Who may (the policy decides: ``permissions.policy.access_request_actions``):
- register a request: a caseworker or supervisor about a person whose case or referral
  they may view (the request belongs to their team; the registering user handles it);
- record a delay letter, decide items, export and complete: the request's handler or a
  supervisor of its team. Other caseworkers of the team who may view one of the person's
  cases or referrals read the request, its file filtered to what they may see.
"""

from __future__ import annotations

import datetime
import hashlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from permissions.policy import Action, Feature, can, may_register_access_request, may_use

from .deadlines import latest_delay_on, original_due_on
from .export import EXPORT_FORMATS, SCHEMA_VERSION, cpr_in_export, export_render
from .file import PROTECTED_POLICE, PROTECTED_RESTRICTED, access_file_build
from .models import AccessRequest, ItemDecision, ItemKind, ReleaseBasis, WithholdBasis

NOT_STAFF = _("Only the team's caseworkers and supervisors can register access requests.")
PERSON_NOT_OF_TEAM = _("You have no case or referral about this person that you may view.")
NOT_HANDLER = _("Only the request's handler or the team's supervisor can do this.")
RECEIVED_REQUIRED = _("Give the date the request was received.")
RECEIVED_IN_FUTURE = _("The date received cannot be in the future.")
LEGAL_BASIS_REQUIRED = _("Choose the legal basis of the request.")
REQUESTER_REQUIRED = _("Choose who made the request.")
REPRESENTATIVE_REQUIRED = _("Name the representative and on what authority they act.")
AUTHORITY_REQUIRED = _("Choose the representative's documented authority, or that there is none.")
REQUEST_CLOSED = _("The request is completed; it can no longer be changed.")
DELAY_LETTER_DATE = _("The delay letter cannot be dated before the request was received or in the future.")
DELAY_REASON_REQUIRED = _("Give the reason for the delay.")
DELAY_EXPECTED_AFTER = _("The expected date must be after the original deadline and the letter.")
DELAY_EXPECTED_LIMIT = _("Under GDPR the answer can be delayed to %(date)s at the latest.")
ITEM_UNKNOWN = _("This item is not part of the request's file.")
REFERRER_ALWAYS_WITHHELD = _("The referrer's identity is always withheld.")
WITHHOLD_BASIS_REQUIRED = _("Choose the legal basis for withholding the item.")
RELEASE_BASIS_REQUIRED = _(
    "This item may not be passed on or is of police origin: choose the basis for releasing it.")
RELEASE_BASIS_REQUIRED_REVIEW = _(
    "This item must be reviewed before it is released (%(reason)s): choose the basis for releasing it.")
NOT_EXPORTED = _("Export the file before completing the request.")
NOTE_TOO_LONG = _("The note can be at most 300 characters long.")
TEXT_TOO_LONG = _("The text can be at most 500 characters long.")


def may_handle(actor, request: AccessRequest) -> bool:
    """The handler, or a supervisor of the request's team."""
    return can(actor, Action.CHANGE, request)


def _require_handler(actor, request: AccessRequest) -> None:
    if not may_handle(actor, request):
        raise ApplicationError(NOT_HANDLER)


def _require_open(request: AccessRequest) -> None:
    if not request.is_open:
        raise ApplicationError(REQUEST_CLOSED)


def _locked(request: AccessRequest) -> AccessRequest:
    return AccessRequest.objects.select_for_update().select_related("person").get(pk=request.pk)


def _short(value, *, max_length: int, message, field: str) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > max_length:
        raise ApplicationError(message, field=field)
    return text


@transaction.atomic
def access_request_register(*, actor, person, received_on: datetime.date | None, legal_basis: str,
                            requester: str, representative_note: str = "",
                            representative_authority: str = "") -> AccessRequest:
    """Register a request about ``person`` for the actor's team; the actor handles it.
    A representative's documented authority is recorded; without one nothing of the
    file is released by default (``file.py``)."""
    if not may_use(actor, Feature.ACCESS_REQUESTS):
        raise ApplicationError(NOT_STAFF)
    team_id = actor.team_id
    if not may_register_access_request(actor, person):
        raise ApplicationError(PERSON_NOT_OF_TEAM)
    if received_on is None:
        raise ApplicationError(RECEIVED_REQUIRED, field="received_on")
    if received_on > timezone.localdate():
        raise ApplicationError(RECEIVED_IN_FUTURE, field="received_on")
    if legal_basis not in AccessRequest.LegalBasis.values:
        raise ApplicationError(LEGAL_BASIS_REQUIRED, field="legal_basis")
    if requester not in AccessRequest.Requester.values:
        raise ApplicationError(REQUESTER_REQUIRED, field="requester")
    note = _short(representative_note, max_length=500, message=TEXT_TOO_LONG, field="representative_note")
    if requester == AccessRequest.Requester.REPRESENTATIVE and not note:
        raise ApplicationError(REPRESENTATIVE_REQUIRED, field="representative_note")
    if requester == AccessRequest.Requester.REPRESENTATIVE:
        if representative_authority not in AccessRequest.Authority.values:
            raise ApplicationError(AUTHORITY_REQUIRED, field="representative_authority")
    else:
        note, representative_authority = "", ""
    request = AccessRequest.objects.create(team_id=team_id, person=person, received_on=received_on,
                                           legal_basis=legal_basis, requester=requester,
                                           representative_note=note,
                                           representative_authority=representative_authority, handler=actor)
    audit_record(actor=actor, action=AuditAction.ACCESS_REQUEST_REGISTERED, target=request,
                 purpose="access_request",
                 extra={"person_id": person.pk, "legal_basis": legal_basis, "requester": requester,
                        "representative_authority": representative_authority or None,
                        "received_on": received_on.isoformat(),
                        "due_on": original_due_on(legal_basis=legal_basis, received_on=received_on).isoformat()})
    return request


@transaction.atomic
def access_request_delay(*, actor, request: AccessRequest, letter_on: datetime.date | None, reason: str,
                         expected_on: datetime.date | None) -> AccessRequest:
    """Record the delay letter (fristbrev): when it was sent, why, and when the answer is
    expected; the expected date becomes the deadline."""
    request = _locked(request)
    _require_handler(actor, request)
    _require_open(request)
    if letter_on is None or letter_on < request.received_on or letter_on > timezone.localdate():
        raise ApplicationError(DELAY_LETTER_DATE, field="letter_on")
    reason = _short(reason, max_length=500, message=TEXT_TOO_LONG, field="reason")
    if not reason:
        raise ApplicationError(DELAY_REASON_REQUIRED, field="reason")
    original = original_due_on(legal_basis=request.legal_basis, received_on=request.received_on)
    if expected_on is None or expected_on <= original or expected_on < letter_on:
        raise ApplicationError(DELAY_EXPECTED_AFTER, field="expected_on")
    latest = latest_delay_on(legal_basis=request.legal_basis, received_on=request.received_on)
    if latest is not None and expected_on > latest:
        raise ApplicationError(DELAY_EXPECTED_LIMIT % {"date": latest.isoformat()}, field="expected_on")
    before = [request.delay_expected_on.isoformat() if request.delay_expected_on else None]
    request.delay_letter_on, request.delay_reason, request.delay_expected_on = letter_on, reason, expected_on
    request.save(update_fields=["delay_letter_on", "delay_reason", "delay_expected_on"])
    audit_record(actor=actor, action=AuditAction.ACCESS_REQUEST_DELAYED, target=request,
                 purpose="access_request",
                 changes={"delay_expected_on": before + [expected_on.isoformat()]},
                 extra={"letter_on": letter_on.isoformat(), "original_due_on": original.isoformat()})
    return request


@transaction.atomic
def access_request_item_decide(*, actor, request: AccessRequest, kind: str, object_id, release: bool,
                               basis: str = "", note: str = "") -> ItemDecision:
    """Release or withhold one item of the file.

    Withholding needs a basis from :class:`WithholdBasis`. Releasing a protected item
    (tagged "må ikke videregives", of police origin, a concern written by the referrer, or
    anything asked for by a representative without documented authority) needs a basis
    from :class:`ReleaseBasis` (releasing other items needs none). The referrer's identity is not an item: it is
    always withheld."""
    request = _locked(request)
    _require_handler(actor, request)
    _require_open(request)
    if kind == "referrer":
        raise ApplicationError(REFERRER_ALWAYS_WITHHELD)
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        raise ApplicationError(ITEM_UNKNOWN) from None
    item = access_file_build(request).find(kind, object_id) if kind in ItemKind.values else None
    if item is None:
        raise ApplicationError(ITEM_UNKNOWN)
    note = _short(note, max_length=300, message=NOTE_TOO_LONG, field="note")
    basis = basis or ""
    if release:
        if item.protected:
            if basis not in ReleaseBasis.values:
                if item.protected in (PROTECTED_RESTRICTED, PROTECTED_POLICE):
                    raise ApplicationError(RELEASE_BASIS_REQUIRED, field="release_basis")
                raise ApplicationError(RELEASE_BASIS_REQUIRED_REVIEW % {"reason": item.protected_label},
                                       field="release_basis")
        elif basis not in ReleaseBasis.values:
            basis = ""
    elif basis not in WithholdBasis.values:
        raise ApplicationError(WITHHOLD_BASIS_REQUIRED, field="withhold_basis")
    previous = {"released": item.verdict.released, "basis": item.verdict.basis}
    decision, created = ItemDecision.objects.update_or_create(
        request=request, kind=kind, object_id=object_id,
        defaults={"released": bool(release), "basis": basis, "note": note, "decided_by": actor,
                  "decided_at": timezone.now()},
    )
    audit_record(actor=actor, action=AuditAction.ACCESS_REQUEST_ITEM_DECIDED, target=request,
                 case_id=item.case_id, purpose="access_request",
                 changes={"released": [previous["released"], decision.released],
                          "basis": [previous["basis"], decision.basis]},
                 extra={"kind": kind, "object_id": object_id, "protected": item.protected or None,
                        "replaced": not created})
    return decision


@transaction.atomic
def access_request_complete(*, actor, request: AccessRequest) -> AccessRequest:
    """The answer has been sent: the request is completed (its decisions are then fixed)."""
    request = _locked(request)
    _require_handler(actor, request)
    _require_open(request)
    if request.last_exported_at is None:
        raise ApplicationError(NOT_EXPORTED)
    request.status, request.completed_at, request.completed_by = (
        AccessRequest.Status.COMPLETED, timezone.now(), actor)
    request.save(update_fields=["status", "completed_at", "completed_by"])
    audit_record(actor=actor, action=AuditAction.ACCESS_REQUEST_COMPLETED, target=request,
                 purpose="access_request", changes={"status": [AccessRequest.Status.OPEN, request.status]})
    return request


@transaction.atomic
def access_request_export(*, actor, request: AccessRequest, export_format: str):
    """The file as released, as PDF or JSON: ``(bytes, file name, content type)``.
    Recorded as one ``access_request.exported`` event (format, the cases and referrals
    it covers, the counts released and withheld, the SHA-256 of what was handed out;
    never content or the CPR number)."""
    request = _locked(request)
    _require_handler(actor, request)
    if export_format not in EXPORT_FORMATS:
        raise ApplicationError(_("Unknown export format."))
    access_file = access_file_build(request)
    content, filename, content_type = export_render(access_file, export_format=export_format)
    request.last_exported_at = timezone.now()
    request.save(update_fields=["last_exported_at"])
    audit_record(actor=actor, action=AuditAction.ACCESS_REQUEST_EXPORTED, target=request,
                 purpose="access_request",
                 extra={"format": export_format, "schema_version": SCHEMA_VERSION, "person_id": request.person_id,
                        "case_ids": access_file.case_ids, "referral_ids": access_file.referral_ids,
                        "released": len(access_file.released), "withheld": len(access_file.withheld),
                        "cpr_included": cpr_in_export(request),
                        "sha256": hashlib.sha256(content).hexdigest()})
    return content, filename, content_type
