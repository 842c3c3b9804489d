"""Our task lists: the inbox shows each task's deadline, reading a list is audited, and
the supervisors' breach list is theirs alone."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.models import AuditEvent
from caseflow.referrals.models import Referral
from caseflow.referrals.services import referral_register
from tests.factories import TeamFactory, UserFactory
from workflows.flows.referral import ReferralFlow
from workflows.models import DeadlineBreach
from workflows.selectors import task_inbox_for, task_queue_for
from workflows.services import referral_process_start

pytestmark = pytest.mark.django_db


def _referral(worker) -> Referral:
    referral = referral_register(
        actor=worker, team=worker.team, channel="phone", referrer_type="primary_school", referrer_name="Fiktiv Forælder",
        concern_text="Fiktiv bekymring.", received_at=timezone.now() - datetime.timedelta(hours=1),
    )
    referral_process_start(actor=worker, referral=referral)
    return referral


def _triage_task(referral) -> Task:
    return Task.objects.get(process__referralprocess__referral=referral, flow_task=ReferralFlow.acute_triage)


def test_inbox_reads_are_audited_and_rows_counted(client, worker):
    _referral(worker)
    client.force_login(worker)
    response = client.get(reverse("workflows:inbox"))
    assert response.status_code == 200
    event = AuditEvent.objects.filter(actor=worker, action="case.listed", purpose="task_inbox").latest("sequence")
    assert event.extra["rows"] == len(task_inbox_for(actor=worker)) == 1


def test_queue_reads_are_audited(client, worker, colleague):
    client.force_login(colleague)
    assert client.get(reverse("workflows:queue")).status_code == 200
    assert AuditEvent.objects.filter(actor=colleague, action="case.listed", purpose="task_queue").exists()


def test_inbox_lists_the_other_teams_nothing(worker, outsider):
    _referral(worker)
    assert len(task_inbox_for(actor=outsider)) == 0
    assert len(task_queue_for(actor=outsider)) == 0


def test_breach_list_is_the_supervisors_of_the_team(client, worker, supervisor, outsider):
    referral = _referral(worker)
    task = _triage_task(referral)
    DeadlineBreach.objects.create(task=task, process_id=task.process_id, team=worker.team, referral=referral,
                                  deadline="acute_triage", due_at=timezone.now() - datetime.timedelta(hours=2))
    other_supervisor = UserFactory(team=TeamFactory(name="Andet hold"), roles=["supervisor"])

    client.force_login(supervisor)
    response = client.get(reverse("workflows:deadline_breaches"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert referral.reference in response.content.decode()
    assert AuditEvent.objects.filter(actor=supervisor, purpose="deadline_breaches").exists()

    client.force_login(other_supervisor)
    response = client.get(reverse("workflows:deadline_breaches"))
    assert response.status_code == 200
    assert referral.reference not in response.content.decode()

    for user in (worker, outsider):
        client.force_login(user)
        assert client.get(reverse("workflows:deadline_breaches")).status_code == 403

    # Done tasks leave the list.
    Task.objects.filter(pk=task.pk).update(status=STATUS.DONE)
    client.force_login(supervisor)
    assert referral.reference not in client.get(reverse("workflows:deadline_breaches")).content.decode()


@pytest.mark.parametrize("flow_path", ["workflows.flows.case.CaseFlow", "workflows.flows.intervention.InterventionFlow",
                                       "workflows.flows.referral.ReferralFlow"])
@pytest.mark.parametrize("name", ["index", "process_list", "process_detail", "task_list", "process_cancel",
                                  "chart", "process_chart"])
def test_no_flow_routes_viewflows_leaking_pages(flow_path, name):
    """viewflow's process lists, task lists, process pages and charts show every process
    to anyone with the global view permission (upstream #505): none is routed."""
    from django.urls import NoReverseMatch
    from django.utils.module_loading import import_string

    flow_class = import_string(flow_path)
    args = [1] if name in ("process_detail", "process_cancel", "process_chart") else []
    with pytest.raises(NoReverseMatch):
        flow_class.instance.reverse(name, args=args)


@pytest.mark.parametrize("prefix", ["/workflows/case/", "/workflows/intervention/"])
def test_leaking_urls_answer_404_even_to_a_superuser(client, prefix):
    admin = UserFactory(is_superuser=True)
    client.force_login(admin)
    for suffix in ("", "flows/", "tasks/", "1/", "1/chart/", "chart/", "inbox/", "queue/", "archive/"):
        assert client.get(prefix + suffix).status_code == 404, prefix + suffix
