"""Workflow pages: the task views the ReferralFlow's nodes execute, and our own
policy-scoped inbox, queue and claim (viewflow's own lists are not routed: P3, P6)."""

import abc
import functools

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView
from viewflow.workflow.flow.views import AssignTaskView, DetailTaskView
from viewflow.workflow.flow.viewset import FlowViewset
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral

from . import forms, selectors, services
from .subjects import subject_of

# --------------------------------------------------------------------------- task views


class GuardedTaskView(LoginRequiredMixin, FormView, metaclass=abc.ABCMeta):
    """A human task of any of our flows. viewflow's wrapper has checked ownership and
    started the activation (under the flow lock on POST); the task's own permission is
    asked again here, through the policy, at execution (viewflow-notes P5).
    Subclasses call one service in ``perform``."""

    def dispatch(self, request, *args, **kwargs):
        activation = getattr(request, "activation", None)
        if activation is None:
            raise Http404
        self.process = activation.process
        self.task = activation.task
        self.subject = subject_of(self.process)
        checked = self.task.flow_task._owner_permission_obj
        target = checked(self.process) if callable(checked) else self.subject
        perm = self.task.owner_permission
        if self.subject is None or not perm or not request.user.has_perm(perm, target):
            raise PermissionDenied
        self.on_dispatch()
        return super().dispatch(request, *args, **kwargs)

    def on_dispatch(self):
        """Load what the task works on (after the checks above)."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(subject=self.subject, process=self.process, task=self.task, **kwargs)

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


class ReferralTaskView(GuardedTaskView):
    """A task of the ReferralFlow: ``self.referral`` is the referral."""

    def on_dispatch(self):
        self.referral = self.subject

    def get_context_data(self, **kwargs):
        return super().get_context_data(referral=self.referral, **kwargs)


def _next_url(user, process):
    """The user's next task on the same referral, else the inbox."""
    task = Task.objects.filter(process_id=process.pk, owner=user, status=STATUS.ASSIGNED).first()
    if task is not None:
        return task.flow_task.reverse("execute", args=[process.pk, task.pk])
    return reverse("workflows:inbox")


class AcuteTriageView(ReferralTaskView):
    template_name = "workflows/referral/acute_triage.html"
    form_class = forms.AcuteTriageForm

    def perform(self, data):
        services.referral_triage_record(actor=self.request.user, referral=self.referral,
                                        police_alerted=data["police_alerted"], note=data["note"])


class AssessView(ReferralTaskView):
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


class ReceiveInformationView(ReferralTaskView):
    template_name = "workflows/referral/receive_information.html"
    form_class = forms.InformationForm

    def perform(self, data):
        services.referral_information_record(actor=self.request.user, referral=self.referral,
                                             sufficient=data["sufficient"], note=data["note"])


class ScreenView(ReferralTaskView):
    template_name = "workflows/referral/screen.html"
    form_class = forms.ScreeningForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team_id": self.referral.team_id}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            refusal=services.screening_refusal_of(self.referral),
            needs_cosignature=services.referral_is_minor(self.referral), **kwargs)

    def perform(self, data):
        services.referral_screening_record(
            actor=self.request.user, process=self.process, outcome=data["outcome"],
            justification=data["justification"], members_present=data["members_present"],
            responsible=data.get("responsible"),
        )


class CosignScreeningView(ReferralTaskView):
    """The child-focused consultant co-signs or refuses a minor's screening outcome."""

    template_name = "workflows/referral/cosign_screening.html"
    form_class = forms.CosignForm

    def get_context_data(self, **kwargs):
        process = services.ReferralProcess.objects.select_related(
            "pending_screening__decided_by", "pending_responsible").get(pk=self.process.pk)
        proposal = process.pending_screening
        outcome = dict(Referral.Outcome.choices).get(proposal.outcome, proposal.outcome) if proposal else ""
        return super().get_context_data(proposal=proposal, proposal_outcome=outcome,
                                        proposed_responsible=process.pending_responsible, **kwargs)

    def perform(self, data):
        services.referral_screening_cosign(actor=self.request.user, process=self.process,
                                           approved=data["approved"], justification=data["justification"])


class BbuAcknowledgeView(ReferralTaskView):
    """BBU records the receipt of the report (underretning) and its assessment."""

    template_name = "workflows/referral/bbu_acknowledge.html"
    form_class = forms.BbuAcknowledgeForm

    def get_context_data(self, **kwargs):
        process = services.ReferralProcess.objects.get(pk=self.process.pk)
        return super().get_context_data(due=services.bbu_report_due(process), **kwargs)

    def perform(self, data):
        services.referral_bbu_acknowledge(actor=self.request.user, process=self.process,
                                          assessment=data["assessment"])


class TaskDetailView(DetailTaskView):
    """viewflow's task detail (guarded by ``Flow.has_view_permission``, i.e. the policy),
    in our layout: viewflow's own template needs its frontend site."""

    template_name = "workflows/task_detail.html"

    def get_context_data(self, **kwargs):
        activation = self.request.activation
        return super().get_context_data(task=activation.task, subject=subject_of(activation.process), **kwargs)


class TaskAssignView(AssignTaskView):
    """viewflow's assign confirmation (``can_assign``, i.e. the policy), in our layout."""

    template_name = "workflows/task_assign.html"

    def get_context_data(self, **kwargs):
        activation = self.request.activation
        return super().get_context_data(task=activation.task, subject=subject_of(activation.process), **kwargs)


class FlowTaskViewset(FlowViewset):
    """The task URLs of a flow (execute, assign, ...). viewflow's dashboard,
    process list, process detail, task list and charts show every process to anyone
    with the global view permission (upstream #505): they are not routed."""

    index_path = None
    process_list_path = None
    process_detail_path = None
    process_cancel_path = None
    task_list_path = None
    chart_path = None
    flow_chart_path = None

    def _get_urls(self):
        # viewflow's own pages render only inside viewflow's frontend site (a 500 here,
        # found by tests/security/test_idor.py): the detail page of a start, gateway or
        # timer step is ours; the confirmation pages of unassign/undo/cancel/revive, which
        # nothing links to, are left out (POST only).
        for node in self._flow_class.instance.nodes():
            if getattr(node, "detail_view_class", None) is DetailTaskView:
                node.detail_view_class = TaskDetailView
            for attribute in ("unassign_view_class", "undo_view_class", "cancel_view_class", "revive_view_class"):
                view_class = getattr(node, attribute, None)
                if view_class is not None and "get" in view_class.http_method_names:
                    setattr(node, attribute, _post_only(view_class))
        return _guard_task_urls(super()._get_urls())

    def get_success_url(self, request):
        activation = getattr(request, "activation", None)
        if activation is not None and activation.task.owner_id == request.user.pk \
                and activation.task.status == STATUS.ASSIGNED:
            return activation.flow_task.reverse("execute", args=[activation.process.pk, activation.task.pk])
        return reverse("workflows:inbox")


@functools.cache
def _post_only(view_class):
    return type(f"PostOnly{view_class.__name__}", (view_class,),
                {"http_method_names": ["post"], "__module__": __name__})


def _task_guarded(view):
    """A task URL (``<process_pk>/<node>/<task_pk>/...``) answers 404, recorded as
    ``access.denied``, when the task is not of that process or the user may not see what
    the process is about; only then do viewflow's own checks run. Their 403 would confirm
    that the ids exist (found by tests/security/test_idor.py)."""
    from caseflow.audit.actions import AuditAction
    from caseflow.audit.services import audit_record
    from permissions.policy import can
    from permissions.rules import Action

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        task = Task.objects.filter(pk=kwargs.get("task_pk"), process_id=kwargs.get("process_pk")) \
            .select_related("process").first()
        subject = subject_of(task.process) if task is not None else None
        if subject is None or not can(request.user, Action.VIEW, subject):
            audit_record(actor=request.user, action=AuditAction.ACCESS_DENIED, target_type="viewflow.task",
                         target_id=str(kwargs.get("task_pk")))
            raise Http404
        return view(request, *args, **kwargs)

    return guarded


def _guard_task_urls(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            _guard_task_urls(entry.url_patterns)
        elif isinstance(entry, URLPattern) and {"process_pk", "task_pk"} <= set(entry.pattern.converters):
            entry.callback = _task_guarded(entry.callback)
    return patterns


# --------------------------------------------------------------------------- inbox and queue


class TaskInboxView(LoginRequiredMixin, ListView):
    template_name = "workflows/task_inbox.html"
    context_object_name = "tasks"
    paginate_by = selectors.TASKS_PER_PAGE

    def get_queryset(self):
        return selectors.task_inbox_pages(actor=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        selectors.task_lists_audit(actor=self.request.user, kind="inbox", count=context["paginator"].count)
        context["now"] = timezone.now()
        for task in context["tasks"]:
            task.execute_url = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
        return context


class TaskQueueView(LoginRequiredMixin, ListView):
    template_name = "workflows/task_queue.html"
    context_object_name = "tasks"
    paginate_by = selectors.TASKS_PER_PAGE

    def get_queryset(self):
        return selectors.task_queue_pages(actor=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        selectors.task_lists_audit(actor=self.request.user, kind="queue", count=context["paginator"].count)
        context["now"] = timezone.now()
        return context


class TaskClaimView(LoginRequiredMixin, View):
    """POST: take an unassigned task from the queue. The policy decides (through
    viewflow's ``can_assign``, which routes into it); under the flow lock, so of two
    users claiming at once one wins and the other is told."""

    http_method_names = ["post"]

    def post(self, request, task_pk):
        task = selectors.task_reachable(actor=request.user, task_pk=task_pk)
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
