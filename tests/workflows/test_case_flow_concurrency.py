"""The consultant and the supervisor sign the two branches of the plan's Split at the
same moment on PostgreSQL: exactly one Join, the process continues once."""

import threading

import pytest
from django.db import connection
from django.test import Client
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.cases.models import Case, Decision
from tests.factories import TeamFactory, UserFactory
from tests.workflows.test_case_flow import (
    claim,
    clarify,
    custody_consent,
    execute_url,
    new_case,
    ok,
    open_task,
    plan,
    years_ago,
)
from workflows.flows.case import CaseFlow
from workflows.models import InterventionProcess

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_co_signature_and_approval_at_the_same_moment_join_once(client):
    if connection.vendor != "postgresql":
        pytest.fail("the race is only meaningful on PostgreSQL (run make test)")
    team = TeamFactory(name="Samtidighed sag")
    worker = UserFactory(team=team, roles=["caseworker"])
    consultant = UserFactory(team=None, roles=["child_consultant"])
    supervisor = UserFactory(team=team, roles=["supervisor"])
    case = new_case(worker, team, birth_date=years_ago(15), level=Case.Level.INTERVENING)
    clarify(client, worker, case, **custody_consent())
    ok(plan(client, worker, case, interventions=["mentor", "professional_advice"]))
    signers = {consultant: CaseFlow.co_sign, supervisor: CaseFlow.approve}
    for user, node in signers.items():
        ok(claim(client, user, open_task(case, node)))
    tasks = {user: open_task(case, node) for user, node in signers.items()}

    barrier = threading.Barrier(len(signers))
    statuses = {}

    def sign(user):
        browser = Client()
        browser.force_login(user)
        barrier.wait()
        try:
            statuses[user.pk] = browser.post(execute_url(tasks[user]),
                                             {"decision": "yes", "justification": "Godkendt."}).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(user,)) for user in signers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == {consultant.pk: 302, supervisor.pk: 302}
    joins = Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.join_signatures)
    assert joins.count() == 1
    assert joins.get().status == STATUS.DONE
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    assert case.decisions.filter(kind=Decision.Kind.PLAN_APPROVAL).count() == 1
    assert case.interventions.count() == 2
    assert InterventionProcess.objects.filter(intervention__case=case).count() == 2
    assert Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.wait_review,
                               status=STATUS.SCHEDULED).count() == 1
