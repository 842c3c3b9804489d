"""Reassigning a case (issue 8 acceptance): access and the old caseworker's open tasks
move to the new caseworker; the old caseworker is left with no access at all; bad
input changes nothing; only the team's supervisor may do it."""

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.core.exceptions import ApplicationError
from caseflow.supervision.services import case_reassign_with_tasks
from permissions.models import CaseUserGrant, GrantKind
from permissions.policy import Action, can
from workflows.case_services import case_plan_propose
from workflows.driving import flow_task_perform
from workflows.flows.case import CaseFlow
from workflows.flows.intervention import InterventionFlow
from workflows.models import CaseProcess

from .conftest import OPEN, clarify, new_case, open_task

pytestmark = pytest.mark.django_db

REASON = "Ferie i tre uger (fiktivt)."


def active_case_with_intervention(worker, team):
    """An adult level-2 case whose plan is approved at once: the mentor intervention's
    first task (consent) is the responsible caseworker's."""
    case = new_case(worker, team)
    clarify(worker, case)
    flow_task_perform(actor=worker, process=CaseProcess.objects.get(case=case), node=CaseFlow.plan,
                      perform=lambda process: case_plan_propose(actor=worker, case=Case.objects.get(pk=case.pk),
                                                                goals="Job og netværk (fiktivt).",
                                                                interventions=["mentor"]))
    case = Case.objects.get(pk=case.pk)
    assert case.status == Case.Status.ACTIVE
    return case


def reassign(client, supervisor, case, responsible, reason=REASON):
    client.force_login(supervisor)
    return client.post(reverse("supervision:case_reassign", args=[case.pk]),
                       {"responsible": getattr(responsible, "pk", responsible), "reason": reason},
                       HTTP_ACCEPT_LANGUAGE="en")


def listed(client, user, url_name, key):
    client.force_login(user)
    response = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return [obj.pk for obj in response.context[key]]


def test_reassignment_moves_access_and_tasks_and_leaves_the_old_caseworker_none(
        client, supervisor, worker, colleague, team):
    case = active_case_with_intervention(worker, team)
    intervention = case.interventions.get()
    task = Task.objects.get(process__interventionprocess__intervention=intervention, status__in=OPEN,
                            flow_task_type="HUMAN")
    assert task.owner == worker
    assert task.flow_task == InterventionFlow.obtain_consent
    assert task.pk in listed(client, worker, "workflows:inbox", "tasks")
    client.force_login(colleague)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404

    response = reassign(client, supervisor, case, colleague)
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:workspace")
    case.refresh_from_db()
    assert case.responsible == colleague
    task.refresh_from_db()
    assert (task.owner, task.status) == (colleague, STATUS.ASSIGNED)

    # The new caseworker: the case, its intervention and its task.
    client.force_login(colleague)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert client.get(reverse("interventions:detail", args=[intervention.pk])).status_code == 200
    assert case.pk in listed(client, colleague, "cases:list", "cases")
    assert task.pk in listed(client, colleague, "workflows:inbox", "tasks")
    assert can(colleague, Action.CHANGE, case)

    # The old caseworker: nothing.
    client.force_login(worker)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=worker, target_id=str(case.pk)).exists()
    assert client.get(reverse("interventions:detail", args=[intervention.pk])).status_code == 404
    assert case.pk not in listed(client, worker, "cases:list", "cases")
    assert task.pk not in listed(client, worker, "workflows:inbox", "tasks")
    assert task.pk not in listed(client, worker, "workflows:queue", "tasks")
    execute = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
    assert client.get(execute).status_code in (403, 404)
    assert not any(can(worker, action, case) for action in (Action.VIEW, Action.CHANGE, Action.CLAIM_TASK))
    assert not CaseUserGrant.objects.filter(user=worker, content_object=case).exists()

    # Audited: the reassignment with its reason, the grants, the moved task.
    reassigned = AuditEvent.objects.get(action="case.reassigned", target_id=str(case.pk))
    assert reassigned.actor_id == supervisor.pk
    assert reassigned.changes["responsible_id"] == [worker.pk, colleague.pk]
    assert AuditEvent.objects.filter(action="access.revoked", case_id=case.pk, extra__user_id=worker.pk,
                                     extra__kind=GrantKind.ASSIGNED).count() == 1
    assert AuditEvent.objects.filter(action="access.granted", case_id=case.pk, extra__user_id=colleague.pk,
                                     extra__kind=GrantKind.ASSIGNED).count() == 1
    moved = AuditEvent.objects.get(action="workflow.task_reassigned", target_id=str(task.pk))
    assert (moved.actor_id, moved.case_id, moved.reason) == (supervisor.pk, case.pk, REASON)
    assert moved.changes["owner_id"] == [worker.pk, colleague.pk]
    changed = AuditEvent.objects.get(action="case.changed", target_id=str(case.pk), extra__reassigned=True)
    assert changed.reason == REASON
    assert changed.extra["tasks_moved"] == [task.pk]


def test_the_new_caseworker_can_do_the_moved_case_task(client, supervisor, worker, colleague, team):
    case = new_case(worker, team)
    task = open_task(case, CaseFlow.clarify)
    assert task.owner == worker
    assert reassign(client, supervisor, case, colleague).status_code == 302
    task.refresh_from_db()
    assert task.owner == colleague
    clarify(colleague, case)
    assert Case.objects.get(pk=case.pk).status == Case.Status.PLANNING
    assert Task.objects.get(pk=task.pk).status == STATUS.DONE


@pytest.mark.parametrize("bad", ["empty_reason", "blank_reason", "unknown_user", "other_team", "same_person",
                                 "consultant", "not_a_number"])
def test_bad_input_is_a_form_error_and_changes_nothing(client, supervisor, worker, colleague, team, outsider,
                                                       consultant, bad):
    case = new_case(worker, team)
    task = open_task(case, CaseFlow.clarify)
    target, reason, field = {
        "empty_reason": (colleague, "", "reason"),
        "blank_reason": (colleague, "   ", "reason"),
        "unknown_user": (987654, REASON, "responsible"),
        "other_team": (outsider, REASON, "responsible"),
        "same_person": (worker, REASON, "responsible"),
        "consultant": (consultant, REASON, "responsible"),
        "not_a_number": ("x", REASON, "responsible"),
    }[bad]
    before = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    response = reassign(client, supervisor, case, target, reason=reason)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Nothing has been saved." in response.content.decode()
    case.refresh_from_db()
    assert case.responsible == worker
    assert Task.objects.get(pk=task.pk).owner == worker
    assert can(worker, Action.CHANGE, case)
    assert not can(colleague, Action.VIEW, case)
    # Only the sign-in and the page's own read were recorded: no write.
    assert set(AuditEvent.objects.filter(sequence__gt=before).values_list("action", flat=True)) <= {
        "auth.logged_in", "case.viewed"}


def test_only_the_teams_supervisor_may_reassign(client, supervisor, worker, colleague, team, outsider,
                                                consultant, other_supervisor):
    case = new_case(worker, team)
    url = reverse("supervision:case_reassign", args=[case.pk])
    # The responsible caseworker sees the case but may not reassign it: 403.
    client.force_login(worker)
    assert client.get(url).status_code == 403
    assert reassign(client, worker, case, colleague).status_code == 403
    # Those who cannot see the case at all: 404 and access.denied.
    for user in (colleague, outsider, consultant, other_supervisor):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert reassign(client, user, case, colleague).status_code == 404
        assert AuditEvent.objects.filter(action="access.denied", actor=user, target_id=str(case.pk)).exists()
    case.refresh_from_db()
    assert case.responsible == worker
    assert not AuditEvent.objects.filter(action="case.reassigned").exists()
    # The service refuses too, whatever the interface.
    with pytest.raises(ApplicationError):
        case_reassign_with_tasks(actor=worker, case=case, responsible=colleague, reason=REASON)
    # The team's supervisor gets the form, with the team's other caseworkers only.
    client.force_login(supervisor)
    response = client.get(url)
    assert response.status_code == 200
    choices = list(response.context["form"].fields["responsible"].queryset)
    assert choices == [colleague]


def test_a_minors_case_consultant_sees_it_but_may_not_reassign(client, worker, colleague, team, consultant):
    from dateutil.relativedelta import relativedelta
    from django.utils import timezone

    case = new_case(worker, team, birth_date=timezone.localdate() - relativedelta(years=15))
    assert can(consultant, Action.VIEW, case)
    assert reassign(client, consultant, case, colleague).status_code == 403
    assert Case.objects.get(pk=case.pk).responsible == worker


def test_closed_case_cannot_be_reassigned(supervisor, worker, colleague, team):
    from caseflow.cases.services import case_close

    case = new_case(worker, team)
    case_close(actor=worker, case=case, reason="goals_met", justification="Mål nået (fiktivt).")
    with pytest.raises(ApplicationError):
        case_reassign_with_tasks(actor=supervisor, case=Case.objects.get(pk=case.pk), responsible=colleague,
                                 reason=REASON)
    assert Case.objects.get(pk=case.pk).responsible == worker
    assert not CaseUserGrant.objects.filter(user=colleague).exists()


def test_team_case_list_offers_the_teams_open_cases_to_reassign(client, supervisor, worker, colleague, team,
                                                                other_supervisor):
    from tests.factories import UserFactory

    mine, theirs = new_case(worker, team), new_case(colleague, team)
    foreign = new_case(UserFactory(team=other_supervisor.team, roles=["caseworker"]), other_supervisor.team)
    client.force_login(supervisor)
    response = client.get(reverse("supervision:cases"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert {case.pk for case in response.context["cases"]} == {mine.pk, theirs.pk}
    page = response.content.decode()
    assert reverse("supervision:case_reassign", args=[mine.pk]) in page
    assert foreign.reference not in page
    response = client.get(reverse("supervision:cases"), {"responsible": colleague.pk})
    assert [case.pk for case in response.context["cases"]] == [theirs.pk]
    assert AuditEvent.objects.filter(action="case.listed", actor=supervisor, purpose="supervision_cases").count() == 2
    # The menu offers the workspace to supervisors only.
    menu_link = f'href="{reverse("supervision:workspace")}"'
    assert menu_link in page
    client.force_login(worker)
    assert menu_link not in client.get(reverse("cases:list")).content.decode()
