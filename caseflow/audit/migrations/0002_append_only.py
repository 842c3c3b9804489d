"""PostgreSQL: the audit tables refuse UPDATE, DELETE and TRUNCATE.

One trigger function guards both tables (row-level for UPDATE/DELETE, statement-level
for TRUNCATE). The single way to delete is ``audit_prune_read_events(sequences, cutoff)``,
a ``SECURITY DEFINER`` function owned by whoever runs this migration (the tables' owner):
it sets the transaction-local ``caseflow.audit_prune`` around its own DELETE, and the
trigger lets a DELETE of an event through only while that is set and only for a read
event (action ending in viewed, listed or searched). The trade-off is documented on
``caseflow.audit.services.audit_prune_reads``.

The application's role needs INSERT and SELECT on the tables and EXECUTE on the function;
it should own neither table, so it cannot disable the triggers either (design.md §3).
Other databases (SQLite in development) get nothing here; the models refuse updates and
deletes through the ORM instead.
"""

from django.db import migrations

# Keep in step with caseflow.audit.actions.READ_VERBS.
READ_ACTION_PATTERN = "(viewed|listed|searched)$"

GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append_only_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_auditevent'
       AND current_setting('caseflow.audit_prune', true) = 'on' THEN
        IF OLD.action ~ '{READ_ACTION_PATTERN}' THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Old read events are removed by manage.py audit_prune.';
END;
$$;
"""

PRUNE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_prune_read_events(p_sequences bigint[], p_cutoff timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    deleted bigint;
BEGIN
    PERFORM set_config('caseflow.audit_prune', 'on', true);
    DELETE FROM audit_auditevent
     WHERE sequence = ANY (p_sequences)
       AND occurred_at < p_cutoff
       AND action ~ '{pattern}';
    GET DIAGNOSTICS deleted = ROW_COUNT;
    PERFORM set_config('caseflow.audit_prune', 'off', true);
    RETURN deleted;
END;
$$;
"""

TABLES = ("audit_auditevent", "audit_auditanchor")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
    schema_editor.execute(GUARD_FUNCTION, params=None)  # no placeholders: the body has % signs
    schema_editor.execute(PRUNE_FUNCTION.format(schema=quote(schema), pattern=READ_ACTION_PATTERN), params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_append_only_guard()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only_guard()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_prune_read_events(bigint[], timestamptz)")
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_append_only_guard()")


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
