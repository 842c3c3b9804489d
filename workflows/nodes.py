"""Building blocks shared by the flows: the human task node in our layout, the
subject of a process, deadline callables in Danish working days, the escalation of a
breached deadline, and our Celery job node (the open-source viewflow has none)."""

import datetime

from django.conf import settings
from django.utils import timezone
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.job import AbstractJob, AbstractJobActivation
from viewflow.workflow.status import STATUS

from caseflow.core.workdays import add_working_days
from permissions.policy import Action, can

from . import views
from .subjects import subject_of


class TaskNode(flow.View):
    """A human task whose detail and assign pages use our layout."""

    detail_view_class = views.TaskDetailView
    assign_view_class = views.TaskAssignView


class PolicyFlowMixin:
    """Mixed into every flow: process pages only per object, through the policy (P3),
    and the shared escalation of breached deadlines."""

    def has_view_permission(self, user, obj=None):
        if obj is None:
            return False
        subject = subject_of(obj)
        return subject is not None and can(user, Action.VIEW, subject)

    def escalate(self, activation):
        """A non-interrupting timeout on a human task fired: record the breach for the
        supervisors (the task itself stays open)."""
        from .deadlines import deadline_breach_record

        deadline_breach_record(timer_task=activation.task.previous.first())


# --------------------------------------------------------------------------- deadlines


def end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


def working_days_deadline(name: str):
    """A ``.OnTimeout`` delay: the end of the working day that is
    ``CASEFLOW_DEADLINE_WORKING_DAYS[name]`` Danish working days after the task was
    created (0: the same working day)."""

    def deadline(activation) -> datetime.datetime:
        days = settings.CASEFLOW_DEADLINE_WORKING_DAYS[name]
        start = timezone.localtime(activation.task.created if activation.task else timezone.now()).date()
        return end_of_day(add_working_days(start, days))

    deadline.deadline_name = name
    return deadline


def escalating(node, name: str, escalate_to):
    """Give a human task its deadline: ``.OnTimeout(..., interrupting=False)`` to the
    flow's escalation path, named after the deadline for the breach record."""
    return node.OnTimeout(working_days_deadline(name), escalate_to, interrupting=False)


# --------------------------------------------------------------------------- our Celery job node


class CeleryJobActivation(AbstractJobActivation):
    """Saves the job SCHEDULED and records its message in the transactional outbox, in
    the same transaction: it is published only after the commit, so a worker never looks
    for a task row that is not there yet (viewflow-notes P9), and if Redis is down the
    outbox relay publishes it later. The sweeper re-enqueues jobs whose message was lost."""

    @Activation.status.transition(source=STATUS.NEW, target=STATUS.SCHEDULED)
    def activate(self):
        self.task.scheduled = timezone.now()
        self.task.save()
        job_enqueue(self.task.pk)


def job_enqueue(task_pk: int) -> None:
    """Record the job's message in the outbox (published after the commit)."""
    from caseflow.notifications.outbox import outbox_enqueue

    from .tasks import workflow_job_run_task

    outbox_enqueue(workflow_job_run_task, task_pk=task_pk)


class CeleryJob(AbstractJob):
    """A flow node whose work runs in a Celery worker: ``CeleryJob(this.method)`` where
    the flow's ``method(activation)`` does one service call (ids in, nothing else)."""

    activation_class = CeleryJobActivation

    def __init__(self, handler, **kwargs):
        super().__init__(**kwargs)
        self._handler = handler

    def _resolve(self, instance):
        super()._resolve(instance)
        from viewflow import this

        self._handler = this.resolve(instance, self._handler)

    def run(self, activation):
        return self._handler(activation)
