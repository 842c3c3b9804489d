"""A session saved while the database is unreachable (caseflow.core.sessions): the
connection error reaches ``handler500`` (503 "try again") instead of Django's
``UpdateError``/400; a session deleted meanwhile still raises ``UpdateError``."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError, connection

from caseflow.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dropped_connection_while_saving_is_a_connection_error_not_update_error():
    store = SessionStore()
    store["stamp"] = 1
    store.create()
    store["stamp"] = 2
    connection.ensure_connection()
    connection.connection.close()  # the server side is gone, as after a restart
    try:
        with pytest.raises((OperationalError, InterfaceError)) as raised:
            store.save()
        assert not isinstance(raised.value, UpdateError)
    finally:
        connection.close()
    assert SessionStore(store.session_key).load() == {"stamp": 1}  # nothing half saved


def test_a_session_deleted_meanwhile_still_raises_update_error():
    store = SessionStore()
    store["stamp"] = 1
    store.create()
    SessionStore(store.session_key).delete()
    store["stamp"] = 2
    with pytest.raises(UpdateError):
        store.save()


def test_the_project_uses_this_store(settings, client):
    assert settings.SESSION_ENGINE == "caseflow.core.sessions"
    assert isinstance(client.session, SessionStore)
