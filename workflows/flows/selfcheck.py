"""WorkerSelfCheckFlow: start → one job in a Celery worker → end. ``manage.py
workflow_selfcheck`` runs it to prove that the whole path of automatic workflow steps
works (commit → broker → worker → flow lock → completion); the tests use it to prove
our job node. It touches no case data."""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Process

from workflows.nodes import CeleryJob


class WorkerSelfCheckFlow(flow.Flow):
    process_class = Process
    lock_impl = lock.SelectForUpdateLock(nowait=False)
    process_title = _("Worker self-check")

    start = flow.StartHandle(this.start_process).Next(this.work)
    work = CeleryJob(this.count_run).Next(this.end)
    end = flow.End()

    def start_process(self, activation, fail=False):
        """``fail`` exercises the error path (the job raises after its write)."""
        activation.process.data = {"runs": 0, "fail": bool(fail)}
        return activation.process

    def count_run(self, activation):
        # The activation's process was loaded under the flow lock; the end node saves it.
        process = activation.process
        process.data["runs"] = process.data.get("runs", 0) + 1
        process.save(update_fields=["data"])
        if process.data.get("fail"):
            raise RuntimeError("the self-check job failed on purpose")

    def has_view_permission(self, user, obj=None):
        return False
