import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.accounts.roles import Role
from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from permissions.models import GrantKind
from permissions.policy import Action, Duty, can, may_hold, may_provide
from permissions.services import access_grant, access_move, access_revoke

from .models import Intervention, InterventionReview, InterventionSession, ProviderProfile

NOT_ALLOWED = _("You are not allowed to change this intervention.")
PROVIDER_NOT_ELIGIBLE = _("The provider must be a mentor or a parent coach.")
PROVIDER_WRONG_ROLE_MENTOR = _("This intervention needs a mentor.")
PROVIDER_WRONG_ROLE_COACH = _("This intervention needs a parent coach.")
PROVIDER_AT_CAPACITY = _("This provider already has as many interventions as they can take (%(limit)s).")
PROVIDER_CONFLICT = _(
    "This provider registered a referral about the person: choose another provider (conflict of interest)."
)
PROVIDER_REQUIRED = _("Choose a provider.")
PARTNER_ROLES_REQUIRED = _("Record which partner owns which element of the exit programme.")
NOT_THE_PROVIDER = _("Only the intervention's provider can do this.")
NOT_OFFERED = _("This intervention is not waiting for the provider's answer.")
DECLINE_REASON_REQUIRED = _("Give a reason for declining.")
NOT_RUNNING = _("Sessions can only be logged while the intervention is running.")
DURATION_INVALID = _("Give the duration in minutes (1 to 600).")
TOPIC_REQUIRED = _("Give the session's topic.")
FUTURE_DATE = _("The date cannot be in the future.")
DATE_BEFORE_START = _("The date cannot be before the intervention started.")
ALREADY_ENDED = _("This intervention has already ended.")
END_REASON_REQUIRED = _("Choose why the intervention ends.")
NO_PROVIDER_TO_DROP = _("The intervention has no provider.")
REVIEW_NOT_OPEN = _("The intervention is not waiting for a progress review.")


def _check_provider(provider):
    if provider is not None and not may_hold(provider, Duty.PROVIDER):
        raise ApplicationError(PROVIDER_NOT_ELIGIBLE, field="provider")


@transaction.atomic
def intervention_propose(*, actor, case, kind, provider=None, goals="") -> Intervention:
    """Propose an intervention in an open case. Consent, matching and sessions are
    steps of the InterventionFlow (workflow issue)."""
    if not can(actor, Action.CHANGE, case):
        raise ApplicationError(NOT_ALLOWED)
    if not case.is_open:
        raise ApplicationError(_("Interventions can only be added to an open case."))
    _check_provider(provider)
    if kind not in Intervention.Kind.values:
        raise ApplicationError(_("Choose a kind of intervention."), field="kind")
    intervention = Intervention(case=case, kind=kind, provider=provider, goals=goals)
    intervention.full_clean()
    intervention.save()
    audit_record(actor=actor, action=AuditAction.INTERVENTION_PROPOSED, target=intervention,
                 extra={"kind": kind, "provider_id": getattr(provider, "pk", None)})
    if provider is not None:
        access_grant(actor=actor, obj=intervention, kind=GrantKind.PROVIDER, user=provider, reason="provider")
    return intervention


def provider_capacity(provider) -> int:
    """How many interventions ``provider`` may hold at once: their profile's
    ``max_active``, else ``CASEFLOW_PROVIDER_CAPACITY`` (default 5)."""
    profile = ProviderProfile.objects.filter(user=provider).first()
    if profile is not None:
        return profile.max_active
    return getattr(settings, "CASEFLOW_PROVIDER_CAPACITY", 5)


def provider_load(provider, exclude=None) -> int:
    """The interventions ``provider`` holds or has been offered now."""
    held = Intervention.objects.filter(provider=provider, status__in=Intervention.PROVIDER_BUSY_STATUSES)
    if exclude is not None:
        held = held.exclude(pk=exclude.pk)
    return held.count()


def provider_has_conflict(provider, intervention: Intervention) -> bool:
    """Conflict of interest, kept simple: the provider registered a referral about the
    case's person (a teacher or youth worker who reported the concern cannot also
    be their mentor)."""
    from caseflow.referrals.models import Referral

    case = intervention.case
    return Referral.objects.filter(Q(case=case) | Q(person_id=case.person_id), registered_by=provider).exists()


def _check_provider_for(provider, intervention: Intervention) -> None:
    """Role for the kind, capacity, conflict of interest (ApplicationError on ``provider``)."""
    if provider is None:
        return
    if intervention.needs_provider and not may_provide(provider, intervention.provider_role):
        mentor = intervention.provider_role == Role.MENTOR
        raise ApplicationError(PROVIDER_WRONG_ROLE_MENTOR if mentor else PROVIDER_WRONG_ROLE_COACH,
                               field="provider")
    limit = provider_capacity(provider)
    if provider_load(provider, exclude=intervention) >= limit:
        raise ApplicationError(PROVIDER_AT_CAPACITY % {"limit": limit}, field="provider")
    if provider_has_conflict(provider, intervention):
        raise ApplicationError(PROVIDER_CONFLICT, field="provider")


@transaction.atomic
def intervention_match(*, actor, intervention: Intervention, provider, partner_roles=None) -> Intervention:
    """Give the intervention a (new) provider; the previous provider's access ends.
    The provider must have the kind's role, free capacity and no conflict of interest.
    While the intervention waits for a provider (consent obtained, matching,
    rematching) it moves to MATCHING: the provider is asked to accept."""
    if not can(actor, Action.CHANGE, intervention.case):
        raise ApplicationError(NOT_ALLOWED)
    _check_provider(provider)
    intervention = Intervention.objects.select_for_update().select_related("case").get(pk=intervention.pk)
    waiting = intervention.status in (Intervention.Status.CONSENT_OBTAINED, Intervention.Status.MATCHING,
                                      Intervention.Status.REMATCHING)
    if waiting and provider is None:
        raise ApplicationError(PROVIDER_REQUIRED, field="provider")
    if partner_roles is not None:
        partner_roles = partner_roles.strip()
        if intervention.kind == Intervention.Kind.EXIT_PROGRAMME and not partner_roles:
            raise ApplicationError(PARTNER_ROLES_REQUIRED, field="partner_roles")
    previous, previous_status = intervention.provider, intervention.status
    if previous == provider and not waiting:
        return intervention
    _check_provider_for(provider, intervention)
    changes = {"provider_id": [getattr(previous, "pk", None), getattr(provider, "pk", None)]}
    intervention.provider = provider
    fields = ["provider"]
    if waiting:
        intervention.status = Intervention.Status.MATCHING
        fields.append("status")
        if previous_status != intervention.status:
            changes["status"] = [previous_status, intervention.status]
    if partner_roles is not None and partner_roles != intervention.partner_roles:
        intervention.partner_roles = partner_roles
        fields.append("partner_roles")
        changes["partner_roles"] = "changed"
    intervention.save(update_fields=fields)
    access_move(actor=actor, obj=intervention, kind=GrantKind.PROVIDER, previous=previous, new=provider,
                reason="provider")
    audit_record(actor=actor, action=AuditAction.INTERVENTION_MATCHED, target=intervention,
                 case_id=intervention.case_id, changes=changes)
    return intervention


@transaction.atomic
def intervention_start(*, actor, intervention: Intervention, started_on) -> Intervention:
    """Mark an intervention as started. Mentor, coach and exit programmes need a provider."""
    if not can(actor, Action.CHANGE, intervention.case):
        raise ApplicationError(NOT_ALLOWED)
    if intervention.status not in (Intervention.Status.PROPOSED, Intervention.Status.CONSENT_OBTAINED,
                                   Intervention.Status.MATCHING):
        raise ApplicationError(_("This intervention has already started."))
    if intervention.kind in Intervention.CONSENT_REQUIRED and intervention.provider is None:
        raise ApplicationError(_("Choose a provider before the intervention starts."), field="provider")
    intervention.status = Intervention.Status.ACTIVE
    intervention.started_on = started_on
    intervention.save(update_fields=["status", "started_on"])
    audit_record(actor=actor, action=AuditAction.INTERVENTION_STARTED, target=intervention,
                 changes={"status": [Intervention.Status.PROPOSED, intervention.status]})
    return intervention


def _locked(intervention: Intervention) -> Intervention:
    return Intervention.objects.select_for_update(of=("self",)).select_related("case", "provider").get(
        pk=intervention.pk)


def _revoke_provider(*, actor, intervention: Intervention) -> None:
    access_revoke(actor=actor, obj=intervention, kind=GrantKind.PROVIDER)


@transaction.atomic
def intervention_consent_confirm(*, actor, intervention: Intervention) -> Intervention:
    """A valid consent is on record (the caller checked it): PROPOSED → CONSENT_OBTAINED,
    and the intervention now waits for a provider (the unstaffed clock starts)."""
    if not can(actor, Action.CHANGE, intervention.case):
        raise ApplicationError(NOT_ALLOWED)
    intervention = _locked(intervention)
    if intervention.status != Intervention.Status.PROPOSED:
        return intervention
    intervention.status = Intervention.Status.CONSENT_OBTAINED
    intervention.unstaffed_since = intervention.unstaffed_since or timezone.now()
    intervention.save(update_fields=["status", "unstaffed_since"])
    audit_record(actor=actor, action=AuditAction.INTERVENTION_CONSENT_OBTAINED, target=intervention, case_id=intervention.case_id,
                 changes={"status": [Intervention.Status.PROPOSED, intervention.status]})
    return intervention


@transaction.atomic
def intervention_accept(*, actor, intervention: Intervention, goals: str, started_on: datetime.date) -> Intervention:
    """The matched provider accepts: goals agreed at the start meeting, the start date;
    STARTED and then ACTIVE (sessions can be logged)."""
    intervention = _locked(intervention)
    if intervention.provider_id != getattr(actor, "pk", None) or not can(actor, Action.CHANGE, intervention):
        raise ApplicationError(NOT_THE_PROVIDER)
    if intervention.status != Intervention.Status.MATCHING:
        raise ApplicationError(NOT_OFFERED)
    if started_on > timezone.localdate():
        raise ApplicationError(FUTURE_DATE, field="started_on")
    goals = (goals or "").strip()
    if not goals:
        raise ApplicationError(_("Write down the goals agreed at the start meeting."), field="goals")
    previous = intervention.status
    # STARTED (the start meeting, goals agreed) and ACTIVE in the same step: the
    # acceptance is the start meeting's record.
    intervention.status = Intervention.Status.ACTIVE
    intervention.goals = goals
    intervention.started_on = intervention.started_on or started_on
    intervention.unstaffed_since = None
    intervention.unstaffed_alerted_at = None
    intervention.save(update_fields=["status", "goals", "started_on", "unstaffed_since", "unstaffed_alerted_at"])
    audit_record(actor=actor, action=AuditAction.INTERVENTION_ACCEPTED, target=intervention,
                 case_id=intervention.case_id,
                 changes={"status": [previous, Intervention.Status.STARTED, intervention.status],
                          "started_on": started_on.isoformat()})
    return intervention


@transaction.atomic
def intervention_decline(*, actor, intervention: Intervention, reason: str) -> Intervention:
    """The matched provider declines (with a reason): their access ends and the
    intervention goes back to matching."""
    intervention = _locked(intervention)
    if intervention.provider_id != getattr(actor, "pk", None) or not can(actor, Action.CHANGE, intervention):
        raise ApplicationError(NOT_THE_PROVIDER)
    if intervention.status != Intervention.Status.MATCHING:
        raise ApplicationError(NOT_OFFERED)
    if not (reason or "").strip():
        raise ApplicationError(DECLINE_REASON_REQUIRED, field="reason")
    intervention.provider = None
    intervention.unstaffed_since = intervention.unstaffed_since or timezone.now()
    intervention.save(update_fields=["provider", "unstaffed_since"])
    _revoke_provider(actor=actor, intervention=intervention)
    audit_record(actor=actor, action=AuditAction.INTERVENTION_DECLINED, target=intervention,
                 case_id=intervention.case_id, reason=reason.strip(),
                 changes={"provider_id": [actor.pk, None]})
    return intervention


@transaction.atomic
def intervention_session_log(
    *, actor, intervention: Intervention, held_on: datetime.date, duration_minutes: int, topic: str, note: str = "",
) -> InterventionSession:
    """The provider (or the case team) logs a session of a running intervention."""
    intervention = _locked(intervention)
    if not can(actor, Action.CHANGE, intervention):
        raise ApplicationError(NOT_ALLOWED)
    if intervention.status not in (Intervention.Status.ACTIVE, Intervention.Status.REVIEW):
        raise ApplicationError(NOT_RUNNING)
    if held_on > timezone.localdate():
        raise ApplicationError(FUTURE_DATE, field="held_on")
    if intervention.started_on and held_on < intervention.started_on:
        raise ApplicationError(DATE_BEFORE_START, field="held_on")
    if not duration_minutes or not 0 < duration_minutes <= 600:
        raise ApplicationError(DURATION_INVALID, field="duration_minutes")
    if not (topic or "").strip():
        raise ApplicationError(TOPIC_REQUIRED, field="topic")
    session = InterventionSession.objects.create(
        intervention=intervention, held_on=held_on, duration_minutes=duration_minutes, topic=topic.strip(),
        note=(note or "").strip(), logged_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.INTERVENTION_SESSION_LOGGED, target=intervention,
                 case_id=intervention.case_id,
                 extra={"session_id": session.pk, "held_on": held_on.isoformat(), "minutes": duration_minutes})
    return session


@transaction.atomic
def intervention_review_open(*, intervention: Intervention) -> Intervention:
    """The review timer fired (system action): the intervention waits for its
    progress review (status meeting)."""
    intervention = _locked(intervention)
    if intervention.status != Intervention.Status.ACTIVE:
        return intervention
    intervention.status = Intervention.Status.REVIEW
    intervention.save(update_fields=["status"])
    return intervention


def _end(*, actor, intervention: Intervention, reason: str, ended_on: datetime.date) -> Intervention:
    if reason not in Intervention.EndReason.values:
        raise ApplicationError(END_REASON_REQUIRED, field="end_reason")
    if ended_on > timezone.localdate():
        raise ApplicationError(FUTURE_DATE, field="ended_on")
    if intervention.started_on and ended_on < intervention.started_on:
        raise ApplicationError(DATE_BEFORE_START, field="ended_on")
    previous = intervention.status
    intervention.status = Intervention.Status.ENDED
    intervention.end_reason = reason
    intervention.ended_on = ended_on
    intervention.unstaffed_since = None
    intervention.save(update_fields=["status", "end_reason", "ended_on", "unstaffed_since"])
    _revoke_provider(actor=actor, intervention=intervention)
    audit_record(actor=actor, action=AuditAction.INTERVENTION_ENDED, target=intervention,
                 case_id=intervention.case_id,
                 changes={"status": [previous, intervention.status], "end_reason": reason,
                          "ended_on": ended_on.isoformat()})
    return intervention


@transaction.atomic
def intervention_end(*, actor, intervention: Intervention, reason: str,
                     ended_on: datetime.date | None = None) -> Intervention:
    """End an intervention with a reason; the provider's access ends (their sessions stay)."""
    intervention = _locked(intervention)
    if not can(actor, Action.CHANGE, intervention.case):
        raise ApplicationError(NOT_ALLOWED)
    if intervention.status == Intervention.Status.ENDED:
        raise ApplicationError(ALREADY_ENDED)
    return _end(actor=actor, intervention=intervention, reason=reason, ended_on=ended_on or timezone.localdate())


@transaction.atomic
def intervention_review_record(
    *, actor, intervention: Intervention, goals_status: str, outcome: str, note: str = "", end_reason: str = "",
) -> InterventionReview:
    """The caseworker's progress review: how far the goals are met, continue or end
    (with an end reason)."""
    intervention = _locked(intervention)
    if not can(actor, Action.CHANGE, intervention.case):
        raise ApplicationError(NOT_ALLOWED)
    if intervention.status != Intervention.Status.REVIEW:
        raise ApplicationError(REVIEW_NOT_OPEN)
    if goals_status not in InterventionReview.GoalsStatus.values:
        raise ApplicationError(_("Choose how far the goals are met."), field="goals_status")
    if outcome not in InterventionReview.Outcome.values:
        raise ApplicationError(_("Choose whether the intervention continues."), field="outcome")
    if outcome == InterventionReview.Outcome.END and end_reason not in Intervention.EndReason.values:
        raise ApplicationError(END_REASON_REQUIRED, field="end_reason")
    review = InterventionReview.objects.create(
        intervention=intervention, goals_status=goals_status, outcome=outcome, note=(note or "").strip(),
        reviewed_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.INTERVENTION_REVIEWED, target=intervention,
                 case_id=intervention.case_id,
                 extra={"review_id": review.pk, "goals_status": goals_status, "outcome": outcome})
    if outcome == InterventionReview.Outcome.END:
        _end(actor=actor, intervention=intervention, reason=end_reason, ended_on=timezone.localdate())
    else:
        intervention.status = Intervention.Status.ACTIVE
        intervention.save(update_fields=["status"])
    return review


@transaction.atomic
def intervention_provider_drop(*, actor, intervention: Intervention, note: str = "") -> Intervention:
    """The provider stopped (scenario 6): REMATCHING, the provider's access ends, the
    sessions stay, the unstaffed clock starts."""
    intervention = _locked(intervention)
    is_provider = intervention.provider_id is not None and intervention.provider_id == getattr(actor, "pk", None)
    if not (can(actor, Action.CHANGE, intervention.case) or (is_provider and can(actor, Action.CHANGE,
                                                                                    intervention))):
        raise ApplicationError(NOT_ALLOWED)
    if intervention.status == Intervention.Status.ENDED:
        raise ApplicationError(ALREADY_ENDED)
    if intervention.provider_id is None:
        raise ApplicationError(NO_PROVIDER_TO_DROP)
    previous, previous_status = intervention.provider_id, intervention.status
    intervention.provider = None
    intervention.status = Intervention.Status.REMATCHING
    intervention.unstaffed_since = timezone.now()
    intervention.unstaffed_alerted_at = None
    intervention.save(update_fields=["provider", "status", "unstaffed_since", "unstaffed_alerted_at"])
    _revoke_provider(actor=actor, intervention=intervention)
    audit_record(actor=actor, action=AuditAction.INTERVENTION_PROVIDER_DROPPED, target=intervention,
                 case_id=intervention.case_id, reason=(note or "").strip(),
                 changes={"provider_id": [previous, None], "status": [previous_status, intervention.status]})
    return intervention


@transaction.atomic
def intervention_unstaffed_alert(*, intervention: Intervention) -> bool:
    """System action: the intervention has been without a provider for
    ``CASEFLOW_UNSTAFFED_ALERT_DAYS`` days. Alerted once per period without a provider;
    returns whether this call raised the alert."""
    intervention = _locked(intervention)
    if intervention.provider_id is not None or intervention.unstaffed_since is None \
            or intervention.status == Intervention.Status.ENDED:
        return False
    if intervention.unstaffed_alerted_at is not None:
        return False
    intervention.unstaffed_alerted_at = timezone.now()
    intervention.save(update_fields=["unstaffed_alerted_at"])
    audit_record(actor=None, action=AuditAction.INTERVENTION_UNSTAFFED_ALERTED, target=intervention,
                 case_id=intervention.case_id,
                 extra={"unstaffed_since": intervention.unstaffed_since.isoformat(), "automatic": True,
                        "days": settings.CASEFLOW_UNSTAFFED_ALERT_DAYS})
    return True
