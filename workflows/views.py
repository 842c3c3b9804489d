"""Workflow pages: the task views the ReferralFlow's nodes execute, and our own
policy-scoped inbox, queue and claim (viewflow's own lists are not routed: P3, P6)."""

import abc

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView
from viewflow.workflow.flow.views import AssignTaskView, DetailTaskView
from viewflow.workflow.flow.viewset import FlowViewset
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.core.exceptions import ApplicationError
from permissions.policy import Action, can, visible_referrals

from . import forms, services
from .models import ReferralProcess

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


# --------------------------------------------------------------------------- task views


class GuardedTaskView(LoginRequiredMixin, FormView, metaclass=abc.ABCMeta):
    """A human task of the ReferralFlow. viewflow's wrapper has checked ownership and
    started the activation (under the flow lock on POST); the policy is asked again
    here, at execution (viewflow-notes P5). Subclasses call one service in ``perform``."""

    def dispatch(self, request, *args, **kwargs):
        activation = getattr(request, "activation", None)
        if activation is None:
            raise Http404
        self.process = activation.process
        self.referral = self.process.referral
        if self.referral is None or not can(request.user, Action.CLAIM_TASK, self.referral):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(referral=self.referral, process=self.process,
                                        task=self.request.activation.task, **kwargs)

    @abc.abstractmethod
    def perform(self, data):
        """Carry out the task with the form's cleaned data: one service call."""

    def form_valid(self, form):
        try:
            self.perform(form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        self.request.activation.execute()
        messages.success(self.request, _("The task is done."))
        return redirect(_next_url(self.request.user, self.process))


def _next_url(user, process):
    """The user's next task on the same referral, else the inbox."""
    task = Task.objects.filter(process_id=process.pk, owner=user, status=STATUS.ASSIGNED).first()
    if task is not None:
        return task.flow_task.reverse("execute", args=[process.pk, task.pk])
    return reverse("workflows:inbox")


class AcuteTriageView(GuardedTaskView):
    template_name = "workflows/referral/acute_triage.html"
    form_class = forms.AcuteTriageForm

    def perform(self, data):
        services.referral_triage_record(actor=self.request.user, referral=self.referral,
                                        police_alerted=data["police_alerted"], note=data["note"])


class AssessView(GuardedTaskView):
    template_name = "workflows/referral/assess.html"
    form_class = forms.AssessmentForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "is_minor": services.referral_is_minor(self.referral)}

    def perform(self, data):
        services.referral_assessment_record(
            actor=self.request.user, process=self.process, outcome=data["outcome"], note=data["note"],
            bbu_contact=data.get("bbu_contact"), report_needed=data.get("report_needed"),
            report_justification=data.get("report_justification", ""),
        )


class ReceiveInformationView(GuardedTaskView):
    template_name = "workflows/referral/receive_information.html"
    form_class = forms.InformationForm

    def perform(self, data):
        services.referral_information_record(actor=self.request.user, referral=self.referral,
                                             sufficient=data["sufficient"], note=data["note"])


class ScreenView(GuardedTaskView):
    template_name = "workflows/referral/screen.html"
    form_class = forms.ScreeningForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team_id": self.referral.team_id}

    def perform(self, data):
        services.referral_screening_conclude(
            actor=self.request.user, referral=self.referral, outcome=data["outcome"],
            justification=data["justification"], members_present=data["members_present"],
            responsible=data.get("responsible"),
        )


class TaskDetailView(DetailTaskView):
    """viewflow's task detail (guarded by ``Flow.has_view_permission``, i.e. the policy),
    in our layout: viewflow's own template needs its frontend site."""

    template_name = "workflows/task_detail.html"

    def get_context_data(self, **kwargs):
        activation = self.request.activation
        return super().get_context_data(task=activation.task, referral=activation.process.referral, **kwargs)


class TaskAssignView(AssignTaskView):
    """viewflow's assign confirmation (``can_assign``, i.e. the policy), in our layout."""

    template_name = "workflows/task_assign.html"

    def get_context_data(self, **kwargs):
        activation = self.request.activation
        return super().get_context_data(task=activation.task, referral=activation.process.referral, **kwargs)


class ReferralFlowViewset(FlowViewset):
    """The task URLs of the ReferralFlow (execute, assign, ...). viewflow's dashboard,
    process list, process detail, task list and charts show every process to anyone
    with the global view permission (upstream #505): they are not routed."""

    index_path = None
    process_list_path = None
    process_detail_path = None
    process_cancel_path = None
    task_list_path = None
    chart_path = None
    flow_chart_path = None

    def get_success_url(self, request):
        activation = getattr(request, "activation", None)
        if activation is not None and activation.task.owner_id == request.user.pk \
                and activation.task.status == STATUS.ASSIGNED:
            return activation.flow_task.reverse("execute", args=[activation.process.pk, activation.task.pk])
        return reverse("workflows:inbox")


# --------------------------------------------------------------------------- inbox and queue


def _claimable_processes(user):
    return ReferralProcess.objects.filter(referral__in=visible_referrals(user, Action.CLAIM_TASK))


def _with_referral(tasks):
    return tasks.annotate(
        referral_id=F("process__referralprocess__referral_id"),
        referral_reference=F("process__referralprocess__referral__reference"),
    ).order_by("created", "pk")


def task_inbox_for(*, actor):
    """The open tasks assigned to ``actor`` on referrals they may still work on."""
    return _with_referral(Task.objects.filter(
        owner=actor, status__in=(STATUS.ASSIGNED, STATUS.STARTED), process__in=_claimable_processes(actor),
    ))


def task_queue_for(*, actor):
    """Unassigned human tasks of referrals ``actor`` may claim (one query)."""
    return _with_referral(Task.objects.filter(
        owner__isnull=True, status=STATUS.NEW, flow_task_type="HUMAN",
        process__in=_claimable_processes(actor),
    ))


class TaskInboxView(LoginRequiredMixin, ListView):
    template_name = "workflows/task_inbox.html"
    context_object_name = "tasks"

    def get_queryset(self):
        return task_inbox_for(actor=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for task in context["tasks"]:
            task.execute_url = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
        return context


class TaskQueueView(LoginRequiredMixin, ListView):
    template_name = "workflows/task_queue.html"
    context_object_name = "tasks"

    def get_queryset(self):
        return task_queue_for(actor=self.request.user)


class TaskClaimView(LoginRequiredMixin, View):
    """POST: take an unassigned task from the queue. The policy decides (through
    viewflow's ``can_assign``, which routes into it); under the flow lock, so of two
    users claiming at once one wins and the other is told."""

    http_method_names = ["post"]

    def post(self, request, task_pk):
        task = Task.objects.filter(pk=task_pk, process__in=_claimable_processes(request.user),
                                   flow_task_type="HUMAN").select_related("process").first()
        if task is None:
            raise Http404
        flow_class = task.process.flow_class
        with flow_class.lock(task.process_id), transaction.atomic():
            task = Task.objects.select_related("process").get(pk=task.pk)
            if task.owner_id is not None or task.status != STATUS.NEW:
                messages.error(request, _("Someone else has already taken this task."))
                return redirect("workflows:queue")
            if not task.flow_task.can_assign(request.user, task):
                raise PermissionDenied
            task.flow_task.activation_class(task).assign(request.user)
        messages.success(request, _("The task is yours."))
        return redirect(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))
