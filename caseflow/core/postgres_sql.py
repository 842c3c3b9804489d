"""Migration steps of raw SQL that only PostgreSQL runs: the triggers that keep derived
columns and tables (``OpenTask``, team counters, grants' case opening time and queue
hint). Other databases (the SQLite demo) go without them and read the slower way."""

from django.db import migrations


def run_on_postgresql(sql: str, reverse_sql: str) -> migrations.RunPython:
    """``sql`` forwards and ``reverse_sql`` backwards, on PostgreSQL only."""

    def runner(statements):
        def run(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(statements)
        return run

    return migrations.RunPython(runner(sql), runner(reverse_sql), elidable=False)
