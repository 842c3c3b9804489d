"""Celery tasks of the meetings: ids in, one service call, idempotent (style.md)."""

from celery import shared_task

from caseflow.audit.tasks import AuditedTask

from . import services


@shared_task(base=AuditedTask, name="meetings.tasks.meeting_agenda_notify_task", acks_late=True)
def meeting_agenda_notify_task(*, meeting_id: int) -> int:
    """E-mail the invited members that the agenda is ready (each once; no content)."""
    return services.meeting_agenda_notify(meeting_id=meeting_id)


@shared_task(base=AuditedTask, name="meetings.tasks.meeting_agenda_autofill_task", acks_late=True)
def meeting_agenda_autofill_task() -> int:
    """Beat: put referrals whose screening deadline falls before the team's next planned
    meeting on its agenda. Returns how many items were added."""
    return services.meeting_agenda_autofill()
