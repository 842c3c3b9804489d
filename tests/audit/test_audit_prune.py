"""Pruning old read events keeps the chain verifiable, from anchors that are themselves
vouched for by the chain."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from caseflow.audit.actions import READ_ACTIONS, AuditAction
from caseflow.audit.models import AuditAnchor, AuditEvent
from caseflow.audit.services import audit_prune_reads, audit_verify
from caseflow.core.exceptions import ApplicationError
from tests.audit.helpers import triggers_disabled

pytestmark = pytest.mark.django_db

RETENTION = 183


def now_for_cutoff_after(event) -> datetime.datetime:
    """The "now" at which ``event`` (and everything before it) is just past the retention."""
    return event.occurred_at + datetime.timedelta(days=RETENTION, microseconds=1)


def mixed_history(record_events):
    """reads, a write, reads, a write, reads: returns the events in order."""
    events = []
    events += record_events(3, action=AuditAction.CASE_VIEWED)
    events += record_events(1, action=AuditAction.CASE_CLOSED)
    events += record_events(2, action=AuditAction.PERSON_SEARCHED)
    events += record_events(1, action=AuditAction.DECISION_RECORDED)
    events += record_events(2, action=AuditAction.CASE_LISTED)
    return events


def test_audit_prune_reads_deletes_old_reads_and_keeps_the_chain_verifiable(record_events):
    events = mixed_history(record_events)
    newest = events[-1]
    result = audit_prune_reads(actor=None, retention_days=RETENTION, now=now_for_cutoff_after(newest))

    remaining = set(AuditEvent.objects.values_list("sequence", flat=True))
    mine = {event.sequence for event in events}
    kept = {e.sequence for e in events if e.action not in READ_ACTIONS} | {newest.sequence}
    assert remaining & mine == kept  # the newest event is kept even though it is a read
    assert result.deleted >= len(mine - kept)
    assert not AuditEvent.objects.filter(action__in=READ_ACTIONS, sequence__lt=newest.sequence).exists()

    pruned = result.event
    assert pruned.action == AuditAction.AUDIT_PRUNED
    assert pruned.sequence > newest.sequence
    assert pruned.extra["deleted"] == result.deleted
    assert pruned.extra["retention_days"] == RETENTION
    anchors = AuditAnchor.objects.filter(prune_sequence=pruned.sequence)
    assert anchors.count() == result.anchors == pruned.extra["anchors"]
    closed, decided = events[3], events[6]
    anchor = anchors.get(first_retained_sequence=decided.sequence)
    assert anchor.pruned_from_sequence == closed.sequence + 1
    assert anchor.prev_hash == decided.prev_hash
    assert anchor.deleted_count == 2

    assert audit_verify().ok
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith(f"intact ({AuditEvent.objects.count()} events)")


def test_audit_prune_reads_keeps_reads_younger_than_the_retention(record_events):
    events = mixed_history(record_events)
    cut_after = events[4]  # reads after this one are younger than the retention
    audit_prune_reads(actor=None, retention_days=RETENTION, now=now_for_cutoff_after(cut_after))
    remaining = set(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).values_list("pk", flat=True))
    assert remaining == {e.pk for e in events if e.action not in READ_ACTIONS or e.sequence > cut_after.sequence}
    assert audit_verify().ok


def test_audit_prune_reads_twice_widens_the_gap_and_still_verifies(record_events):
    events = mixed_history(record_events)
    audit_prune_reads(actor=None, retention_days=RETENTION, now=now_for_cutoff_after(events[4]))
    assert audit_verify().ok
    later = record_events(2, action=AuditAction.REFERRAL_VIEWED)
    audit_prune_reads(actor=None, retention_days=RETENTION, now=now_for_cutoff_after(later[0]))
    assert not AuditEvent.objects.filter(pk__in=[events[5].pk, events[7].pk, events[8].pk, later[0].pk]).exists()
    result = audit_verify()
    assert result.ok, str(result.broken)


def test_audit_prune_reads_dry_run_deletes_nothing(record_events):
    events = mixed_history(record_events)
    before = AuditEvent.objects.count()
    result = audit_prune_reads(actor=None, retention_days=RETENTION, now=now_for_cutoff_after(events[-1]),
                               dry_run=True)
    assert result.deleted >= 6  # seven reads, but the newest event is always kept
    assert result.event is None
    assert AuditEvent.objects.count() == before


def test_audit_prune_reads_with_nothing_old_records_an_empty_run(record_events):
    record_events(2)
    result = audit_prune_reads(actor=None)
    assert result.deleted == 0
    assert result.anchors == 0
    assert result.event.extra["deleted"] == 0
    assert audit_verify().ok


def test_audit_prune_reads_refuses_to_destroy_evidence_of_tampering(postgresql, record_events):
    events = mixed_history(record_events)
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditevent SET purpose = 'edited' WHERE id = %s", [events[1].pk])
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError, match=f"sequence {events[1].sequence}"):
        audit_prune_reads(actor=None, retention_days=RETENTION, now=now_for_cutoff_after(events[-1]))
    assert AuditEvent.objects.count() == before


def test_audit_prune_reads_refuses_a_retention_under_a_day():
    with pytest.raises(ApplicationError):
        audit_prune_reads(actor=None, retention_days=0)


def test_a_forged_anchor_does_not_hide_a_deleted_write(postgresql, record_events):
    events = mixed_history(record_events)
    result = audit_prune_reads(actor=None, retention_days=RETENTION, now=now_for_cutoff_after(events[-1]))
    decided, follower = events[6], events[-1]
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [decided.pk])
    AuditAnchor.objects.create(
        prune_sequence=result.event.sequence, pruned_from_sequence=events[3].sequence + 1,
        first_retained_sequence=follower.sequence, prev_hash=follower.prev_hash, deleted_count=1,
    )
    broken = audit_verify().broken
    assert broken is not None
    # The run's anchors no longer match the digest in its audit.pruned event, so none of
    # them is trusted: the first gap of that run is where the chain stops being proven.
    assert broken.kind == "anchor_unvouched"
    assert broken.sequence <= follower.sequence
    assert f"pruning event (sequence {result.event.sequence}) does not vouch" in broken.message


def test_a_removed_anchor_breaks_verification(postgresql, record_events):
    events = mixed_history(record_events)
    result = audit_prune_reads(actor=None, retention_days=RETENTION, now=now_for_cutoff_after(events[-1]))
    with triggers_disabled("audit_auditanchor") as cursor:
        cursor.execute("DELETE FROM audit_auditanchor WHERE prune_sequence = %s AND first_retained_sequence = %s",
                       [result.event.sequence, events[6].sequence])
    broken = audit_verify().broken
    assert broken is not None
    assert broken.kind == "anchor_unvouched"
    assert broken.sequence <= events[6].sequence
    assert f"(sequence {result.event.sequence})" in broken.message


def test_the_prune_function_deletes_only_old_read_events(postgresql, record_events):
    read, write = record_events(1)[0], record_events(1, action=AuditAction.CASE_CLOSED)[0]
    future = read.occurred_at + datetime.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT audit_prune_read_events(%s::bigint[], %s)", [[write.sequence], future])
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT audit_prune_read_events(%s::bigint[], %s)", [[read.sequence], read.occurred_at])
        assert cursor.fetchone()[0] == 0  # not older than the cutoff
    assert AuditEvent.objects.filter(pk__in=[read.pk, write.pk]).count() == 2


def test_audit_prune_command_reports_what_it_did(record_events):
    record_events(1)
    out = StringIO()
    call_command("audit_prune", "--dry-run", stdout=out)
    assert out.getvalue().startswith("would delete 0 read events older than")
    out = StringIO()
    call_command("audit_prune", "--retention-days", "30", stdout=out)
    assert "deleted 0 read events" in out.getvalue()
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == AuditAction.AUDIT_PRUNED
    assert event.system_actor == "command:audit_prune"
    assert event.extra["retention_days"] == 30


def test_audit_prune_reads_in_small_batches_still_verifies(record_events):
    events = mixed_history(record_events)
    result = audit_prune_reads(actor=None, retention_days=RETENTION, now=now_for_cutoff_after(events[-1]),
                               batch_size=2)
    assert result.batches >= 3
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in events[:-1] if e.action in READ_ACTIONS]).exists()
    pruned = AuditEvent.objects.filter(action=AuditAction.AUDIT_PRUNED)
    assert pruned.count() == result.batches
    assert sum(event.extra["deleted"] for event in pruned) == result.deleted
    verification = audit_verify()
    assert verification.ok, str(verification.broken)
