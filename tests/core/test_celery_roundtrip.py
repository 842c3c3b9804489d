"""A real Celery worker process, real Redis and the real PostgreSQL test database."""

import uuid

import pytest
from django.db import transaction

from caseflow.core.tasks import ping_task
from workflows.tasks import workflow_timers_fire_task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_celery_worker_round_trip(celery_worker):
    nonce = uuid.uuid4().hex
    result = ping_task.delay(nonce=nonce)
    assert result.get(timeout=30) == f"pong:{nonce}"
    assert result.backend.__class__.__name__ == "RedisBackend"


def test_celery_worker_reaches_the_test_database(celery_worker):
    """The timer dispatcher queries viewflow's task table in PostgreSQL from the worker."""
    assert workflow_timers_fire_task.delay().get(timeout=30) == 0


def test_celery_task_enqueued_on_commit_runs_after_commit(celery_worker):
    results = []
    with transaction.atomic():
        transaction.on_commit(lambda: results.append(ping_task.delay(nonce="after-commit")))
        assert results == []
    assert results[0].get(timeout=30) == "pong:after-commit"
