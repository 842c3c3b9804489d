"""viewflow's task signals become workflow.task_* events."""

import logging

import pytest
from viewflow.workflow.models import Process, Task
from viewflow.workflow.signals import task_failed, task_finished, task_started

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class CaseFlowStandIn:
    """The sender viewflow passes: the flow class."""


def process_with_case(case_id):
    process = Process(pk=41)
    process.case_id = case_id  # what a CaseProcess(Process) with a case FK offers
    return process


@pytest.mark.parametrize(("signal", "action"), [
    (task_started, AuditAction.WORKFLOW_TASK_STARTED),
    (task_finished, AuditAction.WORKFLOW_TASK_FINISHED),
    (task_failed, AuditAction.WORKFLOW_TASK_FAILED),
])
def test_task_signals_record_the_task_with_its_case(signal, action):
    owner = UserFactory()
    task = Task(pk=97, owner=owner, status="STARTED")
    signal.send(sender=CaseFlowStandIn, process=process_with_case(12), task=task)
    event = AuditEvent.objects.filter(action=action).order_by("-sequence").first()
    assert (event.target_type, event.target_id, event.case_id) == ("viewflow.task", "97", 12)
    assert event.actor == owner
    assert event.extra["process_id"] == 41
    assert event.extra["status"] == "STARTED"
    assert event.extra["flow"].endswith("CaseFlowStandIn")


def test_a_task_without_owner_is_recorded_as_the_system():
    task_finished.send(sender=CaseFlowStandIn, process=process_with_case(None), task=Task(pk=98))
    event = AuditEvent.objects.filter(action=AuditAction.WORKFLOW_TASK_FINISHED).order_by("-sequence").first()
    assert event.actor is None
    assert event.case_id is None
    assert event.system_actor == "system"


class BrokenProcess:
    """A process whose subclass cannot be loaded any more."""

    pk = 43

    @property
    def coerced(self):
        raise LookupError("the process subclass is gone")


def test_failing_details_do_not_stop_the_flow_but_are_logged(caplog):
    caplog.set_level(logging.ERROR, logger="caseflow.audit")
    task_started.send(sender=CaseFlowStandIn, process=BrokenProcess(), task=Task(pk=99))
    event = AuditEvent.objects.filter(action=AuditAction.WORKFLOW_TASK_STARTED).order_by("-sequence").first()
    assert (event.target_id, event.case_id, event.extra) == ("99", None, {"process_id": 43})
    assert "could not work out the details" in caplog.text


def test_an_audit_failure_is_not_swallowed():
    """If the event cannot be written the transition must fail with it."""
    with pytest.raises(ValueError, match="not-a-case-id"):
        task_started.send(sender=CaseFlowStandIn, process=process_with_case("not-a-case-id"), task=Task(pk=100))
