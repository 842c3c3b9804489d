"""Background work of notifications and the outbox. Ids only; each task re-checks what
is done already, so a second delivery (two beats, the outbox relay, a worker lost
midway) changes nothing."""

from celery import shared_task

from caseflow.audit.tasks import AuditedTask

from . import services
from .outbox import outbox_relay


@shared_task(base=AuditedTask, name="notifications.tasks.outbox_relay_task", acks_late=True)
def outbox_relay_task() -> int:
    """Backup of the relay loop (beat, every minute): publish what the broker did not take."""
    return outbox_relay()


@shared_task(base=AuditedTask, name="notifications.tasks.notification_scan_task", acks_late=True)
def notification_scan_task() -> int:
    """Record new notifications and mail those wanted at once. Returns mails sent."""
    return services.notification_scan()["sent"]


@shared_task(base=AuditedTask, name="notifications.tasks.notification_digest_task", acks_late=True)
def notification_digest_task() -> int:
    """The daily digests. Returns mails sent."""
    return services.notification_digest_send()
