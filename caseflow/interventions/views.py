from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from caseflow.core.exceptions import ApplicationError
from permissions.mixins import SelectorObjectMixin
from permissions.policy import Action, can

from .models import Intervention
from .selectors import intervention_get_for
from .services import intervention_session_log

RUNNING = (Intervention.Status.ACTIVE, Intervention.Status.REVIEW)


class SessionForm(forms.Form):
    # The page also holds the dropout form, with a "note" of its own: each form has its
    # prefix, so no element id repeats (issue 20 point 5).
    prefix = "session"

    held_on = forms.DateField(label=gettext_lazy("Date"), initial=timezone.localdate,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    duration_minutes = forms.IntegerField(label=gettext_lazy("Duration (minutes)"), min_value=1, max_value=600)
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=200)
    note = forms.CharField(label=gettext_lazy("Short note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class DropoutForm(forms.Form):
    prefix = "dropout"

    note = forms.CharField(label=gettext_lazy("Why do you stop? (short)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


def _can_log(user, intervention) -> bool:
    return intervention.status in RUNNING and can(user, Action.CHANGE, intervention)


def _can_report_dropout(user, intervention) -> bool:
    return (intervention.status == Intervention.Status.ACTIVE and intervention.provider_id == user.pk
            and can(user, Action.CHANGE, intervention))


class InterventionDetailView(SelectorObjectMixin, DetailView):
    """What a provider (mentor, coach) sees: the intervention's goals, status, sessions
    and reviews, never the case's assessment. The case team sees the same. Whoever sees
    only the case's summary (the BBU liaison) sees the intervention's kind, status and
    dates, not its file (goals, sessions, reviews). POST logs a session of a running
    intervention (the provider, or the case team)."""

    template_name = "interventions/intervention_detail.html"
    context_object_name = "intervention"
    selector = intervention_get_for
    selector_arg = "intervention_id"

    def get_context_data(self, session_form=None, dropout_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        intervention = context["intervention"]
        context["may_view_file"] = may_view_file = can(self.request.user, Action.VIEW_FILE, intervention)
        if may_view_file:
            context["sessions"] = intervention.sessions.select_related("logged_by")
            context["reviews"] = intervention.reviews.select_related("reviewed_by")
        if _can_log(self.request.user, intervention):
            context["session_form"] = session_form or SessionForm()
        if dropout_form is not None or _can_report_dropout(self.request.user, intervention):
            context["dropout_form"] = dropout_form or DropoutForm()
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not _can_log(request.user, self.object):
            raise PermissionDenied
        form = SessionForm(request.POST)
        if form.is_valid():
            try:
                intervention_session_log(actor=request.user, intervention=self.object, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The session is logged."))
                return redirect("interventions:detail", self.object.pk)
        return self.render_to_response(self.get_context_data(object=self.object, session_form=form), status=400)


class InterventionDropoutView(SelectorObjectMixin, DetailView):
    """POST only: the provider reports that they stop (scenario 6). The intervention goes
    back to matching and the provider loses access, so they land on their task list."""

    template_name = "interventions/intervention_detail.html"
    context_object_name = "intervention"
    selector = intervention_get_for
    selector_arg = "intervention_id"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        from workflows.intervention_services import intervention_provider_dropout_report

        self.object = self.get_object()
        if self.object.provider_id != request.user.pk:
            raise PermissionDenied
        form = DropoutForm(request.POST)
        if form.is_valid():
            try:
                intervention_provider_dropout_report(actor=request.user, intervention=self.object,
                                                     note=form.cleaned_data["note"])
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("You have stopped as provider. The caseworker finds a new provider."))
                return redirect("workflows:inbox")
        view = InterventionDetailView(request=request, kwargs=self.kwargs, object=self.object)
        context = view.get_context_data(object=self.object, dropout_form=form)
        return self.render_to_response(context, status=400)
