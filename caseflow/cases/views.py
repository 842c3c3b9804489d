from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView, TemplateView

from permissions.mixins import SelectorObjectMixin
from permissions.policy import case_actions
from permissions.rules import Action

from .selectors import case_get_for, case_history_for, case_page_for


class CaseListView(LoginRequiredMixin, TemplateView):
    template_name = "cases/case_list.html"

    def get_context_data(self, **kwargs):
        page = case_page_for(actor=self.request.user, page_number=self.request.GET.get("page") or 1)
        return super().get_context_data(
            cases=page.object_list, page_obj=page, paginator=page.paginator, is_paginated=page.has_other_pages(),
            **kwargs,
        )


#: Sections of the case page contributed by other apps: ``fn(*, actor, case, actions)``
#: returns None (nothing to show this viewer) or a dict with ``template`` and its
#: context. Each reads a fixed number of queries and only what ``actions`` allow.
CASE_PAGE_SECTIONS = (
    "caseflow.journal.sections.case_section",
    "caseflow.documents.sections.case_section",
    "caseflow.cases.sections.consents_section",
)


def _case_sections(user, case, actions) -> list[dict]:
    from django.utils.module_loading import import_string

    sections = (import_string(path)(actor=user, case=case, actions=actions) for path in CASE_PAGE_SECTIONS)
    return [section for section in sections if section]


class CaseDetailView(SelectorObjectMixin, DetailView):
    """The caseworker's case page: the header, the timeline, the open tasks with the
    process chart, the interventions, the referrals and the sections other apps
    contribute, each only as far as the viewer's policy actions allow. A fixed number
    of queries whatever the amount of data; the read is one ``case.viewed`` event."""

    template_name = "cases/case_detail.html"
    context_object_name = "case"
    selector = case_get_for
    selector_arg = "case_id"

    def get_context_data(self, **kwargs):
        from .timeline import KIND_CHOICES, case_timeline_for, timeline_kinds_parse

        user, case = self.request.user, self.object
        actions = case_actions(user, case)
        may_view_file = Action.VIEW_FILE in actions
        tasks, chart = _case_workflow(user, case)
        if not may_view_file:
            # Without the case file only the viewer's own tasks and those they may take.
            tasks, chart = [task for task in tasks if task.execute_url or task.claimable], ""
        timeline = case_timeline_for(actor=user, case=case, actions=actions,
                                     kinds=timeline_kinds_parse(self.request.GET.getlist("kinds")))
        return super().get_context_data(
            case_sections=_case_sections(user, case, actions),
            consultants=_case_consultants(case),
            timeline=timeline,
            timeline_kind_choices=[(kind, label) for kind, label in KIND_CHOICES
                                   if kind in timeline.available_kinds],
            interventions=_case_interventions(case) if may_view_file else [],
            workflow_tasks=tasks,
            workflow_chart=chart,
            may_view_file=may_view_file,
            may_view_history=Action.VIEW_HISTORY in actions,
            may_reassign=Action.MANAGE_ACCESS in actions,
            may_view_referrer=Action.VIEW_REFERRER in actions,
            may_change=Action.CHANGE in actions,
            may_view_restricted=Action.VIEW_RESTRICTED in actions,
            **kwargs,
        )


def _case_consultants(case) -> dict:
    """The child-focused consultants who reach the case: named users (personal grants)
    and whether the consultants' group reaches it. Two queries."""
    from permissions.models import CaseGroupGrant, CaseUserGrant, GrantKind

    users, seen = [], set()
    for row in (CaseUserGrant.objects.valid_now().filter(content_object_id=case.pk, kind=GrantKind.CONSULTANT)
                .select_related("user").order_by("user__last_name", "user__first_name", "user_id")):
        if row.user_id not in seen:
            seen.add(row.user_id)
            users.append(row.user)
    group = CaseGroupGrant.objects.valid_now().filter(content_object_id=case.pk, kind=GrantKind.CONSULTANT).exists()
    return {"users": users, "group": group}


def _case_interventions(case) -> list:
    """The case's interventions (prefetched by the case selector) with their sessions
    and progress reviews: two queries, whatever their number."""
    from django.db.models import Prefetch, prefetch_related_objects

    from caseflow.interventions.models import InterventionReview, InterventionSession

    interventions = list(case.interventions.all())
    prefetch_related_objects(
        interventions,
        Prefetch("sessions", queryset=InterventionSession.objects.order_by("-held_on", "-pk")),
        Prefetch("reviews", queryset=InterventionReview.objects.select_related("reviewed_by")
                 .order_by("-reviewed_at", "-pk")),
    )
    return interventions


def _case_workflow(user, case):
    """The case's open tasks (a link to do one the viewer owns, a claim button for one
    in their queue) and the CaseFlow chart of its latest run, current steps marked. A
    fixed number of queries, whatever the number of tasks."""
    from django.utils.safestring import mark_safe
    from viewflow.workflow import chart

    from workflows.flows.case import CaseFlow
    from workflows.models import CaseProcess
    from workflows.selectors import case_tasks_for, task_queue_for

    tasks = list(case_tasks_for(actor=user, case=case))
    claimable = set(task_queue_for(actor=user).filter(pk__in=[task.pk for task in tasks]).values_list(
        "pk", flat=True)) if tasks else set()
    for task in tasks:
        task.execute_url = (task.flow_task.reverse("execute", args=[task.process_id, task.pk])
                            if task.owner_id == user.pk else "")
        task.claimable = task.pk in claimable
    process = CaseProcess.objects.filter(case=case).order_by("-pk").only("pk").first()
    if process is None:
        return tasks, ""
    grid = chart.calc_layout_data(CaseFlow)
    chart.calc_cell_status(CaseFlow, grid, process.pk)
    return tasks, mark_safe(chart.grid_to_svg(grid))  # noqa: S308 - viewflow's own SVG template, no user input


class CaseHistoryView(LoginRequiredMixin, TemplateView):
    """The supervisor's audit of a case: decisions and every event, newest first."""

    template_name = "cases/case_history.html"

    def get_context_data(self, **kwargs):
        case, decisions, page = case_history_for(
            actor=self.request.user, case_id=self.kwargs["pk"], page_number=self.request.GET.get("page") or 1
        )
        return super().get_context_data(case=case, decisions=decisions, events=page.object_list, page_obj=page,
                                        **kwargs)
