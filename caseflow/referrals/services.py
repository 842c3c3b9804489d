"""Writes on referrals. The intake issue extends ``referral_register`` with CPR
handling and duplicate detection; every entry point already calls it."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case, Decision
from caseflow.cases.services import decision_record
from caseflow.core.exceptions import ApplicationError
from caseflow.core.services import reference_next
from permissions.policy import Action, Feature, can, may_use, may_use_for_team

from .models import Referral

REFERRAL_REFERENCE_PREFIX = "HV"
CONCERN_REQUIRED = _("Describe the concern.")
REGISTER_NOT_ALLOWED = _("You are not allowed to register referrals for this team.")
SCREEN_NOT_ALLOWED = _("You are not allowed to screen this referral.")
CONCERN_TOO_LONG = _("The concern may be at most %(limit)s characters.")
RECEIVED_IN_FUTURE = _("The referral cannot be received in the future.")


@transaction.atomic
def referral_register(
    *,
    actor,
    team,
    channel,
    referrer_type,
    concern_text,
    person=None,
    referrer_name="",
    referrer_contact="",
    referrer_wishes_anonymity=False,
    is_anonymous=False,
    warning_signs=(),
    urgency=Referral.Urgency.NORMAL,
    received_at=None,
) -> Referral:
    if not (may_use(actor, Feature.PARTNER_INTAKE) or may_use_for_team(actor, Feature.REGISTER_REFERRAL, team.pk)):
        raise ApplicationError(REGISTER_NOT_ALLOWED)
    if not (concern_text or "").strip():
        raise ApplicationError(CONCERN_REQUIRED, field="concern_text")
    if len(concern_text) > Referral.CONCERN_MAX_LENGTH:
        raise ApplicationError(CONCERN_TOO_LONG % {"limit": Referral.CONCERN_MAX_LENGTH}, field="concern_text")
    if received_at is not None and received_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError(RECEIVED_IN_FUTURE, field="received_at")
    unknown = set(warning_signs) - set(Referral.WarningSign.values)
    if unknown:
        raise ApplicationError(_("Unknown warning sign."), field="warning_signs")
    received_at = received_at or timezone.now()
    _number, reference = reference_next(
        prefix=REFERRAL_REFERENCE_PREFIX, year=timezone.localtime(received_at).year
    )
    if is_anonymous:
        referrer_name, referrer_contact = "", ""
    referral = Referral(
        reference=reference,
        received_at=received_at,
        channel=channel,
        referrer_type=referrer_type,
        referrer_name=referrer_name,
        referrer_contact=referrer_contact,
        referrer_wishes_anonymity=referrer_wishes_anonymity,
        is_anonymous=is_anonymous,
        concern_text=concern_text.strip(),
        warning_signs=sorted(set(warning_signs)),
        urgency=urgency,
        person=person,
        team=team,
        registered_by=actor,
        reopen_case=_closed_case_of(person),
    )
    referral.full_clean()
    referral.save()
    audit_record(actor=actor, action=AuditAction.REFERRAL_REGISTERED, target=referral,
                 extra={"channel": channel, "referrer_type": referrer_type, "urgency": urgency,
                        "person_id": getattr(person, "pk", None), "reopen_case_id": referral.reopen_case_id})
    return referral


def _closed_case_of(person):
    """A new concern about a person whose case is closed is linked to that case; the
    screening (workflow issue) decides whether it reopens (same number, same history)."""
    if person is None:
        return None
    return (
        Case.objects.filter(person=person, closed_at__isnull=False).exclude(status__in=Case.OPEN_STATUSES)
        .order_by("-closed_at").first()
    )


@transaction.atomic
def referral_screen(*, actor, referral: Referral, outcome, justification, members_present="",
                    screening_decision: Decision | None = None) -> Referral:
    """Record the coordination unit's screening outcome: the decision and the referral
    state (outcomes that open a case are handled by the workflow).

    For a minor the caseworker's SCREENING decision is recorded first and takes effect
    only when the child-focused consultant co-signs it: then ``screening_decision`` is
    that decision, ``actor`` the co-signing consultant, and no second decision is
    recorded (its decider stays the caseworker)."""
    if screening_decision is None:
        if not can(actor, Action.CHANGE, referral):
            raise ApplicationError(SCREEN_NOT_ALLOWED)
    elif not (can(actor, Action.CO_SIGN, referral) and screening_decision.referral_id == referral.pk
              and screening_decision.kind == Decision.Kind.SCREENING and screening_decision.outcome == outcome):
        raise ApplicationError(SCREEN_NOT_ALLOWED)
    if outcome not in Referral.Outcome.values:
        raise ApplicationError(_("Choose a screening outcome."), field="outcome")
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status == Referral.Status.ASSESSED or referral.closed_at is not None:
        raise ApplicationError(_("This referral has already been screened."))
    if screening_decision is None:
        screening_decision = decision_record(
            actor=actor,
            kind=Decision.Kind.SCREENING,
            referral=referral,
            outcome=outcome,
            justification=justification,
            members_present=members_present,
        )
    before = referral.status
    referral.outcome = outcome
    referral.status = Referral.Status.ASSESSED
    fields = ["outcome", "status"]
    if outcome not in (Referral.Outcome.CASE_LEVEL_2, Referral.Outcome.CASE_LEVEL_3):
        referral.closed_at = timezone.now()
        fields.append("closed_at")
    referral.save(update_fields=fields)
    audit_record(actor=actor, action=AuditAction.REFERRAL_SCREENED, target=referral,
                 changes={"status": [before, referral.status], "outcome": ["", outcome]},
                 extra={"decision_id": screening_decision.pk, "decided_by": screening_decision.decided_by_id})
    return referral


#: The states that end a referral without a case (domain.md §2.1).
CLOSING_STATUSES = (Referral.Status.SHELVED, Referral.Status.TRANSFERRED)
STATUS_NOT_ALLOWED = _("You are not allowed to change this referral.")


@transaction.atomic
def referral_status_set(*, actor, referral: Referral, status) -> Referral:
    """Move a referral through the screening states (the workflow's steps). Shelving
    and sending it to another municipality close it."""
    if not (can(actor, Action.CHANGE, referral) or can(actor, Action.CLAIM_TASK, referral)):
        raise ApplicationError(STATUS_NOT_ALLOWED)
    if status not in Referral.Status.values or status == Referral.Status.ASSESSED:
        raise ApplicationError(_("Choose a valid referral state."), field="status")
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.closed_at is not None or referral.status == Referral.Status.ASSESSED:
        raise ApplicationError(_("This referral has already been concluded."))
    before = referral.status
    if before == status:
        return referral
    referral.status = status
    fields = ["status"]
    if status in CLOSING_STATUSES:
        referral.closed_at = timezone.now()
        fields.append("closed_at")
    referral.save(update_fields=fields)
    audit_record(actor=actor, action=AuditAction.REFERRAL_CHANGED, target=referral,
                 changes={"status": [before, status]})
    return referral


@transaction.atomic
def referral_case_link(*, actor, referral: Referral, case: Case) -> Referral:
    """Link a screened referral to the case its screening opened."""
    if not (can(actor, Action.CHANGE, referral) or can(actor, Action.CLAIM_TASK, referral)):
        raise ApplicationError(STATUS_NOT_ALLOWED)
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.case_id is not None:
        raise ApplicationError(_("This referral is already linked to a case."))
    if referral.person_id is None or referral.person_id != case.person_id:
        raise ApplicationError(_("The case must be about the referral's person."))
    referral.case = case
    referral.save(update_fields=["case"])
    audit_record(actor=actor, action=AuditAction.REFERRAL_CHANGED, target=referral, case_id=case.pk,
                 changes={"case_id": [None, case.pk]})
    return referral
