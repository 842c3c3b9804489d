"""The CaseFlow's task pages: each parses its form and calls one service."""

from caseflow.cases.models import Case, CaseProposal, Decision
from permissions.policy import Action

from . import case_forms as forms
from . import case_services as services
from .views import GuardedTaskView


class CaseTaskView(GuardedTaskView):
    """A task of the CaseFlow: ``self.case`` is the case, with its latest proposal and
    the decisions on it (refusals are shown on the plan and review pages)."""

    template_name = "workflows/case/task.html"
    intro = ""

    def on_dispatch(self):
        self.case = Case.objects.select_related("person").get(pk=self.subject.pk)
        self.proposal = services.latest_proposal(self.case)

    def get_context_data(self, **kwargs):
        signatures = []
        if self.proposal is not None:
            signatures = [d for d in (self.proposal.co_signature, self.proposal.approval) if d is not None]
        refusals = Decision.objects.filter(
            case=self.case, kind__in=(Decision.Kind.CO_SIGNATURE, Decision.Kind.APPROVAL),
            outcome=services.REFUSED).select_related("decided_by")[:5]
        return super().get_context_data(case=self.case, proposal=self.proposal, signatures=signatures,
                                        refusals=refusals, intro=self.intro, **kwargs)


class ClarifyView(CaseTaskView):
    form_class = forms.ClarificationForm

    def perform(self, data):
        services.case_clarification_record(
            actor=self.request.user, case=self.case, conversation=data["conversation"],
            consent_given_by=data["consent_given_by"], consent_given_by_name=data["consent_given_by_name"],
            consent_given_on=data["consent_given_on"], exception_justification=data["exception_justification"],
        )


class PlanView(CaseTaskView):
    form_class = forms.PlanForm

    def get_initial(self):
        if self.proposal is not None and self.proposal.kind == CaseProposal.Kind.PLAN:
            return {"goals": self.proposal.goals, "interventions": self.proposal.interventions}
        return {}

    def perform(self, data):
        services.case_plan_propose(actor=self.request.user, case=self.case, goals=data["goals"],
                                   interventions=data["interventions"])


class SignView(CaseTaskView):
    form_class = forms.SignForm
    role = None

    def perform(self, data):
        services.case_proposal_sign(actor=self.request.user, proposal=self.proposal, role=self.role,
                                    approve=data["decision"], justification=data["justification"])


class CoSignView(SignView):
    role = Action.CO_SIGN


class ApproveView(SignView):
    role = Action.APPROVE


class ReviewView(CaseTaskView):
    form_class = forms.ReviewForm

    def perform(self, data):
        services.case_review_record(actor=self.request.user, case=self.case, outcome=data["outcome"],
                                    note=data["note"], level=data.get("level"),
                                    closure_reason=data.get("closure_reason") or "")


class FollowUpView(CaseTaskView):
    form_class = forms.NoteForm

    def perform(self, data):
        services.case_follow_up_record(actor=self.request.user, case=self.case, note=data["note"])


class AdultTransitionView(CaseTaskView):
    form_class = forms.NoteForm

    def perform(self, data):
        services.case_adult_transition_record(actor=self.request.user, case=self.case, note=data["note"])
