"""Writes on cases and decisions. Keyword-only, actor first, one transaction each:
check the policy, write, move grants, leave the audit event."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from caseflow.core.services import reference_next
from permissions.models import GrantKind
from permissions.policy import Action, Duty, Feature, can, may_hold, may_use
from permissions.services import (
    access_move,
    case_access_grant,
    case_access_revoke,
    case_consultant_access_sync,
)

from .models import CASE_REFERENCE_PREFIX, Case, Decision

JUSTIFICATION_REQUIRED = _("A decision needs a justification.")
DECIDER_REQUIRED = _("A decision needs the person who decided it.")
SUBJECT_REQUIRED = _("A decision belongs to a case or a referral.")
NOT_ALLOWED = _("You are not allowed to do this on this case.")
OPEN_NOT_ALLOWED = _("Only caseworkers and supervisors can open cases.")
RESPONSIBLE_MUST_BE_CASEWORKER = _("The responsible caseworker must be a caseworker of the case's team.")
BBU_CONTACT_MUST_BE_LIAISON = _("The BBU contact must be a BBU liaison.")
BBU_ONLY_FOR_MINORS = _("BBU is involved only in cases about minors.")
ALREADY_CLOSED = _("The case is already closed.")


def _require(actor, action, case):
    if not can(actor, action, case):
        raise ApplicationError(NOT_ALLOWED)


def _check_caseworker(user, team):
    if user is not None and not may_hold(user, Duty.RESPONSIBLE_CASEWORKER, team.pk):
        raise ApplicationError(RESPONSIBLE_MUST_BE_CASEWORKER, field="responsible")


@transaction.atomic
def case_open(*, actor, person, team, level, responsible=None, opened_at=None) -> Case:
    """Open a case with the next ``KE-<year>-<number>`` reference; the minor flag is
    derived from the person's birth date on the opening day. The responsible
    caseworker and (for minors) the child-focused consultants get access."""
    if not may_use(actor, Feature.OPEN_CASE):
        raise ApplicationError(OPEN_NOT_ALLOWED)
    if level not in Case.Level.values:
        raise ApplicationError(_("A case is opened at level 2 or 3."), field="level")
    _check_caseworker(responsible, team)
    opened_at = opened_at or timezone.now()
    year = timezone.localtime(opened_at).year
    _number, reference = reference_next(prefix=CASE_REFERENCE_PREFIX, year=year)
    case = Case.objects.create(
        reference=reference,
        person=person,
        team=team,
        responsible=responsible,
        level=level,
        opened_at=opened_at,
        is_minor=person.is_minor_on(timezone.localtime(opened_at).date()),
    )
    audit_record(actor=actor, action=AuditAction.CASE_OPENED, target=case,
                 changes={"level": [None, level], "responsible_id": [None, getattr(responsible, "pk", None)],
                          "is_minor": [None, case.is_minor]})
    if responsible is not None:
        case_access_grant(actor=actor, case=case, kind=GrantKind.ASSIGNED, user=responsible, reason="assigned")
    case_consultant_access_sync(actor=actor, case=case)
    return case


@transaction.atomic
def case_reassign(*, actor, case: Case, responsible, reason: str = "") -> Case:
    """Give the case a new responsible caseworker. The old caseworker's access ends in
    the same transaction."""
    _require(actor, Action.MANAGE_ACCESS, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    _check_caseworker(responsible, case.team)
    previous = case.responsible
    if previous == responsible:
        return case
    case.responsible = responsible
    case.save(update_fields=["responsible"])
    access_move(actor=actor, obj=case, kind=GrantKind.ASSIGNED, previous=previous, new=responsible,
                reason="assigned")
    audit_record(actor=actor, action=AuditAction.CASE_REASSIGNED, target=case,
                 changes={"responsible_id": [getattr(previous, "pk", None), getattr(responsible, "pk", None)]})
    return case


@transaction.atomic
def case_coworker_add(*, actor, case: Case, user) -> None:
    _require(actor, Action.MANAGE_ACCESS, case)
    _check_caseworker(user, case.team)
    case_access_grant(actor=actor, case=case, kind=GrantKind.CO_WORKER, user=user, reason="co-worker")


@transaction.atomic
def case_coworker_remove(*, actor, case: Case, user) -> None:
    _require(actor, Action.MANAGE_ACCESS, case)
    case_access_revoke(actor=actor, case=case, kind=GrantKind.CO_WORKER, user=user)


@transaction.atomic
def case_bbu_contact_set(*, actor, case: Case, bbu_contact) -> Case:
    """Name the BBU contact of a minor's case; that liaison reaches the case summary."""
    _require(actor, Action.CHANGE, case)
    if bbu_contact is not None and not may_hold(bbu_contact, Duty.BBU_CONTACT):
        raise ApplicationError(BBU_CONTACT_MUST_BE_LIAISON, field="bbu_contact")
    if bbu_contact is not None and not case.is_minor:
        raise ApplicationError(BBU_ONLY_FOR_MINORS, field="bbu_contact")
    case = Case.objects.select_for_update().get(pk=case.pk)
    previous = case.bbu_contact
    if previous == bbu_contact:
        return case
    case.bbu_contact = bbu_contact
    case.save(update_fields=["bbu_contact"])
    access_move(actor=actor, obj=case, kind=GrantKind.BBU, previous=previous, new=bbu_contact,
                reason="BBU contact")
    audit_record(actor=actor, action=AuditAction.CASE_CHANGED, target=case,
                 changes={"bbu_contact_id": [getattr(previous, "pk", None), getattr(bbu_contact, "pk", None)]})
    return case


@transaction.atomic
def case_minor_flag_refresh(*, case: Case, on=None, actor=None) -> bool:
    """Bring ``case.is_minor`` in line with the birth date on ``on`` (default today);
    the consultants' access follows. Returns whether the flag changed. Run by the
    system (``actor`` None) for the turning-18 check."""
    on = on or timezone.localdate()
    case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
    is_minor = case.person.is_minor_on(on)
    if is_minor == case.is_minor:
        return False
    case.is_minor = is_minor
    case.save(update_fields=["is_minor"])
    audit_record(actor=actor, action=AuditAction.CASE_MINOR_FLAG_CHANGED, target=case,
                 changes={"is_minor": [not is_minor, is_minor]})
    case_consultant_access_sync(actor=actor, case=case)
    if not is_minor and case.bbu_contact_id is not None:
        case_access_revoke(actor=actor, case=case, kind=GrantKind.BBU)
    return True


@transaction.atomic
def case_close(*, actor, case: Case, reason: str, justification: str) -> Case:
    """Close a case with a reason and a justified decision. Providers' access to its
    interventions and any emergency access end with it."""
    _require(actor, Action.CHANGE, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise ApplicationError(ALREADY_CLOSED)
    if reason not in Case.ClosureReason.values:
        raise ApplicationError(_("Choose a closure reason."), field="reason")
    decision_record(actor=actor, kind=Decision.Kind.CLOSURE, case=case, outcome=reason,
                    justification=justification)
    before = case.status
    case.status, case.closure_reason, case.closed_at = Case.Status.CLOSED, reason, timezone.now()
    case.save(update_fields=["status", "closure_reason", "closed_at"])
    from permissions.services import access_revoke

    for intervention in case.interventions.all():
        access_revoke(actor=actor, obj=intervention, kind=GrantKind.PROVIDER)
    case_access_revoke(actor=actor, case=case, kind=GrantKind.BREAK_GLASS)
    audit_record(actor=actor, action=AuditAction.CASE_CLOSED, target=case,
                 changes={"status": [before, case.status], "closure_reason": ["", reason]})
    return case


@transaction.atomic
def decision_record(
    *,
    actor,
    kind,
    justification,
    case=None,
    referral=None,
    outcome="",
    legal_basis="",
    is_formal_decision=False,
    members_present="",
    decided_at=None,
) -> Decision:
    """Record a decision. The decider is the actor; the justification is required.

    Whether the subject was a minor is taken at the date of the decision."""
    if actor is None:
        raise ApplicationError(DECIDER_REQUIRED)
    if not (justification or "").strip():
        raise ApplicationError(JUSTIFICATION_REQUIRED, field="justification")
    if case is None and referral is None:
        raise ApplicationError(SUBJECT_REQUIRED)
    subject = case if case is not None else referral
    if not (can(actor, Action.CHANGE, subject) or can(actor, Action.CLAIM_TASK, subject)):
        raise ApplicationError(NOT_ALLOWED)
    decided_at = decided_at or timezone.now()
    person = case.person if case is not None else referral.person
    subject_was_minor = bool(person and person.is_minor_on(timezone.localtime(decided_at).date()))
    decision = Decision(
        kind=kind,
        case=case,
        referral=referral,
        outcome=outcome,
        justification=justification.strip(),
        legal_basis=legal_basis,
        is_formal_decision=is_formal_decision,
        decided_by=actor,
        members_present=members_present,
        subject_was_minor=subject_was_minor,
        decided_at=decided_at,
    )
    decision.full_clean()
    decision.save()
    audit_record(actor=actor, action=AuditAction.DECISION_RECORDED, target=decision,
                 case_id=getattr(case, "pk", None),
                 extra={"kind": kind, "outcome": outcome, "referral_id": getattr(referral, "pk", None)})
    return decision
