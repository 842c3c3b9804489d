"""Keeping CPR numbers and free text out of the audit trail.

Two nets: :func:`~caseflow.audit.services.audit_diff` redacts sensitive fields by name, and
``audit_record`` passes everything callers hand it through :func:`json_clean`, which
replaces anything that looks like a CPR number wherever it occurs. The guard logs *where*
it redacted (never the value), so a caller leaking CPR numbers shows up in the logs.
"""

from __future__ import annotations

import json
import logging
import math
import re
from enum import Enum

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

logger = logging.getLogger("caseflow.audit")

REDACTED = "[redacted]"

#: DDMMYY-XXXX or ten digits with a valid day and month, standing alone: not part of a
#: longer number or word (hashes, UUIDs and references such as KE-2026-0001 do not match).
CPR_PATTERN = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])[0-9]{2}"
    r"[-\u2010\u2011\u2012\u2013 ]?"
    r"[0-9]{4}"
    r"(?![0-9A-Za-z])"
)


def cpr_redact(text: str) -> tuple[str, int]:
    """``text`` with CPR-like numbers replaced by ``[redacted]``, and how many there were."""
    return CPR_PATTERN.subn(REDACTED, text)


def text_clean(value, *, max_length: int, where: str) -> str:
    """A short text for an audit column: CPR-like numbers redacted, NUL characters
    (which PostgreSQL text cannot hold) removed, cut to ``max_length``."""
    text = "" if value is None else str(value)
    text, redacted = cpr_redact(text.replace("\x00", ""))
    if redacted:
        logger.warning("audit: redacted a CPR-like value from %s", where)
    return text[:max_length]


class AuditJSONEncoder(DjangoJSONEncoder):
    """Dates, decimals, UUIDs and lazy strings as Django encodes them; model instances as
    their primary key; sets as sorted lists. Anything else is a programming error."""

    def default(self, o):
        if isinstance(o, models.Model):
            return o.pk
        if isinstance(o, set | frozenset):
            return sorted(o, key=str)
        return super().default(o)


def json_clean(value, *, where: str):
    """``value`` as plain JSON data that survives a round trip through ``jsonb`` unchanged.

    CPR-like strings are redacted (keys too), NUL characters dropped, integral floats
    become ints (``jsonb`` prints ``1e+20`` as a 21-digit integer) and non-finite floats
    strings (``jsonb`` has no NaN). The hash is computed on the result, so what is stored
    is exactly what was hashed.
    """
    plain = json.loads(json.dumps(value, cls=AuditJSONEncoder))
    return _clean(plain, where)


def _clean(value, where: str):
    if isinstance(value, str):
        return text_clean(value, max_length=len(value), where=where)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [_clean(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            clean_key = text_clean(key, max_length=len(key), where=f"{where} (a key)")
            cleaned[clean_key] = _clean(item, f"{where}.{clean_key}")
        return cleaned
    raise TypeError(f"{where}: {type(value).__name__} is not JSON data")


def diff_value(value):
    """A field value as ``audit_diff`` compares and stores it."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return value


def is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}
