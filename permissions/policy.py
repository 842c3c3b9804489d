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
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from caseflow.access_requests.models import AccessRequest
from caseflow.accounts.roles import Role
from caseflow.audit.access import SCOPE_ALL, SCOPE_TEAM, AuditScope
from caseflow.cases.models import Case
from caseflow.interventions.models import Intervention
from caseflow.meetings.models import Meeting, MeetingMember
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
    ACCESS_FILE_ITEM_ACTIONS,
    ACCESS_REQUEST_HANDLER_ACTIONS,
    ACCESS_REQUEST_READER_ACTIONS,
    CASE_GRANT_ACTIONS,
    DUTY_RULES,
    FEATURE_RULES,
    INTERVENTION_FROM_CASE_ACTIONS,
    INTERVENTION_GRANT_ACTIONS,
    PROVIDER_DUTY_BY_ROLE,
    REFERRAL_CONSULTANT_ACTIONS,
    REFERRAL_GRANT_ACTIONS,
    REFERRAL_SCREENING_ACTIONS,
    REFERRAL_SUPERVISOR_ACTIONS,
    SUPERVISOR_TEAM_ACTIONS,
    Action,
    Duty,  # noqa: F401 (callers name duties through the policy)
    Feature,
)


class AccessDenied(PermissionDenied):
    """The actor may not do this. Interfaces answer 404 for objects the actor cannot
    see at all (existence is not confirmed) and 403 for a visible object's action."""


def _active(actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


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
    by_user = user_model.objects.filter(user_id=actor.pk, kind__in=kinds).valid_now(now)
    by_group = group_model.objects.filter(group_id__in=_group_ids(actor), kind__in=kinds).valid_now(now)
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
    by_user = user_model.objects.filter(user_id=actor.pk, content_object_id=obj_id).valid_now(now)
    by_group = group_model.objects.filter(group_id__in=_group_ids(actor), content_object_id=obj_id).valid_now(now)
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
    actions |= case_side & INTERVENTION_FROM_CASE_ACTIONS
    return frozenset(actions)


# --------------------------------------------------------------------------- features and roles


def may_use(actor, feature: str) -> bool:
    """May ``actor`` open ``feature`` at all (``rules.FEATURE_RULES``)? What it shows is
    still scoped by the object rules."""
    return _rule_allows(actor, FEATURE_RULES[feature])


def may_use_for_team(actor, feature: str, team_id) -> bool:
    """``may_use`` for a feature that belongs to a team, on ``team_id``'s objects: the
    actor must belong to that team."""
    return bool(team_id) and may_use(actor, feature) and actor.team_id == team_id


def _rule_allows(user, rule) -> bool:
    if not _active(user):
        return False
    if rule.superuser is True:
        return bool(user.is_superuser)
    if rule.superuser is False and user.is_superuser:
        return False
    if rule.needs_team and not user.team_id:
        return False
    return any(user.has_role(role) for role in rule.roles)


def may_hold(user, duty: str, team_id=None) -> bool:
    """May ``user`` be named to ``duty`` (``rules.DUTY_RULES``), for ``team_id`` when the
    duty is a team's? It decides no one's access to data; the duty's grant does."""
    rule = DUTY_RULES[duty]
    if not _rule_allows(user, rule):
        return False
    return not (rule.needs_team and team_id is not None and user.team_id != team_id)


def may_provide(user, provider_role) -> bool:
    """May ``user`` be the provider of an intervention whose kind needs ``provider_role``?"""
    duty = PROVIDER_DUTY_BY_ROLE.get(provider_role)
    return duty is not None and may_hold(user, duty)


def users_who_may_provide(provider_role) -> QuerySet:
    """The active users who may provide an intervention whose kind needs ``provider_role``."""
    duty = PROVIDER_DUTY_BY_ROLE.get(provider_role)
    return users_who_may_hold(duty) if duty else get_user_model().objects.none()


def users_who_may_hold(duty: str, team_id=None) -> QuerySet:
    """The active users eligible for ``duty`` (for a form's choices)."""
    rule = DUTY_RULES[duty]
    users = get_user_model().objects.filter(is_active=True, groups__name__in=list(rule.roles)).distinct()
    if rule.needs_team:
        users = users.filter(team_id=team_id) if team_id is not None else users.exclude(team__isnull=True)
    return users


def may_reset_second_factor(actor, user) -> bool:
    """An administrator resets anyone's second factor; a supervisor their own team's
    members (not their own)."""
    if may_use(actor, Feature.ADMIN):
        return True
    return may_use_for_team(actor, Feature.RESET_TEAM_SECOND_FACTOR, user.team_id) and actor.pk != user.pk


# --------------------------------------------------------------------------- the audit trail


def audit_scope_for(actor) -> AuditScope | None:
    """What part of the audit trail ``actor`` may read, or None when they may read none.

    The auditor (DPO) reads all of it; a supervisor their team's (a supervisor without a
    team gets the team scope of no team: an empty result, not a 403; they hold the role,
    there is simply nothing of theirs to see)."""
    if may_use(actor, Feature.AUDIT_ALL_TEAMS):
        return AuditScope(SCOPE_ALL)
    if may_use(actor, Feature.AUDIT_LOG):
        return AuditScope(SCOPE_TEAM, actor.team_id)
    return None


# --------------------------------------------------------------------------- access requests


def access_request_actions(actor, access_request) -> frozenset[str]:
    """What ``actor`` may do with an access request (``rules.ACCESS_REQUEST_*``)."""
    if not may_use_for_team(actor, Feature.ACCESS_REQUESTS, access_request.team_id):
        return frozenset()
    if actor.pk == access_request.handler_id or actor.has_role(Role.SUPERVISOR):
        return ACCESS_REQUEST_HANDLER_ACTIONS
    if person_reachable(actor, access_request.person_id):
        return ACCESS_REQUEST_READER_ACTIONS
    return frozenset()


def person_reachable(actor, person_id) -> bool:
    """Whether ``actor`` may view one of the person's cases or referrals."""
    return (visible_cases(actor).filter(person_id=person_id).exists()
            or visible_referrals(actor).filter(person_id=person_id).exists())


def may_register_access_request(actor, person) -> bool:
    """A caseworker or supervisor of a team registers a request only about a person whose
    case or referral they may view."""
    return (person is not None and may_use(actor, Feature.ACCESS_REQUESTS)
            and person_reachable(actor, person.pk))


def visible_access_requests(actor) -> QuerySet:
    """The requests ``actor`` may open (``access_request_actions`` non-empty)."""
    if not may_use(actor, Feature.ACCESS_REQUESTS):
        return AccessRequest.objects.none()
    team_requests = AccessRequest.objects.filter(team_id=actor.team_id)
    if actor.has_role(Role.SUPERVISOR):
        return team_requests
    reachable_people = visible_cases(actor).values("person_id").union(
        visible_referrals(actor).values("person_id"))
    return team_requests.filter(Q(handler_id=actor.pk) | Q(person_id__in=reachable_people))


class AccessFileReader:
    """Which items of an access request's file ``actor`` sees: all of them when they
    handle the request (its handler, the team's supervisor), else each item at the level
    the policy gives them on the item's own case or referral
    (``rules.ACCESS_FILE_ITEM_ACTIONS``). One query per case or referral of the file."""

    def __init__(self, actor, access_request):
        self.actor = actor
        self.person_id = access_request.person_id
        self.actions = access_request_actions(actor, access_request)
        self.whole = Action.VIEW_FILE in self.actions
        self._case_actions: dict[int, frozenset[str]] = {}
        self._referral_actions: dict[int, frozenset[str]] = {}

    def _of_case(self, case_id) -> frozenset[str]:
        if case_id not in self._case_actions:
            case = Case.objects.filter(pk=case_id).first()
            self._case_actions[case_id] = case_actions(self.actor, case) if case else frozenset()
        return self._case_actions[case_id]

    def _of_referral(self, referral_id) -> frozenset[str]:
        if referral_id not in self._referral_actions:
            referral = Referral.objects.select_related("person").filter(pk=referral_id).first()
            self._referral_actions[referral_id] = (
                referral_actions(self.actor, referral) if referral else frozenset())
        return self._referral_actions[referral_id]

    def sees(self, *, kind: str, case_id=None, referral_id=None, protected: bool = False) -> bool:
        if not self.actions:  # not a reader of the request at all
            return False
        if self.whole:
            return True
        if kind not in ACCESS_FILE_ITEM_ACTIONS:
            return False
        needed = ACCESS_FILE_ITEM_ACTIONS[kind]
        if needed is None:
            return True
        if case_id is not None:
            actions = self._of_case(case_id)
            return needed in actions and (not protected or Action.VIEW_RESTRICTED in actions)
        if referral_id is not None:
            # A referral without a case: its screening team. Protected material (tagged
            # "må ikke videregives", of police origin) is the person's restricted material,
            # as on a meeting page (``register_checks_visible``): when the person has a
            # case, only for whoever may see that case's restricted material; else for
            # those who may also see the referrer.
            actions = self._of_referral(referral_id)
            if Action.VIEW not in actions:
                return False
            if not protected:
                return True
            if self._person_has_case():
                return visible_cases(self.actor, Action.VIEW_RESTRICTED).filter(
                    person_id=self.person_id).exists()
            return Action.VIEW_REFERRER in actions
        return False

    def _person_has_case(self) -> bool:
        if not hasattr(self, "_has_case"):
            self._has_case = Case.objects.filter(person_id=self.person_id).exists()
        return self._has_case


# --------------------------------------------------------------------------- meetings

#: While a partner member sees a meeting they are invited to: from the agenda being sent
#: until the minutes are approved.
PARTNER_VISIBLE_STATUSES = (Meeting.Status.AGENDA_SENT, Meeting.Status.HELD)


def visible_meetings(actor) -> QuerySet[Meeting]:
    """The meetings ``actor`` may open: the staff (caseworkers and supervisors) their own
    team's; a partner member those they are invited to, while ``PARTNER_VISIBLE_STATUSES``."""
    if not _active(actor):
        return Meeting.objects.none()
    condition = Q(pk__in=[])
    if may_use(actor, Feature.MEETING_PLANNING):
        condition |= Q(team_id=actor.team_id)
    if may_use(actor, Feature.MEETING_PARTNER):
        condition |= Q(status__in=PARTNER_VISIBLE_STATUSES,
                       pk__in=MeetingMember.objects.filter(user_id=actor.pk, invited=True).values("meeting_id"))
    return Meeting.objects.filter(condition)


def meeting_viewer_is_staff(actor, meeting) -> bool:
    """Whether ``actor`` sees ``meeting`` as the unit's staff (whole items, links to the
    referrals) rather than as an invited partner (what a register search needs)."""
    return may_use_for_team(actor, Feature.MEETING_PLANNING, meeting.team_id)



def register_checks_visible(actor, checks: QuerySet, *, as_staff: bool) -> QuerySet:
    """The register checks of ``checks`` that ``actor`` may read on a meeting page.

    A check tagged "må ikke videregives" is the partner's material about one person: its
    author sees it, and of the unit's staff only whoever may see the restricted material
    of that person's file: ``Action.VIEW_RESTRICTED`` on the item's case (or the case its
    referral led to); for a referral without a case, on one of the person's cases when
    they have any, else ``Action.VIEW_REFERRER`` on the referral (its screening team).
    Untagged checks: every staff member of the meeting's team and every invited partner."""
    mine_or_open = Q(member_id=actor.pk) | Q(restricted=False)
    if not as_staff:
        return checks.filter(mine_or_open)
    restricted_cases = visible_case_ids(actor, Action.VIEW_RESTRICTED)
    referral_only = Q(item__case__isnull=True, item__referral__case__isnull=True)
    person_has_case = Exists(Case.objects.filter(person_id=OuterRef("item__referral__person_id")))
    return checks.filter(
        mine_or_open
        | Q(item__case_id__in=restricted_cases)
        | Q(item__case__isnull=True, item__referral__case_id__in=restricted_cases)
        | (referral_only & Q(item__referral__person_id__in=Case.objects.filter(
            pk__in=restricted_cases).values("person_id")))
        | (referral_only & ~person_has_case
           & Q(item__referral_id__in=visible_referral_ids(actor, Action.VIEW_REFERRER))))


# --------------------------------------------------------------------------- one door


def can(actor, action: str, obj) -> bool:
    """May ``actor`` perform ``action`` on ``obj``? Unknown object types are refused."""
    if isinstance(obj, Case):
        return action in case_actions(actor, obj)
    if isinstance(obj, Referral):
        return action in referral_actions(actor, obj)
    if isinstance(obj, Intervention):
        return action in intervention_actions(actor, obj)
    if isinstance(obj, AccessRequest):
        return action in access_request_actions(actor, obj)
    return False


def require(actor, action: str, obj) -> None:
    if not can(actor, action, obj):
        raise AccessDenied(action)
