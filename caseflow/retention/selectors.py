"""Reads of retention: the archive-review queue and the legal holds of a supervisor's
team. Supervisors only; each list read is one audit event; an object the actor may not
reach is a 404 with an ``access.denied`` event (existence is not confirmed)."""

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case
from caseflow.referrals.models import Referral
from permissions.policy import Feature, may_use, may_use_for_team

from .models import ArchiveReview, DeletionRecord, LegalHold

PURPOSE_RETENTION = "retention"


def _require_supervisor(actor) -> None:
    if not may_use(actor, Feature.RETENTION):
        raise PermissionDenied


def archive_review_list_for(*, actor) -> dict:
    """The team's pending reviews (oldest first) and the last decided ones."""
    _require_supervisor(actor)
    reviews = ArchiveReview.objects.filter(team_id=actor.team_id).select_related("case", "decided_by")
    pending = list(reviews.filter(status=ArchiveReview.Status.PENDING).order_by("queued_at", "pk"))
    decided = list(reviews.exclude(status=ArchiveReview.Status.PENDING).order_by("-decided_at", "-pk")[:50])
    audit_record(actor=actor, action=AuditAction.RETENTION_REVIEW_LISTED, purpose=PURPOSE_RETENTION,
                 extra={"team_id": actor.team_id, "review_ids": [review.pk for review in pending],
                        "case_ids": [review.case_id for review in pending]})
    return {"pending": pending, "decided": decided}


def _deny(actor, target_type, target_id):
    audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type=target_type, target_id=str(target_id),
                 purpose=PURPOSE_RETENTION)
    raise Http404


def archive_review_get_for(*, actor, review_id: int) -> ArchiveReview:
    review = ArchiveReview.objects.select_related("case", "case__person", "decided_by").filter(pk=review_id).first()
    if review is None or not may_use_for_team(actor, Feature.RETENTION, review.team_id):
        _deny(actor, "retention.archivereview", review_id)
    return review


def legal_hold_list_for(*, actor) -> QuerySet[LegalHold]:
    """The team's legal holds, active ones first (references only: no case content)."""
    _require_supervisor(actor)
    return (LegalHold.objects.filter(team_id=actor.team_id).select_related("set_by", "lifted_by")
            .order_by(F("lifted_at").desc(nulls_first=True), "-set_at", "-pk"))


def legal_hold_get_for(*, actor, hold_id: int) -> LegalHold:
    hold = LegalHold.objects.filter(pk=hold_id).first()
    if hold is None or not may_use_for_team(actor, Feature.RETENTION, hold.team_id):
        _deny(actor, "retention.legalhold", hold_id)
    return hold


def hold_target_find(*, actor, reference: str):
    """The case or referral of the actor's team with this reference (KE-… or HV-…), or
    None: another team's objects are not found either (no confirmation of existence)."""
    reference = (reference or "").strip().upper()
    if not reference or not may_use(actor, Feature.RETENTION):
        return None
    return (Case.objects.filter(team_id=actor.team_id, reference=reference).first()
            or Referral.objects.filter(team_id=actor.team_id, reference=reference).first())


def deletion_record_list_for(*, actor) -> QuerySet[DeletionRecord]:
    """Deletion records: the auditor (DPO) sees all, a supervisor their team's. They hold
    no personal data (rule, time, type, id, reference number, counts), so reading them is
    not a read of case data and is not audited as one."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied
    records = DeletionRecord.objects.select_related("decided_by").order_by("-performed_at", "-pk")
    if may_use(actor, Feature.AUDIT_ALL_TEAMS):
        return records
    _require_supervisor(actor)
    return records.filter(team_id=actor.team_id)
