"""The access rules of design.md §2, as data the policy reads.

A user reaches an object through a relation: a grant row of some kind (assigned,
co-worker, consultant, BBU contact, provider, emergency access) or a role rule (a
supervisor reaches every case of their own team). Each relation allows a fixed set of
actions; nothing else opens an object.
"""

from dataclasses import dataclass

from caseflow.accounts.roles import Role
from permissions.models import GrantKind


class Action:
    """What may be done with an object. Values double as the policy's vocabulary."""

    VIEW = "view"  # the object's page (its summary) and its place in lists
    VIEW_FILE = "view_file"  # the whole case file: referrals, interventions, notes
    CHANGE = "change"  # write through the domain services
    VIEW_REFERRER = "view_referrer"  # the referrer's identity (case team only)
    VIEW_RESTRICTED = "view_restricted"  # notes/documents tagged "må ikke videregives"
    EXPORT = "export"
    CLAIM_TASK = "claim_task"  # claim and execute the case's workflow tasks
    VIEW_HISTORY = "view_history"  # the case's audit history (who saw and did what)
    MANAGE_ACCESS = "manage_access"  # reassign, add co-workers, review emergency access
    CO_SIGN = "co_sign"  # the child-focused consultant's co-signature on a minor's decisions
    APPROVE = "approve"  # a supervisor's approval (level-3 plans, level-3 closures)


ALL_ACTIONS = (
    Action.VIEW, Action.VIEW_FILE, Action.CHANGE, Action.VIEW_REFERRER, Action.VIEW_RESTRICTED, Action.EXPORT,
    Action.CLAIM_TASK, Action.VIEW_HISTORY, Action.MANAGE_ACCESS, Action.CO_SIGN, Action.APPROVE,
)

# The case team: the responsible caseworker, co-workers and the team's supervisor.
_CASE_TEAM = frozenset({
    Action.VIEW, Action.VIEW_FILE, Action.CHANGE, Action.VIEW_REFERRER, Action.VIEW_RESTRICTED, Action.EXPORT,
    Action.CLAIM_TASK,
})

CASE_GRANT_ACTIONS: dict[str, frozenset[str]] = {
    GrantKind.ASSIGNED: _CASE_TEAM,
    GrantKind.CO_WORKER: _CASE_TEAM,
    GrantKind.STAND_IN: _CASE_TEAM,
    # Reviews and co-signs minors' cases; not part of the case team (no referrer, no
    # restricted police material, no export).
    GrantKind.CONSULTANT: frozenset({Action.VIEW, Action.VIEW_FILE, Action.CLAIM_TASK, Action.CO_SIGN}),
    # Summary, decisions and BBU tasks of minors' cases where BBU is involved.
    GrantKind.BBU: frozenset({Action.VIEW, Action.CLAIM_TASK}),
    # Emergency access reads the case; it does not make the reader part of the team.
    GrantKind.BREAK_GLASS: frozenset({Action.VIEW, Action.VIEW_FILE}),
}

# A supervisor reaches every case of their own team: everything, including history and
# approvals; the co-signature is the consultant's alone.
SUPERVISOR_TEAM_ACTIONS = frozenset(ALL_ACTIONS) - {Action.CO_SIGN}

REFERRAL_GRANT_ACTIONS: dict[str, frozenset[str]] = {
    GrantKind.ASSIGNED: frozenset({Action.VIEW, Action.CHANGE, Action.VIEW_REFERRER, Action.CLAIM_TASK}),
    GrantKind.CO_WORKER: frozenset({Action.VIEW, Action.CHANGE, Action.VIEW_REFERRER, Action.CLAIM_TASK}),
    GrantKind.CONSULTANT: frozenset({Action.VIEW, Action.CLAIM_TASK, Action.CO_SIGN}),
    # The named BBU contact of a minor's referral: its summary and BBU's own task (the
    # acknowledgement of a report within 24 hours).
    GrantKind.BBU: frozenset({Action.VIEW, Action.CLAIM_TASK}),
}
# Caseworkers reach their team's referrals while they are being screened; supervisors
# reach all of their team's referrals; the consultant reaches every open referral about
# a person under 18.
REFERRAL_SCREENING_ACTIONS = frozenset({Action.VIEW, Action.CHANGE, Action.VIEW_REFERRER, Action.CLAIM_TASK})
REFERRAL_SUPERVISOR_ACTIONS = frozenset({
    Action.VIEW, Action.CHANGE, Action.VIEW_REFERRER, Action.CLAIM_TASK, Action.VIEW_HISTORY, Action.EXPORT,
})
REFERRAL_CONSULTANT_ACTIONS = frozenset({Action.VIEW, Action.CLAIM_TASK, Action.CO_SIGN})

INTERVENTION_GRANT_ACTIONS: dict[str, frozenset[str]] = {
    # A mentor or coach: their intervention's goals, own sessions and reviews (the
    # intervention's file), never the case's.
    GrantKind.PROVIDER: frozenset({Action.VIEW, Action.VIEW_FILE, Action.CHANGE, Action.CLAIM_TASK}),
}
# What a relation to the case allows on the case's interventions: seeing the case (BBU's
# summary level) shows an intervention's kind, status and dates; its goals, sessions and
# reviews are part of the case file (VIEW_FILE).
INTERVENTION_FROM_CASE_ACTIONS = frozenset({
    Action.VIEW, Action.VIEW_FILE, Action.CHANGE, Action.CLAIM_TASK, Action.EXPORT,
})

# Django permission names routed into the policy by the auth backend
# (``user.has_perm("cases.view_case", case)``), and so into viewflow's task checks.
PERMISSION_ACTIONS: dict[str, str] = {
    "cases.view_case": Action.VIEW,
    "cases.change_case": Action.CHANGE,
    "cases.view_case_referrer": Action.VIEW_REFERRER,
    "cases.view_case_restricted": Action.VIEW_RESTRICTED,
    "cases.export_case": Action.EXPORT,
    "cases.claim_case_task": Action.CLAIM_TASK,
    "cases.view_case_history": Action.VIEW_HISTORY,
    "cases.manage_case_access": Action.MANAGE_ACCESS,
    "cases.cosign_case": Action.CO_SIGN,
    "cases.approve_case": Action.APPROVE,
    "referrals.view_referral": Action.VIEW,
    "referrals.change_referral": Action.CHANGE,
    "referrals.view_referral_referrer": Action.VIEW_REFERRER,
    "referrals.claim_referral_task": Action.CLAIM_TASK,
    "referrals.cosign_referral": Action.CO_SIGN,
    "interventions.view_intervention": Action.VIEW,
    "interventions.change_intervention": Action.CHANGE,
    "interventions.claim_intervention_task": Action.CLAIM_TASK,
}

# --------------------------------------------------------------------------- access requests

# An access request (aktindsigt) belongs to a team. Its handler and the team's supervisor
# work it and see the whole file they must answer from; another caseworker of the team
# reads it only when they may view one of the person's cases or referrals, and then sees
# each item of the file only at the level the policy gives them on the item's own case or
# referral (``ACCESS_FILE_ITEM_ACTIONS``).
ACCESS_REQUEST_HANDLER_ACTIONS = frozenset({Action.VIEW, Action.VIEW_FILE, Action.CHANGE, Action.EXPORT})
ACCESS_REQUEST_READER_ACTIONS = frozenset({Action.VIEW})

#: Per kind of file item: the action its case must allow (items of a referral without a
#: case need ``Action.VIEW`` on the referral). Items tagged "må ikke videregives" or of
#: police origin need ``Action.VIEW_RESTRICTED`` on the case as well. ``None``: every
#: reader of the request sees it; absent: only the handler and the supervisor.
ACCESS_FILE_ITEM_ACTIONS: dict[str, str | None] = {
    "person": None,
    "referral": Action.VIEW_FILE,
    "decision": Action.VIEW_FILE,
    "journal_note": Action.VIEW_FILE,
    "document": Action.VIEW_FILE,
    "consent": Action.VIEW_FILE,
    "intervention": Action.VIEW_FILE,
    "register_check": Action.VIEW_FILE,
    "disclosure": Action.VIEW_FILE,
    # The dates and purposes of every look-up of the person: the handler's material.
}


# --------------------------------------------------------------------------- features

class Feature:
    """Pages and functions that are not one object: who may open them at all. What they
    then show is still scoped by the object rules above (a supervisor's statistics are
    their team's, a caseworker's task list holds only tasks of objects they reach)."""

    CASE_LIST = "case_list"
    TASK_LISTS = "task_lists"
    DEADLINE_BREACHES = "deadline_breaches"
    SUPERVISION = "supervision"
    PERSON_SEARCH = "person_search"
    EMERGENCY_ACCESS = "emergency_access"  # break the glass on a case outside one's access
    EMERGENCY_REVIEWS = "emergency_reviews"
    RETENTION = "retention"  # the archive-review queue and legal holds of one's team
    MEETINGS = "meetings"
    MEETING_PLANNING = "meeting_planning"  # plan meetings, put items on the agenda, chair
    MEETING_PARTNER = "meeting_partner"  # take part as an invited partner authority
    AUDIT_LOG = "audit_log"
    AUDIT_ALL_TEAMS = "audit_all_teams"  # the whole log, not only one's team's
    STATISTICS = "statistics"
    ACCESS_REQUESTS = "access_requests"
    REGISTER_REFERRAL = "register_referral"
    PARTNER_INTAKE = "partner_intake"  # submit referrals through the intake API
    NOTIFICATIONS = "notifications"
    ADMIN = "admin"  # the Django admin: users, teams, configuration; never case content
    RESET_TEAM_SECOND_FACTOR = "reset_team_second_factor"
    OPEN_CASE = "open_case"
    PROVIDER_WORK = "provider_work"  # a mentor's or coach's own interventions
    CO_SIGN_MINORS = "co_sign_minors"  # the child-focused consultant's co-signatures
    DEADLINE_ALERTS = "deadline_alerts"  # notices of breached deadlines


@dataclass(frozen=True)
class FeatureRule:
    roles: frozenset[str]
    needs_team: bool = False  # the user must belong to a team (the feature is the team's)
    superuser: bool | None = None  # True: superusers only; False: never superusers


_STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
_ALL_ROLES = frozenset(Role.values)

FEATURE_RULES: dict[str, FeatureRule] = {
    Feature.CASE_LIST: FeatureRule(frozenset({
        Role.CASEWORKER, Role.SUPERVISOR, Role.CHILD_CONSULTANT, Role.BBU_LIAISON})),
    Feature.TASK_LISTS: FeatureRule(frozenset({
        Role.CASEWORKER, Role.SUPERVISOR, Role.CHILD_CONSULTANT, Role.BBU_LIAISON, Role.MENTOR,
        Role.PARENT_COACH})),
    Feature.DEADLINE_BREACHES: FeatureRule(frozenset({Role.SUPERVISOR}), needs_team=True),
    Feature.SUPERVISION: FeatureRule(frozenset({Role.SUPERVISOR}), needs_team=True),
    Feature.PERSON_SEARCH: FeatureRule(frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.CHILD_CONSULTANT})),
    Feature.EMERGENCY_ACCESS: FeatureRule(_STAFF),
    Feature.EMERGENCY_REVIEWS: FeatureRule(frozenset({Role.SUPERVISOR})),
    Feature.RETENTION: FeatureRule(frozenset({Role.SUPERVISOR}), needs_team=True),
    Feature.MEETINGS: FeatureRule(frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.PARTNER_MEMBER})),
    Feature.MEETING_PLANNING: FeatureRule(_STAFF, needs_team=True),
    Feature.MEETING_PARTNER: FeatureRule(frozenset({Role.PARTNER_MEMBER})),
    Feature.AUDIT_LOG: FeatureRule(frozenset({Role.AUDITOR, Role.SUPERVISOR})),
    Feature.AUDIT_ALL_TEAMS: FeatureRule(frozenset({Role.AUDITOR})),
    Feature.STATISTICS: FeatureRule(frozenset({Role.SUPERVISOR, Role.AUDITOR})),
    Feature.ACCESS_REQUESTS: FeatureRule(_STAFF, needs_team=True),
    Feature.REGISTER_REFERRAL: FeatureRule(_STAFF, needs_team=True),  # for one's own team
    Feature.PARTNER_INTAKE: FeatureRule(frozenset({Role.PARTNER_INTAKE})),
    Feature.NOTIFICATIONS: FeatureRule(_ALL_ROLES, superuser=False),
    Feature.ADMIN: FeatureRule(frozenset(), superuser=True),
    Feature.RESET_TEAM_SECOND_FACTOR: FeatureRule(frozenset({Role.SUPERVISOR}), needs_team=True),
    Feature.OPEN_CASE: FeatureRule(_STAFF),
    Feature.PROVIDER_WORK: FeatureRule(frozenset({Role.MENTOR, Role.PARENT_COACH})),
    Feature.CO_SIGN_MINORS: FeatureRule(frozenset({Role.CHILD_CONSULTANT})),
    Feature.DEADLINE_ALERTS: FeatureRule(frozenset({Role.SUPERVISOR})),
}


# --------------------------------------------------------------------------- duties

class Duty:
    """What a user may be named to by someone else (the responsible caseworker, the BBU
    contact, an intervention's provider, a meeting's chair). Holding the role makes one
    eligible; the access itself comes with the grant the naming service writes."""

    RESPONSIBLE_CASEWORKER = "responsible_caseworker"
    BBU_CONTACT = "bbu_contact"
    PROVIDER = "provider"
    MEETING_STAFF = "meeting_staff"  # chair and minute taker: the team's staff
    MEETING_PARTNER = "meeting_partner"
    TEAMLESS_TASK_TAKER = "teamless_task_taker"  # takes tasks of every team (consultants, BBU)
    TEAM_SUPERVISOR = "team_supervisor"  # told of the team's emergency accesses and breached deadlines
    APPROVER = "approver"  # approves or co-signs (supervisors, the child-focused consultants)
    MENTOR = "mentor"  # the provider of a mentor or exit programme
    PARENT_COACH = "parent_coach"  # the provider of parent coaching


DUTY_RULES: dict[str, FeatureRule] = {
    Duty.RESPONSIBLE_CASEWORKER: FeatureRule(frozenset({Role.CASEWORKER}), needs_team=True),
    Duty.BBU_CONTACT: FeatureRule(frozenset({Role.BBU_LIAISON})),
    Duty.PROVIDER: FeatureRule(frozenset({Role.MENTOR, Role.PARENT_COACH})),
    Duty.MEETING_STAFF: FeatureRule(_STAFF, needs_team=True),
    Duty.MEETING_PARTNER: FeatureRule(frozenset({Role.PARTNER_MEMBER})),
    Duty.TEAMLESS_TASK_TAKER: FeatureRule(frozenset({Role.CHILD_CONSULTANT, Role.BBU_LIAISON})),
    Duty.TEAM_SUPERVISOR: FeatureRule(frozenset({Role.SUPERVISOR}), needs_team=True),
    Duty.APPROVER: FeatureRule(frozenset({Role.SUPERVISOR, Role.CHILD_CONSULTANT})),
    Duty.MENTOR: FeatureRule(frozenset({Role.MENTOR})),
    Duty.PARENT_COACH: FeatureRule(frozenset({Role.PARENT_COACH})),
}
#: The provider duty of an intervention kind's provider role (``Intervention.provider_role``).
PROVIDER_DUTY_BY_ROLE = {Role.MENTOR: Duty.MENTOR, Role.PARENT_COACH: Duty.PARENT_COACH}
