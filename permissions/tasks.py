from celery import shared_task

from caseflow.audit.tasks import AuditedTask


@shared_task(base=AuditedTask, name="permissions.tasks.break_glass_alert_task", acks_late=True)
def break_glass_alert_task(*, access_id: int) -> int:
    """Tell the case team's supervisors that an emergency access waits for review
    (caseflow.notifications: one notification per supervisor and access, mailed at once
    whatever their digest preference). The mail says only that there is something to
    look at; no names, no case content. A second delivery mails nobody again."""
    from caseflow.notifications.services import notification_break_glass

    return notification_break_glass(access_id=access_id)
