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
from caseflow.interventions.services import intervention_consent_confirm
from permissions.policy import Action, can

from .models import InterventionProcess

START_NOT_ALLOWED = _("You are not allowed to start the work on this intervention.")
ALREADY_STARTED = _("The work on this intervention has already started.")
NOT_PROPOSED = _("Only a proposed intervention can be started.")
MINOR_NEEDS_CUSTODY_HOLDER = _("The person is a minor: a custody holder must consent to the intervention.")
CONSENT_NOT_VALID = _("There is no valid consent to this intervention: it cannot go on.")


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
