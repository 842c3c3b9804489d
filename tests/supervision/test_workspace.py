"""The supervisor's workspace: who may see it (and who may not), what it shows for the
supervisor's own team only, its one read event and a query count that does not grow
with the team."""

import pytest
from django.urls import reverse

from caseflow.audit.models import AuditEvent
from permissions.models import BreakGlassAccess
from permissions.services import break_glass_open
from tests.factories import UserFactory
from workflows.flows.case import CaseFlow

from .conftest import breach, case_waiting_for_approval, new_case, open_task

pytestmark = pytest.mark.django_db

URL = reverse("supervision:workspace")


def get(client, user, url=URL):
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("who", ["worker", "consultant", "outsider", "mentor", "auditor", "teamless_supervisor"])
def test_workspace_refused_to_everyone_but_a_teams_supervisor(client, request, who):
    if who == "auditor":
        user = UserFactory(roles=["auditor"])
    elif who == "teamless_supervisor":
        user = UserFactory(team=None, roles=["supervisor"])
    else:
        user = request.getfixturevalue(who)
    response = get(client, user)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="supervision.viewed").exists()
    for name in ("supervision:tasks", "supervision:cases"):
        assert get(client, user, reverse(name)).status_code == 403


def test_workspace_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_workspace_shows_the_teams_approvals_reviews_workload_and_breaches(
        client, supervisor, worker, colleague, team, other_supervisor):
    approval_case = case_waiting_for_approval(worker, team)
    approval = open_task(approval_case, CaseFlow.approve)
    late = new_case(colleague, team)
    late_breach = breach(open_task(late, CaseFlow.clarify))
    intruder = UserFactory(team=team, roles=["caseworker"])
    access = break_glass_open(actor=intruder, case=late, reason="Borgeren ringede akut (fiktivt).")
    # Another team's case, approval and breach never show.
    foreign = case_waiting_for_approval(UserFactory(team=other_supervisor.team, roles=["caseworker"]),
                                        other_supervisor.team)
    foreign_breach = breach(open_task(new_case(UserFactory(team=other_supervisor.team, roles=["caseworker"]),
                                               other_supervisor.team), CaseFlow.clarify))

    response = get(client, supervisor)
    assert response.status_code == 200
    workspace = response.context["workspace"]
    assert [task.pk for task in workspace.approvals] == [approval.pk]
    assert workspace.approvals[0].proposal_kind == "plan"
    assert [a.pk for a in workspace.break_glass_pending] == [access.pk]
    assert [b.pk for b in workspace.breaches] == [late_breach.pk]
    rows = {user.pk: user for user in workspace.workload}
    assert set(rows) == {worker.pk, colleague.pk, access.user_id}
    assert (rows[worker.pk].open_cases, rows[worker.pk].open_tasks, rows[worker.pk].breached) == (1, 0, 0)
    assert (rows[colleague.pk].open_cases, rows[colleague.pk].open_tasks, rows[colleague.pk].breached) == (1, 1, 1)
    page = response.content.decode()
    assert approval_case.reference in page
    assert late.reference in page
    assert foreign.reference not in page
    assert reverse("workflows:claim", args=[approval.pk]) in page
    assert reverse("supervision:task_reassign", args=[approval.pk]) in page
    assert reverse("permissions:break_glass_reviews") in page

    event = AuditEvent.objects.get(action="supervision.viewed")
    assert event.actor_id == supervisor.pk
    assert event.extra["approvals"] == [approval.pk]
    assert event.extra["breaches"] == [late_breach.pk]

    # The other team's supervisor sees their own team only.
    other = get(client, other_supervisor).context["workspace"]
    assert [task.pk for task in other.approvals] == [open_task(foreign, CaseFlow.approve).pk]
    assert [b.pk for b in other.breaches] == [foreign_breach.pk]
    assert not other.break_glass_pending
    assert BreakGlassAccess.objects.count() == 1


def test_workspace_approval_taken_by_the_supervisor_links_to_the_review_page(client, supervisor, worker, team):
    case = case_waiting_for_approval(worker, team)
    task = open_task(case, CaseFlow.approve)
    client.force_login(supervisor)
    assert client.post(reverse("workflows:claim", args=[task.pk])).status_code == 302
    page = get(client, supervisor).content.decode()
    assert task.flow_task.reverse("execute", args=[task.process_id, task.pk]) in page


def _populate(team, size):
    from caseflow.cases.models import Case

    workers = [UserFactory(team=team, roles=["caseworker"]) for _ in range(size)]
    for index, user in enumerate(workers):
        case = (case_waiting_for_approval(user, team) if index % 3 == 0
                else new_case(user, team, level=Case.Level.ANTICIPATORY))
        if index % 3 == 1:
            breach(open_task(case, CaseFlow.clarify))
        if index % 3 == 2:
            intruder = UserFactory(team=team, roles=["caseworker"])
            break_glass_open(actor=intruder, case=case, reason="Akut henvendelse (fiktivt).")


def test_workspace_query_count_does_not_grow_with_the_team(client, supervisor, team,
                                                           django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _populate(team, 3)
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    _populate(team, 30)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL)
    assert response.status_code == 200
    workspace = response.context["workspace"]
    assert len(workspace.approvals) == 11
    assert len(workspace.breaches) == 11
    assert len(workspace.break_glass_pending) == 11
    assert len(workspace.workload) == 33 + 11
    assert len(large.captured_queries) == len(small.captured_queries)
    with django_assert_max_num_queries(16):
        client.get(URL)
