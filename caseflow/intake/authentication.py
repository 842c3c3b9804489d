"""Token authentication of partner systems: ``Authorization: Token <token>``.

A token authenticates as its organisation's service user. Every failure (no header, a
malformed or unknown token, a revoked token, an inactive organisation or service user)
is recorded as ``auth.login_failed`` and answered with 401.

Limiting failures without locking partners out
----------------------------------------------
Several partners may reach us from one address (a municipal NAT, a shared proxy), so
nothing another client does may refuse a valid token:

1. The presented token is looked up first: the SHA-256 of the whole token on the unique
   ``token_hash`` index, then compared with :func:`hmac.compare_digest`.
2. A valid token (known, unrevoked, organisation active, service user active with the
   partner intake role) is authenticated whatever the failure counters say. Its own
   rate limit (:class:`~caseflow.intake.throttling.PartnerTokenThrottle`) still applies.
3. Anything else is a failure. Failures are counted per client address and per presented
   token prefix (its first ``PartnerToken.PREFIX_LENGTH`` characters) for
   ``CASEFLOW_API_AUTH_FAILURE_WINDOW`` seconds, in the shared cache. Once either count
   has reached ``CASEFLOW_API_AUTH_FAILURE_LIMIT``, a failing request is answered 429
   (``Retry-After``: the window) instead of 401, and is neither counted nor audited, as
   before: one address writes at most that many audit events per window, and guesses
   spread over many addresses at one partner's (non-secret) prefix are limited too.

Timing, and why a guess is not cheaper than before. Every request with a token pays the
same hash and one indexed lookup before any counter is read, also past the limit, so a
guess costs the guesser a full request and the server the same work as a first failure;
the old short cut (429 from a cache read alone) is gone because it refused valid tokens.
The lookup takes the same time whether or not the guess shares a prefix with a real
token (the old lookup by prefix loaded rows only when the prefix existed, which timing
could tell). The 429 path skips the audit write, so it is a little faster than a 401,
but that difference depends only on the counters, which the client already knows from
the 429, never on the token. What an address past the limit does still learn is
whether a guess is right, since a right token is served: that cannot be avoided if a
valid token is never refused, and it is worthless. Tokens are 32 random bytes (256 bits);
even knowing a partner's prefix (48 bits), 208 bits remain, and at a million guesses a
second (far beyond this server) finding one would take some 10^48 years. The limit is
there to bound audit-trail noise and database work from failing clients and to make
scanning visible, not to make tokens unguessable; entropy does that.

With the cache (Redis) down, nothing is limited and every failure is still audited.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from caseflow.audit.actions import AuditAction
from caseflow.audit.middleware import client_ip
from caseflow.audit.services import audit_record
from permissions.policy import Feature, may_use

from .models import PartnerToken
from .services import token_hash

logger = logging.getLogger(__name__)

KEYWORD = "Token"
#: Tokens are ~43 characters; anything much longer is not one of ours (and is not hashed).
TOKEN_MAX_LENGTH = 200

TOKEN_MISSING = _("Authentication credentials were not provided: send 'Authorization: Token <token>'.")
TOKEN_INVALID = _("Invalid or revoked token.")

FAILURES_KEY = "caseflow:api-auth-failures"


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        header = authentication.get_authorization_header(request)
        if not header:
            self._fail(request, reason="missing", presented=None, message=TOKEN_MISSING)
        try:
            parts = header.decode("latin-1").split()
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            parts = []
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            presented = parts[-1] if parts else None
            self._fail(request, reason="malformed", presented=presented, message=TOKEN_INVALID)
        presented = parts[1]
        if len(presented) > TOKEN_MAX_LENGTH or len(presented) < PartnerToken.PREFIX_LENGTH:
            self._fail(request, reason="malformed", presented=presented, message=TOKEN_INVALID)
        token = self._token_for(presented)
        if token is None:
            self._fail(request, reason="unknown", presented=presented, message=TOKEN_INVALID)
        organisation = token.organisation
        user = organisation.service_user
        if token.revoked_at is not None:
            reason = "revoked"
        elif not organisation.active:
            reason = "organisation_inactive"
        elif not may_use(user, Feature.PARTNER_INTAKE):
            reason = "service_user_not_allowed"
        else:
            # Valid: never refused for failures counted against the address or prefix.
            return (user, token)
        self._fail(request, reason=reason, presented=presented, message=TOKEN_INVALID, target=organisation)
        return None  # pragma: no cover - _fail raises

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403.
        return self.keyword

    @staticmethod
    def _token_for(presented: str) -> PartnerToken | None:
        """The token whose hash is the presented token's: one lookup on the unique index,
        whose time does not depend on how much of a real token the guess shares."""
        digest = token_hash(presented)
        token = (
            PartnerToken.objects.select_related("organisation", "organisation__service_user", "organisation__team")
            .filter(token_hash=digest)
            .first()
        )
        if token is None or not hmac.compare_digest(token.token_hash, digest):
            return None
        return token

    @staticmethod
    def _fail(request, *, reason, presented, message, target=None):
        prefix = presented[: PartnerToken.PREFIX_LENGTH] if presented else None
        keys = _failure_keys(request, prefix)
        if _over_limit(keys):
            raise exceptions.Throttled(wait=settings.CASEFLOW_API_AUTH_FAILURE_WINDOW)
        _failure_count(keys)
        audit_record(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            target=target,
            extra={"channel": "api", "token_prefix": prefix, "reason": reason},
        )
        raise exceptions.AuthenticationFailed(message)


def _failure_keys(request, prefix: str | None) -> list[str]:
    """The counters a failure adds to: its client address, and the prefix it presented
    (hashed: the key holds no client-chosen characters)."""
    keys = [f"{FAILURES_KEY}:{client_ip(request)}"]
    if prefix:
        keys.append(f"{FAILURES_KEY}:prefix:{hashlib.sha256(prefix.encode('utf-8')).hexdigest()[:32]}")
    return keys


def _over_limit(keys: list[str]) -> bool:
    """Whether any of the counters has reached the limit; False when the cache (Redis) is
    down: partners keep submitting during an outage, and every failure is still audited."""
    try:
        counts = cache.get_many(keys)
    except Exception:  # noqa: BLE001 - any cache backend error
        logger.warning("API failure counter unavailable (cache down); not limiting")
        return False
    limit = settings.CASEFLOW_API_AUTH_FAILURE_LIMIT
    return any(count >= limit for count in counts.values())


def _failure_count(keys: list[str]) -> None:
    window = settings.CASEFLOW_API_AUTH_FAILURE_WINDOW
    try:
        for key in keys:
            # add() starts the window on the first failure; incr() keeps its expiry.
            if not cache.add(key, 1, timeout=window):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.add(key, 1, timeout=window)
    except Exception:  # noqa: BLE001 - any cache backend error
        logger.warning("API failure counter unavailable (cache down); failure not counted")
