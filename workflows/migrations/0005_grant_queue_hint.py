"""On PostgreSQL, the triggers that keep ``has_unassigned_task`` on users' grants (see
``permissions.models.QueueHintFields``): whether the granted case, referral or
intervention has an open task without an owner in ``OpenTask``.

Both sides call ``workflows_queue_hint_refresh``, which recomputes the hint of every
user grant on the given objects. A change of the open tasks and a new grant on the same
object must not miss each other (each recomputing before the other commits), so the
function first takes a transaction lock per object (advisory, in id order); then its
UPDATE, a new statement, sees what the other side committed. A statement touching more
than ``BULK`` objects (the bench seed, a migration) locks the tables instead, as a lock
per object would fill the lock table.
"""

from django.db import migrations

from caseflow.core.postgres_sql import run_on_postgresql

BULK = 100
USER_GRANTS = {  # grant table -> (what OpenTask calls the object, advisory lock class)
    "permissions_caseusergrant": ("case_id", 7301),
    "permissions_referralusergrant": ("referral_id", 7302),
    "permissions_interventionusergrant": ("intervention_id", 7303),
}


def _refresh_parts() -> tuple[str, str]:
    locks, updates = [], []
    for (table, (column, lock_class)), ids in zip(USER_GRANTS.items(), ("case_ids", "referral_ids", "intervention_ids"),
                                                  strict=True):
        locks.append(f"""
        PERFORM pg_advisory_xact_lock({lock_class}, mod(s.id, 2147483647)::integer)
           FROM (SELECT DISTINCT id FROM unnest({ids}) AS id WHERE id IS NOT NULL ORDER BY id) s;""")
        updates.append(f"""
    IF cardinality({ids}) > 0 THEN
        UPDATE {table} g SET has_unassigned_task = q.hint
          FROM (SELECT s.id, EXISTS (SELECT 1 FROM workflows_opentask o
                                      WHERE o.{column} = s.id AND o.owner_id IS NULL) AS hint
                  FROM (SELECT DISTINCT id FROM unnest({ids}) AS id WHERE id IS NOT NULL) s) q
         WHERE g.content_object_id = q.id AND g.has_unassigned_task IS DISTINCT FROM q.hint;
    END IF;""")
    return "".join(locks), "".join(updates)


_LOCKS, _UPDATES = _refresh_parts()
_TABLES = ", ".join(["workflows_opentask", *USER_GRANTS])
# The case, referral and intervention ids of task rows ``x`` into the three arrays.
_OBJECTS = ("SELECT " + ", ".join(f"array_agg(x.{column}) FILTER (WHERE x.{column} IS NOT NULL)"
                                  for column, _lock in USER_GRANTS.values())
            + " INTO case_ids, referral_ids, intervention_ids")

TRIGGERS = f"""
CREATE FUNCTION workflows_queue_hint_refresh(case_ids bigint[], referral_ids bigint[], intervention_ids bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(case_ids), 0) + coalesce(cardinality(referral_ids), 0)
       + coalesce(cardinality(intervention_ids), 0) = 0 THEN
        RETURN;
    END IF;
    IF coalesce(cardinality(case_ids), 0) + coalesce(cardinality(referral_ids), 0)
       + coalesce(cardinality(intervention_ids), 0) > {BULK} THEN
        LOCK TABLE {_TABLES} IN SHARE ROW EXCLUSIVE MODE;
    ELSE{_LOCKS}
    END IF;{_UPDATES}
END $$;

-- Open tasks: the objects of the rows that were, or now are, without an owner.
CREATE FUNCTION workflows_queue_hint_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    case_ids bigint[];
    referral_ids bigint[];
    intervention_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_OBJECTS} FROM new_rows x WHERE x.owner_id IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        {_OBJECTS} FROM old_rows x WHERE x.owner_id IS NULL;
    ELSE
        {_OBJECTS}
          FROM new_rows n JOIN old_rows p ON p.task_id = n.task_id
         CROSS JOIN LATERAL (VALUES (p.case_id, p.referral_id, p.intervention_id, p.owner_id IS NULL),
                                    (n.case_id, n.referral_id, n.intervention_id, n.owner_id IS NULL))
               AS x(case_id, referral_id, intervention_id, owner_id_is_null)
         WHERE x.owner_id_is_null
           AND ((p.owner_id IS NULL) <> (n.owner_id IS NULL) OR p.case_id IS DISTINCT FROM n.case_id
                OR p.referral_id IS DISTINCT FROM n.referral_id
                OR p.intervention_id IS DISTINCT FROM n.intervention_id);
    END IF;
    PERFORM workflows_queue_hint_refresh(case_ids, referral_ids, intervention_ids);
    RETURN NULL;
END $$;
CREATE TRIGGER workflows_opentask_hint_insert AFTER INSERT ON workflows_opentask
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_queue_hint_tasks();
CREATE TRIGGER workflows_opentask_hint_update AFTER UPDATE ON workflows_opentask
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION workflows_queue_hint_tasks();
CREATE TRIGGER workflows_opentask_hint_delete AFTER DELETE ON workflows_opentask
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_queue_hint_tasks();

-- Grants written or rewritten (a save through the ORM writes the hint it read): their
-- objects' hints recomputed. The recomputation's own UPDATE comes back here once and
-- finds nothing to change.
CREATE FUNCTION workflows_queue_hint_grants() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[] := ARRAY(SELECT DISTINCT content_object_id FROM new_rows);
BEGIN
    IF TG_TABLE_NAME = 'permissions_caseusergrant' THEN
        PERFORM workflows_queue_hint_refresh(ids, NULL, NULL);
    ELSIF TG_TABLE_NAME = 'permissions_referralusergrant' THEN
        PERFORM workflows_queue_hint_refresh(NULL, ids, NULL);
    ELSE
        PERFORM workflows_queue_hint_refresh(NULL, NULL, ids);
    END IF;
    RETURN NULL;
END $$;
"""
for _table in USER_GRANTS:
    TRIGGERS += f"""
CREATE TRIGGER {_table}_hint_insert AFTER INSERT ON {_table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_queue_hint_grants();
CREATE TRIGGER {_table}_hint_update AFTER UPDATE ON {_table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workflows_queue_hint_grants();
"""
# The grants that exist already.
TRIGGERS += "LOCK TABLE " + _TABLES + " IN SHARE ROW EXCLUSIVE MODE;\n" + "".join(
    f"UPDATE {table} g SET has_unassigned_task = true WHERE EXISTS (SELECT 1 FROM workflows_opentask o"
    f" WHERE o.{column} = g.content_object_id AND o.owner_id IS NULL);\n"
    for table, (column, _lock) in USER_GRANTS.items())

DROP_TRIGGERS = "".join(
    f"DROP TRIGGER IF EXISTS {table}_hint_{event} ON {table};\n" for table in USER_GRANTS for event in ("insert", "update")
) + "".join(f"DROP TRIGGER IF EXISTS workflows_opentask_hint_{event} ON workflows_opentask;\n"
            for event in ("insert", "update", "delete")) + """
DROP FUNCTION IF EXISTS workflows_queue_hint_grants();
DROP FUNCTION IF EXISTS workflows_queue_hint_tasks();
DROP FUNCTION IF EXISTS workflows_queue_hint_refresh(bigint[], bigint[], bigint[]);
"""


class Migration(migrations.Migration):

    dependencies = [
        ("permissions", "0004_grant_queue_hint"),
        ("workflows", "0004_open_task"),
    ]

    operations = [
        run_on_postgresql(TRIGGERS, DROP_TRIGGERS),
    ]
