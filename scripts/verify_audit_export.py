#!/usr/bin/env python3
"""Verify an export of Caseflow's audit log, without Caseflow, Django or a database.

Needs Python 3.11+ and the ``cryptography`` package only (``pip install cryptography``).
An export is the directory written by ``manage.py audit_export``:

- ``events.jsonl``: one event a line, in sequence order;
- ``anchors.jsonl``: the signed anchors (the chain head at a time, signed with Ed25519);
- ``prune_anchors.jsonl``: where pruning of old read events left a gap, and the hash that bridges it;
- ``public_key.pem``: the public key the anchors are signed with.

Usage::

    python verify_audit_export.py EXPORT_DIR [--public-key KEY.pem]

Give ``--public-key`` the key you obtained from the municipality by another channel: the
export's own ``public_key.pem`` must then be that key, and every anchor must be signed
with it. Without it the export's key is trusted (and its fingerprint printed, to compare).
Exit status: 0 intact, 1 broken (the first event, range or anchor line that differs is
named), 2 the export cannot be read.

What is checked, and the canonical form (the same as ``caseflow/audit/chain.py`` and
``caseflow/audit/anchors.py``; change them together):

- Each event's ``hash`` is ``sha256(prev_hash + canonical)`` (UTF-8, hex), where
  ``canonical`` is the JSON of the event's fields in :data:`PAYLOAD_FIELDS` (and only those)
  with sorted keys, separators ``,`` and ``:`` (no spaces), ASCII escapes and no NaN;
  ``occurred_at`` is in the export already in its canonical form (UTC, microseconds,
  ``2026-01-31T09:15:00.123456+00:00``). The first event's ``prev_hash`` is 64 zeros.
- Each event's ``prev_hash`` is the previous event's ``hash``, and sequences follow each
  other without gaps, except where a pruning anchor bridges the gap: the first event after
  it then has the anchor's ``prev_hash``, and the ``audit.pruned`` event that made the
  anchors carries ``anchors_digest`` = sha256 of the JSON list, sorted, of
  ``[first_retained_sequence, pruned_from_sequence, prev_hash, deleted_count]`` per anchor
  (separators ``,`` and ``:``).
- Each anchor's signature (Ed25519) covers ``caseflow-audit-anchor-v1\\n`` followed by the
  JSON of ``{"at", "hash", "key_id", "sequence"}`` (sorted keys, no spaces, ASCII);
  ``key_id`` is the first 16 hex digits of sha256 of the raw 32-byte public key. The event
  at an anchor's sequence must have the anchor's hash, and the log must reach the last
  anchor: a rewrite with recomputed hashes or a cut tail is caught there.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS_HASH = "0" * 64
PRUNED_ACTION = "audit.pruned"
MESSAGE_PREFIX = b"caseflow-audit-anchor-v1\n"

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


class Broken(Exception):
    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")


class Unreadable(Exception):
    pass


# --------------------------------------------------------------------------- canonical form


def event_hash(prev_hash: str, event: dict) -> str:
    payload = {name: event[name] for name in PAYLOAD_FIELDS}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def anchors_digest(anchors: list[dict]) -> str:
    rows = sorted(
        [a["first_retained_sequence"], a["pruned_from_sequence"], a["prev_hash"], a["deleted_count"]] for a in anchors
    )
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode("ascii")).hexdigest()


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def public_load(text: str) -> Ed25519PublicKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise Unreadable("the public key is not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def anchor_message(data: dict, kid: str) -> bytes:
    body = {"at": str(data["at"]), "hash": str(data["hash"]), "key_id": kid, "sequence": int(data["sequence"])}
    return MESSAGE_PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


# --------------------------------------------------------------------------- reading


def lines(path: Path):
    if not path.exists():
        raise Unreadable(f"{path.name} is missing")
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line


def anchors_load(path: Path, trusted: str) -> dict[int, dict]:
    """The anchors by sequence; raises Broken at the first line that fails."""
    anchors: dict[int, dict] = {}
    for number, line in lines(path):
        where = f"line {number} of {path.name}"
        try:
            data = json.loads(line)
            raw = base64.b64decode(data["public_key"], validate=True)
            kid = key_id(raw)
            signature = base64.b64decode(data["signature"], validate=True)
            message = anchor_message(data, kid)
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise Broken(where, "cannot be read") from exc
        if data["key_id"] != kid:
            raise Broken(where, "was edited: its signature does not verify")
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
        except (InvalidSignature, ValueError) as exc:
            raise Broken(where, "was edited: its signature does not verify") from exc
        if kid != trusted:
            raise Broken(where, f"is signed with another key ({kid}, expected {trusted})")
        data["line"] = number
        previous = anchors.get(int(data["sequence"]))
        if previous is not None and previous["hash"] != data["hash"]:
            raise Broken(where, "contradicts an earlier anchor for the same sequence")
        anchors.setdefault(int(data["sequence"]), data)
    return anchors


def events_read(path: Path):
    for number, line in lines(path):
        try:
            event = json.loads(line)
            int(event["sequence"])
            for name in (*PAYLOAD_FIELDS, "prev_hash", "hash"):
                event[name]  # noqa: B018 - every field must be there
        except (ValueError, KeyError, TypeError) as exc:
            raise Broken(f"line {number} of {path.name}", "cannot be read") from exc
        yield event


# --------------------------------------------------------------------------- the walk


def verify(directory: Path, expected_key: str | None) -> str:
    """Verify the export; returns a summary, raises Broken or Unreadable."""
    exported_key = public_load((directory / "public_key.pem").read_text(encoding="utf-8"))
    trusted = key_id(public_raw(exported_key))
    if expected_key is not None:
        expected = key_id(public_raw(public_load(expected_key)))
        if expected != trusted:
            raise Broken("public_key.pem", f"is another key ({trusted}) than the one expected ({expected})")
    heads = anchors_load(directory / "anchors.jsonl", trusted)

    prune_path = directory / "prune_anchors.jsonl"
    by_gap: dict[tuple[int, int], dict] = {}
    by_prune: dict[int, list[dict]] = {}
    if prune_path.exists():
        for number, line in lines(prune_path):
            try:
                anchor = json.loads(line)
                gap = (int(anchor["first_retained_sequence"]), int(anchor["pruned_from_sequence"]))
                prune = int(anchor["prune_sequence"])
            except (ValueError, KeyError, TypeError) as exc:
                raise Broken(f"line {number} of {prune_path.name}", "cannot be read") from exc
            by_gap[gap] = anchor
            by_prune.setdefault(prune, []).append(anchor)

    events_path = directory / "events.jsonl"
    claims = {}
    if by_prune:  # first pass: what each pruning event vouches for
        for event in events_read(events_path):
            if event["action"] == PRUNED_ACTION:
                claims[event["sequence"]] = (event["extra"] or {}).get("anchors_digest", "")
    vouched = {prune: claims.get(prune) == anchors_digest(anchors) for prune, anchors in by_prune.items()}

    expected_sequence, expected_prev = 1, GENESIS_HASH
    last = matched = count = 0
    seen_heads, seen_prunes = set(), set()
    for event in events_read(events_path):
        sequence, prev_hash = event["sequence"], event["prev_hash"]
        where = f"sequence {sequence} (id {event.get('id')})"
        if sequence != expected_sequence:
            anchor = by_gap.get((sequence, expected_sequence))
            if anchor is None:
                raise Broken(where, f"expected sequence {expected_sequence}, found {sequence}: events "
                                    f"{expected_sequence}–{sequence - 1} are missing and no pruning anchor covers the gap")
            if not vouched[int(anchor["prune_sequence"])]:
                raise Broken(where, f"the gap {expected_sequence}–{sequence - 1} is bridged by a pruning anchor that "
                                    f"its pruning event (sequence {anchor['prune_sequence']}) does not vouch for")
            if prev_hash != anchor["prev_hash"]:
                raise Broken(where, f"the previous hash does not match the pruning anchor of the gap "
                                    f"{expected_sequence}–{sequence - 1}")
        elif prev_hash != expected_prev:
            raise Broken(where, f"the previous hash does not match the hash of event {sequence - 1}")
        if event_hash(prev_hash, event) != event["hash"]:
            raise Broken(where, "the hash does not match the event's content")
        if event["action"] == PRUNED_ACTION and sequence in by_prune:
            if not vouched[sequence]:
                raise Broken(where, "the anchors of this pruning event do not match the digest it recorded")
            seen_prunes.add(sequence)
        head = heads.get(sequence)
        if head is not None:
            if head["hash"] != event["hash"]:
                raise Broken(f"sequence {matched + 1}",
                             f"events {matched + 1}–{sequence} were rewritten: the log no longer has the hash signed "
                             f"for sequence {sequence} by the anchor of {head['at']} (line {head['line']} of "
                             f"anchors.jsonl); it still matched the anchors up to sequence {matched}")
            seen_heads.add(sequence)
            matched = sequence
        expected_sequence, expected_prev, last = sequence + 1, event["hash"], sequence
        count += 1

    unseen = sorted(set(heads) - seen_heads)
    for sequence in unseen:
        if sequence <= last:
            head = heads[sequence]
            raise Broken(f"sequence {sequence}", f"the event anchored on {head['at']} (line {head['line']} of "
                                                 f"anchors.jsonl) is missing from the log")
    if unseen:
        head = heads[unseen[-1]]
        raise Broken(f"sequence {last + 1}",
                     f"events {last + 1}–{unseen[-1]} are missing: the anchor of {head['at']} (line {head['line']} "
                     f"of anchors.jsonl) vouches for sequence {unseen[-1]}, but the log ends at {last}")
    orphans = sorted(set(by_prune) - seen_prunes)
    if orphans:
        raise Broken(f"sequence {orphans[0]}", f"pruning anchors name sequence {orphans[0]} as their pruning event, "
                                              "which is not one")
    return f"intact ({count} events, {len(heads)} anchors, last anchored sequence {matched}, key {trusted})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify an export of Caseflow's audit log (manage.py audit_export).")
    parser.add_argument("directory", type=Path, help="the export directory")
    parser.add_argument("--public-key", type=Path, default=None,
                        help="the public key you expect (PEM, or base64 of the raw 32 bytes)")
    args = parser.parse_args(argv)
    try:
        expected = args.public_key.read_text(encoding="utf-8") if args.public_key else None
        print(verify(args.directory, expected))  # noqa: T201
    except Broken as exc:
        print(f"BROKEN at {exc}", file=sys.stderr)  # noqa: T201
        return 1
    except (Unreadable, OSError, ValueError) as exc:
        print(f"cannot read the export: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
