"""Doing a human task from code, as the task views do (for seed_demo and scripts; users
go through the task URLs)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .subjects import subject_of


def flow_task_perform(*, actor, process, node, perform):
    """Under the flow lock: claim the open task of ``node`` in ``process`` for ``actor``
    if it is unassigned (viewflow's ``can_assign``, i.e. the policy), check the task's
    permission through the policy, call ``perform(process)`` (one service call) and
    execute the task so the flow moves on. Returns what ``perform`` returned."""
    flow_class = node.flow_class
    with flow_class.lock(process.pk), transaction.atomic():
        task = Task.objects.get(process_id=process.pk, flow_task=node, status__in=(STATUS.NEW, STATUS.ASSIGNED))
        activation = node.activation_class(task)
        if task.owner_id is None:
            if not activation.assign.has_perm(actor):
                raise PermissionDenied
            activation.assign(actor)
        checked = node._owner_permission_obj
        coerced = task.process.coerced
        target = checked(coerced) if callable(checked) else subject_of(coerced)
        if not (activation.start.has_perm(actor) and task.owner_permission
                and actor.has_perm(task.owner_permission, target)):
            raise PermissionDenied
        activation.start(None)
        result = perform(coerced)
        activation.execute()
        return result
