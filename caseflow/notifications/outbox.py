"""The transactional outbox: background work is recorded in the service's transaction
and published to the broker after the commit; what the broker did not take (Redis
down) is published later by the relay.

Use ``outbox_enqueue(task, some_id=...)`` inside the service's transaction instead of
``transaction.on_commit(lambda: task.delay(...))``. It never raises into the request
because the broker is down: the publish after the commit has a short timeout, and after
a failure this process leaves the publishing to the relay for a few seconds (so a Redis
outage does not slow every page down).

Delivery is at least once (a process that dies between the publish and the commit of
"delivered" leaves the row for the relay): the consuming tasks are idempotent, each
re-checks whether its work is done. Two relays (two beats) never publish the same row at
the same time (``SELECT ... FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from functools import partial

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from caseflow.audit.actions import AuditAction
from caseflow.audit.context import audit_context
from caseflow.audit.services import audit_record

from .models import OutboxMessage

logger = logging.getLogger(__name__)

#: What a broker that is down or unreachable raises while publishing.
BROKER_ERRORS = (KombuOperationalError, ConnectionError, TimeoutError, OSError)

#: Keyword names a task may take through the outbox: ids only.
ID_SUFFIXES = ("_id", "_pk", "_ids")

_relay_thread: threading.Thread | None = None
_broker_down_until = 0.0
_breaker_lock = threading.Lock()


def _task_name(task) -> str:
    return task if isinstance(task, str) else task.name


def _check_ids_only(kwargs: dict) -> None:
    """Outbox rows and broker messages carry ids only: never names, CPR numbers or text."""
    for key, value in kwargs.items():
        values = value if isinstance(value, list | tuple) else [value]
        if not key.endswith(ID_SUFFIXES) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                    for v in values):
            raise ValueError(f"outbox task arguments must be ids (int, name ending in _id/_pk): {key!r}")


def outbox_enqueue(task, **kwargs) -> OutboxMessage:
    """Record ``task(**kwargs)`` in the caller's transaction; publish it after the commit.
    A rolled-back transaction publishes nothing."""
    _check_ids_only(kwargs)
    message = OutboxMessage.objects.create(task_name=_task_name(task), kwargs=kwargs)
    transaction.on_commit(partial(outbox_publish_after_commit, message.pk))
    return message


# --------------------------------------------------------------------------- publishing


def _broker_known_down() -> bool:
    return time.monotonic() < _broker_down_until


def _note_broker_down() -> None:
    global _broker_down_until
    with _breaker_lock:
        _broker_down_until = time.monotonic() + settings.CASEFLOW_OUTBOX_BACKOFF_SECONDS


def _note_broker_up() -> None:
    global _broker_down_until
    with _breaker_lock:
        _broker_down_until = 0.0


def _celery_app():
    from caseflow.celery import app

    return app


def _eager() -> bool:
    return bool(_celery_app().conf.task_always_eager)


def _publish(message: OutboxMessage) -> None:
    """Hand the message to the broker, with the short retry policy of the settings
    (raises when the broker does not take it)."""
    app = _celery_app()
    options = {"kwargs": message.kwargs, "task_id": f"outbox-{message.pk}", "ignore_result": True,
               "retry": True, "retry_policy": settings.CASEFLOW_OUTBOX_PUBLISH_RETRY_POLICY}
    task = app.tasks.get(message.task_name)
    if task is not None:
        task.apply_async(**options)  # eager mode runs it here
    else:  # a process that has not imported the task's module (the relay command)
        app.send_task(message.task_name, **options)


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _deliver_eager(pk: int) -> bool:
    """No broker (``make run``): claim the row, then run the task in this process."""
    claimed = OutboxMessage.objects.filter(pk=pk, delivered_at__isnull=True).update(
        delivered_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=pk)
    try:
        _publish(message)
    except Exception as exc:  # the eager run failed; the row is delivered, the error kept
        logger.exception("outbox message %s: the task failed", pk)
        OutboxMessage.objects.filter(pk=pk).update(last_error=_error_text(exc))
    return True


def outbox_deliver(pk: int) -> bool | None:
    """Publish one pending row under its row lock and mark it delivered. True when
    published, False when the broker refused it (the row stays), None when there was
    nothing to do (delivered already, another relay holds it) or the message itself
    cannot be sent (its error is kept on the row; the relay goes on with the next)."""
    if _eager():
        return _deliver_eager(pk) or None
    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update(skip_locked=True)
                   .filter(pk=pk, delivered_at__isnull=True).first())
        if message is None:
            return None
        try:
            _publish(message)
        except BROKER_ERRORS as exc:  # broker down or refusing: keep the row for the relay
            _note_broker_down()
            logger.warning("outbox message %s not published (%s); the relay will retry", pk, type(exc).__name__)
            OutboxMessage.objects.filter(pk=pk).update(attempts=F("attempts") + 1, last_error=_error_text(exc))
            return False
        except Exception as exc:  # this message cannot be sent (unknown task, bad arguments): not the broker
            logger.error("outbox message %s cannot be published (%s); left for an operator", pk, type(exc).__name__)
            OutboxMessage.objects.filter(pk=pk).update(attempts=F("attempts") + 1, last_error=_error_text(exc))
            return None
        _note_broker_up()
        OutboxMessage.objects.filter(pk=pk).update(delivered_at=timezone.now(), attempts=F("attempts") + 1,
                                                   last_error="")
        return True


def outbox_publish_after_commit(pk: int) -> None:
    """The on-commit hook: try once, right away, unless the broker failed moments ago.
    Never raises into the request."""
    if not _eager() and _broker_known_down():
        return
    try:
        outbox_deliver(pk)
    except Exception:  # the database itself failing here must not turn a done request into a 500
        logger.exception("outbox message %s: publishing after commit failed; the relay will retry", pk)


# --------------------------------------------------------------------------- the relay


def outbox_relay(*, batch: int = 200) -> int:
    """Publish the rows the broker did not take, oldest first; stops at the first
    refusal (the broker is still down). Returns how many were published. Rows younger
    than a second are left to their own after-commit publish."""
    cutoff = timezone.now() - datetime.timedelta(seconds=1)
    pending = list(OutboxMessage.objects.filter(delivered_at__isnull=True, created_at__lte=cutoff)
                   .order_by("pk").values_list("pk", flat=True)[:batch])
    delivered: list[int] = []
    for pk in pending:
        outcome = outbox_deliver(pk)
        if outcome is False:
            break
        if outcome:
            delivered.append(pk)
    if delivered:
        with transaction.atomic():
            audit_record(actor=None, action=AuditAction.OUTBOX_DELIVERED, target_type="notifications.outboxmessage",
                         target_id=str(delivered[0]), extra={"count": len(delivered), "message_ids": delivered})
        logger.info("outbox relay published %d message(s)", len(delivered))
    return len(delivered)


def outbox_pending_count() -> int:
    return OutboxMessage.objects.filter(delivered_at__isnull=True).count()


def outbox_relay_loop(*, interval: float, stop: threading.Event | None = None, source: str = "outbox_relay") -> None:
    """Run the relay every ``interval`` seconds until ``stop`` is set. Needs only the
    database to run: nothing has to arrive through Redis to trigger it."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            close_old_connections()
            with audit_context(system_actor=f"relay:{source}", request_id="new", ip="", user_agent=""):
                outbox_relay()
        except Exception:  # the database may be down too: keep looping
            logger.exception("outbox relay pass failed")
        stop.wait(interval)


def outbox_relay_thread_start(*, source: str) -> threading.Thread | None:
    """The relay as a daemon thread of a long-running process (Celery beat)."""
    global _relay_thread
    interval = settings.CASEFLOW_OUTBOX_RELAY_INTERVAL
    if interval <= 0 or (_relay_thread is not None and _relay_thread.is_alive()):
        return None
    thread = threading.Thread(target=outbox_relay_loop, kwargs={"interval": interval, "source": source},
                              name="outbox-relay", daemon=True)
    thread.start()
    _relay_thread = thread
    return thread
