"""A test-only task for the worker-kill test, loaded by the test's worker with
``--include tests.faults.fault_tasks``. It has the shape of our tasks (ids only,
acks_late, an "already done?" guard, its effect written in one transaction) and is slow
in the middle of that transaction, so the test can kill the worker there.

Every attempt appends ``<pid>`` to ``$CASEFLOW_FAULT_MARKER_DIR/<process_id>.attempts``
(outside the database, so a rolled-back attempt is still counted)."""

import os
import time
from pathlib import Path

from celery import shared_task
from django.db import transaction
from viewflow.workflow.models import Process

#: Seconds the task sleeps inside its transaction, after its write.
SLOW_SECONDS = 6.0


@shared_task(name="tests.faults.fault_tasks.fault_effect_task", acks_late=True)
def fault_effect_task(*, process_id: int) -> str:
    marker = Path(os.environ["CASEFLOW_FAULT_MARKER_DIR"]) / f"{process_id}.attempts"
    with transaction.atomic():
        process = Process.objects.select_for_update().get(pk=process_id)
        if process.data.get("effect_done"):
            return "done"
        with marker.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        process.data["effects"] = process.data.get("effects", 0) + 1
        process.data["effect_done"] = True
        process.save(update_fields=["data"])
        time.sleep(SLOW_SECONDS)  # killed here: the write above is rolled back
    return "effect"
