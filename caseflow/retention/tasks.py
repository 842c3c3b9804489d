"""The nightly retention run (beat: ``CELERY_BEAT_SCHEDULE["retention-run"]``)."""

from celery import shared_task

from caseflow.audit.tasks import AuditedTask

from .services import retention_run


@shared_task(base=AuditedTask, name="retention.tasks.retention_run_task")
def retention_run_task() -> dict:
    """Apply the retention rules and prune old audit read events. Two beat processes
    started by mistake are harmless: the second run finds the run lock taken and does
    nothing. Returns the run's counts (ids only)."""
    return retention_run().as_json()
