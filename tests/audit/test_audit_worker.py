"""A real Celery worker runs an AuditedTask (integration: Redis, a worker process, PostgreSQL).

In a file of its own: a transactional test empties the database when it ends. make test
runs such tests in a second phase; keeping them out of files with plain database tests
also keeps a bare ``pytest -n auto --dist loadfile`` run from handing an empty database
to the next file on the same worker.
"""

import pytest

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.audit.tasks import audit_prune_reads_task


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_audited_task_in_a_real_worker_records_the_system_actor(celery_worker):
    assert audit_prune_reads_task.delay().get(timeout=30) == 0
    event = AuditEvent.objects.filter(action=AuditAction.AUDIT_PRUNED).order_by("-sequence").first()
    assert event.system_actor == "task:audit.tasks.audit_prune_reads_task"
    assert event.actor is None
    assert len(event.request_id) == 36
