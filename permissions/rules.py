"""The access rules of design.md §2, as data the policy reads.

A user reaches an object through a relation: a grant row of some kind (assigned,
co-worker, consultant, BBU contact, provider, emergency access) or a role rule (a
supervisor reaches every case of their own team). Each relation allows a fixed set of
actions; nothing else opens an object.
"""

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
    # A mentor or coach: their intervention's goals, own sessions and reviews.
    GrantKind.PROVIDER: frozenset({Action.VIEW, Action.CHANGE, Action.CLAIM_TASK}),
}

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
