"""The Celery base task that audits as the system, and the audit trail's own tasks."""

from __future__ import annotations

from celery import Task, shared_task

from .context import audit_context
from .services import audit_head_export, audit_prune_reads


class AuditedTask(Task):
    """Base class for tasks that may write audit events.

    Each run binds an audit context whose system actor is ``task:<task name>`` and whose
    request id is fresh (uuid4), so the events of one run can be told apart from the
    next (a retry is a new run). Use it with ``@shared_task(base=AuditedTask, ...)``.
    ``__call__`` is what both a worker and ``apply()`` invoke.
    """

    def __call__(self, *args, **kwargs):
        with audit_context(system_actor=f"task:{self.name}", request_id="new", ip="", user_agent=""):
            return super().__call__(*args, **kwargs)


@shared_task(base=AuditedTask, name="audit.tasks.audit_head_export_task")
def audit_head_export_task() -> int | None:
    """Every CASEFLOW_AUDIT_HEAD_EXPORT_INTERVAL seconds (beat, default 5 minutes): anchor the
    chain head outside the database, if events were written since the last anchor.
    Returns the anchored sequence, or None when nothing moved."""
    head = audit_head_export(only_if_moved=True)
    return None if head is None else head["sequence"]


@shared_task(base=AuditedTask, name="audit.tasks.audit_prune_reads_task")
def audit_prune_reads_task() -> int:
    """Prune read events older than the retention. Returns how many were deleted."""
    return audit_prune_reads().deleted
