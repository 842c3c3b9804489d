"""Token authentication of partner systems: ``Authorization: Token <token>``.

A token authenticates as its organisation's service user. Every failure (no header, a
malformed or unknown token, a revoked token, an inactive organisation or service user)
is recorded as ``auth.login_failed`` and answered with 401. Failures are counted per
client address (``CASEFLOW_API_AUTH_FAILURE_LIMIT`` within
``CASEFLOW_API_AUTH_FAILURE_WINDOW`` seconds, in the shared cache); past the limit the
address gets 429 without its token being looked at, so tokens cannot be guessed.
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from caseflow.accounts.roles import Role
from caseflow.audit.actions import AuditAction
from caseflow.audit.middleware import client_ip
from caseflow.audit.services import audit_record

from .models import PartnerToken
from .services import token_hash

logger = logging.getLogger(__name__)

KEYWORD = "Token"
#: Tokens are ~43 characters; anything much longer is not one of ours (and is not hashed).
TOKEN_MAX_LENGTH = 200

TOKEN_MISSING = _("Authentication credentials were not provided: send 'Authorization: Token <token>'.")
TOKEN_INVALID = _("Invalid or revoked token.")


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        if _failures(request) >= settings.CASEFLOW_API_AUTH_FAILURE_LIMIT:
            raise exceptions.Throttled(wait=settings.CASEFLOW_API_AUTH_FAILURE_WINDOW)
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
        elif not user.is_active or not user.has_role(Role.PARTNER_INTAKE):
            reason = "service_user_not_allowed"
        else:
            return (user, token)
        self._fail(request, reason=reason, presented=presented, message=TOKEN_INVALID, target=organisation)
        return None  # pragma: no cover - _fail raises

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403.
        return self.keyword

    @staticmethod
    def _token_for(presented: str) -> PartnerToken | None:
        """Look the token up by its non-secret prefix and compare the hashes in constant
        time."""
        digest = token_hash(presented)
        candidates = PartnerToken.objects.select_related(
            "organisation", "organisation__service_user", "organisation__team"
        ).filter(prefix=presented[: PartnerToken.PREFIX_LENGTH])
        found = None
        for candidate in candidates:
            if hmac.compare_digest(candidate.token_hash, digest):
                found = candidate
        return found

    @staticmethod
    def _fail(request, *, reason, presented, message, target=None):
        _failure_count(request)
        audit_record(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            target=target,
            extra={
                "channel": "api",
                "token_prefix": presented[: PartnerToken.PREFIX_LENGTH] if presented else None,
                "reason": reason,
            },
        )
        raise exceptions.AuthenticationFailed(message)


def _failures_key(request) -> str:
    return f"caseflow:api-auth-failures:{client_ip(request)}"


def _failures(request) -> int:
    """Failures counted for the request's address; 0 when the cache (Redis) is down:
    partners keep submitting during an outage, and every failure is still audited."""
    try:
        return cache.get(_failures_key(request), 0)
    except Exception:  # noqa: BLE001 - any cache backend error
        logger.warning("API failure counter unavailable (cache down); not limiting")
        return 0


def _failure_count(request) -> None:
    key = _failures_key(request)
    window = settings.CASEFLOW_API_AUTH_FAILURE_WINDOW
    try:
        # add() starts the window on the first failure; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=window)
    except Exception:  # noqa: BLE001 - any cache backend error
        logger.warning("API failure counter unavailable (cache down); failure not counted")
