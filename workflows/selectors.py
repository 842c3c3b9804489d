"""Task lists scoped by the permission policy: my tasks (inbox), tasks I may take
(queue) and a case's open tasks. viewflow's own lists are not used (P3, P6).

Every human task carries a permission (``.Permission(perm, obj=...)``); which tasks a
user reaches is decided by the policy's visibility for that permission's action on the
object it is checked on. On PostgreSQL the lists read ``OpenTask`` (one trigger-kept row
per open human task with its subject and team), elsewhere they join viewflow's tasks to
their process and subject; both give the same tasks (tested).
"""

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from permissions.policy import (
    GRANT_TABLES,
    Action,
    group_ids_of,
    referral_rule_ids,
    supervised_team_id,
    visible_case_ids,
    visible_intervention_ids,
    visible_referral_ids,
)

from .models import CaseProcess, InterventionProcess, OpenTask, ReferralProcess

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
TASKS_PER_PAGE = 50

# What a task's permission is checked on.
REFERRAL, CASE, INTERVENTION = "referral", "case", "intervention"

#: (task permission, what it is checked on, policy action). A case permission on an
#: intervention's task is checked on the intervention's case. A task permission missing
#: here reaches nobody.
TASK_SCOPES = (
    ("referrals.change_referral", REFERRAL, Action.CHANGE),
    ("referrals.claim_referral_task", REFERRAL, Action.CLAIM_TASK),
    ("referrals.cosign_referral", REFERRAL, Action.CO_SIGN),
    ("cases.change_case", CASE, Action.CHANGE),
    ("cases.cosign_case", CASE, Action.CO_SIGN),
    ("cases.approve_case", CASE, Action.APPROVE),
    ("cases.claim_case_task", CASE, Action.CLAIM_TASK),
    ("interventions.claim_intervention_task", INTERVENTION, Action.CLAIM_TASK),
)

_REFERRAL = "process__referralprocess__referral"
_CASE = "process__caseprocess__case"
_INTERVENTION = "process__interventionprocess__intervention"

#: Without ``OpenTask``: the paths from a task to the object of each kind, and the
#: policy's visible ids of that kind.
_JOIN_PATHS = {
    REFERRAL: ((_REFERRAL, visible_referral_ids),),
    CASE: ((_CASE, visible_case_ids), (f"{_INTERVENTION}__case", visible_case_ids)),
    INTERVENTION: ((_INTERVENTION, visible_intervention_ids),),
}

INBOX_STATUSES = (STATUS.ASSIGNED, STATUS.STARTED)  # owned by the actor
QUEUE_STATUSES = (STATUS.NEW,)  # without an owner


def _use_open_tasks() -> bool:
    """``OpenTask`` is kept by PostgreSQL triggers; other databases join viewflow's tables."""
    return connection.vendor == "postgresql"


def _reachable(actor, **conditions) -> Q:
    """Tasks matching ``conditions`` whose permission the policy grants ``actor`` on
    their subject, through viewflow's tables: a UNION of one id subquery per task scope
    and path (an OR of the scopes made PostgreSQL join every path for every task)."""
    branches = [
        Task.objects.filter(owner_permission=perm, **conditions, **{f"{path}__in": visible(actor, action)})
        .order_by().values("pk")
        for perm, kind, action in TASK_SCOPES
        for path, visible in _JOIN_PATHS[kind]
    ]
    first, *rest = branches
    return Q(pk__in=first.union(*rest))


class OpenTaskReach:
    """The open human tasks of one owner (or unassigned ones) with given statuses that
    ``actor`` reaches, in SQL over ``OpenTask`` built from the policy's own parts: its
    grant tables with what each grant kind allows (``GRANT_TABLES``), a supervisor's team
    rule (``supervised_team_id``) and the referral role rules (``referral_rule_ids``).

    One branch per grant table (the task's permission paired with the grant kinds that
    allow its action), one per referral rule, and for a supervisor the team branch: their
    team's tasks whose permission the team rule allows, one range of the ``(team,
    created)`` index. The other branches leave those out, so the count is the team's rows
    plus the UNION of the rest; a page merges the oldest ``stop`` rows of every branch.
    Equal to ``_reachable`` over viewflow's tables (tested). Built as SQL rather than as
    querysets: the ORM took 20-30 ms to build and compile a dozen branches per list.
    """

    _COLUMNS = {REFERRAL: "referral_id", CASE: "case_id", INTERVENTION: "intervention_id"}

    def __init__(self, actor, *, owner, statuses):
        table = OpenTask._meta.db_table
        if owner is None:
            where, params = "o.owner_id IS NULL AND o.status = ANY(%s)", [list(statuses)]
        else:
            where, params = "o.owner_id = %s AND o.status = ANY(%s)", [owner.pk, list(statuses)]
        select = f"SELECT o.task_id, o.created FROM {table} o"  # noqa: S608 (a model's table name)
        self.team: tuple[str, list] | None = None
        self.branches: list[tuple[str, list]] = []
        if not actor.is_active:
            return

        team_id = None
        team_permissions = []
        for perm, kind, action in TASK_SCOPES:
            if kind != REFERRAL and (team := supervised_team_id(actor, action)) is not None:
                team_id = team
                team_permissions.append(perm)
        if team_permissions:
            self.team = (f"{select} WHERE {where} AND o.team_id = %s AND o.owner_permission = ANY(%s)",
                         [*params, team_id, team_permissions])
            where += " AND NOT (o.team_id IS NOT DISTINCT FROM %s AND o.owner_permission = ANY(%s))"
            params = [*params, team_id, team_permissions]

        now, group_ids = timezone.now(), group_ids_of(actor)
        for kind, (user_grants, group_grants, kinds_allow) in GRANT_TABLES.items():
            # A case grant also reaches the tasks of the case's interventions (see
            # ``visible_interventions``): their permission is checked on the intervention.
            scopes = [(perm, action) for perm, scope_kind, action in TASK_SCOPES
                      if scope_kind == kind or (kind == CASE and scope_kind == INTERVENTION)]
            pairs, pair_params, perms = [], [], []
            for perm, action in scopes:
                kinds = [grant_kind for grant_kind, actions in kinds_allow.items() if action in actions]
                if kinds:
                    pairs.append("(o.owner_permission = %s AND g.kind = ANY(%s))")
                    pair_params += [perm, kinds]
                    perms.append(perm)
            if not pairs:
                continue
            # The permissions alone too: a filter on the task rows before any join.
            task_rows, task_params = f"{where} AND o.owner_permission = ANY(%s)", [*params, perms]
            grants = [(user_grants, "g.user_id = %s", actor.pk, True)]
            if group_ids:
                # A group's grants can be many (the consultants' on every minor's case).
                grants.append((group_grants, "g.group_id = ANY(%s)", group_ids, False))
            for model, who, who_param, few in grants:
                grant_rows = f"{model._meta.db_table} g"
                if owner is None and few:
                    # Unassigned tasks are many, a user's own grants few: look each grant's
                    # tasks up by index (the planner preferred a scan of every unassigned
                    # task; OFFSET 0 keeps it from flattening the lateral subquery), and
                    # only the grants whose object has an unassigned task (the trigger-kept
                    # hint: at 1M cases a caseworker's 3,333 case grants, 667 of them hinted).
                    self.branches.append((
                        f"SELECT o.task_id, o.created FROM {grant_rows} CROSS JOIN LATERAL"  # noqa: S608
                        f" (SELECT o.task_id, o.created, o.owner_permission FROM {table} o"
                        f" WHERE o.{self._COLUMNS[kind]} = g.content_object_id AND {task_rows} OFFSET 0) o"
                        f" WHERE {who} AND g.has_unassigned_task AND (g.valid_until IS NULL OR g.valid_until > %s)"
                        f" AND ({' OR '.join(pairs)})",
                        [*task_params, who_param, now, *pair_params]))
                else:
                    self.branches.append((
                        f"{select} JOIN {grant_rows} ON g.content_object_id = o.{self._COLUMNS[kind]}"
                        f" WHERE {task_rows} AND {who} AND (g.valid_until IS NULL OR g.valid_until > %s)"
                        f" AND ({' OR '.join(pairs)})",
                        [*task_params, who_param, now, *pair_params]))

        for actions, referral_ids in referral_rule_ids(actor):
            perms = [perm for perm, kind, action in TASK_SCOPES if kind == REFERRAL and action in actions]
            if perms:
                ids_sql, ids_params = referral_ids.order_by().query.get_compiler(connection=connection).as_sql()
                self.branches.append((f"{select} WHERE {where} AND o.owner_permission = ANY(%s)"
                                      f" AND o.referral_id IN ({ids_sql})", [*params, perms, *ids_params]))

    @staticmethod
    def _union(branches, *, stop=None) -> tuple[str, list]:
        limit = f" ORDER BY o.created, o.task_id LIMIT {int(stop)}" if stop is not None else ""
        sql = " UNION ".join(f"({branch}{limit})" for branch, _params in branches)
        return sql, [param for _branch, params in branches for param in params]

    def _all(self):
        return [self.team, *self.branches] if self.team is not None else self.branches

    def task_ids(self) -> RawSQL | None:
        """All reached task ids, for ``pk__in`` (None: none)."""
        if not self._all():
            return None
        sql, params = self._union(self._all())
        # Built above from table and column names; every value is a bound parameter.
        return RawSQL(f"SELECT task_id FROM ({sql}) AS reached", params)  # noqa: S608, S611

    def count_and_first_page(self, per_page: int) -> tuple[int, list[int]]:
        """The exact count and the ids of the first page, in one statement: the granted
        branches (a caseworker's grant look-ups) run once for both."""
        if not self._all():
            return 0, []
        granted_sql, granted_params = self._union(self.branches) if self.branches else (
            "SELECT NULL::bigint AS task_id, NULL::timestamptz AS created WHERE false", [])
        parts = ["SELECT task_id, created FROM granted"]
        count = "(SELECT count(*) FROM granted)"
        team_params: list = []
        if self.team is not None:
            team_sql, team_params = self.team
            parts.insert(0, f"({team_sql} ORDER BY o.created, o.task_id LIMIT {int(per_page)})")
            count = f"(SELECT count(*) FROM ({team_sql}) AS team) + {count}"  # noqa: S608
        sql = (f"WITH granted AS MATERIALIZED ({granted_sql}) "  # noqa: S608 (built above, bound params)
               f"SELECT {count}, ARRAY(SELECT task_id FROM ({' UNION '.join(parts)}) AS candidates"
               f" ORDER BY created, task_id LIMIT {int(per_page)})")
        with connection.cursor() as cursor:
            cursor.execute(sql, [*granted_params, *team_params, *team_params])
            total, first_page = cursor.fetchone()
        return total, list(first_page)

    def page_ids(self, index: slice) -> RawSQL | None:
        """The ids of the tasks of one page, oldest first: the oldest ``stop`` rows of
        every branch, merged."""
        if not self._all():
            return None
        sql, params = self._union(self._all(), stop=index.stop)
        return RawSQL(f"SELECT task_id FROM ({sql}) AS candidates ORDER BY created, task_id"  # noqa: S608, S611
                      f" LIMIT {int(index.stop - index.start)} OFFSET {int(index.start)}", params)


def _reached(actor, *, owner, statuses) -> Q:
    """The open human tasks of ``owner`` (None: unassigned) in ``statuses`` that ``actor`` reaches."""
    if _use_open_tasks():
        ids = OpenTaskReach(actor, owner=owner, statuses=statuses).task_ids()
        return Q(pk__in=ids) if ids is not None else Q(pk__in=[])
    return _reachable(actor, flow_task_type="HUMAN", owner=owner, status__in=statuses)


def _with_subject(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Each task with the reference and link target of what it is about.

    Correlated subqueries on the task's process, not joins: a list filters and sorts the
    tasks first and looks up the subject of the rows it shows only (joins made PostgreSQL
    join every process to its subject before the page was cut)."""
    referral = ReferralProcess.objects.filter(pk=OuterRef("process_id"))
    case = CaseProcess.objects.filter(pk=OuterRef("process_id"))
    intervention = InterventionProcess.objects.filter(pk=OuterRef("process_id"))

    def first(queryset, field):
        return Subquery(queryset.values(field)[:1])

    return tasks.annotate(
        referral_id=first(referral, "referral_id"),
        referral_reference=first(referral, "referral__reference"),
        case_id=Coalesce(first(case, "case_id"), first(intervention, "intervention__case_id")),
        case_reference=Coalesce(first(case, "case__reference"), first(intervention, "intervention__case__reference")),
        intervention_id=first(intervention, "intervention_id"),
        due_at=_due_at("pk"),
    ).order_by("created", "pk")


def _due_at(task_field: str) -> Subquery:
    """The task's deadline: the pending timer armed on it (a boundary timeout)."""
    return Subquery(Task.objects.filter(previous=OuterRef(task_field), status=STATUS.SCHEDULED,
                                        flow_task_type="TIMER").order_by("scheduled").values("scheduled")[:1])


def _open_tasks_shown(task_ids) -> list[Task]:
    """The tasks of a page with what the list shows (``_with_subject``'s attributes),
    from their ``OpenTask`` rows: one statement joining the subjects of the shown rows."""
    rows = (OpenTask.objects.filter(task_id__in=task_ids).select_related("task", "referral", "case")
            .annotate(due_at=_due_at("task_id")).order_by("created", "task_id"))
    tasks = []
    for row in rows:
        task = row.task
        task.referral_id, task.case_id, task.intervention_id = row.referral_id, row.case_id, row.intervention_id
        task.referral_reference = row.referral.reference if row.referral_id else None
        task.case_reference = row.case.reference if row.case_id else None
        task.due_at = row.due_at
        tasks.append(task)
    return tasks


def task_inbox_for(*, actor) -> QuerySet[Task]:
    """The open tasks assigned to ``actor`` that the policy still lets them do."""
    return _with_subject(Task.objects.filter(_reached(actor, owner=actor, statuses=INBOX_STATUSES)))


def task_queue_for(*, actor) -> QuerySet[Task]:
    """Unassigned human tasks ``actor`` may take."""
    return _with_subject(Task.objects.filter(_reached(actor, owner=None, statuses=QUEUE_STATUSES)))


class TaskPages:
    """A task list as the Paginator sees it: an exact count and pages of tasks (oldest
    first) with what the list shows annotated on the shown rows only. On PostgreSQL the
    count comes with the first page's ids from ``OpenTaskReach`` (one statement), so the
    first page is the count and the page's tasks; elsewhere viewflow's tables are joined."""

    ordered = True  # for the Paginator's unordered-list warning

    def __init__(self, actor, *, owner, statuses, per_page: int = TASKS_PER_PAGE):
        self.per_page = per_page
        self.first_page: list[int] | None = None
        if _use_open_tasks():
            self.reach, self.tasks = OpenTaskReach(actor, owner=owner, statuses=statuses), None
        else:
            self.reach = None
            self.tasks = Task.objects.filter(_reachable(actor, flow_task_type="HUMAN", owner=owner,
                                                        status__in=statuses)).order_by()

    def count(self) -> int:
        if self.reach is None:
            return self.tasks.count()
        total, self.first_page = self.reach.count_and_first_page(self.per_page)
        return total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Task]:
        if index.stop is not None and index.stop <= index.start:
            return []
        if self.reach is None:
            return list(_with_subject(Task.objects.filter(
                pk__in=self.tasks.order_by("created", "pk").values("pk")[index])))
        if index.start == 0 and self.first_page is not None and index.stop <= self.per_page:
            page_ids = self.first_page[: index.stop]
        else:
            page_ids = self.reach.page_ids(index)
        return _open_tasks_shown(page_ids) if page_ids is not None else []


def task_inbox_pages(*, actor) -> TaskPages:
    """``task_inbox_for`` for a paginated list."""
    return TaskPages(actor, owner=actor, statuses=INBOX_STATUSES)


def task_queue_pages(*, actor) -> TaskPages:
    """``task_queue_for`` for a paginated list."""
    return TaskPages(actor, owner=None, statuses=QUEUE_STATUSES)


def task_reachable(*, actor, task_pk) -> Task | None:
    """One human task ``actor`` may take or do, else None (the caller answers 404)."""
    if not str(task_pk).isdigit():
        return None
    return Task.objects.filter(_reachable(actor, pk=task_pk, flow_task_type="HUMAN")).select_related(
        "process").first()


def case_tasks_for(*, actor, case) -> QuerySet[Task]:
    """The open human tasks of a case's processes and its interventions' processes, for
    the case page. The caller has checked that ``actor`` may see the case and records
    the read (the case page's one ``case.viewed`` event covers this section)."""
    return _with_subject(Task.objects.filter(
        Q(process__caseprocess__case=case) | Q(process__interventionprocess__intervention__case=case),
        status__in=OPEN_TASK_STATUSES, flow_task_type="HUMAN",
    ).select_related("owner"))


def task_lists_audit(*, actor, kind: str, count: int) -> None:
    """The inbox and queue show references of referrals and cases: their reading is
    recorded (what list, how many rows), as every read of case data is."""
    audit_record(actor=actor, action=AuditAction.CASE_LISTED, target_type="viewflow.task",
                 purpose=f"task_{kind}", extra={"rows": count})
