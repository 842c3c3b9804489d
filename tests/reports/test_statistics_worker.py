"""The beat task refreshes the store in a real Celery worker (integration: Redis, a
worker process, PostgreSQL). In a file of its own: a transactional test empties the
database when it ends."""

import pytest

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.reports.models import ReferralStatistic
from caseflow.reports.tasks import statistics_refresh_task
from tests.factories import ReferralFactory


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_refresh_task_in_a_real_worker(celery_worker, team, worker):
    ReferralFactory(team=team, registered_by=worker)
    ReferralFactory(team=team, registered_by=worker)
    result = statistics_refresh_task.delay().get(timeout=60)
    assert result["referrals"]["created"] == 2
    assert ReferralStatistic.objects.count() == 2
    assert statistics_refresh_task.delay().get(timeout=60)["referrals"]["created"] == 0
    event = AuditEvent.objects.filter(action=AuditAction.STATISTICS_REFRESHED).order_by("-sequence").first()
    assert event.system_actor == "task:reports.tasks.statistics_refresh_task"
    assert event.actor is None
