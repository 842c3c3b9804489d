"""ReferralFlow (design.md §3 "Workflows", domain.md §2.1): register → acute triage →
initial assessment → (waiting for information) → screening by the coordination unit →
(a minor's outcome: the child-focused consultant's co-signature) → the outcome's end.
A report to BBU (underretning) at the initial assessment starts BBU's parallel task
with its 24-hour clock; the process ends when both branches have. Every human task has
a deadline whose breach is escalated to the team's supervisors (non-interrupting).
Declarative: every step's effect is one service call in its view."""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from caseflow.referrals.models import Referral
from permissions.policy import Action, can
from workflows import services, views
from workflows.models import ReferralProcess
from workflows.nodes import CeleryJob, PolicyFlowMixin, TaskNode, escalating

#: The caseworkers' tasks: whoever may change the referral (the team's caseworkers while
#: it is being screened, its supervisors). BBU's and the consultant's tasks have their own.
CLAIM_PERMISSION = "referrals.change_referral"
#: The consultant's co-signature of a minor's screening (the policy's CO_SIGN).
COSIGN_PERMISSION = "referrals.cosign_referral"
#: BBU's task: only the holder of a BBU grant on the referral (and the team's staff,
#: who cannot execute it: it is assigned to the BBU contact).
BBU_PERMISSION = "referrals.claim_referral_task"


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


def _current_process(activation):
    return ReferralProcess.objects.get(pk=activation.process.pk)


def reported_to_bbu(activation):
    return _current_process(activation).bbu_reported_at is not None


def awaiting_cosignature(activation):
    return _current_process(activation).pending_screening_id is not None


def bbu_contact_of(activation):
    return _current_process(activation).bbu_contact


def bbu_report_deadline(activation):
    """CASEFLOW_BBU_REPORT_HOURS clock hours after the report (domain.md §2.4)."""
    return services.bbu_report_due(_current_process(activation))


bbu_report_deadline.deadline_name = "bbu_report"


def information_deadline(activation):
    """CASEFLOW_INFO_WAIT_WORKING_DAYS working days after the wait began (a callable
    delay: read when the boundary timer is armed)."""
    return services.info_wait_deadline()


class ReferralFlow(PolicyFlowMixin, flow.Flow):
    process_class = ReferralProcess
    lock_impl = lock.SelectForUpdateLock(nowait=False)
    process_title = _("Referral screening")

    start = flow.StartHandle(this.start_process).Next(this.acute_triage)

    acute_triage = escalating(
        TaskNode(views.AcuteTriageView.as_view())
        .Annotation(title=_("Acute triage"))
        .Permission(CLAIM_PERMISSION, obj=referral_of)
        .Assign(registrar),
        "acute_triage", this.escalate_breach,
    ).Next(this.assess)
    assess = escalating(
        TaskNode(views.AssessView.as_view())
        .Annotation(title=_("Initial assessment"))
        .Permission(CLAIM_PERMISSION, obj=referral_of)
        .Assign(registrar),
        "initial_assessment", this.escalate_breach,
    ).Next(this.split_bbu_report)
    # A report to BBU starts BBU's own branch; the screening goes on in parallel.
    split_bbu_report = (
        flow.Split()
        .Next(this.bbu_acknowledge, case=reported_to_bbu)
        .Next(this.notify_bbu, case=reported_to_bbu)
        .Always(this.check_assessment)
    )
    # The e-mail to the BBU contact goes out from a worker (our job node), after the commit.
    notify_bbu = CeleryJob(this.send_bbu_notice).Next(this.end_bbu_notified)
    bbu_acknowledge = (
        TaskNode(views.BbuAcknowledgeView.as_view())
        .Annotation(title=_("BBU: acknowledge the report (underretning)"))
        .Permission(BBU_PERMISSION, obj=referral_of)
        .Assign(bbu_contact_of)
        .OnTimeout(bbu_report_deadline, this.escalate_breach, interrupting=False)
        .Next(this.end_bbu)
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
    screen = escalating(
        TaskNode(views.ScreenView.as_view())
        .Annotation(title=_("Screening by the coordination unit"))
        .Permission(CLAIM_PERMISSION, obj=referral_of),
        "screening", this.escalate_breach,
    ).Next(this.check_cosignature)
    check_cosignature = (
        flow.If(awaiting_cosignature).Then(this.cosign_screening).Else(this.check_screening)
    )
    cosign_screening = escalating(
        TaskNode(views.CosignScreeningView.as_view())
        .Annotation(title=_("Co-signature of a minor's screening"))
        .Permission(COSIGN_PERMISSION, obj=referral_of),
        "co_signature", this.escalate_breach,
    ).Next(this.check_cosigned)
    # Refused: back to the screening (the refusal is shown there).
    check_cosigned = (
        flow.If(status_is(Referral.Status.ASSESSED)).Then(this.check_screening).Else(this.screen)
    )
    check_screening = flow.If(case_opened).Then(this.end_case_opened).Else(this.end_concluded)

    escalate_breach = flow.Function(this.escalate).Next(this.end_escalated)

    end_transferred = flow.End()
    end_shelved = flow.End()
    end_concluded = flow.End()
    end_case_opened = flow.End()
    end_bbu = flow.End()
    end_bbu_notified = flow.End()
    end_escalated = flow.End()

    def start_process(self, activation, referral):
        activation.process.referral = referral
        return activation.process

    def send_bbu_notice(self, activation):
        services.referral_bbu_notify(process_id=activation.process.pk)

    def shelve_for_missing_information(self, activation):
        """The waiting task timed out (and was canceled): the system shelves the referral."""
        waiting = activation.process.task_set.filter(flow_task=self.receive_information).order_by("-pk").first()
        services.referral_information_timeout(process=activation.process.coerced,
                                              waited_for=waiting.owner if waiting else None)

