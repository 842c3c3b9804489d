"""A clean "try again" page (HTTP 503) when the database is unreachable mid-request.

PostgreSQL restarting, failing over or refusing connections surfaces in Django as
``OperationalError`` or ``InterfaceError``, wherever it happens: in a view, in the
session or authentication middleware, or while the session is saved on the way out.
Django turns every uncaught exception into the response of ``handler500``;
:func:`server_error` answers those two with a 503 page and ``Retry-After`` and leaves
everything else to Django's own 500 page. The services' transactions were rolled back
by PostgreSQL, so nothing was half written; the user can simply send the form again.

The page touches neither the database nor the session: no context processors, no
navigation, only the language the request came with. Wired in ``caseflow/urls.py``::

    handler500 = "caseflow.core.unavailable.server_error"

With ``CONN_HEALTH_CHECKS`` (settings, database section) the next request after the
database is back gets a fresh connection instead of the broken persistent one.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5
TEMPLATE = "core/database_unavailable.html"


def is_database_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (also a lock that
    timed out, ``lock_timeout``): a temporary condition, worth a retry."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable_response() -> HttpResponse:
    html = loader.get_template(TEMPLATE).render({"retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, template_name: str = "500.html"):
    """``handler500``: 503 for an unreachable database, Django's 500 page otherwise."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        # The exception type only: driver messages may quote SQL parameters.
        logger.warning("Database unavailable during %s %s (%s)", request.method, request.path,
                       type(exc).__name__)
        return database_unavailable_response()
    return django_server_error(request, template_name)
