from celery import shared_task
from viewflow.workflow.timers import fire_due_conditions, fire_due_timers

from caseflow.audit.tasks import AuditedTask


@shared_task(base=AuditedTask, name="workflows.tasks.workflow_timers_fire_task")
def workflow_timers_fire_task() -> int:
    """Fire due viewflow timers (``flow.Timer``, ``.OnTimeout``); beat runs it every
    minute. Safe with several dispatchers: each task is taken under its flow lock."""
    return fire_due_timers() + fire_due_conditions()
