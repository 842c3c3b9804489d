"""The dashboard: what a signed-in user has to do today, read through the policy.

Every list comes from a policy-scoped selector (``workflows.selectors`` for tasks,
``caseflow.cases.selectors`` for cases, ``workflows.deadlines`` for a supervisor's
breaches, ``permissions.policy`` for a provider's interventions); each is counted in one
statement and shown in at most :data:`ROWS` rows, so the page reads a fixed number of
queries whatever the amount of work. The page is one ``case.listed`` read event
(purpose ``dashboard``) with the counts and the ids it showed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.cases.models import Case
from caseflow.cases.selectors import case_list_for
from caseflow.core.workdays import add_working_days, working_days_between
from caseflow.interventions.models import Intervention
from permissions.policy import Feature, may_use, visible_interventions
from workflows.deadlines import deadline_breaches_for
from workflows.selectors import task_inbox_for, task_queue_for

PURPOSE_DASHBOARD = "dashboard"
#: Rows per list; the rest is behind the "see all" links.
ROWS = 20


STATE_OK = "ok"
STATE_SOON = "soon"
STATE_BREACHED = "breached"


def soon_working_days() -> int:
    return getattr(settings, "CASEFLOW_DEADLINE_SOON_WORKING_DAYS", 2)


def _end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def soon_cutoff(now=None) -> datetime.datetime:
    """Deadlines up to the end of the working day :func:`soon_working_days` working
    days from today are "due soon"."""
    today = timezone.localtime(now or timezone.now()).date()
    return _end_of_day(add_working_days(today, soon_working_days()))


@dataclass(frozen=True)
class Deadline:
    """A task's deadline as the dashboard shows it: a state (``ok``, ``soon`` or
    ``breached``, used as the colour class), a text label (never colour alone), and the
    working days left (negative when overdue) with its text."""

    due_at: datetime.datetime
    state: str
    label: str
    days_left: int
    days_text: str


def deadline_of(due_at, *, now=None, cutoff=None) -> Deadline | None:
    if due_at is None:
        return None
    now = now or timezone.now()
    cutoff = cutoff or soon_cutoff(now)
    today = timezone.localtime(now).date()
    days = working_days_between(today, timezone.localtime(due_at).date())
    if due_at < now:
        overdue = max(1, -days)
        return Deadline(due_at, STATE_BREACHED, _("Overdue"), -overdue,
                        ngettext("%(days)d working day overdue", "%(days)d working days overdue", overdue)
                        % {"days": overdue})
    days = max(0, days)
    state, label = (STATE_SOON, _("Due soon")) if due_at <= cutoff else (STATE_OK, _("On track"))
    text = (_("Due today") if days == 0 else
            ngettext("%(days)d working day left", "%(days)d working days left", days) % {"days": days})
    return Deadline(due_at, state, label, days, text)


def _with_deadline(tasks):
    """The task's deadline: its armed timer (``due_at``), or, once the timer has fired,
    the recorded breach's due time."""
    return tasks.annotate(deadline_at=Coalesce(F("due_at"), F("deadline_breach__due_at")))


def _task_counts(tasks, *, now, cutoff) -> dict[str, int]:
    return _with_deadline(tasks).order_by().aggregate(
        total=Count("pk"),
        soon=Count("pk", filter=Q(deadline_at__gte=now, deadline_at__lte=cutoff)),
        breached=Count("pk", filter=Q(deadline_at__lt=now)),
    )


def _task_rows(tasks, *, now, cutoff, limit=ROWS, due_by=None) -> list:
    tasks = _with_deadline(tasks)
    if due_by is not None:
        tasks = tasks.filter(deadline_at__lte=due_by)
    rows = list(tasks.order_by(F("deadline_at").asc(nulls_last=True), "created", "pk")[:limit])
    for task in rows:
        task.deadline = deadline_of(task.deadline_at, now=now, cutoff=cutoff)
    return rows


def dashboard_for(*, actor) -> dict:
    """Everything the dashboard shows ``actor``, recorded as one read event."""
    now = timezone.now()
    cutoff = soon_cutoff(now)
    data: dict = {"now": now, "soon_days": soon_working_days(), "rows": ROWS}
    counts: dict[str, int] = {}
    shown: dict[str, list[int]] = {}

    if may_use(actor, Feature.TASK_LISTS):
        inbox, queue = task_inbox_for(actor=actor), task_queue_for(actor=actor)
        mine, claimable = _task_counts(inbox, now=now, cutoff=cutoff), _task_counts(queue, now=now, cutoff=cutoff)
        counts.update(my_tasks=mine["total"], queue=claimable["total"],
                      due_soon=mine["soon"] + claimable["soon"], breached=mine["breached"] + claimable["breached"])
        data["my_tasks"] = _task_rows(inbox, now=now, cutoff=cutoff)
        for task in data["my_tasks"]:
            task.execute_url = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
        data["queue"] = _task_rows(queue, now=now, cutoff=cutoff)
        # Deadlines: the inbox's and the queue's tasks due by the cut-off, soonest first.
        due = (_task_rows(inbox, now=now, cutoff=cutoff, due_by=cutoff)
               + _task_rows(queue, now=now, cutoff=cutoff, due_by=cutoff))
        data["deadlines"] = sorted(due, key=lambda t: (t.deadline_at, t.pk))[:ROWS]
        for task in data["deadlines"]:
            task.in_queue = task.owner_id is None
            if not task.in_queue:
                task.execute_url = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
        shown["task_ids"] = sorted({t.pk for key in ("my_tasks", "queue", "deadlines") for t in data[key]})

    if may_use(actor, Feature.OPEN_CASE):  # a caseworker's or supervisor's own cases
        cases = case_list_for(actor=actor).filter(responsible=actor, status__in=Case.OPEN_STATUSES)
        counts["my_cases"] = cases.count()
        data["my_cases"] = list(cases[:ROWS])
        shown["case_ids"] = [case.pk for case in data["my_cases"]]

    if may_use(actor, Feature.DEADLINE_BREACHES):
        breaches = deadline_breaches_for(actor=actor)
        counts["team_breaches"] = breaches.count()
        data["team_breaches"] = list(breaches[:ROWS])
        for breach in data["team_breaches"]:
            breach.deadline_info = deadline_of(breach.due_at, now=now, cutoff=cutoff)
        shown["breach_ids"] = [breach.pk for breach in data["team_breaches"]]

    if may_use(actor, Feature.PROVIDER_WORK):
        interventions = (visible_interventions(actor).filter(provider=actor)
                         .exclude(status=Intervention.Status.ENDED)
                         .select_related("case__person").order_by("created_at", "pk"))
        counts["interventions"] = interventions.count()
        data["interventions"] = list(interventions[:ROWS])
        shown["intervention_ids"] = [i.pk for i in data["interventions"]]

    data["counts"] = counts
    audit_record(actor=actor, action=AuditAction.CASE_LISTED, purpose=PURPOSE_DASHBOARD,
                 extra={"counts": counts, **shown})
    return data
