"""Signed anchors: the chain head (sequence, hash, time) signed with Ed25519, kept outside
the database.

An anchor is one JSON line appended to ``CASEFLOW_AUDIT_HEAD_EXPORT_PATH``::

    {"at": "...", "hash": "<64 hex>", "key_id": "<16 hex>", "public_key": "<base64, 32 bytes>",
     "sequence": 42, "signature": "<base64, 64 bytes>", "v": 1}

The signature covers :func:`anchor_message`: the bytes ``caseflow-audit-anchor-v1\\n``
followed by the JSON of ``{"at", "hash", "key_id", "sequence"}`` with sorted keys, no
spaces and ASCII escapes. ``key_id`` is the first 16 hex digits of the SHA-256 of the raw
public key. ``scripts/verify_audit_export.py`` repeats this definition without Django:
change both together.

The private key comes from ``CASEFLOW_AUDIT_SIGNING_KEY`` (base64 of the 32-byte seed, or a
PKCS#8 PEM); unset, it is derived from ``SECRET_KEY`` with HKDF (its own label), so the
development key follows the development secret and production needs no extra secret. It is
never stored in the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ANCHOR_VERSION = 1
MESSAGE_PREFIX = b"caseflow-audit-anchor-v1\n"
DERIVATION_INFO = b"caseflow-audit-anchor-signing-key"


def key_derive(secret: str) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO).derive(secret.encode("utf-8"))
    return Ed25519PrivateKey.from_private_bytes(seed)


def key_parse(value: str) -> Ed25519PrivateKey:
    """A private key from base64 (the 32-byte seed) or a PKCS#8 PEM."""
    value = value.strip()
    if value.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(value.encode("ascii"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("CASEFLOW_AUDIT_SIGNING_KEY must be an Ed25519 key.")
        return key
    try:
        seed = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ImproperlyConfigured("CASEFLOW_AUDIT_SIGNING_KEY must be base64 or a PEM.") from exc
    if len(seed) != 32:
        raise ImproperlyConfigured("CASEFLOW_AUDIT_SIGNING_KEY must be 32 bytes (base64) or a PEM.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_key() -> Ed25519PrivateKey:
    """The anchor signing key from the settings (see the module docstring)."""
    configured = settings.CASEFLOW_AUDIT_SIGNING_KEY
    return key_parse(configured) if configured else key_derive(settings.SECRET_KEY)


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_load(text: str) -> Ed25519PublicKey:
    """A public key from a PEM or base64 of the raw 32 bytes."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def key_id(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()[:16]


def anchor_message(*, sequence: int, hash: str, at: str, key_id: str) -> bytes:  # noqa: A002
    body = {"at": at, "hash": hash, "key_id": key_id, "sequence": sequence}
    return MESSAGE_PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def anchor_sign(head: dict, key: Ed25519PrivateKey) -> dict:
    """The signed anchor line (a dict) for ``head`` = ``{sequence, hash, at}``."""
    raw = public_raw(key.public_key())
    kid = key_id(raw)
    message = anchor_message(sequence=head["sequence"], hash=head["hash"], at=head["at"], key_id=kid)
    return {
        "v": ANCHOR_VERSION,
        "sequence": head["sequence"],
        "hash": head["hash"],
        "at": head["at"],
        "key_id": kid,
        "public_key": base64.b64encode(raw).decode("ascii"),
        "signature": base64.b64encode(key.sign(message)).decode("ascii"),
    }


def anchor_line(anchor: dict) -> str:
    return json.dumps(anchor, sort_keys=True, separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class SignedAnchor:
    sequence: int
    hash: str
    at: str
    key_id: str
    line: int


@dataclass(frozen=True)
class AnchorProblem:
    """A line of the anchor file that cannot be trusted: ``kind`` is ``unreadable``,
    ``signature`` (edited, or not signed by the key it names) or ``key`` (another key)."""

    kind: str
    line: int
    key_id: str = ""


def anchor_check(data: dict, *, trusted: set[str] | None) -> tuple[str, str]:
    """Check one parsed anchor: ``("", key_id)`` when valid, else the problem's kind."""
    raw = base64.b64decode(data["public_key"], validate=True)
    kid = key_id(raw)
    if data["key_id"] != kid:
        return "signature", str(data["key_id"])
    message = anchor_message(sequence=int(data["sequence"]), hash=str(data["hash"]), at=str(data["at"]), key_id=kid)
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(data["signature"], validate=True), message)
    except InvalidSignature:
        return "signature", kid
    if trusted is not None and kid not in trusted:
        return "key", kid
    return "", kid


def anchors_read(path: Path, *, trusted: set[str] | None) -> tuple[dict[int, SignedAnchor], list[AnchorProblem]]:
    """The anchors in ``path`` by sequence, and the lines that failed (in file order).

    ``trusted``: the key ids accepted (None: any key that signs correctly)."""
    anchors: dict[int, SignedAnchor] = {}
    problems: list[AnchorProblem] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                kind, kid = anchor_check(data, trusted=trusted)
                anchor = SignedAnchor(int(data["sequence"]), str(data["hash"]), str(data["at"]), kid, number)
            except (ValueError, KeyError, TypeError, binascii.Error):
                problems.append(AnchorProblem("unreadable", number))
                continue
            if kind:
                problems.append(AnchorProblem(kind, number, kid))
                continue
            previous = anchors.get(anchor.sequence)
            if previous is not None and previous.hash != anchor.hash:
                problems.append(AnchorProblem("conflict", number, kid))
                continue
            anchors.setdefault(anchor.sequence, anchor)
    return anchors, problems


def trusted_key_ids(public_keys: list[str] | None = None) -> set[str]:
    """Key ids accepted by ``audit_verify``: the given public keys (PEM or base64 text), or
    else the configured signing key's and ``CASEFLOW_AUDIT_OLD_PUBLIC_KEYS``."""
    if public_keys:
        return {key_id(public_raw(public_load(text))) for text in public_keys}
    ids = {key_id(public_raw(signing_key().public_key()))}
    ids |= {key_id(public_raw(public_load(text))) for text in settings.CASEFLOW_AUDIT_OLD_PUBLIC_KEYS}
    return ids
