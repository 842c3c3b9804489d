"""The transactional outbox on the real PostgreSQL and Redis of `make test`: a row
exists exactly when the transaction that wrote it committed, it is published after the
commit, a broker that refuses leaves it for the relay, and the relay publishes it once."""

import datetime
import threading
import time

import pytest
from django.db import transaction
from django.utils import timezone

from caseflow.audit.models import AuditEvent
from caseflow.celery import app as celery_app
from caseflow.core.tasks import ping_task
from caseflow.notifications import outbox
from caseflow.notifications.models import OutboxMessage
from caseflow.notifications.outbox import outbox_enqueue, outbox_relay
from permissions.tasks import break_glass_alert_task
from tests.faults.processes import publishing_to

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def _breaker_reset():
    outbox._note_broker_up()
    yield
    outbox._note_broker_up()


def test_outbox_refuses_arguments_that_are_not_ids():
    with pytest.raises(ValueError, match="ids"):
        outbox_enqueue(break_glass_alert_task, access_id="Hemmelig Navnesen")
    with pytest.raises(ValueError, match="ids"):
        outbox_enqueue(ping_task, nonce=7)
    with pytest.raises(ValueError, match="ids"):
        outbox_enqueue(break_glass_alert_task, access_id=True)
    assert not OutboxMessage.objects.exists()


def test_outbox_row_and_publish_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        message = outbox_enqueue(break_glass_alert_task, access_id=12345)
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.task_name == "permissions.tasks.break_glass_alert_task"
    assert message.kwargs == {"access_id": 12345}
    assert message.delivered_at is None


def test_rolled_back_transaction_leaves_no_row_and_publishes_nothing(django_capture_on_commit_callbacks):
    def failing_request():
        with transaction.atomic():
            outbox_enqueue(break_glass_alert_task, access_id=1)
            raise RuntimeError("the request failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_request()
    assert callbacks == []
    assert not OutboxMessage.objects.exists()


def test_published_after_commit_and_marked_delivered(django_capture_on_commit_callbacks):
    with (publishing_to(celery_app.conf.broker_url, "caseflow-outbox-test-nobody-listens"),
          django_capture_on_commit_callbacks(execute=True)):
        message = outbox_enqueue(break_glass_alert_task, access_id=99)
    message.refresh_from_db()
    assert message.delivered_at is not None
    assert message.attempts == 1
    assert message.last_error == ""
    assert outbox_relay() == 0  # nothing left for the relay


def test_broker_down_the_request_goes_on_quickly_and_the_relay_delivers_later(django_capture_on_commit_callbacks):
    with publishing_to(DEAD_BROKER, "caseflow-outbox-test-nobody-listens"):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            first = outbox_enqueue(break_glass_alert_task, access_id=1)
        with django_capture_on_commit_callbacks(execute=True):
            second = outbox_enqueue(break_glass_alert_task, access_id=2)
        elapsed = time.monotonic() - started
        assert elapsed < 3, elapsed
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.delivered_at is None
        assert first.attempts == 1
        assert "OperationalError" in first.last_error
        assert second.attempts == 0  # the broker had just failed: left to the relay at once
        OutboxMessage.objects.update(created_at=first.created_at - datetime.timedelta(seconds=5))
        assert outbox_relay() == 0  # still down: the relay stops at the first refusal
        assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() == 2
    with publishing_to(celery_app.conf.broker_url, "caseflow-outbox-test-nobody-listens"):
        assert outbox_relay() == 2
        assert outbox_relay() == 0
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="outbox.delivered")
    assert event.extra == {"count": 2, "message_ids": [first.pk, second.pk]}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_relay_skips_rows_another_relay_holds():
    """Two relays (two beats): a row locked by one is skipped by the other."""
    with publishing_to(DEAD_BROKER, "caseflow-outbox-test-nobody-listens"):
        message = outbox_enqueue(break_glass_alert_task, access_id=3)  # autocommit: published (refused) at once
    message.refresh_from_db()
    assert message.attempts == 1
    OutboxMessage.objects.update(created_at=message.created_at - datetime.timedelta(seconds=5))
    outcome = []
    with transaction.atomic():
        OutboxMessage.objects.select_for_update().get(pk=message.pk)  # "the other relay"

        def other():
            from django.db import connection

            try:
                outcome.append(outbox.outbox_deliver(message.pk))
            finally:
                connection.close()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
    assert outcome == [None]


def test_relay_command_once_publishes_what_waited(django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    with publishing_to(DEAD_BROKER, "caseflow-outbox-test-nobody-listens"), \
            django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(break_glass_alert_task, access_id=5)
    OutboxMessage.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=5))
    out = StringIO()
    with publishing_to(celery_app.conf.broker_url, "caseflow-outbox-test-nobody-listens"):
        call_command("outbox_relay", "--once", stdout=out)
    assert out.getvalue().strip() == "1 published, 0 pending"


def test_a_message_that_cannot_be_sent_does_not_block_the_others(django_capture_on_commit_callbacks):
    poison = OutboxMessage.objects.create(task_name="core.tasks.ping_task", kwargs={"wrong_id": 1},
                                          created_at=timezone.now() - datetime.timedelta(seconds=5))
    with django_capture_on_commit_callbacks(execute=False):
        good = outbox_enqueue(break_glass_alert_task, access_id=6)
    OutboxMessage.objects.filter(pk=good.pk).update(created_at=timezone.now() - datetime.timedelta(seconds=5))
    with publishing_to(celery_app.conf.broker_url, "caseflow-outbox-test-nobody-listens"):
        assert outbox_relay() == 1
    poison.refresh_from_db()
    assert poison.delivered_at is None
    assert "TypeError" in poison.last_error
    assert OutboxMessage.objects.get(pk=good.pk).delivered_at is not None
