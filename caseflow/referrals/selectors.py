from django.http import Http404

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from permissions.policy import visible_referrals

from .models import Referral

PURPOSE_SCREENING = "screening"


def referral_get_for(*, actor, referral_id, purpose=PURPOSE_SCREENING) -> Referral:
    """The referral if ``actor`` may see it; otherwise Http404 and ``access.denied``."""
    referral = (
        visible_referrals(actor).select_related("person", "team", "registered_by", "case", "reopen_case")
        .filter(pk=referral_id).first()
    )
    if referral is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="referrals.referral",
                     target_id=str(referral_id), purpose=purpose)
        raise Http404
    audit_record(actor=actor, action=AuditAction.REFERRAL_VIEWED, target=referral, purpose=purpose)
    return referral
