"""Reassigning one workflow task of the team: to someone the task's own permission
(through the policy) lets do it, under the flow lock, audited; refused with a clear
message otherwise; bad input changes nothing; only the team's supervisor may."""

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.models import AuditEvent
from caseflow.cases.services import case_coworker_add
from caseflow.core.exceptions import ApplicationError
from caseflow.supervision.services import task_reassign
from workflows.case_services import case_plan_propose
from workflows.driving import flow_task_perform
from workflows.flows.case import CaseFlow
from workflows.models import CaseProcess

from .conftest import case_waiting_for_approval, clarify, new_case, open_task

pytestmark = pytest.mark.django_db

REASON = "Syg resten af ugen (fiktivt)."


def post(client, actor, task, user, reason=REASON):
    client.force_login(actor)
    return client.post(reverse("supervision:task_reassign", args=[task.pk]),
                       {"user": getattr(user, "pk", user), "reason": reason}, HTTP_ACCEPT_LANGUAGE="en")


def inbox(client, user):
    client.force_login(user)
    return [task.pk for task in client.get(reverse("workflows:inbox")).context["tasks"]]


def test_an_approval_in_the_queue_goes_to_another_supervisor_of_the_team(client, supervisor, second_supervisor,
                                                                          worker, team):
    task = open_task(case_waiting_for_approval(worker, team), CaseFlow.approve)
    assert (task.owner, task.status) == (None, STATUS.NEW)
    response = post(client, supervisor, task, second_supervisor)
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.status) == (second_supervisor, STATUS.ASSIGNED)
    assert task.pk in inbox(client, second_supervisor)
    event = AuditEvent.objects.get(action="workflow.task_reassigned", target_id=str(task.pk))
    assert (event.actor_id, event.reason, event.changes["owner_id"]) == (supervisor.pk, REASON,
                                                                         [None, second_supervisor.pk])
    assert event.extra["node"] == "approve"


def test_an_assigned_task_moves_only_to_someone_who_may_do_it(client, supervisor, worker, colleague, team):
    case = new_case(worker, team)
    task = open_task(case, CaseFlow.clarify)
    # The colleague has no access to the case: refused with the policy's reason.
    response = post(client, supervisor, task, colleague)
    assert response.status_code == 200
    assert "may not do this task" in str(response.context["form"].errors["user"])
    assert Task.objects.get(pk=task.pk).owner == worker
    assert not AuditEvent.objects.filter(action="workflow.task_reassigned").exists()
    # As a co-worker of the case they may.
    case_coworker_add(actor=supervisor, case=case, user=colleague)
    assert post(client, supervisor, task, colleague).status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.status) == (colleague, STATUS.ASSIGNED)
    assert task.pk in inbox(client, colleague)
    assert task.pk not in inbox(client, worker)
    event = AuditEvent.objects.get(action="workflow.task_reassigned", target_id=str(task.pk))
    assert (event.case_id, event.changes["owner_id"]) == (case.pk, [worker.pk, colleague.pk])


def test_a_caseworker_cannot_get_the_supervisors_approval(client, supervisor, worker, colleague, team):
    task = open_task(case_waiting_for_approval(worker, team), CaseFlow.approve)
    for user in (worker, colleague):
        response = post(client, supervisor, task, user)
        assert response.status_code == 200
        assert "user" in response.context["form"].errors
    assert Task.objects.get(pk=task.pk).owner is None


def test_a_minors_co_signature_goes_to_a_consultant(client, supervisor, worker, team, consultant):
    minor = new_case(worker, team, birth_date=timezone.localdate() - relativedelta(years=15))
    clarify(worker, minor)
    flow_task_perform(actor=worker, process=CaseProcess.objects.get(case=minor), node=CaseFlow.plan,
                      perform=lambda process: case_plan_propose(actor=worker, case=minor, goals="Skole (fiktivt).",
                                                                interventions=["professional_advice"]))
    task = open_task(minor, CaseFlow.co_sign)
    response = post(client, supervisor, task, consultant)
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).owner == consultant


@pytest.mark.parametrize("bad", ["empty_reason", "unknown_user", "other_team", "same_owner", "not_a_number"])
def test_bad_input_is_a_form_error_and_changes_nothing(client, supervisor, worker, team, outsider, bad):
    task = open_task(new_case(worker, team), CaseFlow.clarify)
    target, reason, field = {
        "empty_reason": (worker, "  ", "reason"),
        "unknown_user": (987654, REASON, "user"),
        "other_team": (outsider, REASON, "user"),
        "same_owner": (worker, REASON, "user"),
        "not_a_number": ("nobody", REASON, "user"),
    }[bad]
    response = post(client, supervisor, task, target, reason=reason)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Task.objects.get(pk=task.pk).owner == worker
    assert not AuditEvent.objects.filter(action="workflow.task_reassigned").exists()


def test_only_the_teams_supervisor_may_reassign_a_task(client, supervisor, second_supervisor, worker, team,
                                                       outsider, consultant, other_supervisor, colleague):
    task = open_task(case_waiting_for_approval(worker, team), CaseFlow.approve)
    url = reverse("supervision:task_reassign", args=[task.pk])
    for user in (worker, consultant, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert post(client, user, task, second_supervisor).status_code == 403
    client.force_login(other_supervisor)
    assert client.get(url).status_code == 404
    assert post(client, other_supervisor, task, second_supervisor).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=other_supervisor, target_id=str(task.pk)).exists()
    assert Task.objects.get(pk=task.pk).owner is None
    with pytest.raises(ApplicationError):
        task_reassign(actor=other_supervisor, task=task, user=second_supervisor, reason=REASON)
    with pytest.raises(ApplicationError):
        task_reassign(actor=worker, task=task, user=second_supervisor, reason=REASON)
    assert Task.objects.get(pk=task.pk).owner is None
    client.force_login(supervisor)
    assert client.get(url).status_code == 200


def test_a_done_task_cannot_be_reassigned(supervisor, worker, team, colleague):
    case = new_case(worker, team)
    task = open_task(case, CaseFlow.clarify)
    case_coworker_add(actor=supervisor, case=case, user=colleague)
    clarify(worker, case)
    with pytest.raises(ApplicationError):
        task_reassign(actor=supervisor, task=task, user=colleague, reason=REASON)
    assert Task.objects.get(pk=task.pk).owner == worker


def test_team_task_list_shows_the_teams_open_tasks_only(client, supervisor, worker, colleague, team,
                                                        other_supervisor):
    from tests.factories import UserFactory

    mine = open_task(new_case(worker, team), CaseFlow.clarify)
    theirs = open_task(new_case(colleague, team), CaseFlow.clarify)
    approval = open_task(case_waiting_for_approval(worker, team), CaseFlow.approve)
    foreign = open_task(new_case(UserFactory(team=other_supervisor.team, roles=["caseworker"]),
                                 other_supervisor.team), CaseFlow.clarify)
    client.force_login(supervisor)
    listed = [t.pk for t in client.get(reverse("supervision:tasks")).context["tasks"]]
    assert set(listed) == {mine.pk, theirs.pk, approval.pk}
    assert foreign.pk not in listed
    by_owner = [t.pk for t in client.get(reverse("supervision:tasks"), {"owner": colleague.pk}).context["tasks"]]
    assert by_owner == [theirs.pk]
    queue = [t.pk for t in client.get(reverse("supervision:tasks"), {"unassigned": "1"}).context["tasks"]]
    assert queue == [approval.pk]
    assert AuditEvent.objects.filter(action="case.listed", actor=supervisor, purpose="supervision_tasks").count() == 3
