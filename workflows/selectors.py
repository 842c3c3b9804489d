"""Task lists scoped by the permission policy: my tasks (inbox), tasks I may take
(queue) and a case's open tasks. viewflow's own lists are not used (P3, P6).

Every human task carries a permission (``.Permission(perm, obj=...)``); which tasks a
user reaches is decided by the policy's visibility querysets for that permission's
action, joined through the process to its subject: one statement per list.
"""

from django.db.models import Case as SqlCase
from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from permissions.policy import Action, visible_cases, visible_interventions, visible_referrals

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)

_REFERRAL = "process__referralprocess__referral"
_CASE = "process__caseprocess__case"
_INTERVENTION = "process__interventionprocess__intervention"

#: (task permission, path from the task to the object the permission is checked on,
#: visibility queryset, policy action). A task permission missing here reaches nobody.
TASK_SCOPES = (
    ("referrals.change_referral", _REFERRAL, visible_referrals, Action.CHANGE),
    ("referrals.claim_referral_task", _REFERRAL, visible_referrals, Action.CLAIM_TASK),
    ("referrals.cosign_referral", _REFERRAL, visible_referrals, Action.CO_SIGN),
    ("cases.change_case", _CASE, visible_cases, Action.CHANGE),
    ("cases.cosign_case", _CASE, visible_cases, Action.CO_SIGN),
    ("cases.approve_case", _CASE, visible_cases, Action.APPROVE),
    ("cases.claim_case_task", _CASE, visible_cases, Action.CLAIM_TASK),
    ("cases.change_case", f"{_INTERVENTION}__case", visible_cases, Action.CHANGE),
    ("interventions.claim_intervention_task", _INTERVENTION, visible_interventions, Action.CLAIM_TASK),
)


def _reachable(actor) -> Q:
    reachable = Q(pk__in=[])
    for perm, path, visible, action in TASK_SCOPES:
        reachable |= Q(owner_permission=perm, **{f"{path}__in": visible(actor, action)})
    return reachable


def _with_subject(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Each task with the reference and link target of what it is about."""
    return tasks.annotate(
        referral_id=F("process__referralprocess__referral_id"),
        referral_reference=F("process__referralprocess__referral__reference"),
        case_id=Coalesce(F("process__caseprocess__case_id"), F("process__interventionprocess__intervention__case_id")),
        case_reference=Coalesce(F("process__caseprocess__case__reference"),
                                F("process__interventionprocess__intervention__case__reference")),
        intervention_id=F("process__interventionprocess__intervention_id"),
        # The task's deadline: the pending timer armed on it (a boundary timeout).
        due_at=Subquery(Task.objects.filter(previous=OuterRef("pk"), status=STATUS.SCHEDULED,
                                            flow_task_type="TIMER").order_by("scheduled").values("scheduled")[:1]),
        subject_kind=SqlCase(
            When(process__referralprocess__isnull=False, then=Value("referral")),
            When(process__caseprocess__isnull=False, then=Value("case")),
            default=Value("intervention"), output_field=CharField(),
        ),
    ).order_by("created", "pk")


def task_inbox_for(*, actor) -> QuerySet[Task]:
    """The open tasks assigned to ``actor`` that the policy still lets them do."""
    return _with_subject(Task.objects.filter(
        _reachable(actor), owner=actor, status__in=(STATUS.ASSIGNED, STATUS.STARTED),
    ))


def task_queue_for(*, actor) -> QuerySet[Task]:
    """Unassigned human tasks ``actor`` may take."""
    return _with_subject(Task.objects.filter(
        _reachable(actor), owner__isnull=True, status=STATUS.NEW, flow_task_type="HUMAN",
    ))


def task_reachable(*, actor, task_pk) -> Task | None:
    """One human task ``actor`` may take or do, else None (the caller answers 404)."""
    return Task.objects.filter(_reachable(actor), pk=task_pk, flow_task_type="HUMAN").select_related(
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
