"""The run takes over the pruning of old read events: after a run that pruned reads and
deleted cases, the audit chain still verifies (also against the exported heads)."""

import datetime

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import audit_head_export, audit_record, audit_verify
from caseflow.cases.models import Case
from caseflow.retention.services import retention_run

pytestmark = pytest.mark.django_db


def test_chain_verifies_after_pruning_reads_and_deleting_cases(build_case, worker, heads_path,
                                                               django_capture_on_commit_callbacks):
    start = timezone.now() - relativedelta(years=6)
    with time_machine.travel(start, tick=False) as clock:
        graph = build_case()
        other = build_case()
        for _ in range(3):
            audit_record(actor=worker, action=AuditAction.CASE_VIEWED, target=graph.case)
            audit_record(actor=worker, action=AuditAction.CASE_VIEWED, target=other.case)
        with django_capture_on_commit_callbacks(execute=True):
            audit_head_export()
        clock.shift(datetime.timedelta(days=30))
        audit_record(actor=worker, action=AuditAction.CASE_LISTED)
    reads_before = AuditEvent.objects.filter(action="case.viewed").count()
    assert reads_before >= 6

    with django_capture_on_commit_callbacks(execute=True):
        result = retention_run()

    assert result.counts["closed_adult_case"] == {"deleted": 2}
    assert result.audit_reads_pruned >= reads_before
    assert not Case.objects.filter(pk__in=[graph.case.pk, other.case.pk]).exists()
    assert not AuditEvent.objects.filter(action="case.viewed").exists()
    assert AuditEvent.objects.filter(action="audit.pruned").exists()
    assert AuditEvent.objects.filter(action="case.closed", case_id=graph.case.pk).exists()  # writes stay
    verification = audit_verify(heads_path=heads_path)
    assert verification.ok, verification.broken
    assert verification.heads_checked == 1
    run = AuditEvent.objects.filter(action="retention.run").get()
    assert run.extra["audit_reads_pruned"] == result.audit_reads_pruned


def test_read_events_within_retention_are_kept(build_case, worker, settings):
    graph = build_case(closed=False)
    audit_record(actor=worker, action=AuditAction.CASE_VIEWED, target=graph.case)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=settings.CASEFLOW_AUDIT_READ_RETENTION_DAYS - 1),
                             tick=False):
        assert retention_run().audit_reads_pruned == 0
    assert AuditEvent.objects.filter(action="case.viewed").exists()
