"""Beat: refresh the statistics store from live data (hourly by default)."""

from celery import shared_task

from caseflow.audit.tasks import AuditedTask

from .services import statistics_refresh


@shared_task(base=AuditedTask, name="reports.tasks.statistics_refresh_task",
             soft_time_limit=15 * 60, time_limit=16 * 60)
def statistics_refresh_task() -> dict:
    """Idempotent: a second run changes nothing. Returns the counts per kind of row.
    A full pass over the live rows (in chunks): seconds at the unit's volume (about a
    hundred referrals a year), so it gets more time than the default 60-second limit."""
    return {name: vars(result) for name, result in statistics_refresh(actor=None).items()}
