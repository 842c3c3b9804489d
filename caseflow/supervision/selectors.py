"""Reads of the supervisor's workspace: approvals waiting, the team's workload per
caseworker, the team's deadline breaches, and the team's open tasks and cases to
reassign. Everything is scoped to the supervisor's own team through the policy's
role rule (a supervisor reaches every case of their team); each page is a fixed number
of queries whatever the size of the team, and one read event."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case, CaseProposal
from permissions.models import BreakGlassAccess, CaseUserGrant, GrantKind
from permissions.policy import Action, Duty, Feature, can, may_use, users_who_may_hold, visible_cases
from workflows.deadlines import deadline_breaches_for
from workflows.models import DeadlineBreach
from workflows.selectors import _with_subject

PURPOSE_SUPERVISION = "supervision"

#: Tasks that can be moved: waiting in the queue or assigned (a STARTED task is being
#: done in a request right now).
REASSIGNABLE_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)

#: The supervisor's approval node of the CaseFlow (level-3 plans, closures, level changes).
APPROVAL_PERMISSION = "cases.approve_case"


def require_supervisor(actor) -> None:
    """The workspace is for supervisors of a team; everyone else is refused (403, as
    the list of breached deadlines does: the page is not about one object)."""
    if not may_use(actor, Feature.SUPERVISION):
        raise PermissionDenied


def _team_q(team_id, prefix="") -> Q:
    return (Q(**{f"{prefix}process__referralprocess__referral__team_id": team_id})
            | Q(**{f"{prefix}process__caseprocess__case__team_id": team_id})
            | Q(**{f"{prefix}process__interventionprocess__intervention__case__team_id": team_id}))


def team_tasks(*, team_id) -> QuerySet[Task]:
    """Open human tasks about the team's referrals, cases and interventions."""
    return Task.objects.filter(_team_q(team_id), flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES)


def team_members(*, team_id) -> QuerySet:
    """Active users of the team, and the team-less roles that do tasks of any team
    (the child-focused consultants and the BBU liaisons): who a task may go to. The
    policy decides per task whether they may do it."""
    teamless = users_who_may_hold(Duty.TEAMLESS_TASK_TAKER).filter(team__isnull=True).values("pk")
    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(team_id=team_id) | Q(pk__in=teamless))
            .order_by("first_name", "last_name", "username"))


def team_caseworkers(*, team_id) -> QuerySet:
    return users_who_may_hold(Duty.RESPONSIBLE_CASEWORKER, team_id).order_by("first_name", "last_name", "username")


# --------------------------------------------------------------------------- the workspace


@dataclass
class Workspace:
    approvals: list
    approvals_count: int
    break_glass_pending: list
    break_glass_count: int
    workload: list
    breaches: list
    breaches_count: int
    limit: int


def _count(queryset, field="pk"):
    """A correlated COUNT subquery (no GROUP BY over the outer query)."""
    return Coalesce(Subquery(queryset.order_by().values(field).annotate(n=Count("*")).values("n")[:1],
                             output_field=IntegerField()), Value(0))


def _approvals(team_id) -> QuerySet[Task]:
    pending = CaseProposal.objects.filter(case_id=OuterRef("process__caseprocess__case_id"),
                                          status=CaseProposal.Status.PENDING).order_by("-proposed_at", "-pk")
    return (_with_subject(team_tasks(team_id=team_id).filter(owner_permission=APPROVAL_PERMISSION,
                                                             status__in=REASSIGNABLE_STATUSES))
            .annotate(proposal_kind=Subquery(pending.values("kind")[:1]),
                      case_level=Subquery(Case.objects.filter(pk=OuterRef("process__caseprocess__case_id"))
                                          .values("level")[:1]))
            .select_related("owner"))


def _workload(team_id) -> list:
    """Per caseworker of the team: open cases responsible and as co-worker, open tasks
    assigned, breached deadlines of open tasks assigned. One statement."""
    now = timezone.now()
    open_cases = Case.objects.filter(status__in=Case.OPEN_STATUSES)
    responsible = open_cases.filter(responsible_id=OuterRef("pk"), team_id=team_id)
    co_worker = CaseUserGrant.objects.filter(
        user_id=OuterRef("pk"), kind=GrantKind.CO_WORKER, content_object__status__in=Case.OPEN_STATUSES,
        content_object__team_id=team_id,
    ).valid_now(now)
    tasks = Task.objects.filter(owner_id=OuterRef("pk"), flow_task_type="HUMAN",
                                status__in=(STATUS.ASSIGNED, STATUS.STARTED))
    breaches = DeadlineBreach.objects.filter(team_id=team_id, task__owner_id=OuterRef("pk"),
                                             task__status__in=OPEN_TASK_STATUSES)
    # Each counter's subquery groups by the correlated column, which is constant inside it.
    return list(team_caseworkers(team_id=team_id).annotate(
        open_cases=_count(responsible, "responsible_id"),
        co_worker_cases=_count(co_worker, "user_id"),
        open_tasks=_count(tasks, "owner_id"),
        breached=_count(breaches, "task__owner_id"),
    ))


def supervision_workspace_for(*, actor, purpose=PURPOSE_SUPERVISION) -> Workspace:
    """The supervisor's workspace for their own team (403 for anyone else). One read
    event (``supervision.viewed``) carrying what was shown."""
    require_supervisor(actor)
    team_id = actor.team_id
    limit = settings.CASEFLOW_SUPERVISION_ROWS
    approvals_qs = _approvals(team_id)
    approvals = list(approvals_qs[:limit])
    approvals_count = len(approvals) if len(approvals) < limit else approvals_qs.count()
    reviews_qs = (BreakGlassAccess.objects.filter(case__team_id=team_id, review=BreakGlassAccess.Review.PENDING)
                  .select_related("case", "user").order_by("opened_at", "pk"))
    break_glass = list(reviews_qs[:limit])
    break_glass_count = len(break_glass) if len(break_glass) < limit else reviews_qs.count()
    breaches_qs = deadline_breaches_for(actor=actor)
    breaches = list(breaches_qs[:limit])
    breaches_count = len(breaches) if len(breaches) < limit else breaches_qs.count()
    workload = _workload(team_id)
    audit_record(actor=actor, action=AuditAction.SUPERVISION_VIEWED, purpose=purpose,
                 target_type="accounts.team", target_id=str(team_id),
                 extra={"approvals": [task.pk for task in approvals],
                        "break_glass": [access.pk for access in break_glass],
                        "breaches": [breach.pk for breach in breaches],
                        "caseworkers": [user.pk for user in workload]})
    return Workspace(approvals=approvals, approvals_count=approvals_count, break_glass_pending=break_glass,
                     break_glass_count=break_glass_count, workload=workload, breaches=breaches,
                     breaches_count=breaches_count, limit=limit)


# --------------------------------------------------------------------------- the team's open tasks


def team_task_list_for(*, actor, owner_id=None, unassigned=False, purpose=PURPOSE_SUPERVISION) -> QuerySet[Task]:
    """The team's open human tasks (to reassign), optionally of one owner or only those
    waiting in the queue. The caller pages it and records the read with
    :func:`team_task_list_audit`."""
    require_supervisor(actor)
    tasks = team_tasks(team_id=actor.team_id).filter(status__in=REASSIGNABLE_STATUSES)
    if unassigned:
        tasks = tasks.filter(owner__isnull=True)
    elif owner_id is not None:
        tasks = tasks.filter(owner_id=owner_id)
    return _with_subject(tasks).select_related("owner")


def team_task_list_audit(*, actor, tasks, purpose=PURPOSE_SUPERVISION) -> None:
    audit_record(actor=actor, action=AuditAction.CASE_LISTED, target_type="viewflow.task",
                 purpose=f"{purpose}_tasks", extra={"ids": [task.pk for task in tasks]})


def team_task_get_for(*, actor, task_id, purpose=PURPOSE_SUPERVISION) -> Task:
    """One open task of the supervisor's team; anything else answers 404 with an
    ``access.denied`` event (existence is not confirmed)."""
    require_supervisor(actor)
    task = None
    if str(task_id).isdigit():
        task = (_with_subject(team_tasks(team_id=actor.team_id).filter(pk=int(task_id)))
                .select_related("owner", "process").first())
    if task is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="viewflow.task",
                     target_id=str(task_id)[:64], purpose=purpose)
        raise Http404
    return task


# --------------------------------------------------------------------------- the team's cases


def team_case_list_for(*, actor, responsible_id=None) -> QuerySet[Case]:
    """The team's open cases (to reassign), optionally of one responsible caseworker."""
    require_supervisor(actor)
    cases = (visible_cases(actor, Action.MANAGE_ACCESS).filter(team_id=actor.team_id,
                                                               status__in=Case.OPEN_STATUSES)
             .select_related("person", "responsible").order_by("reference", "pk"))
    if responsible_id is not None:
        cases = cases.filter(responsible_id=responsible_id)
    return cases


def team_case_list_audit(*, actor, cases, purpose=PURPOSE_SUPERVISION) -> None:
    audit_record(actor=actor, action=AuditAction.CASE_LISTED, purpose=f"{purpose}_cases",
                 extra={"ids": [case.pk for case in cases]})


def case_to_reassign_get_for(*, actor, case_id, purpose=PURPOSE_SUPERVISION) -> Case:
    """A case the actor may reassign (a case of their own team). A case they cannot see
    answers 404 (``access.denied``); one they see but may not manage answers 403."""
    case = None
    if str(case_id).isdigit():
        case = visible_cases(actor).select_related("person", "responsible", "team").filter(pk=int(case_id)).first()
    if case is None:
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target_type="cases.case",
                     target_id=str(case_id)[:64], purpose=purpose)
        raise Http404
    if not can(actor, Action.MANAGE_ACCESS, case):
        audit_record(actor=actor, action=AuditAction.ACCESS_DENIED, target=case, purpose=purpose,
                     extra={"wanted": Action.MANAGE_ACCESS})
        raise PermissionDenied
    audit_record(actor=actor, action=AuditAction.CASE_VIEWED, target=case, purpose=purpose)
    return case
