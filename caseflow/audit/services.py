"""The audit trail's writers: ``audit_record`` (the one writer of events), ``audit_diff``,
pruning of old read events, head export and verification.

Services are keyword-only with ``actor`` first where someone acts. ``audit_record`` is
called by the domain services inside their own transaction, so an event is committed
exactly when the change it describes is, and a failed audit insert rolls the change back.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.core.exceptions import ApplicationError

from .actions import READ_ACTIONS, AuditAction
from .anchors import (
    AnchorProblem,
    anchor_line,
    anchor_sign,
    anchors_read,
    public_pem,
    signing_key,
    trusted_key_ids,
)
from .chain import (
    GENESIS_HASH,
    PAYLOAD_FIELDS,
    WALK_COLUMNS,
    Anchor,
    AnchorIndex,
    ChainBreak,
    ChainVerification,
    ChainWalker,
    anchors_digest,
    canonical_time,
    chain_locked,
    chain_rows,
    chain_verify,
    event_hash,
)
from .context import audit_context_current
from .models import AuditAnchor, AuditEvent
from .redaction import REDACTED, diff_value, is_empty, json_clean, text_clean

#: The model label whose instances are cases: ``audit`` imports no domain model.
CASE_MODEL_LABEL = "cases.case"

#: Fields whose values never enter a diff: CPR numbers and the free text of a case.
#: Any field whose name contains "cpr" is redacted as well, whatever ``redact`` says.
DEFAULT_REDACTED_FIELDS = frozenset(
    {
        "cpr",
        "cpr_number",
        "cpr_encrypted",
        "cpr_index",
        "concern_text",
        "justification",
        "goals",
        "text",
        "note",
        "notes",
        "body",
        "description",
        "comment",
        "summary",
        "members_present",
        "informed_exception_reason",
        "address",
        "contact",
    }
)


def _column_text(column: str, value, *, action: str) -> str:
    """``value`` cleaned (CPR-like numbers redacted) and cut to the column's length."""
    max_length = AuditEvent._meta.get_field(column).max_length
    return text_clean(value, max_length=max_length, where=f"{action}.{column}")


def audit_record(
    *,
    actor,
    action,
    target=None,
    target_type="",
    target_id="",
    case_id=None,
    purpose="",
    reason="",
    changes=None,
    extra=None,
) -> AuditEvent:
    """Append one event to the audit trail and return it.

    ``actor``: the user acting, or None / an anonymous user (the system, a failed sign-in).
    ``action``: an :class:`AuditAction` (a free string that is not one raises ValueError).
    ``target``: the model instance acted on; gives ``target_type`` (``"cases.case"``),
    ``target_id`` and ``case_id`` (a case's own pk, else the target's ``case_id``, unless
    given). Without a model instance pass ``target_type``/``target_id`` yourself.
    ``purpose``/``reason``: short texts (why it was read / why it was done), cut to their
    column length. ``changes``: field diffs from :func:`audit_diff`. ``extra``: other
    JSON details, e.g. a search's criterion and the ids it returned. CPR-like values in
    any of these are replaced by ``[redacted]``.

    Request id, IP, user agent and system actor come from the bound audit context
    (middleware, Celery base task). Runs inside the caller's transaction when there is
    one (and opens one otherwise). Writers serialise on the chain lock, which is held
    until that transaction ends: call it as the last step of a service, after the
    slow work, so other writers wait as little as possible.
    """
    action = AuditAction(action)
    context = audit_context_current()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None

    if target is not None:
        target_type = target._meta.label_lower
        target_id = "" if target.pk is None else str(target.pk)
        if target_type == CASE_MODEL_LABEL:
            case_id = target.pk
        elif case_id is None:
            case_id = getattr(target, "case_id", None)

    system_actor = context.system_actor
    if user is None and not system_actor and not context.request_id:
        system_actor = "system"  # a shell, a migration, a command without its own context
    fields = {
        "actor_id": user.pk if user is not None else None,
        "actor_username": _column_text("actor_username", user.get_username() if user else "", action=action),
        "actor_role": _column_text("actor_role", context.roles_for(user), action=action),
        "system_actor": _column_text("system_actor", system_actor, action=action),
        "action": action.value,
        "target_type": _column_text("target_type", target_type, action=action),
        "target_id": _column_text("target_id", target_id, action=action),
        "case_id": None if case_id is None else int(case_id),
        "purpose": _column_text("purpose", purpose, action=action),
        "reason": _column_text("reason", reason, action=action),
        "changes": json_clean(changes or {}, where=f"{action}.changes"),
        "extra": json_clean(extra or {}, where=f"{action}.extra"),
        "request_id": _column_text("request_id", context.request_id, action=action),
        "ip": _column_text("ip", context.ip, action=action),
        "user_agent": _column_text("user_agent", context.user_agent, action=action),
    }
    with transaction.atomic(savepoint=False), chain_locked():
        head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, prev_hash = (head[0] + 1, head[1]) if head is not None else (1, GENESIS_HASH)
        event = AuditEvent(sequence=sequence, occurred_at=timezone.now(), prev_hash=prev_hash, **fields)
        event.hash = event_hash(prev_hash, {name: getattr(event, name) for name in PAYLOAD_FIELDS})
        event.save(force_insert=True)
    return event


def audit_diff(before: dict, after: dict, *, redact=DEFAULT_REDACTED_FIELDS) -> dict:
    """``{field: [old, new]}`` for the fields whose values differ between ``before`` and
    ``after`` (a field missing on one side counts as None).

    Values of fields in ``redact``, and of any field whose name contains "cpr", become
    ``"[redacted]"``: the diff says that the justification changed, never what it says.
    Empty values (None, "", [], {}) are kept, so "a note was added" still shows. Model
    instances become their pk and enums their value; dates and decimals are encoded by
    ``audit_record``. Extend the default with ``redact=DEFAULT_REDACTED_FIELDS | {...}``.
    """
    diff = {}
    for name in sorted(before.keys() | after.keys()):
        old, new = diff_value(before.get(name)), diff_value(after.get(name))
        if old == new:
            continue
        if name in redact or "cpr" in name.lower():
            old, new = (value if is_empty(value) else REDACTED for value in (old, new))
        diff[name] = [old, new]
    return diff


# --------------------------------------------------------------------------- pruning


@dataclass(frozen=True)
class AuditPruneResult:
    cutoff: datetime.datetime
    deleted: int
    anchors: int
    #: The last ``audit.pruned`` event written (None in a dry run).
    event: AuditEvent | None
    #: How many batches (transactions, each with its own ``audit.pruned`` event) it took.
    batches: int = 0


CHAIN_BROKEN = _("The audit chain is broken (%(problem)s); nothing was pruned. Run manage.py audit_verify.")
RETENTION_TOO_SHORT = _("The retention of read events must be at least one day.")

#: Events deleted per transaction. Writers wait for the chain lock while a batch runs,
#: and give up after the database's lock_timeout (CASEFLOW_DB_LOCK_TIMEOUT_MS): a batch
#: must stay well below that (about a second for 20,000 events).
PRUNE_BATCH_SIZE = 20_000

#: Sequences per call of the database's prune function.
_DELETE_CHUNK = 5000


def audit_prune_reads(
    *, actor=None, retention_days=None, now=None, dry_run=False, batch_size=PRUNE_BATCH_SIZE
) -> AuditPruneResult:
    """Delete read events (:data:`~caseflow.audit.actions.READ_ACTIONS`) older than the
    retention (``CASEFLOW_AUDIT_READ_RETENTION_DAYS``, default 183 days), keeping the chain
    verifiable. Runs in batches of ``batch_size`` events, one transaction each.

    Each batch, under the chain lock: walk and verify the stretch of chain that holds
    its candidates (refusing to prune a broken chain, which would destroy the evidence),
    group the deleted events into runs, and record for each run an :class:`AuditAnchor`
    (the first event kept after it and that event's ``prev_hash``). Then append an
    ``audit.pruned`` event whose ``extra`` carries the digest of those anchors, and only
    then delete. The newest event is never deleted: the next writer chains onto it.

    How the deletion gets past the append-only trigger, and the trade-off: on
    PostgreSQL the rows are deleted by ``audit_prune_read_events(sequences, cutoff)``, a
    ``SECURITY DEFINER`` function owned by the table's owner (migration 0002). It sets the
    transaction-local ``caseflow.audit_prune`` for the duration of its own ``DELETE``, and
    the trigger lets a DELETE through only while that is set *and* the row is a read
    event. So the application role needs no DELETE privilege and can never remove a
    write, a decision or a grant. What it can do, if compromised, is call the function
    with a cutoff of its choosing and drop recent *read* events; it cannot also make that
    pass verification without appending an ``audit.pruned`` event to the chain (which the
    DPO sees) whose anchors are bound into its hash, and the exported heads pin the chain
    before it. A superuser can disable the trigger altogether; the hash chain and the
    exported heads are what catch that. The simpler alternative, letting the
    application role ``SET LOCAL caseflow.audit_prune`` itself with a DELETE grant, would
    have put the whole read history at the mercy of any SQL the application can issue.
    """
    if retention_days is None:
        retention_days = settings.CASEFLOW_AUDIT_READ_RETENTION_DAYS
    if retention_days < 1:
        raise ApplicationError(RETENTION_TOO_SHORT)
    cutoff = (now or timezone.now()) - datetime.timedelta(days=retention_days)
    if dry_run:
        return AuditPruneResult(cutoff=cutoff, deleted=_prune_candidates(cutoff).count(), anchors=0, event=None)
    deleted = anchors = batches = 0
    while True:
        batch = _prune_batch(actor=actor, cutoff=cutoff, retention_days=retention_days, limit=batch_size)
        deleted, anchors, batches = deleted + batch.deleted, anchors + batch.anchors, batches + 1
        if batch.deleted < batch_size or not _prune_candidates(cutoff).exists():
            return replace(batch, deleted=deleted, anchors=anchors, batches=batches)


def _prune_candidates(cutoff, head=None):
    """Read events older than ``cutoff``; never the newest event (``head``, by default
    the current one), which the next writer chains onto."""
    if head is None:
        head = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    return AuditEvent.objects.filter(action__in=READ_ACTIONS, occurred_at__lt=cutoff, sequence__lt=head)


@transaction.atomic
def _prune_batch(*, actor, cutoff, retention_days, limit) -> AuditPruneResult:
    with chain_locked():
        head = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
        batch = list(_prune_candidates(cutoff, head).order_by("sequence").values_list("sequence", flat=True)[:limit])
        to_delete, anchors = _prune_plan(batch, cutoff=cutoff) if batch else ([], [])
        extra = {
            "retention_days": retention_days,
            "cutoff": canonical_time(cutoff),
            "deleted": len(to_delete),
            "anchors": len(anchors),
        }
        if anchors:
            extra |= {"anchors_digest": anchors_digest(anchors), "first_sequence": to_delete[0],
                      "last_sequence": to_delete[-1]}
        event = audit_record(actor=actor, action=AuditAction.AUDIT_PRUNED, extra=extra)
        AuditAnchor.objects.bulk_create(
            AuditAnchor(
                prune_sequence=event.sequence,
                pruned_from_sequence=anchor.pruned_from_sequence,
                first_retained_sequence=anchor.first_retained_sequence,
                prev_hash=anchor.prev_hash,
                deleted_count=anchor.deleted_count,
            )
            for anchor in anchors
        )
        deleted = _events_delete(to_delete, cutoff=cutoff)
        if deleted != len(to_delete):  # the database refused some: roll everything back
            raise RuntimeError(f"audit prune deleted {deleted} of {len(to_delete)} events")
    return AuditPruneResult(cutoff=cutoff, deleted=deleted, anchors=len(anchors), event=event)


def _prune_plan(batch: list[int], *, cutoff):
    """Walk from the last event kept before the batch to the first event kept after it,
    verifying as we go; return the sequences to delete and one anchor per run of them.

    ``batch``: the sequences of the candidates to delete now, ascending."""
    first, last, chosen = batch[0], batch[-1], set(batch)
    before = AuditEvent.objects.filter(sequence__lt=first).order_by("-sequence")
    start = before.values_list("sequence", flat=True).first()
    anchor_index = AnchorIndex.load()
    if start is None:  # pruning from the very beginning: check the chain's start too
        walker = ChainWalker(anchors=anchor_index)
    else:  # start at the last kept event before the batch, trusting its link
        walker = ChainWalker(anchors=anchor_index, start_sequence=None)
    sequence_at, prev_hash_at = WALK_COLUMNS.index("sequence"), WALK_COLUMNS.index("prev_hash")
    to_delete: list[int] = []
    anchors: list[Anchor] = []
    last_kept = None
    run_count = 0
    for row in chain_rows(after=(start if start is not None else first) - 1):
        broken = walker.feed(row)
        if broken is not None:
            raise ApplicationError(CHAIN_BROKEN % {"problem": str(broken)})
        sequence = row[sequence_at]
        if sequence in chosen:
            to_delete.append(sequence)
            run_count += 1
            continue
        if run_count:
            anchors.append(
                Anchor(
                    prune_sequence=0,  # set once the audit.pruned event exists
                    pruned_from_sequence=last_kept + 1 if last_kept is not None else 1,
                    first_retained_sequence=sequence,
                    prev_hash=row[prev_hash_at],
                    deleted_count=run_count,
                )
            )
            run_count = 0
        last_kept = sequence
        if sequence > last:
            break
    return to_delete, anchors


def _events_delete(sequences: list[int], *, cutoff) -> int:
    deleted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(sequences), _DELETE_CHUNK):
            batch = sequences[start : start + _DELETE_CHUNK]
            if connection.vendor == "postgresql":
                cursor.execute("SELECT audit_prune_read_events(%s::bigint[], %s)", [batch, cutoff])
                deleted += cursor.fetchone()[0]
            else:  # SQLite (development): no trigger to get past
                placeholders = ",".join(["%s"] * len(batch))
                cursor.execute(f"DELETE FROM audit_auditevent WHERE sequence IN ({placeholders})", batch)  # noqa: S608
                deleted += cursor.rowcount
    return deleted


# --------------------------------------------------------------------------- head export and verification


def audit_head_export(*, actor=None, path=None, only_if_moved=False) -> dict | None:
    """Anchor the chain head outside the database: append a signed anchor
    (``{sequence, hash, at}`` signed with Ed25519, see :mod:`caseflow.audit.anchors`) as a
    JSON line to ``path`` (``CASEFLOW_AUDIT_HEAD_EXPORT_PATH``). Returns the head.

    The head is an ``audit.head_exported`` event recorded for the purpose, so every
    anchored event stays in the chain for good (it is not a read event and is never
    pruned). The line is signed and written after commit; a crash in between loses one
    anchor, never writes one the database does not have. ``only_if_moved`` (the beat task)
    writes nothing, and returns None, when the newest event is already such an anchor
    event: no events since the last anchor. Signing happens here, never per event.
    """
    path = Path(path or settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH)
    key = signing_key()  # a bad key fails before anything is recorded
    with transaction.atomic(), chain_locked():  # two beats at once: the second sees the first's anchor
        if only_if_moved:
            newest = AuditEvent.objects.order_by("-sequence").values_list("action", flat=True).first()
            if newest == AuditAction.AUDIT_HEAD_EXPORTED:
                return None
        event = audit_record(actor=actor, action=AuditAction.AUDIT_HEAD_EXPORTED)
        head = {"sequence": event.sequence, "hash": event.hash, "at": canonical_time(event.occurred_at)}
        transaction.on_commit(partial(_anchor_append, path, anchor_sign(head, key)))
    return head


def _anchor_append(path: Path, anchor: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(anchor_line(anchor))
        fh.flush()
        os.fsync(fh.fileno())


_PROBLEM_KINDS = {"unreadable": "anchor_unreadable", "signature": "anchor_signature", "key": "anchor_key",
                  "conflict": "anchor_conflict"}


def _anchor_break(problem: AnchorProblem) -> ChainBreak:
    return ChainBreak(_PROBLEM_KINDS[problem.kind], None, None, {"line": problem.line, "key_id": problem.key_id})


def audit_verify(*, heads_path=None, public_keys=None, since_anchor=None, batch_size=5000) -> ChainVerification:
    """Walk the chain and check it against every signed anchor in the anchor file
    (``CASEFLOW_AUDIT_HEAD_EXPORT_PATH`` by default, when it exists). Read-only.

    Every anchor line must verify and be signed by a trusted key: ``public_keys`` (PEM or
    base64 texts), by default the configured signing key's and
    ``CASEFLOW_AUDIT_OLD_PUBLIC_KEYS``. ``since_anchor``: the sequence of an anchor verified
    before; the walk starts there (the anchor must be in the file and the event there
    must still have its hash), which catches everything after it and any rewrite that
    changed that event's hash, but not an edit before it that left that hash alone.

    The anchor file is read first and the walk then runs in one REPEATABLE READ snapshot
    (on PostgreSQL, when not already inside a transaction), so events written or pruned
    meanwhile never look like tampering.
    """
    path = Path(heads_path or settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH)
    heads = {}
    if path.exists():
        heads, problems = anchors_read(path, trusted=trusted_key_ids(public_keys))
        if problems:
            return ChainVerification(0, _anchor_break(problems[0]))
    if since_anchor is not None and since_anchor not in heads:
        return ChainVerification(0, ChainBreak("anchor_start", since_anchor, None, {"sequence": since_anchor}))
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return chain_verify(heads=heads, batch_size=batch_size, since=since_anchor)


# --------------------------------------------------------------------------- export

EXPORT_EVENTS = "events.jsonl"
EXPORT_ANCHORS = "anchors.jsonl"
EXPORT_PRUNE_ANCHORS = "prune_anchors.jsonl"
EXPORT_PUBLIC_KEY = "public_key.pem"


@dataclass(frozen=True)
class AuditExportResult:
    directory: Path
    events: int
    anchors: int
    prune_anchors: int


def audit_export(*, actor=None, directory, heads_path=None) -> AuditExportResult:
    """Write the audit log to ``directory`` for ``scripts/verify_audit_export.py``:

    - ``events.jsonl``: one event a line, in sequence order: the fields covered by the
      hash (``occurred_at`` already in its canonical form), ``prev_hash``, ``hash`` and ``id``;
    - ``anchors.jsonl``: the signed anchors, the anchor file's lines as they are;
    - ``prune_anchors.jsonl``: the pruning anchors that bridge pruned gaps;
    - ``public_key.pem``: the public key of the configured signing key.

    The anchor file is read first, then the rows in one REPEATABLE READ snapshot (on
    PostgreSQL, outside a transaction). The ``audit.exported`` event is recorded after, so
    the export shows the chain exactly as it was found (the next export holds the event).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = Path(heads_path or settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH)
    anchor_text = path.read_text(encoding="utf-8") if path.exists() else ""
    (directory / EXPORT_ANCHORS).write_text(anchor_text, encoding="utf-8")
    (directory / EXPORT_PUBLIC_KEY).write_text(
        public_pem(signing_key().public_key()), encoding="utf-8"
    )
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        count = 0
        with open(directory / EXPORT_EVENTS, "w", encoding="utf-8") as fh:
            for row in chain_rows():
                values = dict(zip(WALK_COLUMNS, row, strict=True))
                values["occurred_at"] = canonical_time(values["occurred_at"])
                fh.write(json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n")
                count += 1
        prune_rows = list(AuditAnchor.objects.values(
            "prune_sequence", "pruned_from_sequence", "first_retained_sequence", "prev_hash", "deleted_count"
        ))
    with open(directory / EXPORT_PRUNE_ANCHORS, "w", encoding="utf-8") as fh:
        for prune_row in prune_rows:
            fh.write(json.dumps(prune_row, sort_keys=True, separators=(",", ":")) + "\n")
    anchors = sum(1 for line in anchor_text.splitlines() if line.strip())
    audit_record(actor=actor, action=AuditAction.AUDIT_EXPORTED,
                 extra={"directory": directory.name, "events": count, "anchors": anchors})
    return AuditExportResult(directory, count, anchors, len(prune_rows))
