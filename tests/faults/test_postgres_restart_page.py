"""The page a request gets when the database drops away under it (caseflow.core.unavailable):
503 with ``Retry-After`` for an unreachable database, Django's plain 500 for anything
else, and the handler wired as the project's ``handler500`` (so errors raised in the
session and authentication middleware get it too). The restart itself, with real
requests in flight, is tests/faults/test_postgres_restart.py."""

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.urls import get_resolver

from caseflow.core.unavailable import RETRY_AFTER_SECONDS, server_error


def _handled(request, exc):
    try:
        raise exc
    except Exception:  # the handler reads the exception being handled, as Django calls it
        return server_error(request)


@pytest.mark.parametrize("exc", [
    OperationalError("terminating connection due to administrator command"),
    OperationalError("connection refused"),
    InterfaceError("connection already closed"),
])
def test_unreachable_database_answers_503_try_again(rf, exc):
    response = _handled(rf.get("/cases/"), exc)
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "<title>" in html
    assert "Caseflow" in html
    assert "Traceback" not in html
    assert "terminating" not in html  # no driver message reaches the page


def test_other_errors_keep_the_plain_500_page(rf):
    response = _handled(rf.get("/cases/"), IntegrityError("duplicate key"))
    assert response.status_code == 500
    assert "duplicate" not in response.content.decode()


def test_the_handler_is_the_projects_handler500():
    assert get_resolver().resolve_error_handler(500) == server_error
