"""Who is acting, from where: the request (or task) context that ``audit_record`` reads.

The context lives in a :class:`contextvars.ContextVar`, so it follows the request through
threads of the development server, ``asgiref`` sync/async hops and Celery task runs
without being passed around. It is bound by :class:`~caseflow.audit.middleware.AuditContextMiddleware`
for requests, by :class:`~caseflow.audit.tasks.AuditedTask` for Celery tasks, and by the
audit management commands; everywhere else :func:`audit_context_current` answers an empty
context and ``audit_record`` records the system as the actor.
"""

from __future__ import annotations

import contextvars
import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

#: The longest user agent kept (the rest is cut off).
USER_AGENT_MAX_LENGTH = 256


@dataclasses.dataclass
class AuditContext:
    """Request (or task run) metadata attached to every audit event recorded under it."""

    request_id: str = ""
    ip: str = ""
    user_agent: str = ""
    #: Who acts when no user does: ``task:<task name>``, ``command:<name>``.
    system_actor: str = ""
    #: user pk -> comma-joined group names, looked up once per context.
    _roles: dict[int, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def roles_for(self, user) -> str:
        """The user's roles (group names, sorted, comma-joined), read once per context.

        Looked up for the event's actor rather than for ``request.user``: at sign-in the
        request's user is still anonymous while the event's actor is the new session's user.
        """
        if user is None:
            return ""
        if user.pk not in self._roles:
            # The user object caches its roles for the request (``role_names``); other
            # user-like objects are asked directly.
            role_names = getattr(user, "role_names", None)
            names = role_names() if callable(role_names) else user.groups.values_list("name", flat=True)
            self._roles[user.pk] = ",".join(sorted(names))
        return self._roles[user.pk]


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "caseflow_audit_context", default=None
)


def audit_context_current() -> AuditContext:
    """The bound context, or a fresh empty one when nothing is bound (shell, migrations)."""
    return _current.get() or AuditContext()


@contextmanager
def audit_context(**fields) -> Iterator[AuditContext]:
    """Bind a context for the duration of the block.

    Fields not given are inherited from the enclosing context (a command run inside a
    request keeps the request id), the role cache is not. ``request_id="new"`` asks for a
    fresh uuid4.
    """
    outer = _current.get()
    base = dataclasses.replace(outer, _roles={}) if outer is not None else AuditContext()
    if fields.get("request_id") == "new":
        fields["request_id"] = new_request_id()
    context = dataclasses.replace(base, **fields)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def new_request_id() -> str:
    return str(uuid.uuid4())
