"""The CaseFlow's timers fire exactly once: the dispatcher called twice, and from two
threads at once on PostgreSQL (transactional)."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from caseflow.cases.models import Case
from tests.factories import TeamFactory, UserFactory
from tests.workflows.test_case_flow import clarify, new_case, ok, plan, review, sign, years_ago
from workflows.flows.case import CaseFlow
from workflows.tasks import workflow_timers_fire_task

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _fire_concurrently(times=2):
    barrier = threading.Barrier(times)
    errors = []

    def fire():
        barrier.wait()
        try:
            workflow_timers_fire_task()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=fire) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors


def _count(case, node):
    return Task.objects.filter(process__caseprocess__case=case, flow_task=node).count()


def test_review_follow_up_and_turning_18_fire_exactly_once():
    if connection.vendor != "postgresql":
        pytest.fail("the race is only meaningful on PostgreSQL (run make test)")
    team = TeamFactory(name="Timere")
    worker = UserFactory(team=team, roles=["caseworker"])
    consultant = UserFactory(team=None, roles=["child_consultant"])
    client = Client()
    # 18 in about 100 days: the turning-18 point (3 months before) is about 10 days away.
    case = new_case(worker, team, birth_date=years_ago(18, days=100))
    clarify(client, worker, case, consent_given_by="", exception_justification="Forælder er risikoen; BBU enig.")
    ok(plan(client, worker, case, interventions=["professional_advice"]))
    ok(sign(client, consultant, case, CaseFlow.co_sign))
    with time_machine.travel(timezone.now(), tick=True) as clock:
        clock.shift(datetime.timedelta(days=20))
        fire_due_timers()
        fire_due_timers()
        assert _count(case, CaseFlow.plan_adult_transition) == 1

        clock.shift(datetime.timedelta(days=75))  # the review (3 months), still a minor
        _fire_concurrently()
        fire_due_timers()
        assert _count(case, CaseFlow.review) == 1
        assert _count(case, CaseFlow.begin_review) == 1
        ok(review(client, worker, case, "closure", closure_reason="goals_met"))
        ok(sign(client, consultant, case, CaseFlow.co_sign))
        assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED

        clock.shift(datetime.timedelta(days=190))
        _fire_concurrently()
        fire_due_timers()
        assert _count(case, CaseFlow.follow_up_6m) == 1
        assert _count(case, CaseFlow.begin_follow_up_6m) == 1
    assert Case.objects.get(pk=case.pk).status == Case.Status.FOLLOW_UP_6M
