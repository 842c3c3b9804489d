"""CPR numbers: validation, encryption at rest, the blind index and the masked form.

Design (design.md §4):

- :func:`cpr_clean` checks the format, the embedded birth date and the century rule with
  ``python-stdnum``'s Danish CPR module. There is **no** modulus-11 check: numbers issued
  since 2007 do not satisfy it (stdnum 2.x's ``validate`` does not check it either; we
  call only ``get_birth_date`` so that stays true whatever a later stdnum does).
- :func:`cpr_encrypt` / :func:`cpr_decrypt`: Fernet (AES-128-CBC + HMAC-SHA256, random IV,
  so each call gives another ciphertext) with a key derived from ``CASEFLOW_CPR_KEY`` by
  HKDF-SHA256 (info ``caseflow-cpr-encryption``). The token carries the derivation version
  and the id of the secret that made it (``v1:<key id>:<Fernet token>``; the key id is an
  HKDF fingerprint of the secret, never the secret). Tokens written before key ids
  existed (``v1:<Fernet token>``) are still read, by trying every configured secret.
- Key rotation: the current secret writes; the secrets in ``CASEFLOW_CPR_OLD_KEYS`` are
  still read. ``manage.py rotate_cpr_key`` re-encrypts every stored number with the
  current secret and recomputes its blind index (:func:`cpr_reencrypt`).
- :func:`cpr_index`: HMAC-SHA256 of the ten digits with a separately derived key (info
  ``caseflow-cpr-index``) of the *current* secret, hex; an exact-match search key that
  reveals nothing without the secret. The index key is not a separate secret on purpose:
  there are only about 10^9 plausible CPR numbers, so whoever holds the index key can
  recover every number from the index alone; it must be rotated whenever the encryption
  key is. :func:`cpr_index_candidates` gives the index under every configured secret
  (for a lookup while a rotation is still running).
- :func:`cpr_mask`: ``DDMMYY-****`` for display.

Only :func:`cpr_clean` judges a number (date, future, age); the other functions accept
any ten digits (with or without the dash), so a stored number stays usable for ever.
Clear-text CPR numbers exist only in memory: never log them, never pass them to tasks.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.dk import cpr as stdnum_cpr

from caseflow.core.exceptions import ApplicationError

#: Nobody on file is older than this; birth dates further back are typing errors.
MAX_AGE_YEARS = 120

CPR_INVALID = _("Enter a CPR number as DDMMYY-XXXX (ten digits).")
CPR_BAD_DATE = _("The CPR number does not contain a valid date of birth.")
CPR_FUTURE = _("The CPR number gives a date of birth in the future.")
CPR_TOO_OLD = _("The CPR number gives a date of birth more than 120 years ago.")

#: Ten ASCII digits, optionally with a dash (or a typographic dash) after the sixth.
_CPR_RE = re.compile(r"^([0-9]{6})[-\u2010\u2011\u2012\u2013]?([0-9]{4})$", re.ASCII)
_WHITESPACE_RE = re.compile(r"\s+")

ENCRYPTION_INFO = b"caseflow-cpr-encryption"
INDEX_INFO = b"caseflow-cpr-index"

#: Key versions for encryption. The current one writes; all of them read.
_KEY_INFOS = {"v1": ENCRYPTION_INFO}
CURRENT_KEY_VERSION = "v1"


def earliest_birth_date(today: datetime.date | None = None) -> datetime.date:
    """The oldest birth date accepted: :data:`MAX_AGE_YEARS` years before ``today``."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - MAX_AGE_YEARS, day=28)


# --------------------------------------------------------------------------- validation


def _digits(value) -> str:
    """The ten digits of ``value``; checks the format only."""
    match = _CPR_RE.match(_WHITESPACE_RE.sub("", str(value or "")))
    if match is None:
        raise ValidationError(CPR_INVALID, code="invalid")
    return match.group(1) + match.group(2)


def _birth_date(number: str) -> datetime.date:
    try:
        return stdnum_cpr.get_birth_date(number)
    except (stdnum_exceptions.ValidationError, ValueError):
        raise ValidationError(CPR_BAD_DATE, code="invalid_date") from None


def cpr_clean(value: str) -> str:
    """The ten digits of ``value`` ("DDMMYYXXXX" or "DDMMYY-XXXX", spaces ignored).

    Raises :class:`~django.core.exceptions.ValidationError` with code ``invalid`` (not ten
    digits), ``invalid_date`` (no such day), ``future`` or ``too_old`` (a birth date after
    today or more than :data:`MAX_AGE_YEARS` years back)."""
    number = _digits(value)
    born = _birth_date(number)
    today = timezone.localdate()
    if born > today:
        raise ValidationError(CPR_FUTURE, code="future")
    if born < earliest_birth_date(today):
        raise ValidationError(CPR_TOO_OLD, code="too_old")
    return number


def cpr_clean_or_error(value: str, *, field: str = "cpr") -> str:
    """:func:`cpr_clean` for services: a refusal is an :class:`ApplicationError` on
    ``field`` (with the validation code in ``extra["code"]``)."""
    try:
        return cpr_clean(value)
    except ValidationError as exc:
        raise ApplicationError(getattr(exc, "message", CPR_INVALID), field=field,
                               extra={"code": getattr(exc, "code", "invalid")}) from None


def cpr_birth_date(cpr: str) -> datetime.date:
    """The birth date in a CPR number, by the century rule of the 7th digit (ValidationError
    if there is no such date)."""
    return _birth_date(_digits(cpr))


def cpr_mask(cpr: str) -> str:
    """``DDMMYY-****``: the birth date part only."""
    number = _digits(cpr)
    return f"{number[:6]}-****"


# --------------------------------------------------------------------------- keys

KEY_ID_INFO = b"caseflow-cpr-key-id"


@lru_cache(maxsize=16)
def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode("utf-8"))


def _secret() -> str:
    secret = settings.CASEFLOW_CPR_KEY
    if not secret:
        raise RuntimeError("CASEFLOW_CPR_KEY is not set")
    return secret


def _secrets() -> list[str]:
    """The current secret first, then the old ones (``CASEFLOW_CPR_OLD_KEYS``), no repeats."""
    found = [_secret()]
    for secret in getattr(settings, "CASEFLOW_CPR_OLD_KEYS", None) or []:
        if secret and secret not in found:
            found.append(secret)
    return found


def key_id(secret: str) -> str:
    """A public fingerprint of ``secret`` (8 hex digits) that names it in tokens."""
    return _derive(secret, KEY_ID_INFO)[:4].hex()


def current_key_id() -> str:
    return key_id(_secret())


def current_token_prefix() -> str:
    """Every token written with the current secret starts with this."""
    return f"{CURRENT_KEY_VERSION}:{current_key_id()}:"


def _fernet(version: str, secret: str | None = None) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret or _secret(), _KEY_INFOS[version])))


# --------------------------------------------------------------------------- encryption and index


def cpr_encrypt(cpr: str) -> str:
    """``v1:<key id>:<Fernet token>`` of the ten digits; a new ciphertext on every call."""
    number = _digits(cpr)
    token = _fernet(CURRENT_KEY_VERSION).encrypt(number.encode("ascii")).decode("ascii")
    return f"{current_token_prefix()}{token}"


def cpr_decrypt(token: str) -> str:
    """The ten digits in ``token``, made with the current or an old secret. A token that
    is malformed, of an unknown key version or not made with a configured secret raises
    ``ValueError`` (a configuration or data error, never shown to users)."""
    version, sep, rest = (token or "").partition(":")
    if not sep or version not in _KEY_INFOS:
        raise ValueError("not a CPR ciphertext of a known key version")
    kid, sep, body = rest.partition(":")
    if sep:
        candidates = [secret for secret in _secrets() if key_id(secret) == kid]
    else:  # written before tokens named their secret
        candidates, body = _secrets(), rest
    for secret in candidates:
        try:
            return _fernet(version, secret).decrypt(body.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            continue
    raise ValueError("the CPR ciphertext cannot be decrypted with CASEFLOW_CPR_KEY or CASEFLOW_CPR_OLD_KEYS")


def cpr_token_is_current(token: str) -> bool:
    """Whether ``token`` was written with the current secret (nothing to rotate)."""
    return (token or "").startswith(current_token_prefix())


def _index_with(secret: str, number: str) -> str:
    return hmac.new(_derive(secret, INDEX_INFO), number.encode("ascii"), hashlib.sha256).hexdigest()


def cpr_index(cpr: str) -> str:
    """The blind index: hex HMAC-SHA256 of the ten digits (64 characters), current secret."""
    return _index_with(_secret(), _digits(cpr))


def cpr_index_candidates(cpr: str) -> list[str]:
    """The blind index of ``cpr`` under the current and every old secret (current first)."""
    number = _digits(cpr)
    return [_index_with(secret, number) for secret in _secrets()]


def cpr_reencrypt(token: str) -> tuple[str, str]:
    """(a new token with the current secret, the current blind index) for a stored token."""
    number = cpr_decrypt(token)
    return cpr_encrypt(number), cpr_index(number)
