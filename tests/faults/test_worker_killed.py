"""A Celery worker killed (SIGKILL) in the middle of a task: the message was not
acknowledged (``acks_late``), so it is delivered again, to a fresh pool process
(``reject_on_worker_lost``) or, when the whole worker died, to a fresh worker after the
broker's visibility timeout; the task's effect, observed in PostgreSQL, happens once."""

import os
import signal
import time
import uuid

import pytest
from viewflow.workflow.models import Process

from caseflow.celery import app as celery_app
from tests.faults import fault_tasks
from tests.faults.processes import publishing_to, start_worker, stop, wait_for, wait_ready
from workflows.flows.selfcheck import WorkerSelfCheckFlow

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

VISIBILITY_TIMEOUT = 3


def _attempts(marker_dir, process) -> list[int]:
    path = marker_dir / f"{process.pk}.attempts"
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _effects(process) -> int:
    return Process.objects.get(pk=process.pk).data.get("effects", 0)


@pytest.fixture
def fault_setup(redis_factory, tmp_path):
    redis = redis_factory()
    queue = f"fault-kill-{uuid.uuid4().hex[:8]}"
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    process = Process.objects.create(flow_class=WorkerSelfCheckFlow, data={})
    started = []

    def worker(name: str):
        log = tmp_path / f"{name}.log"
        log.touch()
        proc = start_worker(redis.url, queue, log, include="tests.faults.fault_tasks",
                            CASEFLOW_FAULT_MARKER_DIR=str(marker_dir),
                            CASEFLOW_CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
        started.append(proc)
        wait_ready(proc, log)
        return proc, log

    def send():
        with publishing_to(redis.url, queue):
            fault_tasks.fault_effect_task.apply_async(kwargs={"process_id": process.pk}, ignore_result=True)

    yield {"worker": worker, "send": send, "process": process, "markers": marker_dir}
    for proc in started:
        stop(proc, kill=True)


def test_killed_pool_process_task_is_redelivered_and_takes_effect_once(fault_setup):
    """SIGKILL to the pool process running the task: the worker rejects the message
    (reject_on_worker_lost), it comes back to a fresh pool process, the effect is one."""
    assert celery_app.conf.task_acks_late
    assert celery_app.conf.task_reject_on_worker_lost
    process, markers = fault_setup["process"], fault_setup["markers"]
    worker, log = fault_setup["worker"]("worker")
    fault_setup["send"]()
    assert wait_for(lambda: len(_attempts(markers, process)) == 1, 30), log.read_text()[-3000:]
    child = _attempts(markers, process)[0]
    assert child != worker.pid
    time.sleep(0.5)  # inside the task's transaction now
    os.kill(child, signal.SIGKILL)
    assert wait_for(lambda: _effects(process) == 1, 60), log.read_text()[-3000:]
    time.sleep(fault_tasks.SLOW_SECONDS + VISIBILITY_TIMEOUT + 2)  # any late duplicate would show now
    attempts = _attempts(markers, process)
    assert len(attempts) == 2, attempts  # killed once, run again once
    assert attempts[1] != child
    assert _effects(process) == 1
    assert worker.poll() is None  # the worker itself survived
    assert b"WorkerLostError" in log.read_bytes() or b"SIGKILL" in log.read_bytes()


def test_killed_worker_task_is_redelivered_to_a_fresh_worker_and_takes_effect_once(fault_setup):
    """SIGKILL to the whole worker (main and pool process) mid-task: nobody rejects the
    message; it stays unacknowledged in Redis until the visibility timeout, then a fresh
    worker gets it and the effect is one."""
    process, markers = fault_setup["process"], fault_setup["markers"]
    first, log = fault_setup["worker"]("first")
    fault_setup["send"]()
    assert wait_for(lambda: len(_attempts(markers, process)) == 1, 30), log.read_text()[-3000:]
    time.sleep(0.5)
    stop(first, kill=True)  # SIGKILL to the process group
    assert _effects(process) == 0  # the attempt's write was rolled back
    killed_at = time.monotonic()
    second, log2 = fault_setup["worker"]("second")
    assert wait_for(lambda: _effects(process) == 1, 90), log2.read_text()[-3000:]
    assert time.monotonic() - killed_at >= VISIBILITY_TIMEOUT - 0.5
    time.sleep(fault_tasks.SLOW_SECONDS + VISIBILITY_TIMEOUT + 2)
    attempts = _attempts(markers, process)
    assert len(attempts) == 2, attempts
    assert _effects(process) == 1
    assert second.poll() is None
