import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_conditions, fire_due_timers

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.audit.tasks import AuditedTask

logger = logging.getLogger(__name__)


@shared_task(base=AuditedTask, name="workflows.tasks.workflow_timers_fire_task")
def workflow_timers_fire_task() -> int:
    """Fire due viewflow timers (``flow.Timer``, ``.OnTimeout``); beat runs it every
    minute. Safe with several dispatchers: each task is taken under its flow lock."""
    return fire_due_timers() + fire_due_conditions()


@shared_task(base=AuditedTask, name="workflows.tasks.workflow_job_run_task", acks_late=True)
def workflow_job_run_task(task_pk: int) -> str:
    """Run one job node (``workflows.nodes.CeleryJob``). Under the flow lock and in one
    transaction with the task's completion, so a worker killed midway leaves nothing
    behind and the redelivered message does the work once; a job that is already done
    (a duplicate message, the sweeper) is left alone."""
    task = Task.objects.filter(pk=task_pk).select_related("process").first()
    if task is None:
        return "missing"
    node = task.flow_task
    with node.flow_class.lock(task.process_id), transaction.atomic():
        task = Task.objects.select_related("process").get(pk=task_pk)
        activation = node.activation_class(task)
        if not activation.start.can_proceed():
            return "done"
        activation.start()
        try:
            with transaction.atomic():
                node.run(activation)
        except Exception as exc:  # the job's failure is recorded on the task (ERROR), not lost
            logger.exception("workflow job %s failed", task_pk)
            activation.error(exc)
            return "error"
        activation.execute()
    return "executed"


@shared_task(base=AuditedTask, name="workflows.tasks.workflow_jobs_sweep_task")
def workflow_jobs_sweep_task() -> int:
    """Enqueue again the jobs still SCHEDULED after CASEFLOW_JOB_STUCK_MINUTES (a lost
    message, a broker flush). Running a job twice is harmless (see above). Through the
    outbox too: the audit event and the message are committed together, and a broker
    blip while sweeping loses nothing."""
    from caseflow.notifications.outbox import outbox_enqueue

    cutoff = timezone.now() - datetime.timedelta(minutes=settings.CASEFLOW_JOB_STUCK_MINUTES)
    stuck = list(Task.objects.filter(flow_task_type="JOB", status=STATUS.SCHEDULED, scheduled__lt=cutoff)
                 .values_list("pk", "process_id"))
    for task_pk, process_pk in stuck:
        with transaction.atomic():
            audit_record(actor=None, action=AuditAction.WORKFLOW_JOB_REQUEUED, target_type="viewflow.task",
                         target_id=str(task_pk), extra={"process_id": process_pk})
            outbox_enqueue(workflow_job_run_task, task_pk=task_pk)
    return len(stuck)
