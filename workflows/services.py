"""The effects of the ReferralFlow's steps. Each task view parses its form and calls one
of these; they check the policy (through the domain services), write and audit in one
transaction. The flow itself only routes on the state they leave behind."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case, Decision
from caseflow.cases.services import case_open, decision_record
from caseflow.core.exceptions import ApplicationError
from caseflow.core.workdays import add_working_days
from caseflow.referrals.models import Referral
from caseflow.referrals.services import referral_case_link, referral_screen, referral_status_set
from permissions.models import GrantKind
from permissions.policy import Action, Duty, Feature, can, may_hold, may_use, users_who_may_hold
from permissions.services import access_grant

from .models import ReferralProcess

START_NOT_ALLOWED = _("You are not allowed to start the screening of this referral.")
ALREADY_STARTED = _("The screening of this referral has already started.")
POLICE_NOTE_REQUIRED = _("Describe what the police were told.")
BBU_CONTACT_REQUIRED = _("A referral about a minor needs a named BBU contact.")
BBU_CONTACT_MUST_BE_LIAISON = _("The BBU contact must be a BBU liaison.")
REPORT_ASSESSMENT_REQUIRED = _("For a minor, record whether a report to BBU (underretning) is needed.")
REPORT_JUSTIFICATION_REQUIRED = _("Justify the assessment of the report to BBU.")
TRANSFER_NOTE_REQUIRED = _("Name the municipality and why the referral goes there.")
SHELVE_NOTE_REQUIRED = _("Explain why the referral is shelved.")
PERSON_REQUIRED_FOR_CASE = _("A case can only be opened when the referral's person is identified.")
#: The system's justification when waiting for information times out (the decision's
#: outcome and the audit event say it was the timer).
INFO_WAIT_EXPIRED = _(
    "Shelved automatically: the information asked for did not arrive within %(days)s working days."
)
REPORT_ASSESSMENT_MISSING = _(
    "The referral is about a minor: the report to BBU (underretning) must be assessed before screening."
)
SCREEN_NOT_ALLOWED = _("You are not allowed to screen this referral.")
ALREADY_SCREENED = _("This referral has already been screened.")
OUTCOME_REQUIRED = _("Choose a screening outcome.")
MEMBERS_REQUIRED = _("Name the members of the coordination unit who were present.")
JUSTIFICATION_REQUIRED = _("Give a justification.")
COSIGNATURE_REQUIRED = _(
    "The referral is about a minor: the screening outcome takes effect only when the child-focused "
    "consultant co-signs it."
)
COSIGN_NOT_ALLOWED = _("Only a child-focused consultant can co-sign the screening of a minor's referral.")
NOTHING_TO_COSIGN = _("There is no screening outcome waiting for a co-signature.")
BBU_ACK_NOT_ALLOWED = _("Only the referral's BBU contact can acknowledge the report.")


class AssessmentOutcome:
    TO_COORDINATION_UNIT = Referral.Status.TO_COORDINATION_UNIT
    AWAITING_INFORMATION = Referral.Status.AWAITING_INFORMATION
    ANOTHER_MUNICIPALITY = Referral.Status.TRANSFERRED

    choices = [
        (TO_COORDINATION_UNIT, _("To the coordination unit")),
        (AWAITING_INFORMATION, _("Waiting for information")),
        (ANOTHER_MUNICIPALITY, _("Sent to another municipality")),
    ]


#: Decision outcomes recorded by the workflow's steps (Decision.outcome is free text).
POLICE_ALERTED = "police_alerted"
REPORT_MADE = "report_made"
NO_REPORT = "no_report"
SENT_TO_ANOTHER_MUNICIPALITY = "sent_to_another_municipality"
SHELVED = "shelved"
SHELVED_INFO_TIMEOUT = "shelved_info_timeout"
COSIGN_APPROVED = "approved"
COSIGN_REFUSED = "refused"
BBU_ACKNOWLEDGED = "bbu_acknowledged"

CASE_LEVELS = {Referral.Outcome.CASE_LEVEL_2: Case.Level.ANTICIPATORY,
               Referral.Outcome.CASE_LEVEL_3: Case.Level.INTERVENING}


def referral_is_minor(referral: Referral) -> bool:
    """Under 18 at registration (domain.md §2.5); unknown age counts as adult until the
    person is identified."""
    person = referral.person
    return bool(person and person.birth_date
                and person.is_minor_on(timezone.localtime(referral.received_at).date()))


@transaction.atomic
def referral_process_start(*, actor, referral: Referral) -> ReferralProcess:
    """Start the screening workflow of a newly registered referral: acute triage first."""
    from .flows.referral import ReferralFlow

    staff = can(actor, Action.CHANGE, referral) or can(actor, Action.CLAIM_TASK, referral)
    if not (staff or _is_partner_registrar(actor, referral)):
        raise ApplicationError(START_NOT_ALLOWED)
    if ReferralProcess.objects.filter(referral=referral).exists():
        raise ApplicationError(ALREADY_STARTED)
    if staff:
        referral_status_set(actor=actor, referral=referral, status=Referral.Status.ACUTE_TRIAGE)
    else:
        _status_set(actor=actor, referral=referral, status=Referral.Status.ACUTE_TRIAGE)
    return ReferralFlow.start.run(referral=Referral.objects.get(pk=referral.pk))


def _is_partner_registrar(actor, referral: Referral) -> bool:
    """A partner's service user starts the screening of the referral it just submitted
    (and nothing else): the team's caseworkers then claim its tasks from their queue."""
    return bool(may_use(actor, Feature.PARTNER_INTAKE)
                and referral.registered_by_id == actor.pk and referral.status == Referral.Status.RECEIVED)


def _status_set(*, actor, referral: Referral, status) -> Referral:
    """``referral_status_set`` for the workflow's own moves that no user's policy covers
    (a partner's start, the system's timeout): the caller has decided they are allowed."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    before = referral.status
    if before == status:
        return referral
    referral.status = status
    fields = ["status"]
    if status == Referral.Status.SHELVED:
        referral.closed_at = timezone.now()
        fields.append("closed_at")
    referral.save(update_fields=fields)
    audit_record(actor=actor, action=AuditAction.REFERRAL_CHANGED, target=referral,
                 changes={"status": [before, status]}, extra={"automatic": actor is None})
    return referral


@transaction.atomic
def referral_triage_record(*, actor, referral: Referral, police_alerted: bool, note: str = "") -> Referral:
    """Acute triage (same day): if there is a risk to life or an imminent crime, the
    police were alerted (114/112) and that is recorded as a decision."""
    if police_alerted:
        if not (note or "").strip():
            raise ApplicationError(POLICE_NOTE_REQUIRED, field="note")
        decision_record(actor=actor, kind=Decision.Kind.OTHER, referral=referral, outcome=POLICE_ALERTED,
                        justification=note)
    return referral_status_set(actor=actor, referral=referral, status=Referral.Status.INITIAL_ASSESSMENT)


@transaction.atomic
def referral_assessment_record(
    *, actor, process: ReferralProcess, outcome, note: str = "", bbu_contact=None,
    report_needed: bool | None = None, report_justification: str = "",
) -> Referral:
    """The initial assessment. For a minor: a named BBU contact and the checkpoint
    "underretning vurderet" (yes/no with a justification, recorded as a decision)."""
    referral = process.referral
    if outcome not in dict(AssessmentOutcome.choices):
        raise ApplicationError(_("Choose the outcome of the assessment."), field="outcome")
    if referral_is_minor(referral):
        if bbu_contact is None:
            raise ApplicationError(BBU_CONTACT_REQUIRED, field="bbu_contact")
        if not may_hold(bbu_contact, Duty.BBU_CONTACT):
            raise ApplicationError(BBU_CONTACT_MUST_BE_LIAISON, field="bbu_contact")
        if report_needed is None:
            raise ApplicationError(REPORT_ASSESSMENT_REQUIRED, field="report_needed")
        if not (report_justification or "").strip():
            raise ApplicationError(REPORT_JUSTIFICATION_REQUIRED, field="report_justification")
        decision_record(actor=actor, kind=Decision.Kind.CHILD_WELFARE_REPORT, referral=referral,
                        outcome=REPORT_MADE if report_needed else NO_REPORT,
                        justification=report_justification)
        ReferralProcess.objects.filter(pk=process.pk).update(bbu_contact=bbu_contact)
        process.bbu_contact = bbu_contact
        if report_needed:
            _bbu_report(actor=actor, process=process)
    if outcome == AssessmentOutcome.ANOTHER_MUNICIPALITY:
        if not (note or "").strip():
            raise ApplicationError(TRANSFER_NOTE_REQUIRED, field="note")
        decision_record(actor=actor, kind=Decision.Kind.OTHER, referral=referral,
                        outcome=SENT_TO_ANOTHER_MUNICIPALITY, justification=note)
    return referral_status_set(actor=actor, referral=referral, status=outcome)


@transaction.atomic
def referral_information_record(*, actor, referral: Referral, sufficient: bool, note: str = "") -> Referral:
    """Waiting for information ends: to the coordination unit, or shelved for too little
    information (with a justification)."""
    if sufficient:
        return referral_status_set(actor=actor, referral=referral, status=Referral.Status.TO_COORDINATION_UNIT)
    if not (note or "").strip():
        raise ApplicationError(SHELVE_NOTE_REQUIRED, field="note")
    decision_record(actor=actor, kind=Decision.Kind.OTHER, referral=referral, outcome=SHELVED,
                    justification=note)
    return referral_status_set(actor=actor, referral=referral, status=Referral.Status.SHELVED)


def info_wait_working_days() -> int:
    return int(getattr(settings, "CASEFLOW_INFO_WAIT_WORKING_DAYS", 10))


def info_wait_deadline(start=None):
    """When waiting for information times out: the end of the day (local time) that is
    CASEFLOW_INFO_WAIT_WORKING_DAYS working days after ``start`` (now)."""
    start = timezone.localtime(start or timezone.now())
    day = add_working_days(start.date(), info_wait_working_days())
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


@transaction.atomic
def referral_information_timeout(*, process: ReferralProcess, waited_for=None) -> Referral | None:
    """The system (actor None) shelves a referral whose information did not arrive in
    time: status SHELVED (closed), a decision with the system's justification, audited.
    Idempotent: a referral that has moved on is left alone (returns None).

    ``Decision.decided_by`` cannot be empty, so the decision is recorded in the name of
    the caseworker who was waiting (``waited_for``), else the registrar; the audit
    events carry no actor and ``automatic: true``."""
    referral = Referral.objects.select_for_update().get(pk=process.referral_id)
    if referral.status != Referral.Status.AWAITING_INFORMATION or referral.closed_at is not None:
        return None
    days = info_wait_working_days()
    justification = str(INFO_WAIT_EXPIRED) % {"days": days}
    now = timezone.now()
    person = referral.person
    decision = Decision.objects.create(
        kind=Decision.Kind.OTHER, referral=referral, outcome=SHELVED_INFO_TIMEOUT,
        justification=justification, decided_by=waited_for or referral.registered_by, decided_at=now,
        subject_was_minor=bool(person and person.is_minor_on(timezone.localtime(now).date())),
    )
    audit_record(actor=None, action=AuditAction.DECISION_RECORDED, target=decision,
                 extra={"kind": decision.kind, "outcome": SHELVED_INFO_TIMEOUT, "referral_id": referral.pk,
                        "automatic": True, "working_days": days})
    return _status_set(actor=None, referral=referral, status=Referral.Status.SHELVED)


def _bbu_report(*, actor, process: ReferralProcess) -> None:
    """The underretning goes to BBU (domain.md §2.5 item 2): the named BBU contact gets
    BBU's access to the referral (its summary and BBU's own task) and BBU's clock of
    CASEFLOW_BBU_REPORT_HOURS hours starts (the flow's parallel BBU task)."""
    now = timezone.now()
    ReferralProcess.objects.filter(pk=process.pk).update(bbu_reported_at=now)
    process.bbu_reported_at = now
    access_grant(actor=actor, obj=process.referral, kind=GrantKind.BBU, user=process.bbu_contact,
                 reason="underretning")
    audit_record(actor=actor, action=AuditAction.REFERRAL_BBU_REPORTED, target=process.referral,
                 extra={"bbu_contact_id": process.bbu_contact_id, "hours": settings.CASEFLOW_BBU_REPORT_HOURS})


def bbu_report_due(process: ReferralProcess):
    """When BBU must have assessed the report: CASEFLOW_BBU_REPORT_HOURS clock hours
    (not working days) after it was sent."""
    return (process.bbu_reported_at or timezone.now()) + datetime.timedelta(
        hours=settings.CASEFLOW_BBU_REPORT_HOURS)


@transaction.atomic
def referral_bbu_acknowledge(*, actor, process: ReferralProcess, assessment: str) -> Decision:
    """BBU records the receipt of the report and its assessment (BBU owns the decision;
    the system records it). Only the named BBU contact, through BBU's grant."""
    process = ReferralProcess.objects.select_related("referral").get(pk=process.pk)
    referral = process.referral
    if not (actor.pk == process.bbu_contact_id and may_hold(actor, Duty.BBU_CONTACT)
            and can(actor, Action.CLAIM_TASK, referral)):
        raise ApplicationError(BBU_ACK_NOT_ALLOWED)
    if not (assessment or "").strip():
        raise ApplicationError(JUSTIFICATION_REQUIRED, field="assessment")
    decision = decision_record(actor=actor, kind=Decision.Kind.CHILD_WELFARE_REPORT, referral=referral,
                               outcome=BBU_ACKNOWLEDGED, justification=assessment)
    audit_record(actor=actor, action=AuditAction.REFERRAL_BBU_ACKNOWLEDGED, target=referral,
                 extra={"decision_id": decision.pk, "within_deadline": timezone.now() <= bbu_report_due(process)})
    return decision


def referral_bbu_notify(*, process_id: int) -> int:
    """Tell the named BBU contact that a report (underretning) waits for them (run by
    the flow's job node in a worker, in the job's transaction). One notification per
    referral process (caseflow.notifications), mailed at once: it says only that there
    is something to look at, with a link: no names, no CPR, no case content. Returns
    mails sent (0 for a second run)."""
    from caseflow.notifications.services import notification_bbu_report

    process = ReferralProcess.objects.filter(pk=process_id).values("bbu_contact_id").first()
    if process is None or process["bbu_contact_id"] is None:
        return 0
    return notification_bbu_report(user_id=process["bbu_contact_id"], process_id=process_id)


def _screening_check(*, actor, referral: Referral, outcome, justification, members_present, responsible):
    """Validate a screening outcome before anything is written; returns the
    responsible caseworker of a case to be opened (default: the screener)."""
    if not can(actor, Action.CHANGE, referral):
        raise ApplicationError(SCREEN_NOT_ALLOWED)
    if referral.status == Referral.Status.ASSESSED or referral.closed_at is not None:
        raise ApplicationError(ALREADY_SCREENED)
    if outcome not in Referral.Outcome.values:
        raise ApplicationError(OUTCOME_REQUIRED, field="outcome")
    if not (justification or "").strip():
        raise ApplicationError(JUSTIFICATION_REQUIRED, field="justification")
    if not (members_present or "").strip():
        raise ApplicationError(MEMBERS_REQUIRED, field="members_present")
    level = CASE_LEVELS.get(outcome)
    if level is not None and referral.person_id is None:
        raise ApplicationError(PERSON_REQUIRED_FOR_CASE, field="outcome")
    if referral_is_minor(referral) and not referral.decisions.filter(
            kind=Decision.Kind.CHILD_WELFARE_REPORT, outcome__in=(REPORT_MADE, NO_REPORT)).exists():
        raise ApplicationError(REPORT_ASSESSMENT_MISSING)
    if level is None:
        return None
    if responsible is None and may_hold(actor, Duty.RESPONSIBLE_CASEWORKER, referral.team_id):
        responsible = actor
    if responsible is not None and not may_hold(responsible, Duty.RESPONSIBLE_CASEWORKER, referral.team_id):
        raise ApplicationError(_("The responsible caseworker must be a caseworker of the case's team."),
                               field="responsible")
    return responsible


def _screening_take_effect(*, actor, referral: Referral, outcome, justification, members_present="",
                           responsible=None, screening_decision=None, case_actor=None):
    """The outcome takes effect: the referral is assessed (closed unless a case is
    opened); level 2 or 3 opens a case, or reopens the person's closed case, links the
    referral to it and starts the case's CaseFlow. ``case_actor`` opens the case (a
    caseworker's act: the one who recorded the outcome)."""
    referral = referral_screen(actor=actor, referral=referral, outcome=outcome, justification=justification,
                               members_present=members_present, screening_decision=screening_decision)
    level = CASE_LEVELS.get(outcome)
    if level is None:
        return referral, None
    case_actor = case_actor or actor
    reopen = Case.objects.filter(pk=referral.reopen_case_id).first() if referral.reopen_case_id else None
    if reopen is not None and not reopen.is_open:
        from .case_services import case_reopen

        case = case_reopen(actor=case_actor, case=reopen, justification=justification, referral=referral,
                           level=level)
    else:
        from .case_services import case_process_start

        case = case_open(actor=case_actor, person=referral.person, team=referral.team, level=level,
                         responsible=responsible)
        case_process_start(actor=case_actor, case=case)
    referral = Referral.objects.get(pk=referral.pk)
    if referral.case_id is None:
        referral = referral_case_link(actor=actor, referral=referral, case=case)
    return referral, case


@transaction.atomic
def referral_screening_conclude(
    *, actor, referral: Referral, outcome, justification: str, members_present: str = "", responsible=None,
) -> tuple[Referral, Case | None]:
    """The coordination unit's screening outcome about an adult (or an unknown person)
    takes effect at once (domain.md §2.1). Level 2 or 3 opens a case about the
    referral's person with the responsible caseworker's access (or reopens the
    person's closed case: same reference, same history), links the referral to it and
    starts its CaseFlow. A minor's outcome needs the consultant's co-signature:
    ``referral_screening_propose``."""
    referral = Referral.objects.get(pk=referral.pk)
    if referral_is_minor(referral):
        raise ApplicationError(COSIGNATURE_REQUIRED)
    responsible = _screening_check(actor=actor, referral=referral, outcome=outcome, justification=justification,
                                   members_present=members_present, responsible=responsible)
    return _screening_take_effect(actor=actor, referral=referral, outcome=outcome, justification=justification,
                                  members_present=members_present, responsible=responsible)


def _pending_set(*processes, decision, responsible) -> None:
    """Store (or clear) the outcome waiting for the co-signature, also on the caller's
    instance: the task's activation saves that one when the flow moves on."""
    ReferralProcess.objects.filter(pk=processes[0].pk).update(pending_screening=decision,
                                                              pending_responsible=responsible)
    for process in processes:
        process.pending_screening, process.pending_responsible = decision, responsible


@transaction.atomic
def referral_screening_propose(
    *, actor, process: ReferralProcess, outcome, justification: str, members_present: str = "", responsible=None,
) -> Decision:
    """A minor's screening outcome (domain.md §2.3, §2.5 item 3). The caseworker's
    SCREENING decision is recorded now, with them as its decider, and waits for the
    child-focused consultant's co-signature; the referral stays open (and visible to
    the consultant) and nothing else changes until then."""
    caller_process, process = process, ReferralProcess.objects.select_for_update().get(pk=process.pk)
    referral = Referral.objects.get(pk=process.referral_id)
    if not referral_is_minor(referral):
        raise ApplicationError(_("Only a minor's screening needs a co-signature."))
    responsible = _screening_check(actor=actor, referral=referral, outcome=outcome, justification=justification,
                                   members_present=members_present, responsible=responsible)
    decision = decision_record(actor=actor, kind=Decision.Kind.SCREENING, referral=referral, outcome=outcome,
                               justification=justification, members_present=members_present)
    _pending_set(process, caller_process, decision=decision, responsible=responsible)
    audit_record(actor=actor, action=AuditAction.REFERRAL_CHANGED, target=referral,
                 extra={"screening_proposed": outcome, "decision_id": decision.pk, "awaiting": "co_signature"})
    return decision


@transaction.atomic
def referral_screening_record(
    *, actor, process: ReferralProcess, outcome, justification: str, members_present: str = "", responsible=None,
):
    """The screening task: a minor's outcome waits for the co-signature, an adult's
    takes effect at once."""
    referral = Referral.objects.get(pk=process.referral_id)
    kwargs = dict(actor=actor, outcome=outcome, justification=justification, members_present=members_present,
                  responsible=responsible)
    if referral_is_minor(referral):
        return referral_screening_propose(process=process, **kwargs)
    return referral_screening_conclude(referral=referral, **kwargs)


@transaction.atomic
def referral_screening_cosign(*, actor, process: ReferralProcess, approved: bool, justification: str):
    """The child-focused consultant co-signs (CO_SIGNATURE "approved": the outcome takes
    effect) or refuses (CO_SIGNATURE "refused": back to the screening, the refusal and
    its justification visible there). Both with a justification."""
    caller_process, process = process, ReferralProcess.objects.select_for_update().get(pk=process.pk)
    referral = Referral.objects.get(pk=process.referral_id)
    if not (may_use(actor, Feature.CO_SIGN_MINORS) and can(actor, Action.CO_SIGN, referral)):
        raise ApplicationError(COSIGN_NOT_ALLOWED)
    proposal = process.pending_screening
    if proposal is None:
        raise ApplicationError(NOTHING_TO_COSIGN)
    if not (justification or "").strip():
        raise ApplicationError(JUSTIFICATION_REQUIRED, field="justification")
    decision_record(actor=actor, kind=Decision.Kind.CO_SIGNATURE, referral=referral,
                    outcome=COSIGN_APPROVED if approved else COSIGN_REFUSED, justification=justification)
    responsible = process.pending_responsible
    _pending_set(process, caller_process, decision=None, responsible=None)
    if not approved:
        audit_record(actor=actor, action=AuditAction.REFERRAL_CHANGED, target=referral,
                     extra={"co_signature": COSIGN_REFUSED, "decision_id": proposal.pk})
        return referral, None
    return _screening_take_effect(
        actor=actor, referral=referral, outcome=proposal.outcome, justification=proposal.justification,
        members_present=proposal.members_present, responsible=responsible, screening_decision=proposal,
        case_actor=proposal.decided_by,
    )


def screening_refusal_of(referral: Referral) -> Decision | None:
    """The consultant's latest refusal, shown at the screening task until a new outcome
    is recorded."""
    latest = referral.decisions.filter(
        kind__in=(Decision.Kind.SCREENING, Decision.Kind.CO_SIGNATURE)).order_by("-decided_at", "-pk").first()
    if latest is not None and latest.kind == Decision.Kind.CO_SIGNATURE and latest.outcome == COSIGN_REFUSED:
        return latest
    return None


def bbu_liaisons():
    return users_who_may_hold(Duty.BBU_CONTACT).order_by("first_name", "last_name")


def team_caseworkers(team_id):
    return users_who_may_hold(Duty.RESPONSIBLE_CASEWORKER, team_id).order_by("first_name", "last_name")


def referral_task_perform(*, actor, referral: Referral, node, perform):
    """Do one human task of a referral's flow from code (no HTTP), as the task view
    does (``workflows.driving.flow_task_perform``): for seed_demo and scripts; users go
    through the task URLs."""
    from .driving import flow_task_perform

    return flow_task_perform(actor=actor, process=ReferralProcess.objects.get(referral=referral), node=node,
                             perform=perform)


SCREEN_TASK_UNAVAILABLE = _(
    "The screening task of this referral cannot be completed by you: it is not open, or another caseworker "
    "has taken it (ask them to release it)."
)


def referral_screening_from_meeting(*, actor, referral: Referral, outcome, justification: str,
                                    members_present: str, responsible=None):
    """The coordination unit's meeting decided a referral on its agenda: complete the
    ReferralFlow's screening task with that decision (no second entry at the task), as
    the screening task view would, so the flow moves on (a minor's outcome waits for the
    consultant's co-signature as usual). Refusals are ``ApplicationError``s."""
    from django.core.exceptions import PermissionDenied
    from viewflow.workflow.models import Task

    from .driving import flow_task_perform
    from .flows.referral import ReferralFlow

    process = ReferralProcess.objects.filter(referral=referral).first()
    if process is None:
        raise ApplicationError(SCREEN_TASK_UNAVAILABLE)
    try:
        return flow_task_perform(
            actor=actor, process=process, node=ReferralFlow.screen,
            perform=lambda coerced: referral_screening_record(
                actor=actor, process=coerced, outcome=outcome, justification=justification,
                members_present=members_present, responsible=responsible),
        )
    except (PermissionDenied, Task.DoesNotExist) as exc:
        raise ApplicationError(SCREEN_TASK_UNAVAILABLE) from exc
