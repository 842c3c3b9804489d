"""Sign-in bookkeeping: stamp a new session (for the idle and absolute limits) and audit
django-axes' lockouts. Failed sign-ins are audited once, by caseflow.audit.receivers."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in

from caseflow.audit.actions import AuditAction
from caseflow.audit.receivers import ATTEMPTED_USERNAME_MAX_LENGTH
from caseflow.audit.services import audit_record


def connect() -> None:
    user_logged_in.connect(on_user_logged_in, dispatch_uid="caseflow.accounts.logged_in")
    user_locked_out.connect(on_user_locked_out, dispatch_uid="caseflow.accounts.locked_out")


def on_user_logged_in(sender, request, user, **kwargs):
    from .middleware import session_start

    session = getattr(request, "session", None)
    if session is not None:
        session_start(session)


def on_user_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """The address comes from the audit context (the request's), as for every event."""
    audit_record(actor=None, action=AuditAction.LOCKED_OUT,
                 extra={"username": str(username or "")[:ATTEMPTED_USERNAME_MAX_LENGTH]})
