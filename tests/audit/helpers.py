"""Helpers for the audit trail's tests."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def triggers_disabled(*tables):
    """The append-only triggers off, inside the test's transaction (rolled back with it).

    This is what a database superuser could do; the chain has to catch what follows."""
    tables = tables or ("audit_auditevent",)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        yield cursor
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def database_url() -> str:
    """A DATABASE_URL for the test database this process uses (for child processes)."""
    db = connection.settings_dict
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}{'@' if auth else ''}{db['HOST']}:{db['PORT']}/{db['NAME']}"
