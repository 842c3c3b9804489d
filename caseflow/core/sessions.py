"""Database sessions whose save lets an unreachable database surface as such.

Django's database session store turns every ``DatabaseError`` raised while an existing
session is saved into ``UpdateError``, meant for "the session was deleted meanwhile";
``SessionMiddleware`` then answers 400 Bad Request. With ``SESSION_SAVE_EVERY_REQUEST``
each response saves the session, so PostgreSQL restarting between the view's commit and
that save showed a user a bare 400 page. Here the connection errors
(``OperationalError``, ``InterfaceError``) pass through unchanged, and the project's
``handler500`` (:mod:`caseflow.core.unavailable`) answers them with the 503 "try again"
page. A session that really was deleted still raises ``UpdateError``.

Wired in settings: ``SESSION_ENGINE = "caseflow.core.sessions"``.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from caseflow.core.unavailable import is_database_unavailable


class SessionStore(DatabaseSessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except UpdateError as exc:
            if is_database_unavailable(exc.__context__):
                raise exc.__context__ from None
            raise
