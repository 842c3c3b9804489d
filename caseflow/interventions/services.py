from django.db import transaction
from django.utils.translation import gettext_lazy as _

from caseflow.accounts.roles import Role
from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from permissions.models import GrantKind
from permissions.policy import Action, can
from permissions.services import access_grant, access_move

from .models import Intervention

NOT_ALLOWED = _("You are not allowed to change this intervention.")
PROVIDER_ROLES = (Role.MENTOR, Role.PARENT_COACH)
PROVIDER_NOT_ELIGIBLE = _("The provider must be a mentor or a parent coach.")


def _check_provider(provider):
    if provider is not None and not any(provider.has_role(role) for role in PROVIDER_ROLES):
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


@transaction.atomic
def intervention_match(*, actor, intervention: Intervention, provider) -> Intervention:
    """Give the intervention a (new) provider; the previous provider's access ends."""
    if not can(actor, Action.CHANGE, intervention.case):
        raise ApplicationError(NOT_ALLOWED)
    _check_provider(provider)
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    previous = intervention.provider
    if previous == provider:
        return intervention
    intervention.provider = provider
    intervention.save(update_fields=["provider"])
    access_move(actor=actor, obj=intervention, kind=GrantKind.PROVIDER, previous=previous, new=provider,
                reason="provider")
    audit_record(actor=actor, action=AuditAction.INTERVENTION_MATCHED, target=intervention,
                 changes={"provider_id": [getattr(previous, "pk", None), getattr(provider, "pk", None)]})
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
