"""Attach the request's audit context: request id, client IP and user agent."""

from __future__ import annotations

import ipaddress

from django.conf import settings

from .context import USER_AGENT_MAX_LENGTH, audit_context, new_request_id

REQUEST_ID_HEADER = "X-Request-ID"


def client_ip(request) -> str:
    """The client's address.

    ``REMOTE_ADDR`` is the peer that connected to us. Only when the deployment says a
    TLS-terminating proxy sits in front (``SECURE_PROXY_SSL_HEADER`` is set, from
    ``CASEFLOW_BEHIND_TLS_PROXY``) is ``X-Forwarded-For`` believed, and then only its last
    entry: the address our proxy appended. Earlier entries come from the client and can be
    forged. Anything that does not parse as an IP address is dropped.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            candidate = last
    try:
        return str(ipaddress.ip_address(candidate.strip()))
    except ValueError:
        return ""


class AuditContextMiddleware:
    """Binds an :class:`~caseflow.audit.context.AuditContext` for each request.

    Sits right after ``AuthenticationMiddleware``. The request id is a fresh uuid4, kept as
    ``request.audit_request_id`` and returned in the ``X-Request-ID`` response header, so a
    user's report ("it failed at 10:31") can be matched with the audit trail and the logs.
    The actor's roles are read by ``audit_record`` from the event's actor, once per request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = new_request_id()
        request.audit_request_id = request_id
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH]
        with audit_context(
            request_id=request_id, ip=client_ip(request), user_agent=user_agent, system_actor=""
        ):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
