"""Events nobody's service records: sign-ins and viewflow task transitions.

Connected in ``AuditConfig.ready()``. Sign-in signals come from ``django.contrib.auth``
and task transitions from viewflow's ``task_started``/``task_finished``/``task_failed``,
both of which fire inside the transaction of the change they report, so the event
commits (or rolls back) with it.
"""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from viewflow.workflow.signals import task_failed, task_finished, task_started

from .actions import AuditAction
from .services import audit_record

logger = logging.getLogger("caseflow.audit")

#: The longest attempted user name kept for a failed sign-in.
ATTEMPTED_USERNAME_MAX_LENGTH = 150


def connect() -> None:
    user_logged_in.connect(on_user_logged_in, dispatch_uid="caseflow.audit.logged_in")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="caseflow.audit.logged_out")
    user_login_failed.connect(on_user_login_failed, dispatch_uid="caseflow.audit.login_failed")
    task_started.connect(on_task_started, dispatch_uid="caseflow.audit.task_started")
    task_finished.connect(on_task_finished, dispatch_uid="caseflow.audit.task_finished")
    task_failed.connect(on_task_failed, dispatch_uid="caseflow.audit.task_failed")


# --------------------------------------------------------------------------- sign-in


def on_user_logged_in(sender, request, user, **kwargs):
    audit_record(actor=user, action=AuditAction.LOGIN, target=user)


def on_user_logged_out(sender, request, user, **kwargs):
    # ``user`` is None when nobody was signed in; the event still shows the attempt.
    audit_record(actor=user, action=AuditAction.LOGOUT, target=user)


def on_user_login_failed(sender, credentials, request=None, **kwargs):
    """Only the user name that was tried is kept, never the password (Django has already
    masked it in ``credentials``; we do not store the rest of the dict at all)."""
    username = str(credentials.get("username") or "")[:ATTEMPTED_USERNAME_MAX_LENGTH]
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, extra={"username": username})


# --------------------------------------------------------------------------- viewflow


def on_task_started(sender, process, task, **kwargs):
    _task_record(AuditAction.WORKFLOW_TASK_STARTED, sender, process, task)


def on_task_finished(sender, process, task, **kwargs):
    _task_record(AuditAction.WORKFLOW_TASK_FINISHED, sender, process, task)


def on_task_failed(sender, process, task, **kwargs):
    _task_record(AuditAction.WORKFLOW_TASK_FAILED, sender, process, task)


def _task_record(action, flow_class, process, task) -> None:
    """Record a task transition: target the task, with the case of the process.

    Working out the details (the case behind the process, the node's name) must never
    stop a flow: a failure there is logged and the event is recorded without them. It
    runs in a savepoint, so a failed query cannot poison the flow's transaction either.
    The insert itself is not guarded: if the audit event cannot be written, the
    transition must not happen, so that error propagates and rolls the transaction back.
    """
    owner, case_id, details = None, None, {"process_id": getattr(process, "pk", None)}
    try:
        with transaction.atomic():
            owner, case_id, details = _task_details(flow_class, process, task)
    except Exception:
        logger.exception("audit: could not work out the details of %s for task %s", action, task.pk)
    audit_record(actor=owner, action=action, target=task, case_id=case_id, extra=details)


def _task_details(flow_class, process, task):
    """(the task's owner, the process's case id, a few facts about the task)."""
    subject = process.coerced if hasattr(process, "coerced") else process
    case_id = getattr(subject, "case_id", None)
    flow_task = getattr(task, "flow_task", None)
    details = {
        "flow": f"{flow_class.__module__}.{flow_class.__qualname__}" if flow_class is not None else "",
        "node": getattr(flow_task, "name", "") or "",
        "process_id": process.pk,
        "status": str(getattr(task, "status", "") or ""),
    }
    return getattr(task, "owner", None), case_id, details
