"""The supervisor's workspace pages. Each parses input and calls one selector or
service; refusals from a service are shown as form errors, never as a 500."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView

from caseflow.core.exceptions import ApplicationError

from . import forms, selectors, services

PER_PAGE = 50


def _int_param(request, name):
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _query(**params) -> str:
    """The list's filter as a query-string prefix for the pager links."""
    kept = {name: value for name, value in params.items() if value is not None}
    return f"{urlencode(kept)}&" if kept else ""


def _form_error(form, exc: ApplicationError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class WorkspaceView(LoginRequiredMixin, TemplateView):
    """Approvals waiting, the team's workload per caseworker, its deadline breaches."""

    template_name = "supervision/workspace.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        workspace = selectors.supervision_workspace_for(actor=user)
        for task in workspace.approvals:
            task.execute_url = (task.flow_task.reverse("execute", args=[task.process_id, task.pk])
                                if task.owner_id == user.pk else "")
        return super().get_context_data(workspace=workspace, now=timezone.now(), **kwargs)


class TeamTaskListView(LoginRequiredMixin, TemplateView):
    """The team's open tasks (all, one person's, or those waiting in the queue), to move."""

    template_name = "supervision/team_tasks.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        owner_id = _int_param(self.request, "owner")
        unassigned = self.request.GET.get("unassigned") == "1"
        tasks = selectors.team_task_list_for(actor=user, owner_id=owner_id, unassigned=unassigned)
        page = Paginator(tasks, PER_PAGE).get_page(self.request.GET.get("page") or 1)
        selectors.team_task_list_audit(actor=user, tasks=page.object_list)
        owner = next((task.owner for task in page.object_list if task.owner_id == owner_id), None)
        return super().get_context_data(tasks=page.object_list, page_obj=page, owner=owner, owner_id=owner_id,
                                        unassigned=unassigned, now=timezone.now(),
                                        query=_query(owner=owner_id, unassigned=1 if unassigned else None),
                                        **kwargs)


class TeamCaseListView(LoginRequiredMixin, TemplateView):
    """The team's open cases (all, or one caseworker's), to reassign."""

    template_name = "supervision/team_cases.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        responsible_id = _int_param(self.request, "responsible")
        cases = selectors.team_case_list_for(actor=user, responsible_id=responsible_id)
        page = Paginator(cases, PER_PAGE).get_page(self.request.GET.get("page") or 1)
        selectors.team_case_list_audit(actor=user, cases=page.object_list)
        responsible = next((case.responsible for case in page.object_list), None) if responsible_id else None
        return super().get_context_data(cases=page.object_list, page_obj=page, responsible=responsible,
                                        responsible_id=responsible_id, query=_query(responsible=responsible_id),
                                        **kwargs)


class CaseReassignView(LoginRequiredMixin, FormView):
    """A new responsible caseworker for a case of the supervisor's team, with a reason.
    Access and the old caseworker's open tasks move with it."""

    template_name = "supervision/case_reassign.html"
    form_class = forms.CaseReassignForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.case = selectors.case_to_reassign_get_for(actor=request.user, case_id=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team_id": self.case.team_id, "exclude_id": self.case.responsible_id}

    def get_context_data(self, **kwargs):
        return super().get_context_data(case=self.case, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            case, moved = services.case_reassign_with_tasks(actor=self.request.user, case=self.case,
                                                            responsible=data["responsible"], reason=data["reason"])
        except ApplicationError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, ngettext(
            "%(reference)s is now %(name)s's case; %(count)d open task moved along.",
            "%(reference)s is now %(name)s's case; %(count)d open tasks moved along.", len(moved),
        ) % {"reference": case.reference, "count": len(moved),
             "name": data["responsible"].get_full_name() or data["responsible"].get_username()})
        return redirect("supervision:workspace")


class TaskReassignView(LoginRequiredMixin, FormView):
    """Give one open task of the team to someone who may do it, with a reason."""

    template_name = "supervision/task_reassign.html"
    form_class = forms.TaskReassignForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.task = selectors.team_task_get_for(actor=request.user, task_id=kwargs["task_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team_id": self.request.user.team_id}

    def get_context_data(self, **kwargs):
        return super().get_context_data(task=self.task, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.task_reassign(actor=self.request.user, task=self.task, user=data["user"],
                                   reason=data["reason"])
        except ApplicationError as exc:
            _form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The task is now %(name)s's.")
                         % {"name": data["user"].get_full_name() or data["user"].get_username()})
        return redirect("supervision:workspace")
