"""Two users claiming one task at the same moment on PostgreSQL: exactly one wins, the
other is told; the task ends with one owner."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from tests.factories import TeamFactory, UserFactory
from tests.workflows.test_referral_flow import open_task, to_screening
from workflows.flows.referral import ReferralFlow

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_users_claiming_one_task_at_once_one_wins(client):
    if connection.vendor != "postgresql":
        pytest.fail("the race is only meaningful on PostgreSQL (run make test)")
    team = TeamFactory(name="Samtidighed")
    worker = UserFactory(team=team, roles=["caseworker"])
    rivals = [UserFactory(team=team, roles=["caseworker"]) for _ in range(2)]
    referral = to_screening(client, worker)
    task = open_task(referral, ReferralFlow.screen)
    assert task.owner_id is None

    barrier = threading.Barrier(len(rivals))
    outcomes = {}

    def claim(user):
        browser = Client()
        browser.force_login(user)
        barrier.wait()
        try:
            outcomes[user.pk] = browser.post(reverse("workflows:claim", args=[task.pk]))["Location"]
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in rivals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    task = Task.objects.get(pk=task.pk)
    assert task.owner_id in {user.pk for user in rivals}
    winners = [pk for pk, location in outcomes.items() if "/execute/" in location]
    losers = [pk for pk, location in outcomes.items() if location == reverse("workflows:queue")]
    assert winners == [task.owner_id]
    assert len(losers) == 1
