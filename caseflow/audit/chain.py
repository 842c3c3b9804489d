"""The hash chain: canonical form, hashing, the writers' lock and the verifying walk.

Each event's hash is ``sha256(prev_hash + canonical)`` (UTF-8), where ``canonical`` is the
JSON of the event's fields (:data:`PAYLOAD_FIELDS`, and only those) with sorted keys, no
spaces (separators ``,`` and ``:``), ASCII escapes (``ensure_ascii``), no NaN, and
``occurred_at`` in UTC with microseconds (``2026-01-31T09:15:00.123456+00:00``). ``prev_hash``
of the first event is :data:`GENESIS_HASH` (64 zeros). The form is computed from values
exactly as the database returns them (``audit_record`` normalises before hashing), so
verification needs nothing but the rows. ``scripts/verify_audit_export.py`` repeats this
definition without Django (on the rows of ``manage.py audit_export``): change both together.

Pruning leaves gaps bridged by pruning anchors (:class:`Anchor`, in the database, vouched
for by their ``audit.pruned`` event). Signed anchors (``anchors.py``, outside the database)
pin the chain's hash at a sequence, so a rewrite with recomputed hashes or a cut tail is
caught as well.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

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


# --------------------------------------------------------------------------- the walk

MESSAGES = {
    "gap": _("expected sequence %(expected)s, found %(found)s: events %(expected)s–%(last)s are missing and no "
             "pruning anchor covers the gap"),
    "anchor_unvouched": _("the gap %(expected)s–%(last)s is bridged by a pruning anchor that its pruning "
                          "event (sequence %(prune)s) does not vouch for"),
    "anchor_link": _("the previous hash does not match the pruning anchor of the gap %(expected)s–%(last)s"),
    "link": _("the previous hash does not match the hash of event %(previous)s"),
    "hash": _("the hash does not match the event's content"),
    "prune_digest": _("the anchors of this pruning event do not match the digest it recorded"),
    "orphan_anchors": _("pruning anchors name sequence %(prune)s as their pruning event, which is not one"),
    "head_rewritten": _("events %(first)s–%(last)s were rewritten: the chain no longer has the hash signed for "
                        "sequence %(last)s by the anchor of %(at)s (line %(line)s of the anchor file); it still "
                        "matched the anchors up to sequence %(matched)s"),
    "head_missing": _("the event anchored on %(at)s (line %(line)s of the anchor file) is missing from the "
                      "database"),
    "head_beyond": _("events %(first)s–%(last)s are missing: the anchor of %(at)s (line %(line)s of the anchor "
                     "file) vouches for sequence %(last)s, but the chain ends at %(end)s (events were removed or "
                     "the chain was rolled back)"),
    "anchor_unreadable": _("line %(line)s of the anchor file cannot be read"),
    "anchor_signature": _("line %(line)s of the anchor file was edited: its signature does not verify"),
    "anchor_key": _("line %(line)s of the anchor file is signed with another key (%(key_id)s)"),
    "anchor_conflict": _("line %(line)s of the anchor file contradicts an earlier anchor for the same sequence"),
    "anchor_start": _("there is no valid anchor at sequence %(sequence)s to verify from"),
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
        heads: Mapping | None = None,
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
        #: the last anchored sequence whose hash matched (0: none yet)
        self.matched_head = 0
        self.first_sequence = 0

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
                # internally consistent, yet not what was signed: rewritten since the last match
                first = self.matched_head + 1
                params = {"first": first, "last": sequence, "at": head.at, "line": head.line,
                          "matched": self.matched_head}
                return ChainBreak("head_rewritten", first, None, params)
            self.seen_heads.add(sequence)
            self.matched_head = sequence
        if self.first_sequence == 0:
            self.first_sequence = sequence
        self.expected_sequence = sequence + 1
        self.expected_prev_hash = stored_hash
        self.last_sequence = sequence
        self.count += 1
        return None

    def finish(self) -> ChainBreak | None:
        """Checks that need the whole walk: heads never reached, anchors nobody vouches for."""
        unseen = sorted(set(self.heads) - self.seen_heads)
        end = self.last_sequence or 0
        for sequence in unseen:
            if sequence <= end:
                head = self.heads[sequence]
                return ChainBreak("head_missing", sequence, None, {"at": head.at, "line": head.line})
        if unseen:  # the tail is gone: name the range up to the furthest anchor
            head = self.heads[unseen[-1]]
            params = {"first": end + 1, "last": head.sequence, "end": end, "at": head.at, "line": head.line}
            return ChainBreak("head_beyond", end + 1, None, params)
        orphans = sorted(prune for prune in set(self.anchors.by_prune) - self.seen_prunes
                         if prune >= self.first_sequence)
        if orphans:
            return ChainBreak("orphan_anchors", orphans[0], None, {"prune": orphans[0]})
        return None


@dataclass(frozen=True)
class ChainVerification:
    """The outcome of a full walk."""

    count: int
    broken: ChainBreak | None
    heads_checked: int = 0
    #: the last anchor the walk matched (sequence, or 0), where an incremental run can start
    last_anchor: int = 0

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


def chain_verify(*, heads: Mapping | None = None, using: str = "default", batch_size: int = 5000,
                 since: int | None = None) -> ChainVerification:
    """Walk the whole chain (over pruning anchors where pruned) and compare it with
    ``heads``, the signed anchors by sequence (:func:`caseflow.audit.anchors.anchors_read`).

    ``since``: an anchored sequence verified before; the walk starts at that event (its
    stored hash must still be the anchored one) and trusts what lies before it."""
    heads = dict(heads or {})
    if since is not None:
        heads = {sequence: head for sequence, head in heads.items() if sequence >= since}
        walker = ChainWalker(anchors=AnchorIndex.load(using), heads=heads, start_sequence=None)
        rows = chain_rows(using=using, batch_size=batch_size, after=since - 1)
    else:
        walker = ChainWalker(anchors=AnchorIndex.load(using), heads=heads)
        rows = chain_rows(using=using, batch_size=batch_size)
    for row in rows:
        broken = walker.feed(row)
        if broken is not None:
            return ChainVerification(walker.count, broken, len(heads), walker.matched_head)
    return ChainVerification(walker.count, walker.finish(), len(heads), walker.matched_head)
