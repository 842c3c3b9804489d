"""The hash chain: canonical form, hashing, the writers' lock and the verifying walk.

Each event's hash is ``sha256(prev_hash + canonical)``, where ``canonical`` is the JSON of
the event's fields (:data:`PAYLOAD_FIELDS`) with sorted keys, no spaces and ASCII escapes,
and the time in UTC with microseconds. ``prev_hash`` of the first event is
:data:`GENESIS_HASH`. The form is computed from values exactly as the database returns
them (``audit_record`` normalises before hashing), so verification needs nothing but the
rows.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections
from django.utils.translation import gettext_lazy as _

from .actions import AuditAction

GENESIS_HASH = "0" * 64

#: Key of the PostgreSQL transaction-level advisory lock the writers serialise on
#: (the bytes of "cfaudit1"). Advisory locks are per database.
CHAIN_LOCK_KEY = int.from_bytes(b"cfaudit1", "big")

#: The fields covered by an event's hash, besides ``prev_hash``.
PAYLOAD_FIELDS = (
    "occurred_at",
    "sequence",
    "actor_id",
    "actor_username",
    "actor_role",
    "system_actor",
    "action",
    "target_type",
    "target_id",
    "case_id",
    "purpose",
    "reason",
    "changes",
    "extra",
    "request_id",
    "ip",
    "user_agent",
)

#: Columns read by the verifying walk, in this order.
WALK_COLUMNS = ("id", "prev_hash", "hash", *PAYLOAD_FIELDS)
_PAYLOAD_START = 3


def canonical_time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def event_canonical(values: Mapping) -> str:
    """The canonical JSON of an event's payload (``values`` maps :data:`PAYLOAD_FIELDS`)."""
    payload = {name: values[name] for name in PAYLOAD_FIELDS}
    payload["occurred_at"] = canonical_time(payload["occurred_at"])
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def event_hash(prev_hash: str, values: Mapping) -> str:
    # utf-8, not ascii: a tampered prev_hash must make a mismatch, not a crash
    return hashlib.sha256((prev_hash + event_canonical(values)).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- the writers' lock

_process_lock = threading.RLock()  # re-entered by audit_record inside pruning


@contextmanager
def chain_locked(using: str = "default") -> Iterator[None]:
    """Serialise chain writers; must be entered inside a transaction.

    PostgreSQL: ``pg_advisory_xact_lock``, held until the transaction commits or rolls
    back, so the next writer reads the head only after this one's row is visible.

    SQLite (development only): a process lock for the critical section, plus a no-op
    write that takes SQLite's own write lock before the head is read; SQLite holds that
    until the transaction ends, so a writer on another connection waits for the commit.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("chain_locked() needs a transaction (use transaction.atomic())")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        yield
        return
    with _process_lock:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditanchor SET id = id WHERE 1 = 0")
        yield


# --------------------------------------------------------------------------- anchors


@dataclass(frozen=True)
class Anchor:
    prune_sequence: int
    pruned_from_sequence: int
    first_retained_sequence: int
    prev_hash: str
    deleted_count: int

    def as_list(self) -> list:
        return [self.first_retained_sequence, self.pruned_from_sequence, self.prev_hash, self.deleted_count]


def anchors_digest(anchors: Iterable[Anchor]) -> str:
    """The digest an ``audit.pruned`` event carries for the anchors it created."""
    rows = sorted(anchor.as_list() for anchor in anchors)
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode("ascii")).hexdigest()


@dataclass
class AnchorIndex:
    """All anchors, by the gap they bridge, and which pruning events vouch for them."""

    by_gap: dict[tuple[int, int], Anchor] = field(default_factory=dict)
    by_prune: dict[int, list[Anchor]] = field(default_factory=dict)
    #: pruning event sequence -> the digest it claims
    claims: dict[int, str] = field(default_factory=dict)
    _vouched: dict[int, bool] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, using: str = "default") -> AnchorIndex:
        from .models import AuditAnchor, AuditEvent

        index = cls()
        rows = AuditAnchor.objects.using(using).values_list(
            "prune_sequence", "pruned_from_sequence", "first_retained_sequence", "prev_hash", "deleted_count"
        )
        for row in rows.iterator(chunk_size=10_000):
            anchor = Anchor(*row)
            index.by_gap[(anchor.first_retained_sequence, anchor.pruned_from_sequence)] = anchor
            index.by_prune.setdefault(anchor.prune_sequence, []).append(anchor)
        if index.by_prune:
            claims = AuditEvent.objects.using(using).filter(action=AuditAction.AUDIT_PRUNED)
            for sequence, extra in claims.values_list("sequence", "extra"):
                index.claims[sequence] = (extra or {}).get("anchors_digest", "")
        return index

    def vouched(self, prune_sequence: int) -> bool:
        """Whether the pruning event claims exactly the anchors that name it."""
        if prune_sequence not in self._vouched:
            anchors = self.by_prune.get(prune_sequence, [])
            self._vouched[prune_sequence] = bool(anchors) and (
                self.claims.get(prune_sequence) == anchors_digest(anchors)
            )
        return self._vouched[prune_sequence]


# --------------------------------------------------------------------------- exported heads


@dataclass(frozen=True)
class ExportedHead:
    sequence: int
    hash: str
    at: str
    line: int


def heads_read(path: Path) -> tuple[dict[int, ExportedHead], list[int]]:
    """Exported heads by sequence, and the numbers of lines that could not be read."""
    heads: dict[int, ExportedHead] = {}
    unreadable: list[int] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                head = ExportedHead(int(data["sequence"]), str(data["hash"]), str(data.get("at", "")), number)
            except (ValueError, KeyError, TypeError):
                unreadable.append(number)
                continue
            heads[head.sequence] = head
    return heads, unreadable


# --------------------------------------------------------------------------- the walk

MESSAGES = {
    "gap": _("expected sequence %(expected)s, found %(found)s: events are missing and no pruning anchor "
             "covers the gap"),
    "anchor_unvouched": _("the gap %(expected)s–%(last)s is bridged by a pruning anchor that its pruning "
                          "event (sequence %(prune)s) does not vouch for"),
    "anchor_link": _("the previous hash does not match the pruning anchor of the gap %(expected)s–%(last)s"),
    "link": _("the previous hash does not match the hash of event %(previous)s"),
    "hash": _("the hash does not match the event's content"),
    "prune_digest": _("the anchors of this pruning event do not match the digest it recorded"),
    "orphan_anchors": _("pruning anchors name sequence %(prune)s as their pruning event, which is not one"),
    "head_hash": _("the hash differs from the head exported on %(at)s (line %(line)s of the head file)"),
    "head_missing": _("the head exported on %(at)s (line %(line)s of the head file) is missing from the "
                      "database"),
    "head_beyond": _("the head exported on %(at)s (line %(line)s of the head file) lies beyond the end of the "
                     "chain (%(last)s): events were removed or the chain was rolled back"),
    "head_unreadable": _("line %(line)s of the head file cannot be read"),
}


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain is wrong."""

    kind: str
    sequence: int | None
    event_id: int | None
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return str(MESSAGES[self.kind] % self.params)

    def __str__(self) -> str:
        where = f"sequence {self.sequence}" if self.sequence is not None else "the chain"
        if self.event_id is not None:
            where += f" (id {self.event_id})"
        return f"{where}: {self.message}"


class ChainWalker:
    """Checks events fed in sequence order; stops at the first break.

    Per event: the sequence follows the previous one (or a gap is bridged by a vouched
    anchor), ``prev_hash`` is the previous event's hash (or the anchor's), the hash
    matches the content, a pruning event's anchors match its digest, and an exported
    head at this sequence has the same hash. ``start_sequence=None`` trusts the first
    event's link (used by pruning, which starts mid-chain at a kept event).
    """

    def __init__(
        self,
        *,
        anchors: AnchorIndex,
        heads: Mapping[int, ExportedHead] | None = None,
        start_sequence: int | None = 1,
        start_prev_hash: str = GENESIS_HASH,
    ):
        self.anchors = anchors
        self.heads = heads or {}
        self.expected_sequence = start_sequence
        self.expected_prev_hash = start_prev_hash
        self.last_sequence: int | None = None
        self.count = 0
        self.seen_prunes: set[int] = set()
        self.seen_heads: set[int] = set()

    def feed(self, row: tuple) -> ChainBreak | None:
        """Check one row of :data:`WALK_COLUMNS`; a :class:`ChainBreak` or None."""
        event_id, prev_hash, stored_hash = row[0], row[1], row[2]
        values = dict(zip(PAYLOAD_FIELDS, row[_PAYLOAD_START:], strict=True))
        sequence = values["sequence"]
        expected = self.expected_sequence
        if expected is None:
            pass  # first event of a partial walk: its link is trusted
        elif sequence != expected:
            anchor = self.anchors.by_gap.get((sequence, expected))
            gap = {"expected": expected, "found": sequence, "last": sequence - 1}
            if anchor is None:
                return ChainBreak("gap", sequence, event_id, gap)
            if not self.anchors.vouched(anchor.prune_sequence):
                return ChainBreak("anchor_unvouched", sequence, event_id, {**gap, "prune": anchor.prune_sequence})
            if prev_hash != anchor.prev_hash:
                return ChainBreak("anchor_link", sequence, event_id, gap)
        elif prev_hash != self.expected_prev_hash:
            return ChainBreak("link", sequence, event_id, {"previous": sequence - 1})
        if event_hash(prev_hash, values) != stored_hash:
            return ChainBreak("hash", sequence, event_id)
        if values["action"] == AuditAction.AUDIT_PRUNED and sequence in self.anchors.by_prune:
            if not self.anchors.vouched(sequence):
                return ChainBreak("prune_digest", sequence, event_id)
            self.seen_prunes.add(sequence)
        head = self.heads.get(sequence)
        if head is not None:
            if head.hash != stored_hash:
                return ChainBreak("head_hash", sequence, event_id, {"at": head.at, "line": head.line})
            self.seen_heads.add(sequence)
        self.expected_sequence = sequence + 1
        self.expected_prev_hash = stored_hash
        self.last_sequence = sequence
        self.count += 1
        return None

    def finish(self) -> ChainBreak | None:
        """Checks that need the whole walk: heads never reached, anchors nobody vouches for."""
        for sequence in sorted(set(self.heads) - self.seen_heads):
            head = self.heads[sequence]
            params = {"at": head.at, "line": head.line, "last": self.last_sequence or 0}
            kind = "head_beyond" if self.last_sequence is None or sequence > self.last_sequence else "head_missing"
            return ChainBreak(kind, sequence, None, params)
        orphans = sorted(set(self.anchors.by_prune) - self.seen_prunes)
        if orphans:
            return ChainBreak("orphan_anchors", orphans[0], None, {"prune": orphans[0]})
        return None


@dataclass(frozen=True)
class ChainVerification:
    """The outcome of a full walk."""

    count: int
    broken: ChainBreak | None
    heads_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.broken is None


def chain_rows(*, using: str = "default", after: int | None = None, batch_size: int = 5000) -> Iterator[tuple]:
    """Events in sequence order as :data:`WALK_COLUMNS` tuples, through a server-side cursor."""
    from .models import AuditEvent

    events = AuditEvent.objects.using(using).order_by("sequence")
    if after is not None:
        events = events.filter(sequence__gt=after)
    return events.values_list(*WALK_COLUMNS).iterator(chunk_size=batch_size)


def chain_verify(*, heads: Mapping[int, ExportedHead] | None = None, using: str = "default",
                 batch_size: int = 5000) -> ChainVerification:
    """Walk the whole chain (over pruning anchors where pruned) and compare it with
    ``heads``, the exported heads (:func:`heads_read`)."""
    heads = heads or {}
    walker = ChainWalker(anchors=AnchorIndex.load(using), heads=heads)
    for row in chain_rows(using=using, batch_size=batch_size):
        broken = walker.feed(row)
        if broken is not None:
            return ChainVerification(walker.count, broken, len(heads))
    return ChainVerification(walker.count, walker.finish(), len(heads))
