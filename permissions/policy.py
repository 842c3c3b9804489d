"""The one door to case data: ``can``, ``require`` and the visibility querysets.

Every view, API, search, export, template link and task asks here. Rules live in
``permissions.rules``; grants in guardian's direct-FK tables (``permissions.models``).
Only grants valid *now* count (``valid_until`` empty or in the future), so time-boxed
access ends on the second without a clean-up job. Nothing is cached across requests.

Lists are UNION-shaped id subqueries over the grant tables (design.md §3): one
statement, integer joins, no per-row checks.
"""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from caseflow.accounts.roles import Role
from caseflow.cases.models import Case
from caseflow.interventions.models import Intervention
from caseflow.people.ages import AGE_OF_MAJORITY
from caseflow.referrals.models import Referral

from .models import (
    CaseGroupGrant,
    CaseUserGrant,
    InterventionGroupGrant,
    InterventionUserGrant,
    ReferralGroupGrant,
    ReferralUserGrant,
)
from .rules import (
    CASE_GRANT_ACTIONS,
    INTERVENTION_GRANT_ACTIONS,
    REFERRAL_CONSULTANT_ACTIONS,
    REFERRAL_GRANT_ACTIONS,
    REFERRAL_SCREENING_ACTIONS,
    REFERRAL_SUPERVISOR_ACTIONS,
    SUPERVISOR_TEAM_ACTIONS,
    Action,
)


class AccessDenied(PermissionDenied):
    """The actor may not do this. Interfaces answer 404 for objects the actor cannot
    see at all (existence is not confirmed) and 403 for a visible object's action."""


def _active(actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def _valid_now(now) -> Q:
    return Q(valid_until__isnull=True) | Q(valid_until__gt=now)


def _group_ids(actor):
    """The actor's group ids as a literal list when the user object offers them (one
    cached query per request; the planner then uses the grant tables' group index),
    else as a subquery."""
    group_ids = getattr(actor, "group_ids", None)
    if callable(group_ids):
        return group_ids()
    return get_user_model().groups.through.objects.filter(user_id=actor.pk).values("group_id")


def _kinds_allowing(table: dict[str, frozenset[str]], action: str) -> list[str]:
    return [kind for kind, actions in table.items() if action in actions]


def _granted_ids(user_model, group_model, actor, kinds, now):
    """Ids of objects granted to ``actor`` (directly or via a group) for ``kinds``: two
    id subqueries, or none when no grant kind allows the action."""
    if not kinds:
        return ()
    by_user = user_model.objects.filter(user_id=actor.pk, kind__in=kinds).filter(_valid_now(now))
    by_group = group_model.objects.filter(group_id__in=_group_ids(actor), kind__in=kinds).filter(_valid_now(now))
    return by_user.values("content_object_id"), by_group.values("content_object_id")


# --------------------------------------------------------------------------- visibility


class CaseVisibility(NamedTuple):
    """``visible_cases`` in parts, for lists that must stay fast at national scale: the
    ids granted to the actor (directly or through a group) and, for a supervisor, the
    team whose every case they see. The union of both is exactly ``visible_cases``."""

    granted: tuple[QuerySet, ...]  # id subqueries over the grant tables (empty: no grant allows it)
    team_id: int | None

    def granted_ids(self) -> QuerySet:
        """The granted ids as one UNION (distinct ids)."""
        return _ids_union(Case, self.granted)


def case_visibility(actor, action: str = Action.VIEW) -> CaseVisibility:
    if not _active(actor):
        return CaseVisibility((), None)
    granted = _granted_ids(CaseUserGrant, CaseGroupGrant, actor,
                           _kinds_allowing(CASE_GRANT_ACTIONS, action), timezone.now())
    return CaseVisibility(tuple(granted), supervised_team_id(actor, action))


def supervised_team_id(actor, action: str) -> int | None:
    """The team on whose every case ``actor`` may do ``action`` (a supervisor's own), if any."""
    if _active(actor) and action in SUPERVISOR_TEAM_ACTIONS and actor.team_id and actor.has_role(Role.SUPERVISOR):
        return actor.team_id
    return None


#: Per kind of object: its grant tables (to users, to groups) and what each grant kind allows.
GRANT_TABLES = {
    "case": (CaseUserGrant, CaseGroupGrant, CASE_GRANT_ACTIONS),
    "referral": (ReferralUserGrant, ReferralGroupGrant, REFERRAL_GRANT_ACTIONS),
    "intervention": (InterventionUserGrant, InterventionGroupGrant, INTERVENTION_GRANT_ACTIONS),
}


def group_ids_of(actor) -> list[int]:
    """The actor's group ids (read once per request with the roles)."""
    ids = _group_ids(actor)
    return list(ids) if isinstance(ids, list) else [row["group_id"] for row in ids]


def _ids_union(model, parts) -> QuerySet:
    """The UNION of id subqueries (an empty id list when there is none)."""
    if not parts:
        return model.objects.none().values("pk")
    first, *rest = (part.order_by() for part in parts)
    return first.union(*rest) if rest else first


def visible_case_ids(actor, action: str = Action.VIEW) -> QuerySet:
    """The ids of ``visible_cases``, as a subquery that needs no pass over the cases
    table (for joins from other tables: tasks, interventions)."""
    visibility = case_visibility(actor, action)
    parts = list(visibility.granted)
    if visibility.team_id is not None:
        parts.append(Case.objects.filter(team_id=visibility.team_id).values("id"))
    return _ids_union(Case, parts)


def visible_cases(actor, action: str = Action.VIEW) -> QuerySet[Case]:
    """Cases on which ``actor`` may perform ``action`` (default: see it at all)."""
    if not _active(actor):
        return Case.objects.none()
    return Case.objects.filter(pk__in=visible_case_ids(actor, action))


def _minor_birth_date_cutoff():
    today = timezone.localdate()
    try:
        return today.replace(year=today.year - AGE_OF_MAJORITY)
    except ValueError:  # 29 February
        return today.replace(year=today.year - AGE_OF_MAJORITY, day=28)


def referral_rule_ids(actor) -> list[tuple[frozenset[str], QuerySet]]:
    """The referrals ``actor`` reaches by a role rule rather than a grant, as (the
    actions the rule allows, id subquery): a caseworker their team's referrals while they
    are screened, a supervisor all of their team's, the child consultant every open one
    about a person under 18."""
    rules = []
    if not _active(actor):
        return rules
    if actor.team_id and actor.has_role(Role.CASEWORKER):
        rules.append((REFERRAL_SCREENING_ACTIONS, Referral.objects.filter(
            team_id=actor.team_id, closed_at__isnull=True, case__isnull=True).values("id")))
    if actor.team_id and actor.has_role(Role.SUPERVISOR):
        rules.append((REFERRAL_SUPERVISOR_ACTIONS, Referral.objects.filter(team_id=actor.team_id).values("id")))
    if actor.has_role(Role.CHILD_CONSULTANT):
        rules.append((REFERRAL_CONSULTANT_ACTIONS, Referral.objects.filter(
            closed_at__isnull=True, person__birth_date__gt=_minor_birth_date_cutoff()).values("id")))
    return rules


def visible_referral_ids(actor, action: str = Action.VIEW) -> QuerySet:
    """The ids of ``visible_referrals`` (see ``visible_case_ids``)."""
    if not _active(actor):
        return _ids_union(Referral, [])
    parts = list(_granted_ids(ReferralUserGrant, ReferralGroupGrant, actor,
                              _kinds_allowing(REFERRAL_GRANT_ACTIONS, action), timezone.now()))
    parts += [ids for actions, ids in referral_rule_ids(actor) if action in actions]
    return _ids_union(Referral, parts)


def visible_referrals(actor, action: str = Action.VIEW) -> QuerySet[Referral]:
    if not _active(actor):
        return Referral.objects.none()
    return Referral.objects.filter(pk__in=visible_referral_ids(actor, action))


def intervention_granted_ids(actor, action: str = Action.VIEW) -> tuple[QuerySet, ...]:
    """Id subqueries of the interventions granted to ``actor`` for ``action`` (a provider's
    own); ``visible_interventions`` adds those of the cases the actor reaches."""
    if not _active(actor):
        return ()
    return tuple(_granted_ids(InterventionUserGrant, InterventionGroupGrant, actor,
                              _kinds_allowing(INTERVENTION_GRANT_ACTIONS, action), timezone.now()))


def visible_intervention_ids(actor, action: str = Action.VIEW) -> QuerySet:
    """The ids of ``visible_interventions`` (see ``visible_case_ids``)."""
    if not _active(actor):
        return _ids_union(Intervention, [])
    parts = list(intervention_granted_ids(actor, action))
    parts.append(Intervention.objects.filter(case__in=visible_case_ids(actor, action)).values("id"))
    return _ids_union(Intervention, parts)


def visible_interventions(actor, action: str = Action.VIEW) -> QuerySet[Intervention]:
    """A provider reaches their own intervention; whoever may do ``action`` on a case
    may do it on the case's interventions."""
    if not _active(actor):
        return Intervention.objects.none()
    return Intervention.objects.filter(pk__in=visible_intervention_ids(actor, action))


# --------------------------------------------------------------------------- one object


def _grant_kinds(user_model, group_model, actor, obj_id, now) -> set[str]:
    by_user = user_model.objects.filter(user_id=actor.pk, content_object_id=obj_id).filter(_valid_now(now))
    by_group = group_model.objects.filter(
        group_id__in=_group_ids(actor), content_object_id=obj_id
    ).filter(_valid_now(now))
    return set(by_user.order_by().values_list("kind", flat=True).union(
        by_group.order_by().values_list("kind", flat=True)))


def case_actions(actor, case: Case) -> frozenset[str]:
    """Everything ``actor`` may do on ``case`` (one query, plus the actor's roles)."""
    if not _active(actor):
        return frozenset()
    actions: set[str] = set()
    if actor.team_id and case.team_id == actor.team_id and actor.has_role(Role.SUPERVISOR):
        actions |= SUPERVISOR_TEAM_ACTIONS
    for kind in _grant_kinds(CaseUserGrant, CaseGroupGrant, actor, case.pk, timezone.now()):
        actions |= CASE_GRANT_ACTIONS.get(kind, frozenset())
    return frozenset(actions)


def referral_actions(actor, referral: Referral) -> frozenset[str]:
    if not _active(actor):
        return frozenset()
    actions: set[str] = set()
    same_team = actor.team_id and referral.team_id == actor.team_id
    if same_team and actor.has_role(Role.SUPERVISOR):
        actions |= REFERRAL_SUPERVISOR_ACTIONS
    if (same_team and actor.has_role(Role.CASEWORKER) and referral.closed_at is None
            and referral.case_id is None):
        actions |= REFERRAL_SCREENING_ACTIONS
    if (actor.has_role(Role.CHILD_CONSULTANT) and referral.closed_at is None and referral.person_id
            and referral.person.birth_date and referral.person.birth_date > _minor_birth_date_cutoff()):
        actions |= REFERRAL_CONSULTANT_ACTIONS
    for kind in _grant_kinds(ReferralUserGrant, ReferralGroupGrant, actor, referral.pk, timezone.now()):
        actions |= REFERRAL_GRANT_ACTIONS.get(kind, frozenset())
    return frozenset(actions)


def intervention_actions(actor, intervention: Intervention) -> frozenset[str]:
    if not _active(actor):
        return frozenset()
    actions: set[str] = set()
    for kind in _grant_kinds(InterventionUserGrant, InterventionGroupGrant, actor, intervention.pk,
                             timezone.now()):
        actions |= INTERVENTION_GRANT_ACTIONS.get(kind, frozenset())
    case_side = case_actions(actor, intervention.case)
    actions |= case_side & {Action.VIEW, Action.CHANGE, Action.CLAIM_TASK, Action.EXPORT}
    return frozenset(actions)


def can(actor, action: str, obj) -> bool:
    """May ``actor`` perform ``action`` on ``obj``? Unknown object types are refused."""
    if isinstance(obj, Case):
        return action in case_actions(actor, obj)
    if isinstance(obj, Referral):
        return action in referral_actions(actor, obj)
    if isinstance(obj, Intervention):
        return action in intervention_actions(actor, obj)
    return False


def require(actor, action: str, obj) -> None:
    if not can(actor, action, obj):
        raise AccessDenied(action)
