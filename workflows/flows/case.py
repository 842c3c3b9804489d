"""CaseFlow (design.md §3 item 2, domain.md §2.2–2.5): clarification → plan →
signatures (the consultant co-signs for a minor, the supervisor approves level 3; both
in parallel: Split + Join) → active, interventions started → periodic review (a timer
per the level) → closure proposal → signatures → closed → follow-up after 6 and 12
months → archived. A parallel branch from the start gives the caseworker the
"move to the adult track" task 3 months before a minor's 18th birthday.

Declarative: every step's effect is one service call (``workflows.case_services``) in
its view or Function; the gateways route on the state those services left behind."""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from caseflow.cases.models import Case, CaseProposal
from permissions.policy import Action, can
from workflows import case_services as services
from workflows import case_views as views
from workflows.models import CaseProcess
from workflows.nodes import PolicyFlowMixin, TaskNode, escalating
from workflows.subjects import case_of

CASEWORKER = "cases.change_case"
CONSULTANT = "cases.cosign_case"
SUPERVISOR = "cases.approve_case"


def _case(activation) -> Case:
    # The task views' services saved other instances: route on the stored state.
    return Case.objects.select_related("person").get(pk=activation.process.coerced.case_id)


def responsible(activation):
    """The case's responsible caseworker gets its tasks, while they may change it
    (else the task waits in the team's queue)."""
    case = _case(activation)
    user = case.responsible
    return user if user is not None and can(user, Action.CHANGE, case) else None


def _proposal(activation) -> CaseProposal | None:
    return services.latest_proposal(_case(activation))


def needs_signatures(activation) -> bool:
    proposal = _proposal(activation)
    return proposal is not None and proposal.status == CaseProposal.Status.PENDING


def needs_co_signature(activation) -> bool:
    return _proposal(activation).needs_co_signature


def needs_approval(activation) -> bool:
    return _proposal(activation).needs_approval


def proposal_refused(activation, active_tasks=None) -> bool:
    """Join: a refusal decides the proposal; the other signer's task is cancelled."""
    return _proposal(activation).status == CaseProposal.Status.REFUSED


def _proposal_is(kind, status):
    def check(activation):
        proposal = _proposal(activation)
        return proposal.kind == kind and proposal.status == status
    return check


def review_continued(activation) -> bool:
    return services.last_review_outcome(_case(activation)) == services.REVIEW_CONTINUE


def turns_18_during_case(activation) -> bool:
    case = _case(activation)
    return services._is_minor_today(case)


def review_due(activation):
    return services.review_due(_case(activation))


def follow_up_6m_due(activation):
    return services.follow_up_due(_case(activation), 6)


def follow_up_12m_due(activation):
    return services.follow_up_due(_case(activation), 12)


def adult_transition_due(activation):
    return services.adult_transition_due(_case(activation))


def _caseworker_task(view, title, deadline):
    node = (TaskNode(view).Annotation(title=title).Permission(CASEWORKER, obj=case_of).Assign(responsible))
    return escalating(node, deadline, this.escalate_breach)


class CaseFlow(PolicyFlowMixin, flow.Flow):
    process_class = CaseProcess
    lock_impl = lock.SelectForUpdateLock(nowait=False)
    process_title = _("Case work")

    start = flow.StartHandle(this.start_process).Next(this.split_start)
    split_start = (
        flow.Split()
        .Next(this.clarify)
        .Next(this.wait_adult_transition, case=turns_18_during_case)
    )

    # ----------------------------------------------------------------- clarification and plan
    clarify = _caseworker_task(views.ClarifyView.as_view(), _("Clarification"), "clarification").Next(this.plan)
    plan = _caseworker_task(views.PlanView.as_view(), _("Plan"), "plan").Next(this.check_signatures)

    # ----------------------------------------------------------------- signatures of a proposal
    check_signatures = flow.If(needs_signatures).Then(this.split_signatures).Else(this.apply_proposal)
    split_signatures = (
        flow.Split()
        .Next(this.co_sign, case=needs_co_signature)
        .Next(this.approve, case=needs_approval)
    )
    co_sign = escalating(
        TaskNode(views.CoSignView.as_view())
        .Annotation(title=_("Co-signature by the child-focused consultant"))
        .Permission(CONSULTANT, obj=case_of),
        "co_signature", this.escalate_breach,
    ).Next(this.join_signatures)
    approve = escalating(
        TaskNode(views.ApproveView.as_view())
        .Annotation(title=_("Approval by the supervisor"))
        .Permission(SUPERVISOR, obj=case_of),
        "approval", this.escalate_breach,
    ).Next(this.join_signatures)
    join_signatures = flow.Join(continue_on_condition=proposal_refused).Next(this.apply_proposal)
    apply_proposal = flow.Function(this.apply_current_proposal).Next(this.route_proposal)
    route_proposal = (
        flow.Switch()
        .Case(this.plan, _proposal_is(CaseProposal.Kind.PLAN, CaseProposal.Status.REFUSED))
        .Case(this.review, _proposal_is(CaseProposal.Kind.CLOSURE, CaseProposal.Status.REFUSED))
        .Case(this.wait_follow_up_6m, _proposal_is(CaseProposal.Kind.CLOSURE, CaseProposal.Status.APPROVED))
        .Default(this.wait_review)
    )

    # ----------------------------------------------------------------- periodic review
    wait_review = flow.Timer(review_due).Next(this.begin_review)
    begin_review = flow.Function(this.review_begin).Next(this.review)
    review = _caseworker_task(views.ReviewView.as_view(), _("Progress review"), "review").Next(this.check_review)
    check_review = flow.If(review_continued).Then(this.wait_review).Else(this.check_signatures)

    # ----------------------------------------------------------------- after closure
    wait_follow_up_6m = flow.Timer(follow_up_6m_due).Next(this.begin_follow_up_6m)
    begin_follow_up_6m = flow.Function(this.follow_up_6m_begin).Next(this.follow_up_6m)
    follow_up_6m = _caseworker_task(
        views.FollowUpView.as_view(), _("Follow-up after 6 months"), "follow_up").Next(this.wait_follow_up_12m)
    wait_follow_up_12m = flow.Timer(follow_up_12m_due).Next(this.begin_follow_up_12m)
    begin_follow_up_12m = flow.Function(this.follow_up_12m_begin).Next(this.follow_up_12m)
    follow_up_12m = _caseworker_task(
        views.FollowUpView.as_view(), _("Follow-up after 12 months"), "follow_up").Next(this.archive)
    archive = flow.Function(this.archive_case).Next(this.end_archived)
    # Cancels what is still open (a turning-18 timer, a breach's path): the process ends.
    end_archived = flow.TerminateEnd()

    # ----------------------------------------------------------------- turning 18
    wait_adult_transition = flow.Timer(adult_transition_due).Next(this.plan_adult_transition)
    plan_adult_transition = _caseworker_task(
        views.AdultTransitionView.as_view(), _("Plan the move to the adult track"), "plan",
    ).Next(this.end_adult_transition)
    end_adult_transition = flow.End()

    # ----------------------------------------------------------------- deadlines
    escalate_breach = flow.Function(this.escalate).Next(this.end_escalated)
    end_escalated = flow.End()

    def start_process(self, activation, case):
        activation.process.case = case
        return activation.process

    def apply_current_proposal(self, activation):
        services.case_proposal_apply(proposal=_proposal(activation))

    def review_begin(self, activation):
        services.case_review_begin(case=_case(activation))

    def follow_up_6m_begin(self, activation):
        services.case_follow_up_begin(case=_case(activation), status=Case.Status.FOLLOW_UP_6M)

    def follow_up_12m_begin(self, activation):
        services.case_follow_up_begin(case=_case(activation), status=Case.Status.FOLLOW_UP_12M)

    def archive_case(self, activation):
        services.case_archive(case=_case(activation))
