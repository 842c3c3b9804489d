"""``has_unassigned_task`` on users' grants (the queue's look-ups at national scale): kept
exact by PostgreSQL triggers through claims, releases, completion, deletion, new grants
and grants saved with a stale value, and not lost when a grant and a task change on the
same object at the same time (the two sides serialise on the object)."""

import itertools
import threading

import pytest
from django.db import connection, transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.accounts.models import User
from permissions.models import CaseUserGrant, GrantKind, InterventionUserGrant, ReferralUserGrant
from permissions.services import access_grant
from tests.factories import CaseFactory, UserFactory, grant
from tests.workflows.test_open_tasks import _assert_reaches_agree, demo  # noqa: F401 (a fixture)
from workflows import selectors
from workflows.models import OpenTask

TABLES = {CaseUserGrant: "case_id", ReferralUserGrant: "referral_id", InterventionUserGrant: "intervention_id"}


def _hints() -> dict:
    return {(model.__name__, pk): hint for model in TABLES
            for pk, hint in model.objects.values_list("pk", "has_unassigned_task")}


def _expected_hints() -> dict:
    unassigned = {column: set(OpenTask.objects.filter(owner__isnull=True, **{f"{column}__isnull": False})
                              .values_list(column, flat=True)) for column in TABLES.values()}
    return {(model.__name__, pk): object_id in unassigned[column] for model, column in TABLES.items()
            for pk, object_id in model.objects.values_list("pk", "content_object_id")}


def _assert_hints_exact():
    hints = _hints()
    assert hints == _expected_hints()
    return hints


def _case_hint(user, case) -> bool:
    return CaseUserGrant.objects.get(user=user, content_object_id=case.pk).has_unassigned_task


@pytest.mark.django_db
def test_hints_follow_claims_releases_completion_new_grants_and_stale_saves(demo):  # noqa: F811
    assert not any(_assert_hints_exact().values()), "the demo's case tasks are all claimed"
    worker = User.objects.get(username="caseworker1")
    # Released: the case and intervention tasks back in the queue.
    Task.objects.filter(pk__in=OpenTask.objects.filter(case__isnull=False).values("task_id")).update(
        owner=None, status=STATUS.NEW)
    hints = _assert_hints_exact()
    assert any(hints.values())
    assert any(hint for (model, _pk), hint in hints.items() if model == "InterventionUserGrant")

    row = OpenTask.objects.filter(owner__isnull=True, case__isnull=False).first()
    others = OpenTask.objects.filter(owner__isnull=True, case_id=row.case_id).exclude(pk=row.pk)
    Task.objects.filter(pk__in=others.values("task_id")).update(owner=worker, status=STATUS.ASSIGNED)
    granted = CaseUserGrant.objects.filter(content_object_id=row.case_id)
    assert granted.exists()
    assert all(granted.values_list("has_unassigned_task", flat=True))

    # Claimed: the case has no unassigned task left.
    Task.objects.filter(pk=row.task_id).update(owner=worker, status=STATUS.ASSIGNED)
    assert not any(granted.values_list("has_unassigned_task", flat=True))
    _assert_hints_exact()

    # A grant saved through the ORM with what it read earlier (False) while the task went
    # back to the queue: corrected in the same statement.
    stale = granted.first()
    Task.objects.filter(pk=row.task_id).update(owner=None, status=STATUS.NEW)
    assert CaseUserGrant.objects.get(pk=stale.pk).has_unassigned_task
    stale.reason = "Opdateret begrundelse"
    stale.save()
    assert CaseUserGrant.objects.get(pk=stale.pk).has_unassigned_task

    # A grant given after the task exists starts right.
    newcomer = UserFactory(team=worker.team)
    access_grant(actor=None, obj=row.case, kind=GrantKind.CO_WORKER, user=newcomer, reason="test")
    assert _case_hint(newcomer, row.case)

    # Done, then deleted: nothing unassigned on the case.
    Task.objects.filter(pk=row.task_id).update(status=STATUS.DONE)
    assert not _case_hint(newcomer, row.case)
    _assert_hints_exact()
    referral_task = OpenTask.objects.filter(owner__isnull=True, referral__isnull=False).first()
    Task.objects.filter(pk=referral_task.task_id).delete()
    _assert_hints_exact()
    assert _assert_reaches_agree() > 5


@pytest.mark.django_db
def test_hints_written_by_hand_are_put_right_and_the_queue_stays_exact(demo):  # noqa: F811
    worker = User.objects.get(username="caseworker1")
    Task.objects.filter(pk__in=OpenTask.objects.filter(case__isnull=False).values("task_id")).update(
        owner=None, status=STATUS.NEW)
    CaseUserGrant.objects.filter(user=worker).update(has_unassigned_task=False)  # the trigger puts it right
    _assert_hints_exact()
    worker = User.objects.get(pk=worker.pk)
    queue = list(selectors.task_queue_for(actor=worker).order_by("created", "pk"))
    joined = list(Task.objects.filter(selectors._reachable(worker, flow_task_type="HUMAN", owner=None,
                                                           status__in=selectors.QUEUE_STATUSES))
                  .order_by("created", "pk"))
    assert queue == joined
    assert OpenTask.objects.filter(task_id__in=[task.pk for task in queue], case__isnull=False).exists()


# --------------------------------------------------------------------------- races

_fake_task_ids = itertools.count(2_000_000_000)


def _insert_open_task(case_id, owner_id=None) -> int:
    """An ``OpenTask`` row as the viewflow triggers write it (the hint's triggers are on
    this table)."""
    task_id = next(_fake_task_ids)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO workflows_opentask (task_id, owner_id, owner_permission, status, created, case_id)"
                       " VALUES (%s, %s, 'cases.claim_case_task', %s, now(), %s)",
                       [task_id, owner_id, "NEW" if owner_id is None else "ASSIGNED", case_id])
    return task_id


def _two_sides(first, second):
    """Run ``first`` in a transaction that stays open until ``second`` (in another
    transaction) has had half a second to run; return whether ``second`` was still
    waiting when ``first`` committed."""
    first_done, release, second_done = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def run_first():
        try:
            with transaction.atomic():
                first()
                first_done.set()
                release.wait(30)
        except Exception as exc:  # reported below
            errors.append(exc)
            first_done.set()
        finally:
            connection.close()

    def run_second():
        try:
            with transaction.atomic():
                second()
            second_done.set()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    threads[0].start()
    assert first_done.wait(30)
    threads[1].start()
    waited = not second_done.wait(0.5)
    release.set()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert second_done.is_set()
    return waited


def _require_postgres():
    if connection.vendor != "postgresql":
        pytest.fail("the hint is kept by PostgreSQL triggers (run make test)")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_new_grant_and_a_new_task_at_once_end_with_the_hint_set_either_way():
    _require_postgres()
    for grant_first in (True, False):
        case = CaseFactory(responsible=None)
        user = UserFactory(team=case.team)

        def give(case=case, user=user):
            grant(case, user, GrantKind.CO_WORKER)

        def queue_task(case=case):
            _insert_open_task(case.pk)

        waited = _two_sides(give, queue_task) if grant_first else _two_sides(queue_task, give)
        assert waited, "the second side waits for the first to commit"
        assert _case_hint(user, case), f"grant first: {grant_first}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_claim_and_a_new_task_at_once_leave_the_new_task_in_the_queue():
    """The claim alone would clear the hint, the new task alone would leave it set (no
    write at all): without the lock on the case the claim's clear would win."""
    _require_postgres()
    case = CaseFactory(responsible=None)
    user, worker = UserFactory(team=case.team), UserFactory(team=case.team)
    grant(case, user, GrantKind.CO_WORKER)
    claimed = _insert_open_task(case.pk)
    assert _case_hint(user, case)

    def claim():
        OpenTask.objects.filter(pk=claimed).update(owner=worker, status="ASSIGNED")

    assert _two_sides(claim, lambda: _insert_open_task(case.pk))
    assert _case_hint(user, case)
    OpenTask.objects.filter(pk__gte=2_000_000_000).delete()
    assert not _case_hint(user, case)
