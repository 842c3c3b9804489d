"""Task lists scoped by the permission policy: my tasks (inbox), tasks I may take
(queue) and a case's open tasks. viewflow's own lists are not used (P3, P6).

Every human task carries a permission (``.Permission(perm, obj=...)``); which tasks a
user reaches is decided by the policy's visibility querysets for that permission's
action, joined through the process to its subject: one statement per list.
"""

from django.db.models import Case as SqlCase
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from permissions.policy import Action, visible_case_ids, visible_intervention_ids, visible_referral_ids

from .models import CaseProcess, InterventionProcess, ReferralProcess

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)

_REFERRAL = "process__referralprocess__referral"
_CASE = "process__caseprocess__case"
_INTERVENTION = "process__interventionprocess__intervention"

#: (task permission, path from the task to the object the permission is checked on,
#: the policy's visible ids for it, policy action). A task permission missing here reaches nobody.
TASK_SCOPES = (
    ("referrals.change_referral", _REFERRAL, visible_referral_ids, Action.CHANGE),
    ("referrals.claim_referral_task", _REFERRAL, visible_referral_ids, Action.CLAIM_TASK),
    ("referrals.cosign_referral", _REFERRAL, visible_referral_ids, Action.CO_SIGN),
    ("cases.change_case", _CASE, visible_case_ids, Action.CHANGE),
    ("cases.cosign_case", _CASE, visible_case_ids, Action.CO_SIGN),
    ("cases.approve_case", _CASE, visible_case_ids, Action.APPROVE),
    ("cases.claim_case_task", _CASE, visible_case_ids, Action.CLAIM_TASK),
    ("cases.change_case", f"{_INTERVENTION}__case", visible_case_ids, Action.CHANGE),
    ("interventions.claim_intervention_task", _INTERVENTION, visible_intervention_ids, Action.CLAIM_TASK),
)


def _reachable(actor, **conditions) -> Q:
    """Tasks matching ``conditions`` whose permission the policy grants ``actor`` on
    their subject: a UNION of one id subquery per task scope, each joining only its own
    subject path (an OR of the scopes made PostgreSQL join every path for every task)."""
    branches = [
        Task.objects.filter(owner_permission=perm, **conditions, **{f"{path}__in": visible(actor, action)})
        .order_by().values("pk")
        for perm, path, visible, action in TASK_SCOPES
    ]
    first, *rest = branches
    return Q(pk__in=first.union(*rest))


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
        # The task's deadline: the pending timer armed on it (a boundary timeout).
        due_at=Subquery(Task.objects.filter(previous=OuterRef("pk"), status=STATUS.SCHEDULED,
                                            flow_task_type="TIMER").order_by("scheduled").values("scheduled")[:1]),
        subject_kind=SqlCase(
            When(Exists(referral), then=Value("referral")),
            When(Exists(case), then=Value("case")),
            default=Value("intervention"), output_field=CharField(),
        ),
    ).order_by("created", "pk")


def task_inbox_for(*, actor) -> QuerySet[Task]:
    """The open tasks assigned to ``actor`` that the policy still lets them do."""
    return _with_subject(Task.objects.filter(
        _reachable(actor, owner=actor, status__in=(STATUS.ASSIGNED, STATUS.STARTED)),
    ))


def task_queue_for(*, actor) -> QuerySet[Task]:
    """Unassigned human tasks ``actor`` may take."""
    return _with_subject(Task.objects.filter(
        _reachable(actor, owner__isnull=True, status=STATUS.NEW, flow_task_type="HUMAN"),
    ))


class TaskPages:
    """A task list as the Paginator sees it: the count over the reachable task ids alone,
    and each page as the ids of its tasks (oldest first) with what the list shows
    annotated on those rows only. ``_with_subject``'s joins over every task made the
    count and the sort of a long list cost the whole task table."""

    ordered = True  # for the Paginator's unordered-list warning

    def __init__(self, reachable: Q):
        self.tasks = Task.objects.filter(reachable).order_by()

    def count(self) -> int:
        return self.tasks.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Task]:
        page_ids = self.tasks.order_by("created", "pk").values("pk")[index]
        return list(_with_subject(Task.objects.filter(pk__in=page_ids)))


def task_inbox_pages(*, actor) -> TaskPages:
    """``task_inbox_for`` for a paginated list."""
    return TaskPages(_reachable(actor, owner=actor, status__in=(STATUS.ASSIGNED, STATUS.STARTED)))


def task_queue_pages(*, actor) -> TaskPages:
    """``task_queue_for`` for a paginated list."""
    return TaskPages(_reachable(actor, owner__isnull=True, status=STATUS.NEW, flow_task_type="HUMAN"))


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
