"""The per-team case counter and, on PostgreSQL, the statement-level triggers that keep
it exact (see ``TeamCaseCount``). Other databases get the table only."""

import django.db.models.deletion
from django.db import migrations, models

from caseflow.core.postgres_sql import run_on_postgresql

TRIGGERS = """
CREATE FUNCTION cases_team_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cases_teamcasecount (team_id, cases)
            SELECT team_id, count(*) FROM new_rows GROUP BY team_id
        ON CONFLICT (team_id) DO UPDATE SET cases = cases_teamcasecount.cases + EXCLUDED.cases;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE cases_teamcasecount AS c SET cases = c.cases - d.n
          FROM (SELECT team_id, count(*) AS n FROM old_rows GROUP BY team_id) AS d
         WHERE c.team_id = d.team_id;
    ELSE
        INSERT INTO cases_teamcasecount (team_id, cases)
            SELECT team_id, sum(n) FROM (
                SELECT team_id, -1 AS n FROM old_rows UNION ALL SELECT team_id, 1 FROM new_rows
            ) AS moved GROUP BY team_id HAVING sum(n) <> 0
        ON CONFLICT (team_id) DO UPDATE SET cases = cases_teamcasecount.cases + EXCLUDED.cases;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER cases_team_count_insert AFTER INSERT ON cases_case
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_team_count_apply();
CREATE TRIGGER cases_team_count_delete AFTER DELETE ON cases_case
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_team_count_apply();
CREATE TRIGGER cases_team_count_update AFTER UPDATE ON cases_case
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION cases_team_count_apply();
INSERT INTO cases_teamcasecount (team_id, cases) SELECT team_id, count(*) FROM cases_case GROUP BY team_id;
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS cases_team_count_insert ON cases_case;
DROP TRIGGER IF EXISTS cases_team_count_delete ON cases_case;
DROP TRIGGER IF EXISTS cases_team_count_update ON cases_case;
DROP FUNCTION IF EXISTS cases_team_count_apply();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_roles'),
        ('cases', '0007_list_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='TeamCaseCount',
            fields=[
                ('team', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='case_count', serialize=False, to='accounts.team', verbose_name='team')),
                ('cases', models.BigIntegerField(default=0, verbose_name='cases')),
            ],
            options={
                'verbose_name': 'team case count',
                'verbose_name_plural': 'team case counts',
            },
        ),
        run_on_postgresql(TRIGGERS, DROP_TRIGGERS),
    ]
