"""The one door to case data.

Foundation version: visibility follows the relations already on the models (the
responsible caseworker, the team's supervisor, the child consultant for minors). The
permission issue replaces the body with guardian direct-FK grants, break-the-glass and
field-level rules; callers keep using ``visible_cases`` and never filter ``Case``
themselves.
"""

from django.db.models import Q, QuerySet

from caseflow.accounts.roles import Role
from caseflow.cases.models import Case


def visible_cases(actor) -> QuerySet[Case]:
    """Cases ``actor`` may see. Anyone without a relation sees nothing."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Case.objects.none()
    condition = Q(pk__in=[])
    if actor.has_role(Role.CASEWORKER):
        condition |= Q(responsible=actor)
    if actor.has_role(Role.SUPERVISOR) and actor.team_id is not None:
        condition |= Q(team_id=actor.team_id)
    if actor.has_role(Role.CHILD_CONSULTANT):
        condition |= Q(is_minor=True)
    return Case.objects.filter(condition)
