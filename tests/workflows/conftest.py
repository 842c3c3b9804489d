"""Users and teams shared by the workflow tests."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def colleague(team):
    return UserFactory(team=team, roles=["caseworker"])


@pytest.fixture
def mentor(team):
    return UserFactory(team=team, roles=["mentor"])


@pytest.fixture
def bbu():
    return UserFactory(team=None, roles=["bbu_liaison"])


@pytest.fixture
def run_jobs():
    """Run the workflow jobs waiting for a worker, in this test's transaction (the
    tests that are not transactional never commit, so no message goes out). The real
    worker path is tested in test_job_node.py."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from workflows.tasks import workflow_job_run_task

    def run() -> int:
        pks = list(Task.objects.filter(flow_task_type="JOB", status=STATUS.SCHEDULED).values_list("pk", flat=True))
        for pk in pks:
            assert workflow_job_run_task.run(pk) == "executed"
        return len(pks)

    return run
