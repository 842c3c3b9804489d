"""The effects of the InterventionFlow's steps (design.md §3 item 3, domain.md §2.6).
Task views parse their form and call one of these; the domain services in
``caseflow.interventions.services`` check the policy, write and audit. The flow only
routes on the state they leave behind."""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.cases.consents import consent_is_valid, consent_record
from caseflow.cases.models import Consent
from caseflow.core.exceptions import ApplicationError
from caseflow.interventions.models import Intervention
from caseflow.interventions.services import intervention_consent_confirm, intervention_provider_drop
from permissions.policy import Action, can

from .models import InterventionProcess

START_NOT_ALLOWED = _("You are not allowed to start the work on this intervention.")
ALREADY_STARTED = _("The work on this intervention has already started.")
NOT_PROPOSED = _("Only a proposed intervention can be started.")
MINOR_NEEDS_CUSTODY_HOLDER = _("The person is a minor: a custody holder must consent to the intervention.")
CONSENT_NOT_VALID = _("There is no valid consent to this intervention: it cannot go on.")
DROPOUT_ONLY_PROVIDER = _("Only the intervention's own provider can report that they stop.")
DROPOUT_NOT_RUNNING = _(
    "You can report that you stop only while the intervention is running and not in a progress review. "
    "Tell the caseworker instead."
)


@transaction.atomic
def intervention_process_start(*, actor, intervention: Intervention) -> InterventionProcess:
    """Start the InterventionFlow of a proposed intervention. Mentor, coach and exit
    programmes go to consent and matching; the other kinds to a simple caseworker
    task. Called by the CaseFlow's plan step for each intervention."""
    from .flows.intervention import InterventionFlow

    intervention = Intervention.objects.select_related("case").get(pk=intervention.pk)
    if not can(actor, Action.CHANGE, intervention.case):
        raise ApplicationError(START_NOT_ALLOWED)
    if InterventionProcess.objects.filter(intervention=intervention).exists():
        raise ApplicationError(ALREADY_STARTED)
    if intervention.status != Intervention.Status.PROPOSED:
        raise ApplicationError(NOT_PROPOSED)
    return InterventionFlow.start.run(intervention=intervention)


def intervention_consent_valid(intervention: Intervention, on: datetime.date | None = None) -> bool:
    """Is there a valid consent to this intervention? For a minor it must be a
    custody holder's (domain.md §2.3: an offer to a child needs custody-holder
    consent); for an adult only their own counts (``consent_is_valid``)."""
    case = intervention.case
    on = on or timezone.localdate()
    if not consent_is_valid(case=case, scope=Consent.Scope.INTERVENTION, intervention=intervention, on=on):
        return False
    if case.person.is_minor_on(on):
        return Consent.objects.filter(
            case=case, intervention=intervention, scope=Consent.Scope.INTERVENTION,
            given_by=Consent.GivenBy.CUSTODY_HOLDER, given_on__lte=on,
        ).exclude(withdrawn_on__lte=on).exclude(expires_on__lt=on).exists()
    return True


@transaction.atomic
def intervention_consent_obtain(
    *, actor, intervention: Intervention, given_by: str, given_on: datetime.date, given_by_name: str = "",
    expires_on: datetime.date | None = None, note: str = "",
) -> Intervention:
    """The consent step: record the consent to this intervention and move on only when
    a valid consent is on record (PROPOSED → CONSENT_OBTAINED)."""
    intervention = Intervention.objects.select_related("case__person").get(pk=intervention.pk)
    case = intervention.case
    if given_by == Consent.GivenBy.SUBJECT and case.person.is_minor_on(given_on):
        raise ApplicationError(MINOR_NEEDS_CUSTODY_HOLDER, field="given_by")
    consent_record(actor=actor, case=case, scope=Consent.Scope.INTERVENTION, given_by=given_by,
                   given_on=given_on, given_by_name=given_by_name, intervention=intervention,
                   expires_on=expires_on, note=note)
    if not intervention_consent_valid(intervention):
        raise ApplicationError(CONSENT_NOT_VALID)
    return intervention_consent_confirm(actor=actor, intervention=intervention)


def review_due(intervention: Intervention, start=None) -> datetime.datetime:
    """The next progress review: ``CASEFLOW_REVIEW_MONTHS[level]`` months on."""
    months = settings.CASEFLOW_REVIEW_MONTHS[intervention.case.level]
    return (start or timezone.now()) + relativedelta(months=months)


def unstaffed_alert_due(intervention: Intervention) -> datetime.datetime:
    """``CASEFLOW_UNSTAFFED_ALERT_DAYS`` days after the intervention lost (or never had)
    its provider."""
    since = intervention.unstaffed_since or timezone.now()
    return since + datetime.timedelta(days=settings.CASEFLOW_UNSTAFFED_ALERT_DAYS)


@transaction.atomic
def intervention_provider_dropout_report(*, actor, intervention: Intervention, note: str = "") -> Intervention:
    """The provider reports that they stop (scenario 6), from the intervention's page:
    under the flow lock, the dropout is recorded (``intervention_provider_drop``:
    REMATCHING, the provider's access ends, audited) and the caseworker's "running
    intervention" task is completed on the provider's behalf, so the flow goes back to
    matching. Only the current provider may; only while that task is open."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from .flows.intervention import InterventionFlow

    intervention = Intervention.objects.select_related("case").get(pk=intervention.pk)
    if (actor is None or intervention.provider_id is None or intervention.provider_id != actor.pk
            or not can(actor, Action.CHANGE, intervention)):
        raise ApplicationError(DROPOUT_ONLY_PROVIDER)
    process = InterventionProcess.objects.filter(intervention=intervention).order_by("-pk").first()
    if process is None:
        raise ApplicationError(DROPOUT_NOT_RUNNING)
    with InterventionFlow.lock(process.pk):
        task = Task.objects.filter(process_id=process.pk, flow_task=InterventionFlow.follow,
                                   status__in=(STATUS.NEW, STATUS.ASSIGNED)).first()
        if task is None:
            raise ApplicationError(DROPOUT_NOT_RUNNING)
        intervention = intervention_provider_drop(actor=actor, intervention=intervention, note=note)
        activation = task.flow_task.activation_class(task)
        if task.owner_id is None:  # no responsible caseworker: the provider did the step
            activation.assign(actor)
        activation.start(None)
        activation.execute()
    return intervention
