"""Our Celery job node on the real stack: a real worker runs it after the commit, a
message that never arrives is swept up, duplicates and failures leave one effect."""

import datetime
import threading
import time

import pytest
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from caseflow.audit.models import AuditEvent
from caseflow.celery import app as celery_app
from workflows.flows.selfcheck import WorkerSelfCheckFlow as JobProbeFlow
from workflows.tasks import workflow_job_run_task, workflow_jobs_sweep_task

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _job(process):
    return Task.objects.get(process=process, flow_task=JobProbeFlow.work)


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _done(process):
    return lambda: Process.objects.get(pk=process.pk).status == PROCESS.DONE


def test_job_enqueued_before_commit_runs_once_after_it(celery_worker):
    """The transaction that schedules the job stays open for two seconds: the worker
    gets the message only after the commit and finds the task row."""
    with transaction.atomic():
        process = JobProbeFlow.start.run()
        assert _job(process).status == STATUS.SCHEDULED
        time.sleep(2)
    assert _wait_for(_done(process)), "the job never ran"
    process.refresh_from_db()
    assert process.data["runs"] == 1
    assert _job(process).status == STATUS.DONE


def _start_then_fail():
    with transaction.atomic():
        JobProbeFlow.start.run()
        raise RuntimeError("the request failed")


def test_rolled_back_start_sends_nothing(celery_worker):
    with pytest.raises(RuntimeError):
        _start_then_fail()
    time.sleep(1)
    assert not Task.objects.filter(flow_task=JobProbeFlow.work).exists()
    assert not Process.objects.filter(flow_class=JobProbeFlow).exists()


def test_a_lost_message_is_swept_up_once(celery_worker):
    """The message goes to a queue nobody reads (as if Redis lost it): the job stays
    SCHEDULED until the sweeper, which then enqueues it again; a second sweep finds
    nothing."""
    queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = "caseflow-nobody-listens"
    try:
        process = JobProbeFlow.start.run()
    finally:
        celery_app.conf.task_default_queue = queue
    time.sleep(1)
    assert _job(process).status == STATUS.SCHEDULED
    assert workflow_jobs_sweep_task() == 0  # not stuck long enough yet
    Task.objects.filter(pk=_job(process).pk).update(scheduled=timezone.now() - datetime.timedelta(minutes=30))
    assert workflow_jobs_sweep_task() == 1
    assert _wait_for(_done(process))
    process.refresh_from_db()
    assert process.data["runs"] == 1
    assert workflow_jobs_sweep_task() == 0
    assert AuditEvent.objects.filter(action="workflow.job_requeued", target_id=str(_job(process).pk)).count() == 1


def test_duplicate_deliveries_do_the_work_once(celery_worker):
    queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = "caseflow-nobody-listens"
    try:
        process = JobProbeFlow.start.run()
    finally:
        celery_app.conf.task_default_queue = queue
    task_pk = _job(process).pk
    results = [workflow_job_run_task.delay(task_pk) for _ in range(3)]
    outcomes = sorted(result.get(timeout=30) for result in results)
    assert outcomes == ["done", "done", "executed"]
    process.refresh_from_db()
    assert process.data["runs"] == 1
    assert process.status == PROCESS.DONE


def test_concurrent_runs_in_two_threads_do_the_work_once():
    """Two deliveries at the same moment (no worker needed: the task's code is called in
    two threads): the flow lock serialises them, the second sees the job done."""
    queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = "caseflow-nobody-listens"
    try:
        process = JobProbeFlow.start.run()
    finally:
        celery_app.conf.task_default_queue = queue
    task_pk = _job(process).pk
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        from django.db import connection

        try:
            barrier.wait()
            outcomes.append(workflow_job_run_task.run(task_pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["done", "executed"]
    process.refresh_from_db()
    assert process.data["runs"] == 1


def test_a_failing_job_is_marked_error_and_its_work_rolled_back(celery_worker):
    process = JobProbeFlow.start.run(fail=True)
    assert _wait_for(lambda: _job(process).status == STATUS.ERROR)
    process.refresh_from_db()
    assert process.data["runs"] == 0  # the failed attempt's write was rolled back
    assert process.status != PROCESS.DONE
    assert "the self-check job failed on purpose" in str(_job(process).data)


def test_selfcheck_command_passes_with_a_worker(celery_worker):
    from django.core.management import call_command

    call_command("workflow_selfcheck", "--timeout", "30")
    assert Process.objects.filter(flow_class=JobProbeFlow, status=PROCESS.DONE).count() == 1


def test_selfcheck_command_fails_without_a_worker():
    from django.core.management import CommandError, call_command

    queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = "caseflow-nobody-listens"
    try:
        with pytest.raises(CommandError, match="did not run"):
            call_command("workflow_selfcheck", "--timeout", "1")
    finally:
        celery_app.conf.task_default_queue = queue
