"""``OpenTask`` and, on PostgreSQL, the triggers that keep it exact (see the model).

Every trigger is statement-level with transition tables, so the bench seed's bulk
inserts and a single viewflow ``task.save()`` go through the same path:
``workflows_opentask_sync(ids)`` recomputes the rows of the given tasks from
``viewflow_task`` and the process and subject tables, deleting those that are no longer
open human tasks with a permission."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from caseflow.core.postgres_sql import run_on_postgresql

OPEN = "t.flow_task_type = 'HUMAN' AND t.status IN ('NEW', 'ASSIGNED', 'STARTED') AND t.owner_permission IS NOT NULL"

TRIGGERS = f"""
CREATE FUNCTION workflows_opentask_sync(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM workflows_opentask o
     WHERE o.task_id = ANY(ids)
       AND NOT EXISTS (SELECT 1 FROM viewflow_task t WHERE t.id = o.task_id AND {OPEN});
    INSERT INTO workflows_opentask
           (task_id, owner_id, owner_permission, status, created, referral_id, case_id, intervention_id, team_id)
    SELECT t.id, t.owner_id, t.owner_permission, t.status, t.created, rp.referral_id,
           COALESCE(cp.case_id, i.case_id), ip.intervention_id, COALESCE(r.team_id, c.team_id)
      FROM viewflow_task t
      LEFT JOIN workflows_referralprocess rp ON rp.process_ptr_id = t.process_id
      LEFT JOIN referrals_referral r ON r.id = rp.referral_id
      LEFT JOIN workflows_caseprocess cp ON cp.process_ptr_id = t.process_id
      LEFT JOIN workflows_interventionprocess ip ON ip.process_ptr_id = t.process_id
      LEFT JOIN interventions_intervention i ON i.id = ip.intervention_id
      LEFT JOIN cases_case c ON c.id = COALESCE(cp.case_id, i.case_id)
     WHERE t.id = ANY(ids) AND {OPEN}
    ON CONFLICT (task_id) DO UPDATE SET
           owner_id = EXCLUDED.owner_id, owner_permission = EXCLUDED.owner_permission, status = EXCLUDED.status,
           created = EXCLUDED.created, referral_id = EXCLUDED.referral_id, case_id = EXCLUDED.case_id,
           intervention_id = EXCLUDED.intervention_id, team_id = EXCLUDED.team_id;
END $$;

CREATE FUNCTION workflows_opentask_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM workflows_opentask WHERE task_id IN (SELECT id FROM old_rows);
    ELSE
        PERFORM workflows_opentask_sync(ARRAY(SELECT id FROM new_rows));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER workflows_opentask_task_insert AFTER INSERT ON viewflow_task
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_opentask_tasks();
CREATE TRIGGER workflows_opentask_task_update AFTER UPDATE ON viewflow_task
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_opentask_tasks();
CREATE TRIGGER workflows_opentask_task_delete AFTER DELETE ON viewflow_task
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_opentask_tasks();

-- A process gets or changes its subject: its tasks follow.
CREATE FUNCTION workflows_opentask_processes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM workflows_opentask_sync(ARRAY(
        SELECT t.id FROM viewflow_task t WHERE t.process_id IN (SELECT process_ptr_id FROM new_rows)));
    RETURN NULL;
END $$;

-- A case or referral moves to another team, an intervention to another case: the open
-- tasks about it follow.
CREATE FUNCTION workflows_opentask_subjects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'cases_case' THEN
        PERFORM workflows_opentask_sync(ARRAY(
            SELECT o.task_id FROM new_rows n JOIN old_rows p ON p.id = n.id
              JOIN workflows_opentask o ON o.case_id = n.id
             WHERE n.team_id IS DISTINCT FROM p.team_id));
    ELSIF TG_TABLE_NAME = 'referrals_referral' THEN
        PERFORM workflows_opentask_sync(ARRAY(
            SELECT o.task_id FROM new_rows n JOIN old_rows p ON p.id = n.id
              JOIN workflows_opentask o ON o.referral_id = n.id
             WHERE n.team_id IS DISTINCT FROM p.team_id));
    ELSE
        PERFORM workflows_opentask_sync(ARRAY(
            SELECT o.task_id FROM new_rows n JOIN old_rows p ON p.id = n.id
              JOIN workflows_opentask o ON o.intervention_id = n.id
             WHERE n.case_id IS DISTINCT FROM p.case_id));
    END IF;
    RETURN NULL;
END $$;
"""
for table in ("workflows_referralprocess", "workflows_caseprocess", "workflows_interventionprocess"):
    for event in ("INSERT", "UPDATE"):
        TRIGGERS += (f"CREATE TRIGGER {table}_opentask_{event.lower()} AFTER {event} ON {table} REFERENCING NEW TABLE"
                     f" AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_opentask_processes();\n")
SUBJECT_TABLES = ("cases_case", "referrals_referral", "interventions_intervention")
for table in SUBJECT_TABLES:
    TRIGGERS += (f"CREATE TRIGGER {table}_opentask_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows"
                 f" NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_opentask_subjects();\n")
# Tasks that exist already.
TRIGGERS += "SELECT workflows_opentask_sync(ARRAY(SELECT id FROM viewflow_task t WHERE " + OPEN + "));\n"

DROP_TRIGGERS = "".join(
    f"DROP TRIGGER IF EXISTS {table}_opentask_{event} ON {table};\n"
    for table in ("workflows_referralprocess", "workflows_caseprocess", "workflows_interventionprocess")
    for event in ("insert", "update")
) + "".join(f"DROP TRIGGER IF EXISTS {table}_opentask_update ON {table};\n" for table in SUBJECT_TABLES) + """
DROP TRIGGER IF EXISTS workflows_opentask_task_insert ON viewflow_task;
DROP TRIGGER IF EXISTS workflows_opentask_task_update ON viewflow_task;
DROP TRIGGER IF EXISTS workflows_opentask_task_delete ON viewflow_task;
DROP FUNCTION IF EXISTS workflows_opentask_subjects();
DROP FUNCTION IF EXISTS workflows_opentask_processes();
DROP FUNCTION IF EXISTS workflows_opentask_tasks();
DROP FUNCTION IF EXISTS workflows_opentask_sync(bigint[]);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_roles'),
        ('cases', '0008_team_case_count'),
        ('interventions', '0003_sessions_reviews_capacity'),
        ('referrals', '0004_alter_referral_options'),
        ('viewflow', '0015_task_scheduled'),
        ('workflows', '0003_referral_cosign_bbu'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OpenTask',
            fields=[
                ('task', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='+', serialize=False, to='viewflow.task', verbose_name='task')),
                ('owner_permission', models.CharField(max_length=255, verbose_name='permission')),
                ('status', models.CharField(max_length=50, verbose_name='status')),
                ('created', models.DateTimeField(verbose_name='created')),
                ('case', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='cases.case', verbose_name='case')),
                ('intervention', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='interventions.intervention', verbose_name='intervention')),
                ('owner', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('referral', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='referrals.referral', verbose_name='referral')),
                ('team', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.team', verbose_name='team')),
            ],
            options={
                'verbose_name': 'open task',
                'verbose_name_plural': 'open tasks',
                'indexes': [models.Index(fields=['owner', 'owner_permission', 'created', 'task'], include=('status', 'referral', 'case', 'intervention', 'team'), name='wf_opentask_owner'), models.Index(condition=models.Q(('owner__isnull', True)), fields=['team', 'created', 'task'], include=('owner_permission', 'status'), name='wf_opentask_team_queue'), models.Index(condition=models.Q(('owner__isnull', True)), fields=['case'], include=('task', 'created', 'owner_permission', 'status'), name='wf_opentask_case_queue'), models.Index(condition=models.Q(('owner__isnull', True)), fields=['referral'], include=('task', 'created', 'owner_permission', 'status'), name='wf_opentask_referral_queue'), models.Index(condition=models.Q(('owner__isnull', True)), fields=['intervention'], include=('task', 'created', 'owner_permission', 'status'), name='wf_opentask_intervention_queue'), models.Index(fields=['case'], name='wf_opentask_case'), models.Index(fields=['referral'], name='wf_opentask_referral'), models.Index(fields=['intervention'], name='wf_opentask_intervention')],
            },
        ),
        run_on_postgresql(TRIGGERS, DROP_TRIGGERS),
    ]
