"""ReferralFlow (design.md §3 "Workflows", domain.md §2.1): register → acute triage →
initial assessment → (waiting for information) → screening by the coordination unit →
the outcome's end. Declarative: every step's effect is one service call in its view."""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from caseflow.referrals.models import Referral
from permissions.policy import Action, can
from workflows import services, views
from workflows.models import ReferralProcess
from workflows.nodes import PolicyFlowMixin, TaskNode

#: The caseworkers' tasks: whoever may change the referral (the team's caseworkers while
#: it is being screened, its supervisors). BBU's and the consultant's tasks have their own.
CLAIM_PERMISSION = "referrals.change_referral"


def referral_of(process):
    """The ``.Permission(obj=...)`` callable gets a base Process on the claim path (P1)."""
    return process.coerced.referral


def registrar(activation):
    """The caseworker who registered the referral gets its first steps, if they may."""
    referral = activation.process.coerced.referral
    user = referral.registered_by
    return user if can(user, Action.CHANGE, referral) else None


def _current_referral(activation):
    # The task view's services saved other instances: route on the stored state.
    return Referral.objects.get(pk=activation.process.coerced.referral_id)


def status_is(status):
    return lambda activation: _current_referral(activation).status == status


def case_opened(activation):
    return _current_referral(activation).case_id is not None


def information_deadline(activation):
    """CASEFLOW_INFO_WAIT_WORKING_DAYS working days after the wait began (a callable
    delay: read when the boundary timer is armed)."""
    return services.info_wait_deadline()


class ReferralFlow(PolicyFlowMixin, flow.Flow):
    process_class = ReferralProcess
    lock_impl = lock.SelectForUpdateLock(nowait=False)
    process_title = _("Referral screening")

    start = flow.StartHandle(this.start_process).Next(this.acute_triage)

    acute_triage = (
        TaskNode(views.AcuteTriageView.as_view())
        .Annotation(title=_("Acute triage"))
        .Permission(CLAIM_PERMISSION, obj=referral_of)
        .Assign(registrar)
        .Next(this.assess)
    )
    assess = (
        TaskNode(views.AssessView.as_view())
        .Annotation(title=_("Initial assessment"))
        .Permission(CLAIM_PERMISSION, obj=referral_of)
        .Assign(registrar)
        .Next(this.check_assessment)
    )
    check_assessment = (
        flow.Switch()
        .Case(this.end_transferred, status_is(Referral.Status.TRANSFERRED))
        .Case(this.receive_information, status_is(Referral.Status.AWAITING_INFORMATION))
        .Default(this.screen)
    )
    receive_information = (
        TaskNode(views.ReceiveInformationView.as_view())
        .Annotation(title=_("Waiting for information"))
        .Permission(CLAIM_PERMISSION, obj=referral_of)
        .Assign(registrar)
        .OnTimeout(information_deadline, this.shelve_timed_out)
        .Next(this.check_information)
    )
    shelve_timed_out = flow.Function(this.shelve_for_missing_information).Next(this.end_shelved)
    check_information = (
        flow.If(status_is(Referral.Status.SHELVED)).Then(this.end_shelved).Else(this.screen)
    )
    screen = (
        TaskNode(views.ScreenView.as_view())
        .Annotation(title=_("Screening by the coordination unit"))
        .Permission(CLAIM_PERMISSION, obj=referral_of)
        .Next(this.check_screening)
    )
    check_screening = flow.If(case_opened).Then(this.end_case_opened).Else(this.end_concluded)

    end_transferred = flow.End()
    end_shelved = flow.End()
    end_concluded = flow.End()
    end_case_opened = flow.End()

    def start_process(self, activation, referral):
        activation.process.referral = referral
        return activation.process

    def shelve_for_missing_information(self, activation):
        """The waiting task timed out (and was canceled): the system shelves the referral."""
        waiting = activation.process.task_set.filter(flow_task=self.receive_information).order_by("-pk").first()
        services.referral_information_timeout(process=activation.process.coerced,
                                              waited_for=waiting.owner if waiting else None)

