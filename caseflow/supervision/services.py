"""Writes of the supervisor's workspace: reassigning a case (access and the old
caseworker's open tasks move with it) and reassigning one workflow task. Keyword-only,
actor first, one transaction each; the policy decides, the audit event is written in
the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case
from caseflow.cases.services import case_reassign
from caseflow.core.exceptions import ApplicationError
from permissions.policy import Action, Feature, can, may_use
from workflows.selectors import task_reachable
from workflows.subjects import subject_of

from .selectors import REASSIGNABLE_STATUSES, team_tasks

REASON_REQUIRED = _("Give a reason for the reassignment.")
NOT_ALLOWED = _("Only a supervisor of the team can reassign its cases and tasks.")
SAME_RESPONSIBLE = _("This caseworker is already responsible for the case.")
CASE_CLOSED = _("Only open cases can be reassigned.")
TASK_NOT_OPEN = _("This task is no longer open: it cannot be reassigned.")
TASK_IN_PROGRESS = _("This task is being done right now: try again in a moment.")
SAME_OWNER = _("The task is already assigned to this person.")
TARGET_MAY_NOT = _("%(name)s may not do this task: choose someone who has access to it.")
TARGET_INACTIVE = _("Choose an active user.")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(REASON_REQUIRED, field="reason")
    return reason


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _case_open_tasks(case: Case):
    """Open human tasks of the case's processes and of its interventions' processes."""
    return Task.objects.filter(
        Q(process__caseprocess__case=case) | Q(process__interventionprocess__intervention__case=case),
        flow_task_type="HUMAN", status__in=REASSIGNABLE_STATUSES,
    )


def _move(*, actor, task: Task, user, reason: str) -> Task:
    """Under the task's flow lock: give ``task`` to ``user`` through viewflow's
    transitions (``assign`` for a task in the queue, ``reassign`` for an assigned one;
    both keep the task's status rules) after the policy says ``user`` may do it."""
    flow_class = task.process.flow_class
    with flow_class.lock(task.process_id), transaction.atomic():
        task = Task.objects.select_related("process", "owner").get(pk=task.pk)
        if task.status == STATUS.STARTED:
            raise ApplicationError(TASK_IN_PROGRESS)
        if task.status not in REASSIGNABLE_STATUSES or task.flow_task_type != "HUMAN":
            raise ApplicationError(TASK_NOT_OPEN)
        if task.owner_id == user.pk:
            raise ApplicationError(SAME_OWNER, field="user")
        if not user.is_active:
            raise ApplicationError(TARGET_INACTIVE, field="user")
        # The task's own permission, through the policy (the scopes of workflows.selectors):
        # exactly what puts the task in the user's inbox afterwards.
        if task_reachable(actor=user, task_pk=task.pk) is None:
            raise ApplicationError(TARGET_MAY_NOT % {"name": _name(user)}, field="user")
        previous = task.owner
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(user)
        else:
            activation.reassign(user=user)
        subject = subject_of(task.process)
        case_id = subject.pk if isinstance(subject, Case) else getattr(subject, "case_id", None)
        if subject is not None and subject._meta.label_lower == "referrals.referral":
            case_id = None
        audit_record(
            actor=actor, action=AuditAction.TASK_REASSIGNED, target=task, case_id=case_id, reason=reason,
            changes={"owner_id": [getattr(previous, "pk", None), user.pk]},
            extra={"node": task.flow_task.name, "process_id": task.process_id,
                   "subject": subject._meta.label_lower if subject is not None else "",
                   "subject_id": getattr(subject, "pk", None)},
        )
        return task


@transaction.atomic
def task_reassign(*, actor, task: Task, user, reason: str) -> Task:
    """Move an open task (waiting in the queue, or assigned to someone) of the
    supervisor's team to ``user``, who must be allowed to do it by the task's own
    permission. Audited ``workflow.task_reassigned`` with the reason."""
    reason = _reason(reason)
    if not may_use(actor, Feature.SUPERVISION) or not team_tasks(team_id=actor.team_id).filter(pk=task.pk).exists():
        raise ApplicationError(NOT_ALLOWED)
    return _move(actor=actor, task=task, user=user, reason=reason)


@transaction.atomic
def case_reassign_with_tasks(*, actor, case: Case, responsible, reason: str) -> tuple[Case, list[Task]]:
    """Reassign a case to a new responsible caseworker of its team (the existing
    ``case_reassign``: access moves in the same transaction, ``case.reassigned``,
    ``access.revoked``/``access.granted``), with a required reason, and hand the old
    caseworker's open tasks on the case and its interventions to the new one, so nothing
    is left with someone who no longer has access. Returns the case and the moved tasks."""
    reason = _reason(reason)
    if not can(actor, Action.MANAGE_ACCESS, case):
        raise ApplicationError(NOT_ALLOWED)
    if not case.is_open:
        raise ApplicationError(CASE_CLOSED)
    previous = case.responsible
    if responsible is None or previous == responsible:
        raise ApplicationError(SAME_RESPONSIBLE, field="responsible")
    case = case_reassign(actor=actor, case=case, responsible=responsible, reason=reason)
    moved = []
    if previous is not None:
        for task in _case_open_tasks(case).filter(owner=previous).select_related("process").order_by("pk"):
            moved.append(_move(actor=actor, task=task, user=responsible, reason=reason))
    # The reason of the reassignment itself, with what moved along (case_reassign's own
    # event records the change of the responsible caseworker).
    audit_record(actor=actor, action=AuditAction.CASE_CHANGED, target=case, reason=reason,
                 extra={"reassigned": True, "from_user_id": getattr(previous, "pk", None),
                        "to_user_id": responsible.pk, "tasks_moved": [task.pk for task in moved]})
    return case, moved
