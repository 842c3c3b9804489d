"""Two retention runs at the same moment (two beat processes by mistake) on the real
PostgreSQL: every item is deleted or anonymised exactly once, with one deletion record
and one audit event each. Also without the run lock, per item: the row lock and the
unique record make the second attempt a no-op."""

import threading

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.db import connection

from caseflow.audit.models import AuditEvent
from caseflow.audit.services import audit_verify
from caseflow.cases.models import Case
from caseflow.retention.models import ArchiveReview, DeletionRecord
from caseflow.retention.services import case_retention_apply, referral_retention_apply, retention_run

from .conftest import CHILD

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def race(function, times=2):
    """Run ``function`` in ``times`` threads released together; their results (or errors)."""
    barrier = threading.Barrier(times)
    results, errors = [], []

    def target():
        try:
            barrier.wait(timeout=30)
            results.append(function())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return results


def _require_postgres():
    if connection.vendor != "postgresql":
        pytest.fail("the race is only meaningful on PostgreSQL (run make test)")


def _events(since, *actions):
    """Events written by this test (the audit table is append-only: earlier transactional
    tests' events stay)."""
    return AuditEvent.objects.filter(sequence__gt=since, action__in=actions).count()


def _head():
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def test_two_runs_at_once_act_once(build_case, build_unfounded, heads_path):
    _require_postgres()
    adults = [build_case(), build_case()]
    referrals = [build_unfounded(), build_unfounded()]
    minor = build_case(birth_date=CHILD)
    since = _head()
    with time_machine.travel(minor.case.closed_at + relativedelta(years=5), tick=False):
        results = race(retention_run)
    assert len(results) == 2
    done = [result for result in results if not result.skipped]
    assert done  # at least one run acted; a second one either waited out nothing or was skipped
    assert not Case.objects.filter(pk__in=[graph.case.pk for graph in adults]).exists()
    assert DeletionRecord.objects.filter(action="deleted").count() == 2
    assert DeletionRecord.objects.filter(action="anonymised").count() == 2
    assert sorted(DeletionRecord.objects.filter(action="anonymised").values_list("object_id", flat=True)) == sorted(
        referral.pk for referral in referrals)
    assert ArchiveReview.objects.filter(case_id=minor.case.pk).count() == 1
    assert _events(since, "retention.deleted") == 2
    assert _events(since, "retention.anonymised") == 2
    assert _events(since, "retention.review_queued") == 1
    assert _events(since, "retention.run") == 2
    assert audit_verify(heads_path=heads_path).ok


def test_same_item_twice_at_once_without_the_run_lock(build_case, build_unfounded, heads_path):
    _require_postgres()
    graph = build_case()
    referral = build_unfounded()
    since = _head()
    with time_machine.travel(graph.case.closed_at + relativedelta(years=5), tick=False):
        case_outcomes = race(lambda: case_retention_apply(case_id=graph.case.pk)[1])
        referral_outcomes = race(lambda: referral_retention_apply(referral_id=referral.pk)[1])
    assert sorted(case_outcomes) == ["deleted", "skipped"]
    assert sorted(referral_outcomes) == ["anonymised", "skipped"]
    assert DeletionRecord.objects.count() == 2
    assert _events(since, "retention.deleted", "retention.anonymised") == 2
    assert audit_verify(heads_path=heads_path).ok


def test_a_run_finding_the_lock_taken_does_nothing(build_case):
    _require_postgres()
    from caseflow.retention.services import RUN_LOCK_KEY

    graph = build_case()
    taken, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [RUN_LOCK_KEY])
                taken.set()
                release.wait(60)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK_KEY])
        finally:
            connection.close()

    other = threading.Thread(target=hold_the_lock)
    other.start()
    try:
        assert taken.wait(30)
        since = _head()
        with time_machine.travel(graph.case.closed_at + relativedelta(years=5), tick=False):
            result = retention_run()
    finally:
        release.set()
        other.join(60)
    assert result.skipped
    assert Case.objects.filter(pk=graph.case.pk).exists()
    assert not DeletionRecord.objects.exists()
    run = AuditEvent.objects.filter(sequence__gt=since).get()
    assert run.action == "retention.run"
    assert run.extra["skipped"] is True
