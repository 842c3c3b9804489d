"""The Celery base task records the system as the actor, with a request id per run."""

import json

import pytest
from celery import shared_task

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import audit_record
from caseflow.audit.tasks import AuditedTask, audit_head_export_task


@shared_task(base=AuditedTask, name="tests.audit.audit_probe_task")
def audit_probe_task(*, case_id: int) -> int:
    return audit_record(actor=None, action=AuditAction.CASE_CHANGED, case_id=case_id).pk


@pytest.mark.django_db
def test_audited_task_sets_the_system_actor_and_a_request_id_per_run():
    first = AuditEvent.objects.get(pk=audit_probe_task.apply(kwargs={"case_id": 5}).get())
    second = AuditEvent.objects.get(pk=audit_probe_task.apply(kwargs={"case_id": 5}).get())
    assert first.system_actor == second.system_actor == "task:tests.audit.audit_probe_task"
    assert first.actor is None
    assert first.ip == ""
    assert first.user_agent == ""
    assert len(first.request_id) == 36
    assert first.request_id != second.request_id


@pytest.mark.django_db
def test_audit_head_export_task_writes_the_head(audit_head_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sequence = audit_head_export_task.apply().get()
    event = AuditEvent.objects.get(sequence=sequence)
    assert event.action == AuditAction.AUDIT_HEAD_EXPORTED
    assert event.system_actor == "task:audit.tasks.audit_head_export_task"
    assert json.loads(audit_head_file.read_text())["hash"] == event.hash
