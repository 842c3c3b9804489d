"""Verification, and what a database superuser's tampering looks like to it."""

import datetime
import json
import secrets
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import ProgrammingError, connection, transaction

from caseflow.audit.actions import AuditAction
from caseflow.audit.anchors import anchor_line, anchor_sign, signing_key
from caseflow.audit.chain import PAYLOAD_FIELDS, event_hash
from caseflow.audit.models import AuditAnchor, AuditEvent
from caseflow.audit.services import audit_head_export, audit_prune_reads, audit_record, audit_verify
from tests.audit.helpers import triggers_disabled

pytestmark = pytest.mark.django_db


def verify_output() -> str:
    """``manage.py audit_verify``'s output; CommandError (exit code 1) when broken."""
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def verify_failure() -> str:
    with pytest.raises(CommandError) as failure:
        verify_output()
    return str(failure.value)


def test_audit_verify_reports_an_intact_chain(record_events):
    record_events(5)
    total = AuditEvent.objects.count()
    assert verify_output().strip() == f"intact ({total} events)"
    result = audit_verify()
    assert result.ok
    assert result.count == total


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditevent SET reason = 'rewritten'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
    "UPDATE audit_auditanchor SET prev_hash = 'x'",
    "DELETE FROM audit_auditanchor",
    "TRUNCATE audit_auditanchor",
])
def test_plain_update_delete_and_truncate_are_refused(postgresql, record_events, statement):
    events = record_events(3)
    # a pruning run, so that the anchor table has a row for the row-level trigger to refuse
    audit_prune_reads(actor=None, now=events[1].occurred_at + datetime.timedelta(days=400))
    assert AuditAnchor.objects.exists()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic(), postgresql.cursor() as cursor:
        cursor.execute(statement)
    assert audit_verify().ok


def execute_with_prune_setting(sql, params):
    """What the application could try: set the prune flag itself and delete or update."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL caseflow.audit_prune = 'on'")
        cursor.execute(sql, params)


def test_the_prune_setting_alone_does_not_let_writes_be_deleted(postgresql, record_events):
    (write,) = record_events(1, action=AuditAction.CASE_CLOSED)
    with pytest.raises(ProgrammingError, match="append-only"):
        execute_with_prune_setting("DELETE FROM audit_auditevent WHERE id = %s", [write.pk])
    with pytest.raises(ProgrammingError, match="append-only"):
        execute_with_prune_setting("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [write.pk])
    assert AuditEvent.objects.filter(pk=write.pk, reason="").exists()


def test_audit_verify_names_an_edited_row(postgresql, record_events):
    events = record_events(5)
    edited = events[2]
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditevent SET purpose = 'nothing to see' WHERE id = %s", [edited.pk])
    message = verify_failure()
    assert f"sequence {edited.sequence} (id {edited.pk})" in message
    assert "hash does not match" in message


def test_audit_verify_names_an_edited_row_whose_hash_was_recomputed(postgresql, record_events):
    events = record_events(5)
    edited = AuditEvent.objects.get(pk=events[2].pk)
    edited.reason = "forged"
    forged_hash = event_hash(edited.prev_hash, {name: getattr(edited, name) for name in PAYLOAD_FIELDS})
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'forged', hash = %s WHERE id = %s",
                       [forged_hash, edited.pk])
    message = verify_failure()
    following = events[3]
    assert f"sequence {following.sequence} (id {following.pk})" in message
    assert f"does not match the hash of event {edited.sequence}" in message


def test_audit_verify_names_the_gap_left_by_a_deleted_row(postgresql, record_events):
    events = record_events(5)
    deleted = events[1]
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [deleted.pk])
    message = verify_failure()
    following = events[2]
    assert f"sequence {following.sequence} (id {following.pk})" in message
    assert f"expected sequence {deleted.sequence}, found {following.sequence}" in message
    assert f"events {deleted.sequence}–{deleted.sequence} are missing" in message


def test_audit_verify_names_a_forged_row_appended_to_the_chain(postgresql, record_events):
    events = record_events(3)
    head = events[-1]
    with triggers_disabled() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (sequence, occurred_at, actor_username, actor_role, system_actor, "
            "action, target_type, target_id, case_id, purpose, reason, changes, extra, request_id, ip, "
            "user_agent, prev_hash, hash) VALUES (%s, now(), '', '', '', 'case.closed', 'cases.case', '1', 1, "
            "'', '', '{}', '{}', '', '', '', %s, %s) RETURNING id",
            [head.sequence + 1, head.hash, secrets.token_hex(32)],
        )
        forged_id = cursor.fetchone()[0]
    message = verify_failure()
    assert f"sequence {head.sequence + 1} (id {forged_id})" in message
    assert "hash does not match" in message


def test_audit_verify_catches_a_row_inserted_mid_chain_with_a_correct_hash(postgresql, record_events):
    """The strongest forger: renumbers the later rows and computes the inserted row's hash.
    The inserted row itself looks fine; the first original row after it no longer does."""
    events = record_events(5)
    before, moved = events[1], events[2]
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditevent SET sequence = -sequence - 1 WHERE sequence > %s",
                       [before.sequence])
        cursor.execute("UPDATE audit_auditevent SET sequence = -sequence WHERE sequence < 0")
        forged = AuditEvent(
            sequence=before.sequence + 1, occurred_at=moved.occurred_at, action=AuditAction.ACCESS_GRANTED,
            target_type="cases.case", target_id="1", case_id=1, changes={}, extra={},
            prev_hash=before.hash,
        )
        forged.hash = event_hash(forged.prev_hash, {name: getattr(forged, name) for name in PAYLOAD_FIELDS})
        forged.save(force_insert=True)
    message = verify_failure()
    assert f"sequence {moved.sequence + 1} (id {moved.pk})" in message
    assert f"does not match the hash of event {forged.sequence}" in message


def test_audit_head_export_appends_the_head_after_commit(audit_head_file, record_events,
                                                         django_capture_on_commit_callbacks):
    record_events(2)
    with django_capture_on_commit_callbacks(execute=True):
        head = audit_head_export(actor=None)
    event = AuditEvent.objects.get(sequence=head["sequence"])
    assert event.action == AuditAction.AUDIT_HEAD_EXPORTED
    line = json.loads(audit_head_file.read_text())
    assert {name: line[name] for name in ("sequence", "hash", "at")} == {
        "sequence": event.sequence, "hash": event.hash, "at": head["at"]}
    assert line["signature"]
    assert line["key_id"]
    record_events(1)
    with django_capture_on_commit_callbacks(execute=True):
        audit_head_export(actor=None)
    assert len(audit_head_file.read_text().splitlines()) == 2
    result = audit_verify()
    assert result.ok
    assert result.heads_checked == 2


def test_audit_head_export_writes_nothing_when_the_transaction_rolls_back(audit_head_file):
    def export_then_fail():
        with transaction.atomic():
            audit_head_export(actor=None)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        export_then_fail()
    assert not audit_head_file.exists()


def test_audit_verify_catches_a_rewritten_chain_with_the_exported_heads(postgresql, audit_head_file, record_events,
                                                                        django_capture_on_commit_callbacks):
    """A superuser edits an event and recomputes every later hash: the chain is internally
    consistent again, but no longer matches the head exported before the edit."""
    events = record_events(3)
    with django_capture_on_commit_callbacks(execute=True):
        head = audit_head_export(actor=None)
    record_events(2)
    with triggers_disabled() as cursor:
        rows = AuditEvent.objects.filter(sequence__gte=events[1].sequence).order_by("sequence")
        prev_hash = None
        for row in rows:
            if row.pk == events[1].pk:
                row.reason = "rewritten history"
            row.prev_hash = prev_hash or row.prev_hash
            row.hash = event_hash(row.prev_hash, {name: getattr(row, name) for name in PAYLOAD_FIELDS})
            cursor.execute("UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
                           [row.reason, row.prev_hash, row.hash, row.pk])
            prev_hash = row.hash
    assert audit_verify(heads_path=audit_head_file.parent / "no-such-file").ok  # the chain alone looks fine
    message = verify_failure()
    # the rewrite is somewhere up to the anchor: named as the range from the start
    assert f"events 1–{head['sequence']} were rewritten" in message
    assert "line 1 of the anchor file" in message


def test_audit_verify_catches_a_chain_cut_back_behind_an_exported_head(audit_head_file, record_events):
    (event,) = record_events(1)
    anchor = anchor_sign({"sequence": event.sequence + 5, "hash": "f" * 64, "at": "2026-01-01"}, signing_key())
    audit_head_file.write_text(anchor_line(anchor))
    message = verify_failure()
    assert f"sequence {event.sequence + 1}:" in message
    assert f"events {event.sequence + 1}–{event.sequence + 5} are missing" in message


def test_audit_verify_refuses_an_unreadableaudit_head_file(audit_head_file, record_events):
    record_events(1)
    audit_head_file.write_text("not json\n")
    assert "line 1 of the anchor file cannot be read" in verify_failure()


def test_audit_record_after_verification_still_chains(record_events):
    record_events(1)
    assert audit_verify().ok
    event = audit_record(actor=None, action=AuditAction.AUDIT_SEARCHED, extra={"criterion": {"case_id": 3}})
    assert audit_verify().ok
    assert event.sequence == AuditEvent.objects.order_by("-sequence").first().sequence
