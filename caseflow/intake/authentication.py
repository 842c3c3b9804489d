"""Token authentication of partner systems: ``Authorization: Token <token>``.

A token authenticates as its organisation's service user. Every failure (no header, a
malformed or unknown token, a revoked token, an inactive organisation or service user)
is recorded as ``auth.login_failed`` and answered with 401.
"""

from __future__ import annotations

import hmac

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from caseflow.accounts.roles import Role
from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record

from .models import PartnerToken
from .services import token_hash

KEYWORD = "Token"
#: Tokens are ~43 characters; anything much longer is not one of ours (and is not hashed).
TOKEN_MAX_LENGTH = 200

TOKEN_MISSING = _("Authentication credentials were not provided: send 'Authorization: Token <token>'.")
TOKEN_INVALID = _("Invalid or revoked token.")


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
