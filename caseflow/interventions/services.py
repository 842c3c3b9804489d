from django.db import transaction
from django.utils.translation import gettext_lazy as _

from caseflow.core.exceptions import ApplicationError

from .models import Intervention


@transaction.atomic
def intervention_propose(*, actor, case, kind, provider=None, goals="") -> Intervention:
    """Propose an intervention in an open case. Consent, matching and sessions are
    steps of the InterventionFlow (workflow issue)."""
    if not case.is_open:
        raise ApplicationError(_("Interventions can only be added to an open case."))
    if kind not in Intervention.Kind.values:
        raise ApplicationError(_("Choose a kind of intervention."), field="kind")
    intervention = Intervention(case=case, kind=kind, provider=provider, goals=goals)
    intervention.full_clean()
    intervention.save()
    return intervention


@transaction.atomic
def intervention_start(*, actor, intervention: Intervention, started_on) -> Intervention:
    """Mark an intervention as started. Mentor, coach and exit programmes need a provider."""
    if intervention.status not in (Intervention.Status.PROPOSED, Intervention.Status.CONSENT_OBTAINED,
                                   Intervention.Status.MATCHING):
        raise ApplicationError(_("This intervention has already started."))
    if intervention.kind in Intervention.CONSENT_REQUIRED and intervention.provider is None:
        raise ApplicationError(_("Choose a provider before the intervention starts."), field="provider")
    intervention.status = Intervention.Status.ACTIVE
    intervention.started_on = started_on
    intervention.save(update_fields=["status", "started_on"])
    return intervention
