from django.http import Http404

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from permissions.policy import visible_interventions

from .models import Intervention

PURPOSE_INTERVENTION_WORK = "intervention_work"


def intervention_get_for(*, actor, intervention_id, purpose=PURPOSE_INTERVENTION_WORK) -> Intervention:
    """The intervention if ``actor`` may see it (a provider sees only their own);
    otherwise Http404 and an ``access.denied`` event."""
    intervention = (
        visible_interventions(actor).select_related("case__person", "provider").filter(pk=intervention_id).first()
    )
    if intervention is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="interventions.intervention",
                     target_id=str(intervention_id), purpose=purpose)
        raise Http404
    audit_record(actor=actor, action=AuditAction.INTERVENTION_VIEWED, target=intervention, purpose=purpose)
    return intervention
