from django.db.models import Case as SqlCase
from django.db.models import QuerySet, When

from caseflow.accounts.roles import Role
from caseflow.cases.models import Case

from .models import BreakGlassAccess


def break_glass_target_get(*, case_id) -> Case | None:
    """The case an emergency access is asked for, without its content (the service
    decides whether the actor may open it)."""
    return Case.objects.only("pk", "team_id", "is_minor").filter(pk=case_id).first()


def _team_accesses(actor) -> QuerySet[BreakGlassAccess]:
    if not (actor.is_authenticated and actor.has_role(Role.SUPERVISOR) and actor.team_id):
        return BreakGlassAccess.objects.none()
    return BreakGlassAccess.objects.filter(case__team_id=actor.team_id)


def break_glass_reviews_for(*, actor, limit=200) -> list[BreakGlassAccess]:
    """Emergency accesses of the supervisor's team, those waiting for review first."""
    pending_first = SqlCase(When(review=BreakGlassAccess.Review.PENDING, then=0), default=1)
    return list(
        _team_accesses(actor).select_related("case", "user", "reviewed_by")
        .order_by(pending_first, "-opened_at")[:limit]
    )


def break_glass_access_get_for(*, actor, access_id) -> BreakGlassAccess | None:
    if not str(access_id).isdigit():
        return None
    return _team_accesses(actor).filter(pk=int(access_id)).first()
