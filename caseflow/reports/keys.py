"""The statistics store's pseudonyms: HMAC-SHA256 of ``<kind>:<id>`` with a key of its own.

The key is ``CASEFLOW_STATISTICS_KEY``, or, when that is unset, one derived from
``CASEFLOW_CPR_KEY`` with HKDF under a label of its own (so the CPR key itself never
keys the store, and production needs no extra secret). Without the key a pseudonym
cannot be matched to a referral, intervention or breach id.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

DERIVATION_INFO = b"caseflow-statistics-pseudonym-key"


@lru_cache(maxsize=4)
def _key(explicit: str, cpr_key: str) -> bytes:
    if explicit:
        return explicit.encode("utf-8")
    if not cpr_key:
        raise RuntimeError("Neither CASEFLOW_STATISTICS_KEY nor CASEFLOW_CPR_KEY is set")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO).derive(
        cpr_key.encode("utf-8")
    )


def statistics_pseudonym(kind: str, source_id: int) -> str:
    """The store's key for source ``kind`` (``referral``, ``intervention``, ``breach``) ``source_id``."""
    key = _key(getattr(settings, "CASEFLOW_STATISTICS_KEY", ""), settings.CASEFLOW_CPR_KEY)
    return hmac.new(key, f"{kind}:{int(source_id)}".encode(), hashlib.sha256).hexdigest()
