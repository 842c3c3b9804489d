"""The InterventionFlow's task pages: each parses its form and calls one service
(``GuardedTaskView`` re-checks the task's permission through the policy)."""

from caseflow.interventions import services as domain
from caseflow.interventions.models import Intervention

from . import intervention_forms as forms
from . import intervention_services as services
from .views import GuardedTaskView


class InterventionTaskView(GuardedTaskView):
    """A task of the InterventionFlow: ``self.intervention`` is the intervention."""

    def on_dispatch(self):
        self.intervention = Intervention.objects.select_related("case", "provider").get(pk=self.subject.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(intervention=self.intervention, **kwargs)

    #: The form is built for this intervention (choices, initial values).
    form_takes_intervention = False

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.form_takes_intervention:
            kwargs["intervention"] = self.intervention
        return kwargs


class CarryOutView(InterventionTaskView):
    template_name = "workflows/intervention/carry_out.html"
    form_class = forms.CarryOutForm

    def perform(self, data):
        domain.intervention_start(actor=self.request.user, intervention=self.intervention,
                                  started_on=data["started_on"])


class ConcludeView(InterventionTaskView):
    template_name = "workflows/intervention/conclude.html"
    form_class = forms.ConcludeForm

    def perform(self, data):
        domain.intervention_end(actor=self.request.user, intervention=self.intervention,
                                reason=data["end_reason"], ended_on=data["ended_on"])


class ConsentView(InterventionTaskView):
    template_name = "workflows/intervention/consent.html"
    form_class = forms.ConsentForm

    def perform(self, data):
        services.intervention_consent_obtain(
            actor=self.request.user, intervention=self.intervention, given_by=data["given_by"],
            given_on=data["given_on"], given_by_name=data["given_by_name"], expires_on=data["expires_on"],
            note=data["note"],
        )


class MatchView(InterventionTaskView):
    template_name = "workflows/intervention/match.html"
    form_class = forms.MatchForm
    form_takes_intervention = True

    def perform(self, data):
        domain.intervention_match(actor=self.request.user, intervention=self.intervention,
                                  provider=data["provider"], partner_roles=data.get("partner_roles"))


class AnswerView(InterventionTaskView):
    template_name = "workflows/intervention/answer.html"
    form_class = forms.AnswerForm
    form_takes_intervention = True

    def perform(self, data):
        if data["answer"] == forms.AnswerForm.ACCEPT:
            domain.intervention_accept(actor=self.request.user, intervention=self.intervention,
                                       goals=data["goals"], started_on=data["started_on"])
        else:
            domain.intervention_decline(actor=self.request.user, intervention=self.intervention,
                                        reason=data["reason"])


class FollowView(InterventionTaskView):
    template_name = "workflows/intervention/follow.html"
    form_class = forms.FollowForm

    def perform(self, data):
        if data["action"] == forms.FollowForm.PROVIDER_STOPPED:
            domain.intervention_provider_drop(actor=self.request.user, intervention=self.intervention,
                                              note=data["note"])
        else:
            domain.intervention_end(actor=self.request.user, intervention=self.intervention,
                                    reason=data["end_reason"])


class ReviewView(InterventionTaskView):
    template_name = "workflows/intervention/review.html"
    form_class = forms.ReviewForm

    def perform(self, data):
        domain.intervention_review_record(
            actor=self.request.user, intervention=self.intervention, goals_status=data["goals_status"],
            outcome=data["outcome"], note=data["note"], end_reason=data["end_reason"],
        )
