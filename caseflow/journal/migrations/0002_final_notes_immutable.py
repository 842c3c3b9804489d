"""PostgreSQL: a final journal note is never updated or deleted.

A row-level trigger refuses any UPDATE that changes a final note (any column) and any
DELETE of a final note, with SQLSTATE 23001 (restrict_violation, an IntegrityError in
Django). Drafts stay free: their author edits or deletes them through the services.

The one way past the DELETE guard is the transaction-local setting
``caseflow.journal_retention_delete = 'on'``, reserved for the retention run that deletes
a whole case after its retention period (design.md §4: no soft delete). Other databases
(SQLite in development) get nothing here; the model refuses the change through the ORM.
"""

from django.db import migrations

GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION journal_final_note_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'final' AND NEW IS DISTINCT FROM OLD THEN
            RAISE EXCEPTION 'journal note % is final and cannot be changed', OLD.id
                USING ERRCODE = 'restrict_violation',
                      HINT = 'Correct a final note by writing a new note that references it.';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status = 'final'
       AND current_setting('caseflow.journal_retention_delete', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'journal note % is final and cannot be deleted', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END;
$$;
"""

TABLE = "journal_journalnote"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(GUARD_FUNCTION, params=None)  # no placeholders: the body has % signs
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_final_immutable BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION journal_final_note_guard()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_final_immutable ON {TABLE}")
    schema_editor.execute("DROP FUNCTION IF EXISTS journal_final_note_guard()")


class Migration(migrations.Migration):

    dependencies = [("journal", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
