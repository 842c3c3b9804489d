"""InterventionFlow (design.md §3 item 3, domain.md §2.6): proposed → consent →
matching (a provider with the right role, capacity and no conflict of interest) →
the provider accepts (or declines: back to matching) → running, with a progress review
every CASEFLOW_REVIEW_MONTHS[level] months → ended. A provider dropping out sends it back
to matching (REMATCHING); CASEFLOW_UNSTAFFED_ALERT_DAYS days without a provider raise an
alert. Kinds without a provider (concern conversation, advice, referrals elsewhere) get
two simple caseworker tasks: carry out, conclude.

Declarative: every step's effect is one service call in its view (or in the flow
method of an automatic step)."""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from caseflow.interventions.models import Intervention
from caseflow.interventions.services import intervention_review_open, intervention_unstaffed_alert
from permissions.policy import Action, can
from workflows import intervention_services as services
from workflows import intervention_views as views
from workflows.models import InterventionProcess
from workflows.nodes import PolicyFlowMixin, TaskNode, escalating
from workflows.subjects import case_of

#: The caseworkers' tasks (whoever may change the intervention's case).
CASEWORKER_PERMISSION = "cases.change_case"
#: The provider's task: the mentor's or coach's own intervention (provider grant).
PROVIDER_PERMISSION = "interventions.claim_intervention_task"


def intervention_of(process):
    """The ``.Permission(obj=...)`` callable gets a base Process on the claim path (P1)."""
    return process.coerced.intervention


def _current(activation) -> Intervention:
    # The task view's services saved other instances: route on the stored state.
    return Intervention.objects.select_related("case", "provider").get(
        pk=activation.process.coerced.intervention_id)


def responsible(activation):
    """The case's responsible caseworker gets the caseworker tasks, if they may."""
    case = _current(activation).case
    user = case.responsible
    return user if user is not None and can(user, Action.CHANGE, case) else None


def provider(activation):
    """The matched provider answers the offer."""
    intervention = _current(activation)
    user = intervention.provider
    return user if user is not None and can(user, Action.CLAIM_TASK, intervention) else None


def needs_provider(activation) -> bool:
    return _current(activation).needs_provider


def status_is(status):
    return lambda activation: _current(activation).status == status


def review_delay(activation):
    """The next progress review (a callable delay: read when the timer is armed)."""
    return services.review_due(_current(activation))


def unstaffed_delay(activation):
    """CASEFLOW_UNSTAFFED_ALERT_DAYS days after the intervention lost its provider."""
    return services.unstaffed_alert_due(_current(activation))


unstaffed_delay.deadline_name = "unstaffed"


class InterventionFlow(PolicyFlowMixin, flow.Flow):
    process_class = InterventionProcess
    lock_impl = lock.SelectForUpdateLock(nowait=False)
    process_title = _("Intervention")

    start = flow.StartHandle(this.start_process).Next(this.check_kind)
    check_kind = flow.If(needs_provider).Then(this.obtain_consent).Else(this.carry_out)

    # ----------------------------------------------------------- kinds without a provider
    carry_out = (
        TaskNode(views.CarryOutView.as_view())
        .Annotation(title=_("Start the intervention"))
        .Permission(CASEWORKER_PERMISSION, obj=case_of)
        .Assign(responsible)
        .Next(this.conclude)
    )
    conclude = (
        TaskNode(views.ConcludeView.as_view())
        .Annotation(title=_("Conclude the intervention"))
        .Permission(CASEWORKER_PERMISSION, obj=case_of)
        .Assign(responsible)
        .Next(this.end_ended)
    )

    # ----------------------------------------------------------- mentor, coach, exit
    obtain_consent = (
        TaskNode(views.ConsentView.as_view())
        .Annotation(title=_("Consent to the intervention"))
        .Permission(CASEWORKER_PERMISSION, obj=case_of)
        .Assign(responsible)
        .Next(this.match_provider)
    )
    match_provider = escalating(
        TaskNode(views.MatchView.as_view())
        .Annotation(title=_("Choose a provider"))
        .Permission(CASEWORKER_PERMISSION, obj=case_of)
        .Assign(responsible)
        .OnTimeout(unstaffed_delay, this.alert_unstaffed, interrupting=False),
        "matching", this.escalate_breach,
    ).Next(this.answer_offer)
    answer_offer = escalating(
        TaskNode(views.AnswerView.as_view())
        .Annotation(title=_("Accept or decline the intervention"))
        .Permission(PROVIDER_PERMISSION, obj=intervention_of)
        .Assign(provider),
        "provider_answer", this.escalate_breach,
    ).Next(this.check_answer)
    check_answer = (
        flow.If(status_is(Intervention.Status.ACTIVE)).Then(this.follow).Else(this.match_provider)
    )
    follow = (
        TaskNode(views.FollowView.as_view())
        .Annotation(title=_("Running intervention"))
        .Permission(CASEWORKER_PERMISSION, obj=case_of)
        .Assign(responsible)
        .OnTimeout(review_delay, this.open_review)
        .Next(this.check_follow)
    )
    check_follow = (
        flow.If(status_is(Intervention.Status.REMATCHING)).Then(this.match_provider).Else(this.end_ended)
    )
    open_review = flow.Function(this.start_review).Next(this.review)
    review = escalating(
        TaskNode(views.ReviewView.as_view())
        .Annotation(title=_("Progress review of the intervention"))
        .Permission(CASEWORKER_PERMISSION, obj=case_of)
        .Assign(responsible),
        "review", this.escalate_breach,
    ).Next(this.check_review)
    check_review = (
        flow.If(status_is(Intervention.Status.ENDED)).Then(this.end_ended).Else(this.follow)
    )

    # ----------------------------------------------------------- deadlines and alerts
    escalate_breach = flow.Function(this.escalate).Next(this.end_escalated)
    alert_unstaffed = flow.Function(this.raise_unstaffed_alert).Next(this.end_alerted)

    end_ended = flow.End()
    end_escalated = flow.End()
    end_alerted = flow.End()

    def start_process(self, activation, intervention):
        activation.process.intervention = intervention
        return activation.process

    def start_review(self, activation):
        """The review is due: the intervention waits for its status meeting."""
        intervention_review_open(intervention=_current(activation))

    def raise_unstaffed_alert(self, activation):
        """No provider for CASEFLOW_UNSTAFFED_ALERT_DAYS days: alert once, and put it on
        the supervisors' dashboard as a breach of the matching task."""
        if intervention_unstaffed_alert(intervention=_current(activation)):
            self.escalate(activation)
