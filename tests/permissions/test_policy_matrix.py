"""The permission matrix: every role × relation to a case × action, allowed AND denied,
through the real URLs where one exists. Relations are set up through the domain
services; a relation the services refuse for a role (a mentor as responsible
caseworker, say) is asserted to be refused and then leaves the role with nothing."""

import datetime
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral
from permissions.models import BreakGlassAccess, CaseUserGrant, GrantKind
from permissions.policy import Action, can
from tests.factories import PersonFactory, ReferralFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["caseworker", "child_consultant", "supervisor", "bbu_liaison", "mentor", "parent_coach", "auditor",
         "partner_intake"]
RELATIONS = ["none", "responsible", "co_worker", "same_team", "minor_case", "bbu_contact", "provider",
             "break_glass_active", "break_glass_expired"]
ACTIONS = ["list", "view", "view_file", "change", "view_referrer", "view_restricted", "export", "claim_task",
           "co_sign", "approve"]

# The case team (responsible, co-worker) does the case work but neither co-signs nor approves.
ALL = frozenset(ACTIONS) - {"co_sign", "approve"}
NONE = frozenset()
EMERGENCY = frozenset({"list", "view", "view_file"})
CONSULTANT = frozenset({"list", "view", "view_file", "claim_task", "co_sign"})  # a minor's case
SUPERVISOR = ALL | {"approve"}  # the team's supervisor approves; only the consultant co-signs
BBU = frozenset({"list", "view", "claim_task"})  # summary, decisions and BBU tasks only

# Written out by hand (not derived from permissions.rules), so a rule change must be
# made here too, deliberately.
EXPECTED = {
    "caseworker": {"responsible": ALL, "co_worker": ALL, "break_glass_active": EMERGENCY},
    # The scenarios "responsible", "co_worker" and "same_team" put the case in the user's
    # own team, which a supervisor reaches completely.
    "supervisor": {"responsible": SUPERVISOR, "co_worker": SUPERVISOR, "same_team": SUPERVISOR,
                   "break_glass_active": EMERGENCY},
    "child_consultant": {"minor_case": CONSULTANT, "bbu_contact": CONSULTANT},
    "bbu_liaison": {"bbu_contact": BBU},
}
# Which relations the services refuse to create for a role.
REFUSED = {
    ("responsible", r) for r in ROLES if r != "caseworker"
} | {
    ("co_worker", r) for r in ROLES if r != "caseworker"
} | {
    ("bbu_contact", r) for r in ROLES if r != "bbu_liaison"
} | {
    ("provider", r) for r in ROLES if r not in ("mentor", "parent_coach")
} | {
    ("break_glass_active", r) for r in ROLES if r not in ("caseworker", "supervisor")
} | {
    ("break_glass_expired", r) for r in ROLES if r not in ("caseworker", "supervisor")
}

REFERRER_NAME = "Fiktiv Henvender Matrixsen"


def _expected(role, relation):
    # (The BBU scenario is a minor's case, which consultants reach anyway.)
    return EXPECTED.get(role, {}).get(relation, NONE)


def _setup(role, relation):
    """Returns (user, case, refused)."""
    from caseflow.cases.services import case_bbu_contact_set, case_coworker_add, case_open, case_reassign
    from caseflow.interventions.services import intervention_propose
    from permissions.services import break_glass_open

    own_team, other_team = TeamFactory(name="Eget team"), TeamFactory(name="Andet team")
    user = UserFactory(team=own_team, roles=[role])
    other_supervisor = UserFactory(team=other_team, roles=["supervisor"])
    own_supervisor = UserFactory(team=own_team, roles=["supervisor"])
    other_worker = UserFactory(team=other_team, roles=["caseworker"])
    adult = PersonFactory(birth_date=datetime.date(1995, 4, 2))
    minor = PersonFactory(birth_date=timezone.localdate() - timedelta(days=15 * 365))
    refused = False

    def attempt(fn):
        nonlocal refused
        try:
            fn()
        except ApplicationError:
            refused = True

    if relation == "responsible":
        case = case_open(actor=own_supervisor, person=adult, team=own_team, level=2)
        attempt(lambda: case_reassign(actor=own_supervisor, case=case, responsible=user))
    elif relation == "co_worker":
        case = case_open(actor=own_supervisor, person=adult, team=own_team, level=2)
        attempt(lambda: case_coworker_add(actor=own_supervisor, case=case, user=user))
    elif relation == "same_team":
        case = case_open(actor=own_supervisor, person=adult, team=own_team, level=2)
    elif relation == "minor_case":
        case = case_open(actor=other_supervisor, person=minor, team=other_team, level=2, responsible=other_worker)
    elif relation == "bbu_contact":
        case = case_open(actor=other_supervisor, person=minor, team=other_team, level=2, responsible=other_worker)
        attempt(lambda: case_bbu_contact_set(actor=other_worker, case=case, bbu_contact=user))
    elif relation == "provider":
        case = case_open(actor=other_supervisor, person=adult, team=other_team, level=2, responsible=other_worker)
        attempt(lambda: intervention_propose(actor=other_worker, case=case, kind="mentor", provider=user))
    elif relation in ("break_glass_active", "break_glass_expired"):
        case = case_open(actor=other_supervisor, person=adult, team=other_team, level=2, responsible=other_worker)
        attempt(lambda: break_glass_open(actor=user, case=case, reason="Akut henvendelse fra politiet."))
        if relation == "break_glass_expired" and not refused:
            past = timezone.now() - timedelta(seconds=1)
            CaseUserGrant.objects.filter(content_object=case, kind=GrantKind.BREAK_GLASS).update(valid_until=past)
            BreakGlassAccess.objects.filter(case=case).update(expires_at=past)
    else:
        case = case_open(actor=other_supervisor, person=adult, team=other_team, level=2, responsible=other_worker)
    ReferralFactory(team=case.team, case=case, person=case.person, referrer_name=REFERRER_NAME,
                    registered_by=other_supervisor, status=Referral.Status.ASSESSED)
    return user, case, refused


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, role, relation):
    user, case, refused = _setup(role, relation)
    assert refused == ((relation, role) in REFUSED), "the services decide who can hold a relation"
    expected = _expected(role, relation)
    client.force_login(user)

    listed = case.reference in client.get(reverse("cases:list")).content.decode()
    detail = client.get(reverse("cases:detail", args=[case.pk]))
    observed = {
        "list": listed,
        "view": detail.status_code == 200,
        "view_file": can(user, Action.VIEW_FILE, case),
        "change": can(user, Action.CHANGE, case) and user.has_perm("cases.change_case", case),
        "view_referrer": can(user, Action.VIEW_REFERRER, case) and user.has_perm("cases.view_case_referrer", case),
        "view_restricted": can(user, Action.VIEW_RESTRICTED, case)
        and user.has_perm("cases.view_case_restricted", case),
        "export": can(user, Action.EXPORT, case) and user.has_perm("cases.export_case", case),
        "claim_task": user.has_perm("cases.claim_case_task", case),
        "co_sign": user.has_perm("cases.cosign_case", case),
        "approve": user.has_perm("cases.approve_case", case),
    }
    for action in ACTIONS:
        assert observed[action] == (action in expected), f"{role} / {relation} / {action}"
    if detail.status_code != 200:
        assert detail.status_code == 404
    else:
        content = detail.content.decode()
        assert (REFERRER_NAME in content) == ("view_referrer" in expected)
        assert (case.referrals.get().reference in content) == ("view_file" in expected)
    # The policy's own answers agree with the backend's (a second path into the same rules).
    for action in ("view", "view_file", "change", "view_referrer", "view_restricted", "export", "claim_task",
                   "co_sign", "approve"):
        assert can(user, action, case) == (action in expected)
