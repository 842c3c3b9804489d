"""The effects of the ReferralFlow's steps. Each task view parses its form and calls one
of these; they check the policy (through the domain services), write and audit in one
transaction. The flow itself only routes on the state they leave behind."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.accounts.roles import Role
from caseflow.cases.models import Case, Decision
from caseflow.cases.services import case_open, decision_record
from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral
from caseflow.referrals.services import referral_case_link, referral_screen, referral_status_set
from permissions.policy import Action, can

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
REPORT_ASSESSMENT_MISSING = _(
    "The referral is about a minor: the report to BBU (underretning) must be assessed before screening."
)


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

    if not (can(actor, Action.CHANGE, referral) or can(actor, Action.CLAIM_TASK, referral)):
        raise ApplicationError(START_NOT_ALLOWED)
    if ReferralProcess.objects.filter(referral=referral).exists():
        raise ApplicationError(ALREADY_STARTED)
    referral_status_set(actor=actor, referral=referral, status=Referral.Status.ACUTE_TRIAGE)
    return ReferralFlow.start.run(referral=Referral.objects.get(pk=referral.pk))


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
        if not bbu_contact.has_role(Role.BBU_LIAISON):
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


@transaction.atomic
def referral_screening_conclude(
    *, actor, referral: Referral, outcome, justification: str, members_present: str = "", responsible=None,
) -> tuple[Referral, Case | None]:
    """The coordination unit's screening outcome (domain.md §2.1). Level 2 or 3 opens a
    case about the referral's person, with the responsible caseworker's access, and
    links the referral to it."""
    level = CASE_LEVELS.get(outcome)
    if level is not None and referral.person_id is None:
        raise ApplicationError(PERSON_REQUIRED_FOR_CASE, field="outcome")
    if referral_is_minor(referral) and not referral.decisions.filter(
            kind=Decision.Kind.CHILD_WELFARE_REPORT).exists():
        raise ApplicationError(REPORT_ASSESSMENT_MISSING)
    if level is not None and responsible is None and actor.has_role(Role.CASEWORKER) \
            and actor.team_id == referral.team_id:
        responsible = actor
    referral = referral_screen(actor=actor, referral=referral, outcome=outcome, justification=justification,
                               members_present=members_present)
    if level is None:
        return referral, None
    case = case_open(actor=actor, person=referral.person, team=referral.team, level=level,
                     responsible=responsible)
    referral = referral_case_link(actor=actor, referral=referral, case=case)
    return referral, case


def bbu_liaisons():
    return get_user_model().objects.filter(groups__name=Role.BBU_LIAISON, is_active=True).order_by(
        "first_name", "last_name")


def team_caseworkers(team_id):
    return get_user_model().objects.filter(groups__name=Role.CASEWORKER, is_active=True,
                                           team_id=team_id).order_by("first_name", "last_name")
