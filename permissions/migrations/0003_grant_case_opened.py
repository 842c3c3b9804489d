"""The case's opening time on its grants (``CaseGrantFields.case_opened_at``) and, on
PostgreSQL, the triggers that keep it: a grant takes its case's opening time when it is
written, and a case whose opening time changes passes it to its grants."""

from django.conf import settings
from django.db import migrations, models

from caseflow.core.postgres_sql import run_on_postgresql

GRANT_TABLES = ("permissions_caseusergrant", "permissions_casegroupgrant")

TRIGGERS = """
CREATE FUNCTION permissions_grant_case_opened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.case_opened_at := (SELECT opened_at FROM cases_case WHERE id = NEW.content_object_id);
    RETURN NEW;
END $$;
CREATE FUNCTION permissions_case_opened_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE permissions_caseusergrant g SET case_opened_at = n.opened_at
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE g.content_object_id = n.id AND n.opened_at IS DISTINCT FROM o.opened_at;
    UPDATE permissions_casegroupgrant g SET case_opened_at = n.opened_at
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE g.content_object_id = n.id AND n.opened_at IS DISTINCT FROM o.opened_at;
    RETURN NULL;
END $$;
CREATE TRIGGER permissions_case_opened_moved AFTER UPDATE ON cases_case
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION permissions_case_opened_moved();
""" + "".join(f"""
CREATE TRIGGER {table}_case_opened BEFORE INSERT OR UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION permissions_grant_case_opened();
UPDATE {table} g SET case_opened_at = c.opened_at FROM cases_case c WHERE c.id = g.content_object_id;
""" for table in GRANT_TABLES)

DROP_TRIGGERS = "".join(f"DROP TRIGGER IF EXISTS {table}_case_opened ON {table};\n" for table in GRANT_TABLES) + """
DROP TRIGGER IF EXISTS permissions_case_opened_moved ON cases_case;
DROP FUNCTION IF EXISTS permissions_case_opened_moved();
DROP FUNCTION IF EXISTS permissions_grant_case_opened();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('cases', '0008_team_case_count'),
        ('permissions', '0002_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='casegroupgrant',
            name='case_opened_at',
            field=models.DateTimeField(editable=False, null=True, verbose_name='case opened'),
        ),
        migrations.AddField(
            model_name='caseusergrant',
            name='case_opened_at',
            field=models.DateTimeField(editable=False, null=True, verbose_name='case opened'),
        ),
        run_on_postgresql(TRIGGERS, DROP_TRIGGERS),
        migrations.AddIndex(
            model_name='casegroupgrant',
            index=models.Index(fields=['group', '-case_opened_at', '-content_object'], include=('kind', 'valid_until'), name='perm_casegroup_newest'),
        ),
        migrations.AddIndex(
            model_name='caseusergrant',
            index=models.Index(fields=['user', '-case_opened_at', '-content_object'], include=('kind', 'valid_until'), name='perm_caseuser_newest'),
        ),
    ]
