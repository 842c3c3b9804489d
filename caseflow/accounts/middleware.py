"""Session lifetime and the second factor, for every page of the web UI.

- :class:`SessionTimeoutMiddleware` ends a signed-in session after
  ``CASEFLOW_SESSION_IDLE_MINUTES`` without a request, or ``CASEFLOW_SESSION_MAX_HOURS``
  after signing in, whatever the activity (audit ``auth.session_expired``).
- :class:`OTPRequiredMiddleware` sends a signed-in user whose session is not verified by
  django-otp to the second step (or to enrolment when they have no authenticator yet),
  for every URL except the sign-in, two-factor and sign-out pages, the language switch,
  static files, the health check and the partner API (token authentication, no session).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record

#: Session keys: when this session signed in, and its last request (Unix seconds).
AUTH_AT_KEY = "caseflow_auth_at"
LAST_ACTIVITY_KEY = "caseflow_last_activity"


def _exempt_prefixes() -> tuple[str, ...]:
    return (
        resolve_url(settings.LOGIN_URL),
        reverse("logout"),
        reverse("accounts:otp_verify"),
        reverse("accounts:otp_enrol"),
        "/i18n/",
        reverse("healthz"),
        "/api/",
        settings.STATIC_URL,
    )


def session_start(session) -> None:
    """Stamp a freshly signed-in session (called on ``user_logged_in``)."""
    now = time.time()
    session[AUTH_AT_KEY] = now
    session[LAST_ACTIVITY_KEY] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and request.user.is_authenticated:
            expired = self._check(request)
            if expired is not None:
                return expired
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = time.time()
        idle_limit = settings.CASEFLOW_SESSION_IDLE_MINUTES * 60
        absolute_limit = settings.CASEFLOW_SESSION_MAX_HOURS * 60 * 60
        started = session.get(AUTH_AT_KEY)
        last = session.get(LAST_ACTIVITY_KEY)
        reason = None
        if isinstance(last, int | float) and now - last > idle_limit:
            reason = "idle"
        elif isinstance(started, int | float) and now - started > absolute_limit:
            reason = "absolute"
        if reason is None:
            if not isinstance(started, int | float):
                session[AUTH_AT_KEY] = now
            session[LAST_ACTIVITY_KEY] = now
            return None
        user = request.user
        audit_record(actor=user, action=AuditAction.SESSION_EXPIRED, target=user, extra={"reason": reason})
        session.flush()
        request.user = AnonymousUser()
        if reason == "idle":
            message = _("You were signed out after %(minutes)d minutes without activity. Sign in again.") % {
                "minutes": settings.CASEFLOW_SESSION_IDLE_MINUTES}
        else:
            message = _("You were signed out because your session reached its limit of %(hours)d hours. "
                        "Sign in again.") % {"hours": settings.CASEFLOW_SESSION_MAX_HOURS}
        messages.info(request, message)
        return redirect_to_login(request.get_full_path() if request.method == "GET" else "")


class OTPRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.CASEFLOW_OTP_REQUIRED and self._must_verify(request):
            from .otp import has_confirmed_device

            target = "accounts:otp_verify" if has_confirmed_device(request.user) else "accounts:otp_enrol"
            url = reverse(target)
            if request.method == "GET":
                url = f"{url}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
            return HttpResponseRedirect(url)
        return self.get_response(request)

    @staticmethod
    def _must_verify(request) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if request.path.startswith(_exempt_prefixes()):
            return False
        is_verified = getattr(user, "is_verified", None)
        return not (is_verified is not None and is_verified())
