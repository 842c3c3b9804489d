"""Signed anchors outside the database, audit_verify against them, the export and the
standalone verifier (scripts/verify_audit_export.py, run as a subprocess on the export).

Each tampering is done the way a database superuser would (trigger off, rows edited), after
anchors exist; audit_verify and the standalone verifier must both fail and name the same
first event or range."""

import base64
import datetime
import json
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from caseflow.audit.actions import AuditAction
from caseflow.audit.anchors import (
    anchor_line,
    anchor_sign,
    key_derive,
    key_parse,
    public_pem,
    public_raw,
    signing_key,
)
from caseflow.audit.chain import PAYLOAD_FIELDS, event_hash
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import audit_head_export, audit_prune_reads, audit_verify
from caseflow.audit.tasks import audit_head_export_task
from tests.audit.helpers import triggers_disabled

pytestmark = pytest.mark.django_db

VERIFIER = settings.BASE_DIR / "scripts" / "verify_audit_export.py"


@pytest.fixture
def anchor(django_capture_on_commit_callbacks):
    """``anchor()`` anchors the head now (the line is written on commit) and returns it."""

    def make(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return audit_head_export(actor=None, **kwargs)

    return make


@pytest.fixture
def anchored_chain(record_events, anchor):
    """Six events, an anchor (7), three events, an anchor (11): the rows by sequence."""
    record_events(6)
    first = anchor()
    record_events(3)
    second = anchor()
    rows = {event.sequence: event for event in AuditEvent.objects.order_by("sequence")}
    assert list(rows) == list(range(1, 12))
    assert rows[first["sequence"]].action == rows[second["sequence"]].action == AuditAction.AUDIT_HEAD_EXPORTED
    return rows


def command_verify(*args) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def command_failure(*args) -> str:
    with pytest.raises(CommandError) as failure:
        command_verify(*args)
    return str(failure.value)


def export(tmp_path, name="export"):
    directory = tmp_path / name
    call_command("audit_export", str(directory), stdout=StringIO())
    return directory


def standalone(directory, *args) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(VERIFIER), str(directory), *map(str, args)],
        capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.fixture
def public_key_file(tmp_path):
    path = tmp_path / "expected_public_key.pem"
    path.write_text(public_pem(signing_key().public_key()))
    return path


def both_fail(tmp_path, public_key_file, *expected) -> tuple[str, str]:
    """audit_verify and the standalone verifier both fail, and both name ``expected``."""
    message = command_failure()
    result = standalone(export(tmp_path), "--public-key", public_key_file)
    assert result.returncode == 1, result.stdout + result.stderr
    for text in expected:
        assert text in message, message
        assert text in result.stderr, result.stderr
    return message, result.stderr


def rewrite_from(sequence, **changes):
    """Change the event at ``sequence`` and recompute every later hash (the strongest forger)."""
    with triggers_disabled() as cursor:
        prev_hash = None
        for row in AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"):
            if row.sequence == sequence:
                for name, value in changes.items():
                    setattr(row, name, value)
            row.prev_hash = prev_hash or row.prev_hash
            row.hash = event_hash(row.prev_hash, {name: getattr(row, name) for name in PAYLOAD_FIELDS})
            cursor.execute("UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
                           [row.reason, row.prev_hash, row.hash, row.pk])
            prev_hash = row.hash


# --------------------------------------------------------------------------- intact


def test_an_intact_anchored_chain_verifies_both_ways(anchored_chain, tmp_path, public_key_file):
    assert command_verify().strip() == f"intact ({len(anchored_chain)} events)"
    assert audit_verify().heads_checked == 2
    result = standalone(export(tmp_path), "--public-key", public_key_file)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"intact ({len(anchored_chain)} events, 2 anchors, last anchored sequence 11")


def test_the_export_holds_the_hashed_fields_and_the_anchors(anchored_chain, tmp_path, audit_head_file):
    directory = export(tmp_path)
    events = [json.loads(line) for line in (directory / "events.jsonl").read_text().splitlines()]
    assert [event["sequence"] for event in events] == sorted(anchored_chain)
    assert set(events[0]) == {*PAYLOAD_FIELDS, "prev_hash", "hash", "id"}
    assert (directory / "anchors.jsonl").read_text() == audit_head_file.read_text()
    assert "BEGIN PUBLIC KEY" in (directory / "public_key.pem").read_text()
    # the export itself is recorded, after it was read
    last = AuditEvent.objects.order_by("-sequence").first()
    assert last.action == AuditAction.AUDIT_EXPORTED
    assert last.sequence == events[-1]["sequence"] + 1


# --------------------------------------------------------------------------- tampering after anchors


def test_an_edited_middle_row_is_named(postgresql, anchored_chain, tmp_path, public_key_file):
    edited = anchored_chain[3]
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditevent SET purpose = 'nothing to see' WHERE id = %s", [edited.pk])
    both_fail(tmp_path, public_key_file, f"sequence 3 (id {edited.pk})", "the hash does not match")


def test_edited_json_details_are_named(postgresql, anchored_chain, tmp_path, public_key_file):
    edited = anchored_chain[4]
    with triggers_disabled() as cursor:
        cursor.execute("""UPDATE audit_auditevent SET extra = extra || '{"ids": [1, 2]}'::jsonb WHERE id = %s""",
                       [edited.pk])
    both_fail(tmp_path, public_key_file, f"sequence 4 (id {edited.pk})", "the hash does not match")


def test_a_deleted_middle_row_is_named_as_the_missing_range(postgresql, anchored_chain, tmp_path, public_key_file):
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [anchored_chain[4].pk])
    both_fail(tmp_path, public_key_file, f"sequence 5 (id {anchored_chain[5].pk})",
              "expected sequence 4, found 5: events 4–4 are missing")


def test_deleted_last_rows_are_named_as_the_missing_range(postgresql, anchored_chain, tmp_path, public_key_file):
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence >= 9")
    assert audit_verify(heads_path=tmp_path / "no-anchors").ok  # the chain alone looks fine
    both_fail(tmp_path, public_key_file, "sequence 9:", "events 9–11 are missing")


def test_a_rewrite_with_recomputed_hashes_is_named_as_the_range_since_the_last_matching_anchor(
        postgresql, anchored_chain, tmp_path, public_key_file):
    rewrite_from(9, reason="rewritten history")
    assert audit_verify(heads_path=tmp_path / "no-anchors").ok  # the chain alone looks fine
    both_fail(tmp_path, public_key_file, "sequence 8:", "events 8–11 were rewritten",
              "matched the anchors up to sequence 7")


def test_a_rewrite_before_the_first_anchor_is_named_from_the_start(postgresql, anchored_chain, tmp_path,
                                                                   public_key_file):
    rewrite_from(2, reason="rewritten history")
    both_fail(tmp_path, public_key_file, "sequence 1:", "events 1–7 were rewritten")


# --------------------------------------------------------------------------- the anchor file


def test_an_edited_anchor_line_is_refused(anchored_chain, tmp_path, audit_head_file, public_key_file):
    lines = audit_head_file.read_text().splitlines(keepends=True)
    data = json.loads(lines[0])
    data["hash"] = anchored_chain[6].hash  # points the anchor elsewhere
    lines[0] = json.dumps(data) + "\n"
    audit_head_file.write_text("".join(lines))
    both_fail(tmp_path, public_key_file, "line 1 of", "was edited")


def test_an_anchor_signed_with_another_key_is_refused(anchored_chain, tmp_path, audit_head_file, public_key_file):
    forged = anchor_sign({"sequence": 10, "hash": anchored_chain[10].hash, "at": "2026-01-01"},
                         Ed25519PrivateKey.generate())
    with open(audit_head_file, "a") as fh:
        fh.write(anchor_line(forged))
    both_fail(tmp_path, public_key_file, "line 3 of", "is signed with another key")


def test_an_export_whose_key_and_anchors_were_replaced_is_refused_with_the_expected_key(
        anchored_chain, tmp_path, public_key_file):
    directory = export(tmp_path)
    other = Ed25519PrivateKey.generate()
    (directory / "public_key.pem").write_text(public_pem(other.public_key()))
    lines = (directory / "anchors.jsonl").read_text().splitlines()
    resigned = [anchor_sign(json.loads(line), other) for line in lines]
    (directory / "anchors.jsonl").write_text("".join(anchor_line(anchor) for anchor in resigned))
    assert standalone(directory).returncode == 0  # consistent in itself
    result = standalone(directory, "--public-key", public_key_file)
    assert result.returncode == 1
    assert "public_key.pem: is another key" in result.stderr


def test_audit_verify_accepts_a_given_public_key_and_refuses_another(anchored_chain, tmp_path, public_key_file):
    assert command_verify("--public-key", str(public_key_file)).startswith("intact")
    other = tmp_path / "other.pem"
    other.write_text(public_pem(Ed25519PrivateKey.generate().public_key()))
    assert "is signed with another key" in command_failure("--public-key", str(other))


# --------------------------------------------------------------------------- incremental


def test_incremental_verification_starts_at_the_last_verified_anchor(postgresql, anchored_chain, record_events,
                                                                      anchor, settings, tmp_path):
    settings.CASEFLOW_AUDIT_VERIFY_STATE_PATH = tmp_path / "state.json"
    assert command_verify("--incremental").strip() == f"intact ({len(anchored_chain)} events)"
    assert json.loads(settings.CASEFLOW_AUDIT_VERIFY_STATE_PATH.read_text())["anchor_sequence"] == 11
    record_events(2)
    anchor()  # 14
    assert command_verify("--incremental").strip() == "intact (4 events since anchor 11)"
    assert json.loads(settings.CASEFLOW_AUDIT_VERIFY_STATE_PATH.read_text())["anchor_sequence"] == 14
    record_events(2)
    anchor()  # 17
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 15")
    message = command_failure("--incremental")
    assert "expected sequence 15, found 16" in message
    assert json.loads(settings.CASEFLOW_AUDIT_VERIFY_STATE_PATH.read_text())["anchor_sequence"] == 14


def test_incremental_verification_still_catches_a_rewrite_that_changed_the_anchored_hash(
        postgresql, anchored_chain):
    rewrite_from(3, reason="rewritten history")
    assert "events 1–11 were rewritten" in command_failure("--since-anchor", "11")


def test_since_anchor_needs_an_anchor_there(anchored_chain):
    assert "no valid anchor at sequence 5" in command_failure("--since-anchor", "5")


# --------------------------------------------------------------------------- writing anchors


def test_the_beat_task_anchors_only_when_the_chain_moved(record_events, django_capture_on_commit_callbacks,
                                                         audit_head_file):
    record_events(2)
    with django_capture_on_commit_callbacks(execute=True):
        first = audit_head_export_task.apply().get()
    with django_capture_on_commit_callbacks(execute=True):
        assert audit_head_export_task.apply().get() is None
    record_events(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert audit_head_export_task.apply().get() == first + 2
    assert len(audit_head_file.read_text().splitlines()) == 2


def test_audit_head_export_command_anchors_on_demand(record_events, audit_head_file):
    record_events(1)
    out = StringIO()
    call_command("audit_head_export", stdout=out)
    assert out.getvalue().startswith("anchored sequence 2")
    out = StringIO()
    call_command("audit_head_export", "--if-moved", stdout=out)
    assert "nothing written" in out.getvalue()


def test_the_signing_key_is_read_as_base64_or_pem_and_derived_otherwise(settings):
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes_raw()
    assert public_raw(key_parse(base64.b64encode(seed).decode()).public_key()) == public_raw(key.public_key())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    settings.CASEFLOW_AUDIT_SIGNING_KEY = pem
    assert public_raw(signing_key().public_key()) == public_raw(key.public_key())
    settings.CASEFLOW_AUDIT_SIGNING_KEY = ""
    assert public_raw(signing_key().public_key()) == public_raw(key_derive(settings.SECRET_KEY).public_key())
    # the development key that production refuses is the one derived from the development secret
    development = key_derive(settings.DEVELOPMENT_SECRET_KEY).private_bytes_raw()
    assert base64.b64encode(development).decode() == settings.DEVELOPMENT_AUDIT_SIGNING_KEY


# --------------------------------------------------------------------------- pruning and the canonical form


def test_the_standalone_verifier_steps_over_pruned_gaps_only_where_vouched(record_events, anchor, tmp_path,
                                                                           public_key_file):
    reads = record_events(3)
    record_events(1, action=AuditAction.CASE_CLOSED)
    anchor()
    audit_prune_reads(actor=None, now=reads[-1].occurred_at + datetime.timedelta(days=400))
    anchor()
    assert command_verify().startswith("intact")
    directory = export(tmp_path)
    assert (directory / "prune_anchors.jsonl").read_text().strip()
    result = standalone(directory, "--public-key", public_key_file)
    assert result.returncode == 0, result.stderr
    # a forged pruning anchor (widening the gap) is not vouched for by its audit.pruned event
    forged = json.loads((directory / "prune_anchors.jsonl").read_text().splitlines()[0])
    forged["deleted_count"] += 1
    (directory / "prune_anchors.jsonl").write_text(json.dumps(forged) + "\n")
    result = standalone(directory, "--public-key", public_key_file)
    assert result.returncode == 1
    assert "does not vouch for" in result.stderr or "do not match the digest" in result.stderr


def test_the_standalone_verifier_recomputes_the_canonical_form_of_awkward_values(record_events, anchor, tmp_path):
    record_events(1, reason="Ærø – «citat» 😀", extra={"ids": [3, 1, 2], "score": 0.1, "nested": {"b": None, "a": True},
                                                     "text": "tab\there, quote \" and backslash \\"})
    record_events(1, changes={"status": ["åben", "lukket"], "count": [1, 2.5]})
    anchor()
    result = standalone(export(tmp_path))
    assert result.returncode == 0, result.stderr
