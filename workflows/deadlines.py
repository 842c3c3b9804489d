"""Deadline breaches: recorded when a human task's non-interrupting timeout fires,
escalated to the team's supervisors, listed on their dashboard while the task is open."""

from django.db import transaction
from django.db.models import QuerySet
from viewflow.workflow.status import STATUS

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from permissions.policy import Feature, may_use

from .models import DeadlineBreach

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _team_case_referral(subject):
    from caseflow.cases.models import Case
    from caseflow.referrals.models import Referral

    if isinstance(subject, Referral):
        return subject.team_id, None, subject
    case = subject if isinstance(subject, Case) else getattr(subject, "case", None)
    return (case.team_id if case else None), case, None


@transaction.atomic
def deadline_breach_record(*, timer_task) -> DeadlineBreach | None:
    """The deadline of ``timer_task``'s host task passed while the task was open:
    record it once (a second firing changes nothing) and audit it. System action."""
    from .nodes import subject_of

    if timer_task is None:
        return None
    host = timer_task.previous.first()
    if host is None or host.status not in OPEN_TASK_STATUSES:
        return None
    existing = DeadlineBreach.objects.filter(task=host).first()
    if existing is not None:
        return existing
    subject = subject_of(host.process)
    team_id, case, referral = _team_case_referral(subject)
    name = getattr(timer_task.flow_task._delay, "deadline_name", "") or host.flow_task.name
    breach = DeadlineBreach.objects.create(
        task=host, process_id=host.process_id, team_id=team_id, case=case, referral=referral, deadline=name,
        due_at=timer_task.scheduled or timer_task.created,
    )
    audit_record(actor=None, action=AuditAction.DEADLINE_BREACHED, target=breach,
                 case_id=getattr(case, "pk", None),
                 extra={"deadline": name, "task_id": host.pk, "node": host.flow_task.name,
                        "referral_id": getattr(referral, "pk", None), "automatic": True})
    return breach


def deadline_breaches_for(*, actor) -> QuerySet[DeadlineBreach]:
    """Open breaches of the supervisor's team (the task is still not done); nothing
    for anyone else."""
    if not may_use(actor, Feature.DEADLINE_BREACHES):
        return DeadlineBreach.objects.none()
    return (DeadlineBreach.objects.filter(team_id=actor.team_id, task__status__in=OPEN_TASK_STATUSES)
            .select_related("task", "case", "referral", "task__owner").order_by("due_at", "pk"))
