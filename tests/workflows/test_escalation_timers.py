"""Escalations fire exactly once when two beat runs overlap: two threads fire the due
timers at the same moment on PostgreSQL (transactional), the screening task's deadline
breach is recorded once, the task stays open and the supervisor sees it once."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.models import AuditEvent
from caseflow.referrals.services import referral_register
from tests.factories import TeamFactory, UserFactory
from workflows import services
from workflows.deadlines import deadline_breaches_for
from workflows.flows.referral import ReferralFlow
from workflows.models import DeadlineBreach
from workflows.tasks import workflow_timers_fire_task

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _fire_in_two_threads():
    barrier = threading.Barrier(2)
    errors = []

    def fire():
        try:
            barrier.wait()
            workflow_timers_fire_task()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=fire) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors


def test_overlapping_beats_escalate_a_breached_deadline_once():
    team = TeamFactory(name="Frister")
    worker = UserFactory(team=team, roles=["caseworker"])
    supervisor = UserFactory(team=team, roles=["supervisor"])
    referral = referral_register(
        actor=worker, team=team, channel="phone", referrer_type="primary_school", referrer_name="Fiktiv Lærer",
        concern_text="Fiktiv bekymring.", received_at=timezone.now() - datetime.timedelta(hours=1),
    )
    services.referral_process_start(actor=worker, referral=referral)
    triage = Task.objects.get(process__referralprocess__referral=referral, flow_task=ReferralFlow.acute_triage)

    with time_machine.travel(timezone.now() + datetime.timedelta(days=5), tick=True):
        _fire_in_two_threads()
        _fire_in_two_threads()

    breaches = DeadlineBreach.objects.filter(task=triage)
    assert breaches.count() == 1
    assert breaches.get().deadline == "acute_triage"
    triage.refresh_from_db()
    assert triage.status == STATUS.ASSIGNED  # the task stays open: non-interrupting
    assert [b.task_id for b in deadline_breaches_for(actor=supervisor)] == [triage.pk]
    assert AuditEvent.objects.filter(action="deadline.breached", extra__task_id=triage.pk).count() == 1
    escalations = Task.objects.filter(process=triage.process, flow_task=ReferralFlow.escalate_breach)
    assert escalations.count() == 1
