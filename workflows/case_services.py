"""The effects of the CaseFlow's steps (design.md §3 item 2, domain.md §2.2–2.5).

Each task view parses its form and calls one of these; they check the policy, write and
audit in one transaction. The flow only routes on the state they leave behind (the
case's status and its latest ``CaseProposal``).
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.consents import consent_is_valid, consent_record
from caseflow.cases.models import Case, CaseProposal, Consent, Decision
from caseflow.cases.services import case_close, case_minor_flag_refresh, decision_record
from caseflow.core.exceptions import ApplicationError
from caseflow.interventions.models import Intervention
from permissions.models import GrantKind
from permissions.policy import Action, Feature, can, may_use_for_team
from permissions.services import case_access_grant, case_consultant_access_sync

from .models import CaseProcess

NOT_ALLOWED = _("You are not allowed to do this on this case.")
START_NOT_ALLOWED = _("You are not allowed to start the work on this case.")
ALREADY_RUNNING = _("The work on this case has already started.")
NOTE_REQUIRED = _("Write a note.")
CONVERSATION_REQUIRED = _("Describe the concern conversation.")
CONSENT_OR_EXCEPTION = _(
    "Record the consent to the case work, or (for a minor only) justify why the custody holders' consent "
    "is not obtained."
)
EXCEPTION_ONLY_FOR_MINORS = _("The person is an adult: only their own consent counts.")
GOALS_REQUIRED = _("Describe the plan's goals.")
CONSENT_FOR_INTERVENTIONS = _(
    "A mentor, a coach or an exit programme can only be proposed when there is a valid consent to the case "
    "work (from the 18th birthday: the person's own)."
)
UNKNOWN_INTERVENTION = _("Choose the kinds of intervention from the list.")
JUSTIFICATION_REQUIRED = _("Give a justification.")
NOT_PENDING = _("This proposal has already been decided.")
ALREADY_SIGNED = _("This proposal has already been signed in this role.")
CONSENT_TO_CONTINUE = _(
    "The case can only continue with a valid consent to the case work. From the 18th birthday the custody "
    "holders' consent no longer counts: record the young person's own consent first."
)
SAME_LEVEL = _("The case is already on this level.")
CHOOSE_LEVEL = _("Choose the new level.")
CHOOSE_REASON = _("Choose a closure reason.")
CHOOSE_OUTCOME = _("Choose the outcome of the review.")
REOPEN_ONLY_CLOSED = _("Only a closed case (also in follow-up or archived) can be reopened.")
REOPEN_NOT_ALLOWED = _("You are not allowed to reopen this case.")
NO_ONE_TO_APPLY = _(
    "The caseworker who made this proposal no longer has access to the case, and the case has no responsible "
    "caseworker who may carry it out. Assign a responsible caseworker to the case first, then sign."
)

#: Decision outcomes recorded by the CaseFlow's steps (Decision.outcome is free text).
APPROVED = "approved"
REFUSED = "refused"
CONCERN_CONVERSATION = "concern_conversation"
CONSENT_EXCEPTION = "consent_exception"
REVIEW_CONTINUE = "continue"
REVIEW_LEVEL_CHANGE = "level_change"
REVIEW_CLOSURE = "closure"
FOLLOW_UP_6M = "follow_up_6m"
FOLLOW_UP_12M = "follow_up_12m"
ADULT_TRANSITION = "adult_transition_planned"

REVIEW_OUTCOMES = (REVIEW_CONTINUE, REVIEW_LEVEL_CHANGE, REVIEW_CLOSURE)
REOPENABLE = (Case.Status.CLOSED, Case.Status.FOLLOW_UP_6M, Case.Status.FOLLOW_UP_12M, Case.Status.ARCHIVED)


def _require(actor, action, case):
    if not can(actor, action, case):
        raise ApplicationError(NOT_ALLOWED)


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("person").get(pk=case.pk)


def _status_set(*, actor, case: Case, status, automatic=False) -> Case:
    before = case.status
    if before == status:
        return case
    case.status = status
    case.save(update_fields=["status"])
    audit_record(actor=actor, action=AuditAction.CASE_CHANGED, target=case, changes={"status": [before, status]},
                 extra={"automatic": True} if automatic else None)
    return case


def _is_minor_today(case: Case) -> bool:
    return case.person.is_minor_on(timezone.localdate())


def running_process(case: Case) -> CaseProcess | None:
    """The case's CaseFlow run that is not finished (at most one)."""
    from viewflow.workflow.status import PROCESS

    return CaseProcess.objects.filter(case=case).exclude(
        status__in=(PROCESS.DONE, PROCESS.CANCELED)).order_by("-pk").first()


def latest_proposal(case: Case) -> CaseProposal | None:
    return CaseProposal.objects.filter(case_id=case.pk).order_by("-pk").first()


# --------------------------------------------------------------------------- start and reopen


@transaction.atomic
def case_process_start(*, actor, case: Case) -> CaseProcess:
    """Start the CaseFlow of a newly opened (or just reopened) case: clarification
    first, assigned to the responsible caseworker. Whoever may change the case may
    start it, and so may a caseworker or supervisor of the case's team (the screener
    who opened it for a colleague). A case has at most one running CaseFlow."""
    from .flows.case import CaseFlow

    team_member = may_use_for_team(actor, Feature.OPEN_CASE, case.team_id)
    if not (can(actor, Action.CHANGE, case) or team_member):
        raise ApplicationError(START_NOT_ALLOWED)
    case = _locked(case)
    if not case.is_open:
        raise ApplicationError(START_NOT_ALLOWED)
    if running_process(case) is not None:
        raise ApplicationError(ALREADY_RUNNING)
    if case.status == Case.Status.OPENED:
        _status_set(actor=actor, case=case, status=Case.Status.CLARIFICATION)
    return CaseFlow.start.run(case=case)


@transaction.atomic
def case_reopen(*, actor, case: Case, justification: str, referral=None, level=None) -> Case:
    """GENÅBNET (domain.md §2.2, §6 scenario 7): a closed case, one in follow-up, or an
    archived one gets the same reference number and keeps its history; a REOPENING
    decision, status REOPENED, the old CaseFlow run (its pending follow-up timers and
    tasks) is cancelled and a new run starts with clarification.

    Archived cases can be reopened too: archiving ends the follow-up, it deletes
    nothing, and a new concern about the same person belongs in the same history
    (retention deletion anonymises the case separately; such a case has no person to
    reopen for). Who may: whoever may change the case, or — when the reopening comes
    from a referral's screening — a caseworker or supervisor of the case's team who
    may change that referral. The responsible caseworker's access is restored if it
    had ended; a minor's consultants are synced.

    ``level``: the level the new screening found. When it differs from the case's
    level, the case is reopened at the new level (a LEVEL_CHANGE decision with the
    screening's justification, audited), so its reviews follow the new interval."""
    from viewflow.workflow.status import PROCESS

    from .flows.case import CaseFlow

    allowed = can(actor, Action.CHANGE, case)
    if not allowed and referral is not None:
        allowed = (referral.team_id == case.team_id and may_use_for_team(actor, Feature.OPEN_CASE, case.team_id)
                   and (can(actor, Action.CHANGE, referral) or referral.case_id == case.pk))
    if not allowed:
        raise ApplicationError(REOPEN_NOT_ALLOWED)
    if not (justification or "").strip():
        raise ApplicationError(JUSTIFICATION_REQUIRED, field="justification")
    if level is not None and level not in Case.Level.values:
        raise ApplicationError(CHOOSE_LEVEL, field="level")
    case = _locked(case)
    if case.status not in REOPENABLE:
        raise ApplicationError(REOPEN_ONLY_CLOSED)
    responsible = case.responsible
    if responsible is not None:  # restores (or renews) the access if it had ended
        case_access_grant(actor=actor, case=case, kind=GrantKind.ASSIGNED, user=responsible, reason="reopened")
    decision = Decision.objects.create(
        kind=Decision.Kind.REOPENING, case=case, outcome=case.status, justification=justification.strip(),
        decided_by=actor, subject_was_minor=_is_minor_today(case),
    )
    audit_record(actor=actor, action=AuditAction.DECISION_RECORDED, target=decision, case_id=case.pk,
                 extra={"kind": decision.kind, "referral_id": getattr(referral, "pk", None)})
    before = {"status": case.status, "closed_at": case.closed_at and case.closed_at.isoformat(),
              "closure_reason": case.closure_reason}
    case.status, case.closed_at, case.closure_reason = Case.Status.REOPENED, None, ""
    case.save(update_fields=["status", "closed_at", "closure_reason"])
    audit_record(actor=actor, action=AuditAction.CASE_REOPENED, target=case,
                 changes={"status": [before["status"], case.status],
                          "closed_at": [before["closed_at"], None],
                          "closure_reason": [before["closure_reason"], ""]},
                 extra={"referral_id": getattr(referral, "pk", None), "decision_id": decision.pk})
    if level is not None and int(level) != case.level:
        _reopen_level_change(actor=actor, case=case, level=int(level), justification=justification.strip(),
                             referral=referral)
    case_minor_flag_refresh(case=case, actor=actor)
    case_consultant_access_sync(actor=actor, case=case)
    for process in CaseProcess.objects.filter(case=case).exclude(status__in=(PROCESS.DONE, PROCESS.CANCELED)):
        CaseFlow.instance.cancel(process)
    CaseFlow.start.run(case=Case.objects.get(pk=case.pk))
    return Case.objects.get(pk=case.pk)


def _reopen_level_change(*, actor, case: Case, level: int, justification: str, referral=None) -> None:
    """The reopening's screening found another level: a LEVEL_CHANGE decision (the
    screening's justification; recorded directly, like the REOPENING decision, since
    the actor may reach the case only through the referral), audited."""
    before = case.level
    decision = Decision.objects.create(
        kind=Decision.Kind.LEVEL_CHANGE, case=case, outcome=f"{before}->{level}", justification=justification,
        decided_by=actor, subject_was_minor=_is_minor_today(case),
    )
    audit_record(actor=actor, action=AuditAction.DECISION_RECORDED, target=decision, case_id=case.pk,
                 extra={"kind": decision.kind, "referral_id": getattr(referral, "pk", None)})
    case.level = level
    case.save(update_fields=["level"])
    audit_record(actor=actor, action=AuditAction.CASE_LEVEL_CHANGED, target=case, changes={"level": [before, level]},
                 extra={"referral_id": getattr(referral, "pk", None), "decision_id": decision.pk,
                        "reopening": True})


# --------------------------------------------------------------------------- clarification


@transaction.atomic
def case_clarification_record(
    *, actor, case: Case, conversation: str, consent_given_by: str = "", consent_given_by_name: str = "",
    consent_given_on: datetime.date | None = None, exception_justification: str = "",
) -> Case:
    """UDREDNING done: the concern conversation (a decision with its note) and the
    consent to the case work (``consent_record``): the person's own, a custody
    holder's for a minor, or — for a minor only — a justified exception (e.g. a parent
    is the risk; BBU's agreement is noted in the justification). Next: the plan."""
    _require(actor, Action.CHANGE, case)
    if not (conversation or "").strip():
        raise ApplicationError(CONVERSATION_REQUIRED, field="conversation")
    case = _locked(case)
    if consent_given_by:
        consent_record(actor=actor, case=case, scope=Consent.Scope.CASE_WORK, given_by=consent_given_by,
                       given_by_name=consent_given_by_name,
                       given_on=consent_given_on or timezone.localdate())
    elif (exception_justification or "").strip():
        if not _is_minor_today(case):
            raise ApplicationError(EXCEPTION_ONLY_FOR_MINORS, field="exception_justification")
        decision_record(actor=actor, kind=Decision.Kind.OTHER, case=case, outcome=CONSENT_EXCEPTION,
                        justification=exception_justification)
    else:
        raise ApplicationError(CONSENT_OR_EXCEPTION, field="consent_given_by")
    decision_record(actor=actor, kind=Decision.Kind.OTHER, case=case, outcome=CONCERN_CONVERSATION,
                    justification=conversation)
    return _status_set(actor=actor, case=case, status=Case.Status.PLANNING)


# --------------------------------------------------------------------------- proposals


def _signatures_needed(case: Case, kind) -> tuple[bool, bool]:
    """(consultant co-signs, supervisor approves): the consultant for a minor's plan,
    level change and closure; the supervisor for a level-3 plan and closure."""
    minor = _is_minor_today(case)
    level_3 = case.level == Case.Level.INTERVENING
    if kind == CaseProposal.Kind.LEVEL_CHANGE:
        return minor, False
    return minor, level_3


def _proposal_create(*, actor, case: Case, kind, **fields) -> CaseProposal:
    cosign, approve = _signatures_needed(case, kind)
    proposal = CaseProposal.objects.create(
        case=case, kind=kind, proposed_by=actor, needs_co_signature=cosign, needs_approval=approve,
        status=CaseProposal.Status.PENDING if (cosign or approve) else CaseProposal.Status.APPROVED,
        decided_at=None if (cosign or approve) else timezone.now(), **fields,
    )
    action = AuditAction.CASE_PLAN_RECORDED if kind == CaseProposal.Kind.PLAN else AuditAction.CASE_CHANGED
    audit_record(actor=actor, action=action, target=case,
                 extra={"proposal_id": proposal.pk, "kind": kind, "status": proposal.status,
                        "needs_co_signature": cosign, "needs_approval": approve})
    return proposal


def _has_case_work_consent(case: Case) -> bool:
    return consent_is_valid(case=case, scope=Consent.Scope.CASE_WORK)


@transaction.atomic
def case_plan_propose(*, actor, case: Case, goals: str, interventions: list[str]) -> CaseProposal:
    """INDSATSPLAN: goals and the interventions to propose. A mentor, a coach or an
    exit programme needs a valid consent to the case work (scope CASE_WORK: the
    consent the clarification recorded; the intervention's own consent is a step of its
    InterventionFlow). Signatures: see ``_signatures_needed``; without any the plan is
    approved at once."""
    _require(actor, Action.CHANGE, case)
    if not (goals or "").strip():
        raise ApplicationError(GOALS_REQUIRED, field="goals")
    if any(kind not in Intervention.Kind.values for kind in interventions):
        raise ApplicationError(UNKNOWN_INTERVENTION, field="interventions")
    case = _locked(case)
    if any(kind in Intervention.CONSENT_REQUIRED for kind in interventions) and not _has_case_work_consent(case):
        raise ApplicationError(CONSENT_FOR_INTERVENTIONS, field="interventions")
    _status_set(actor=actor, case=case, status=Case.Status.PLANNING)
    return _proposal_create(actor=actor, case=case, kind=CaseProposal.Kind.PLAN, goals=goals.strip(),
                            interventions=list(dict.fromkeys(interventions)))


@transaction.atomic
def case_proposal_sign(*, actor, proposal: CaseProposal, role: str, approve: bool,
                       justification: str) -> CaseProposal:
    """The consultant's co-signature (``role`` CO_SIGN) or the supervisor's approval
    (``role`` APPROVE) of a pending proposal: a decision with its justification. A
    refusal refuses the proposal (it goes back to the caseworker, the refusal visible in
    the case's decisions); when every signature it needs is given, it is approved."""
    proposal = CaseProposal.objects.select_for_update().select_related("case", "case__person").get(pk=proposal.pk)
    case = proposal.case
    if role not in (Action.CO_SIGN, Action.APPROVE):
        raise ApplicationError(NOT_ALLOWED)
    _require(actor, role, case)
    if not (justification or "").strip():
        raise ApplicationError(JUSTIFICATION_REQUIRED, field="justification")
    if proposal.status != CaseProposal.Status.PENDING:
        raise ApplicationError(NOT_PENDING)
    slot = "co_signature" if role == Action.CO_SIGN else "approval"
    if getattr(proposal, f"{slot}_id") is not None or not getattr(
            proposal, "needs_co_signature" if slot == "co_signature" else "needs_approval"):
        raise ApplicationError(ALREADY_SIGNED)
    other_done = (proposal.approval_id or not proposal.needs_approval) if slot == "co_signature" else \
        (proposal.co_signature_id or not proposal.needs_co_signature)
    if approve and other_done and proposal_applier(proposal, case) is None:
        # The last signature would apply it, and no one may: refuse before anything is written.
        raise ApplicationError(NO_ONE_TO_APPLY)
    kind = Decision.Kind.CO_SIGNATURE if slot == "co_signature" else Decision.Kind.APPROVAL
    decision = decision_record(actor=actor, kind=kind, case=case, outcome=APPROVED if approve else REFUSED,
                               justification=justification)
    setattr(proposal, slot, decision)
    if not approve:
        proposal.status, proposal.decided_at = CaseProposal.Status.REFUSED, timezone.now()
    elif (proposal.co_signature_id or not proposal.needs_co_signature) and \
            (proposal.approval_id or not proposal.needs_approval):
        proposal.status, proposal.decided_at = CaseProposal.Status.APPROVED, timezone.now()
    proposal.save(update_fields=[slot, "status", "decided_at"])
    audit_record(actor=actor, action=AuditAction.CASE_CHANGED, target=case,
                 extra={"proposal_id": proposal.pk, "kind": proposal.kind, "signature": slot,
                        "outcome": decision.outcome, "status": proposal.status})
    return proposal


def proposal_applier(proposal: CaseProposal, case: Case):
    """Who carries out an approved proposal: the proposing caseworker while they may
    change the case; if they lost access (the case was reassigned before the last
    signature), the case's current responsible caseworker; else no one (None)."""
    for user in (proposal.proposed_by, case.responsible):
        if user is not None and can(user, Action.CHANGE, case):
            return user
    return None


@transaction.atomic
def case_proposal_apply(*, proposal: CaseProposal) -> Case:
    """An approved proposal takes effect, in the proposing caseworker's name (the
    decision is theirs; the signatures are recorded with it): a plan activates the case
    (PLAN_APPROVAL, ACTIVE, each intervention proposed and its InterventionFlow
    started), a level change changes the level (LEVEL_CHANGE), a closure closes the
    case (``case_close``). A refused proposal changes nothing (its refusal is recorded).
    Idempotent: the flow's Function calls it once per proposal.

    If the proposer lost access before the last signature, the case's current
    responsible caseworker carries it out (audited with both names);
    ``case_proposal_sign`` refuses the last signature when no one may."""
    proposal = CaseProposal.objects.select_for_update().select_related("proposed_by").get(pk=proposal.pk)
    case = _locked(proposal.case)
    actor = proposal_applier(proposal, case) or proposal.proposed_by
    if proposal.status != CaseProposal.Status.APPROVED:
        if proposal.kind == CaseProposal.Kind.CLOSURE:
            _status_set(actor=actor, case=case, status=Case.Status.REVIEW)
        return case
    if actor != proposal.proposed_by:
        audit_record(actor=actor, action=AuditAction.CASE_CHANGED, target=case,
                     extra={"proposal_id": proposal.pk, "kind": proposal.kind, "applied_by": actor.pk,
                            "proposed_by": proposal.proposed_by_id, "reason": "proposer_lost_access"})
    if proposal.kind == CaseProposal.Kind.PLAN:
        return _plan_activate(actor=actor, case=case, proposal=proposal)
    if proposal.kind == CaseProposal.Kind.LEVEL_CHANGE:
        return _level_change(actor=actor, case=case, proposal=proposal)
    return case_close(actor=actor, case=case, reason=proposal.closure_reason, justification=proposal.justification)


def _plan_activate(*, actor, case: Case, proposal: CaseProposal) -> Case:
    from caseflow.interventions.services import intervention_propose

    from .intervention_services import intervention_process_start

    decision_record(actor=actor, kind=Decision.Kind.PLAN_APPROVAL, case=case, outcome=APPROVED,
                    justification=proposal.goals)
    _status_set(actor=actor, case=case, status=Case.Status.ACTIVE)
    for kind in proposal.interventions:
        intervention = intervention_propose(actor=actor, case=case, kind=kind, goals=proposal.goals)
        intervention_process_start(actor=actor, intervention=intervention)
    return case


def _level_change(*, actor, case: Case, proposal: CaseProposal) -> Case:
    before = case.level
    decision_record(actor=actor, kind=Decision.Kind.LEVEL_CHANGE, case=case,
                    outcome=f"{before}->{proposal.level}", justification=proposal.justification)
    case.level = proposal.level
    case.save(update_fields=["level"])
    audit_record(actor=actor, action=AuditAction.CASE_LEVEL_CHANGED, target=case,
                 changes={"level": [before, proposal.level]}, extra={"proposal_id": proposal.pk})
    return _status_set(actor=actor, case=case, status=Case.Status.ACTIVE)


# --------------------------------------------------------------------------- review


@transaction.atomic
def case_review_record(*, actor, case: Case, outcome: str, note: str, level=None,
                       closure_reason: str = "") -> CaseProposal | None:
    """OPFØLGNING: the periodic progress review (a REVIEW decision with the note).
    Outcome ``continue`` (the next review follows the level's interval), a level change
    (with its justification: the note) or a closure proposal (a reason and the note as
    justification). Continuing needs a valid consent to the case work: from the 18th
    birthday only the young person's own (domain.md §6 scenario 11). Returns the
    proposal the review made, if any."""
    _require(actor, Action.CHANGE, case)
    if outcome not in REVIEW_OUTCOMES:
        raise ApplicationError(CHOOSE_OUTCOME, field="outcome")
    if not (note or "").strip():
        raise ApplicationError(NOTE_REQUIRED, field="note")
    case = _locked(case)
    if outcome == REVIEW_LEVEL_CHANGE:
        if level not in Case.Level.values:
            raise ApplicationError(CHOOSE_LEVEL, field="level")
        if int(level) == case.level:
            raise ApplicationError(SAME_LEVEL, field="level")
    if outcome == REVIEW_CLOSURE and closure_reason not in Case.ClosureReason.values:
        raise ApplicationError(CHOOSE_REASON, field="closure_reason")
    if outcome != REVIEW_CLOSURE and not _has_case_work_consent(case) and not _consent_exception_holds(case):
        raise ApplicationError(CONSENT_TO_CONTINUE, field="outcome")
    decision_record(actor=actor, kind=Decision.Kind.REVIEW, case=case, outcome=outcome, justification=note)
    audit_record(actor=actor, action=AuditAction.CASE_REVIEWED, target=case, extra={"outcome": outcome})
    if outcome == REVIEW_CONTINUE:
        _status_set(actor=actor, case=case, status=Case.Status.ACTIVE)
        return None
    _status_set(actor=actor, case=case, status=Case.Status.REVIEW)
    if outcome == REVIEW_LEVEL_CHANGE:
        return _proposal_create(actor=actor, case=case, kind=CaseProposal.Kind.LEVEL_CHANGE, level=int(level),
                                justification=note.strip())
    return _proposal_create(actor=actor, case=case, kind=CaseProposal.Kind.CLOSURE, closure_reason=closure_reason,
                            justification=note.strip())


@transaction.atomic
def case_review_begin(*, case: Case) -> Case:
    """The review timer fired: the system puts an active case into REVIEW."""
    case = _locked(case)
    if case.status == Case.Status.ACTIVE:
        _status_set(actor=None, case=case, status=Case.Status.REVIEW, automatic=True)
    return case


def _consent_exception_holds(case: Case) -> bool:
    """A minor's justified consent exception holds while the person is a minor."""
    return _is_minor_today(case) and case.decisions.filter(outcome=CONSENT_EXCEPTION).exists()


def last_review_outcome(case: Case) -> str | None:
    decision = case.decisions.filter(kind=Decision.Kind.REVIEW).order_by("-pk").first()
    return decision.outcome if decision else None


def review_due(case: Case, start=None) -> datetime.datetime:
    """The next review: CASEFLOW_REVIEW_MONTHS[level] months after ``start`` (now: the
    timer is armed in the transaction of the approval or the last review)."""
    return (start or timezone.now()) + relativedelta(months=settings.CASEFLOW_REVIEW_MONTHS[case.level])


# --------------------------------------------------------------------------- after closure


def follow_up_due(case: Case, months: int) -> datetime.datetime:
    return (case.closed_at or timezone.now()) + relativedelta(months=months)


@transaction.atomic
def case_follow_up_begin(*, case: Case, status) -> Case:
    """The system moves a closed case into its 6- or 12-month follow-up (the timer fired)."""
    case = _locked(case)
    if case.status in (Case.Status.CLOSED, Case.Status.FOLLOW_UP_6M):
        _status_set(actor=None, case=case, status=status, automatic=True)
    return case


@transaction.atomic
def case_follow_up_record(*, actor, case: Case, note: str) -> Case:
    """EFTEROPFØLGNING: the caseworker's follow-up note (a decision), audited."""
    _require(actor, Action.CHANGE, case)
    if not (note or "").strip():
        raise ApplicationError(NOTE_REQUIRED, field="note")
    case = _locked(case)
    outcome = FOLLOW_UP_12M if case.status == Case.Status.FOLLOW_UP_12M else FOLLOW_UP_6M
    decision_record(actor=actor, kind=Decision.Kind.OTHER, case=case, outcome=outcome, justification=note)
    audit_record(actor=actor, action=AuditAction.CASE_FOLLOWED_UP, target=case, extra={"follow_up": outcome})
    return case


@transaction.atomic
def case_archive(*, case: Case) -> Case:
    """ARKIVERET after the 12-month follow-up (system step)."""
    case = _locked(case)
    if case.status == Case.Status.ARCHIVED:
        return case
    before = case.status
    case.status = Case.Status.ARCHIVED
    case.save(update_fields=["status"])
    audit_record(actor=None, action=AuditAction.CASE_ARCHIVED, target=case,
                 changes={"status": [before, case.status]}, extra={"automatic": True})
    return case


# --------------------------------------------------------------------------- turning 18


def adult_transition_due(case: Case) -> datetime.datetime | None:
    """CASEFLOW_ADULT_TRANSITION_MONTHS months before the 18th birthday (start of day)."""
    from caseflow.people.ages import AGE_OF_MAJORITY

    birth_date = case.person.birth_date
    if birth_date is None:
        return None
    birthday = birth_date + relativedelta(years=AGE_OF_MAJORITY)
    day = birthday - relativedelta(months=settings.CASEFLOW_ADULT_TRANSITION_MONTHS)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(0, 0)))


@transaction.atomic
def case_adult_transition_record(*, actor, case: Case, note: str) -> Case:
    """The plan for the move to the adult track (SEL § 12 b), recorded as a decision."""
    _require(actor, Action.CHANGE, case)
    if not (note or "").strip():
        raise ApplicationError(NOTE_REQUIRED, field="note")
    decision_record(actor=actor, kind=Decision.Kind.OTHER, case=case, outcome=ADULT_TRANSITION,
                    justification=note)
    return case
