"""ReferralFlow for minors: the consultant's co-signature of the screening outcome, the
report to BBU with BBU's parallel task and 24-hour clock, and the escalation of breached
deadlines to the team's supervisors. Driven through the task URLs as the right users."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case, Decision
from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral
from permissions.models import GrantKind
from permissions.policy import Action, can
from tests.factories import UserFactory
from tests.workflows.test_referral_flow import (
    MINOR_BIRTH_DATE,
    claim,
    execute,
    execute_url,
    open_task,
    process_of,
    register,
    screen,
    to_screening,
)
from workflows import services
from workflows.deadlines import deadline_breaches_for
from workflows.flows.case import CaseFlow
from workflows.flows.referral import ReferralFlow
from workflows.models import DeadlineBreach
from workflows.tasks import workflow_timers_fire_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_bbu():
    return UserFactory(team=None, roles=["bbu_liaison"])


def queue(client, user):
    client.force_login(user)
    response = client.get(reverse("workflows:queue"))
    assert response.status_code == 200
    return {task.pk for task in response.context["tasks"]}


def to_assessed_minor(client, worker, bbu, report_needed) -> Referral:
    """A minor's referral through triage and the initial assessment, with or without a
    report to BBU."""
    referral = register(client, worker, birth_date=MINOR_BIRTH_DATE)
    assert execute(client, worker, open_task(referral, ReferralFlow.acute_triage),
                   {"police_alerted": "no"}).status_code == 302
    response = execute(client, worker, open_task(referral, ReferralFlow.assess), {
        "outcome": "to_coordination_unit", "bbu_contact": bbu.pk, "report_needed": "yes" if report_needed else "no",
        "report_justification": "Eleven kan have brug for særlig støtte." if report_needed else "Ingen tegn.",
    })
    assert response.status_code == 302, response.context["form"].errors
    referral.refresh_from_db()
    return referral


def cosign(client, consultant, referral, approved, justification="Børnefagligt vurderet."):
    task = open_task(referral, ReferralFlow.cosign_screening)
    if task.owner_id is None:
        assert claim(client, consultant, task).status_code == 302
    return execute(client, consultant, task, {"approved": "yes" if approved else "no",
                                              "justification": justification})


# --------------------------------------------------------------------------- co-signature


def test_minor_screening_waits_for_the_consultant_then_opens_the_case(
        client, worker, colleague, bbu, consultant, outsider, mentor):
    referral = to_screening(client, worker, birth_date=MINOR_BIRTH_DATE, bbu=bbu)
    assert screen(client, worker, referral, "case_level_2").status_code == 302

    # the outcome is recorded (by the caseworker) but has not taken effect
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT
    assert referral.closed_at is None
    assert referral.outcome == ""
    assert Case.objects.count() == 0
    screening = referral.decisions.get(kind=Decision.Kind.SCREENING)
    assert screening.decided_by == worker
    assert screening.outcome == "case_level_2"
    assert process_of(referral).pending_screening == screening
    task = open_task(referral, ReferralFlow.cosign_screening)
    assert task.owner is None
    assert task.owner_permission == "referrals.cosign_referral"
    assert task.owner_permission_obj == referral

    # only consultants reach the co-signature
    assert queue(client, consultant) == {task.pk}
    for user in (worker, colleague, bbu, outsider, mentor):
        assert task.pk not in queue(client, user)
        assert claim(client, user, task).status_code == 404
        client.force_login(user)
        refused = 403 if can(user, Action.VIEW, referral) else 404  # 404: existence not confirmed
        assert client.post(task.flow_task.reverse("assign", args=[task.process_id, task.pk])).status_code == refused
        assert client.post(execute_url(task), {"approved": "yes", "justification": "x"}).status_code == refused
    task.refresh_from_db()
    assert task.owner is None
    assert Case.objects.count() == 0

    # the consultant sees the proposal; a justification is required
    assert claim(client, consultant, task).status_code == 302
    response = client.get(execute_url(task), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["proposal"] == screening
    assert execute(client, consultant, task, {"approved": "yes", "justification": ""}).status_code == 200
    assert not referral.decisions.filter(kind=Decision.Kind.CO_SIGNATURE).exists()

    assert cosign(client, consultant, referral, approved=True).status_code == 302
    cosignature = referral.decisions.get(kind=Decision.Kind.CO_SIGNATURE)
    assert (cosignature.outcome, cosignature.decided_by) == ("approved", consultant)
    assert referral.decisions.filter(kind=Decision.Kind.SCREENING).count() == 1
    referral.refresh_from_db()
    case = Case.objects.get()
    assert referral.status == Referral.Status.ASSESSED
    assert referral.outcome == "case_level_2"
    assert referral.case == case
    assert case.is_minor
    assert case.level == 2
    assert case.responsible == worker
    clarify = Task.objects.get(process__caseprocess__case=case, flow_task=CaseFlow.clarify)
    assert clarify.owner == worker
    screened = AuditEvent.objects.get(action="referral.screened", target_id=str(referral.pk))
    assert screened.actor_id == consultant.pk
    assert screened.extra["decided_by"] == worker.pk
    process = process_of(referral)
    assert process.status == PROCESS.DONE
    assert process.pending_screening is None


def test_consultant_refusal_returns_to_the_screening_with_the_refusal_visible(client, worker, bbu, consultant):
    referral = to_screening(client, worker, birth_date=MINOR_BIRTH_DATE, bbu=bbu)
    assert screen(client, worker, referral, "case_level_3").status_code == 302
    assert cosign(client, consultant, referral, approved=False,
                  justification="Niveau 3 er ikke begrundet for et barn på 15.").status_code == 302

    refusal = referral.decisions.get(kind=Decision.Kind.CO_SIGNATURE)
    assert (refusal.outcome, refusal.decided_by) == ("refused", consultant)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT
    assert referral.closed_at is None
    assert Case.objects.count() == 0
    assert process_of(referral).pending_screening is None
    task = open_task(referral, ReferralFlow.screen)
    assert claim(client, worker, task).status_code == 302
    response = client.get(execute_url(task), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["refusal"] == refusal
    assert "Niveau 3 er ikke begrundet" in response.content.decode()

    # a new outcome, co-signed: it takes effect
    assert execute(client, worker, task, {"outcome": "advice_to_referrer", "justification": "Rådgivning.",
                                          "members_present": "A, B"}).status_code == 302
    assert cosign(client, consultant, referral, approved=True).status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASSESSED
    assert referral.outcome == "advice_to_referrer"
    assert referral.closed_at is not None
    assert referral.decisions.filter(kind=Decision.Kind.SCREENING).count() == 2
    process = process_of(referral)
    assert process.status == PROCESS.DONE
    assert process.task_set.filter(flow_task=ReferralFlow.end_concluded, status=STATUS.DONE).exists()


def test_minor_outcome_cannot_bypass_the_cosignature(client, worker, bbu, consultant):
    referral = to_screening(client, worker, birth_date=MINOR_BIRTH_DATE, bbu=bbu)
    with pytest.raises(ApplicationError):
        services.referral_screening_conclude(actor=worker, referral=referral, outcome="unfounded",
                                             justification="x", members_present="A")
    with pytest.raises(ApplicationError):  # nothing is waiting for a co-signature
        services.referral_screening_cosign(actor=consultant, process=process_of(referral), approved=True,
                                           justification="x")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT
    assert not referral.decisions.filter(kind__in=[Decision.Kind.SCREENING, Decision.Kind.CO_SIGNATURE]).exists()


def test_task_perform_drives_the_cosignature_from_code(client, worker, bbu, consultant, colleague):
    referral = to_screening(client, worker, birth_date=MINOR_BIRTH_DATE, bbu=bbu)
    services.referral_task_perform(
        actor=worker, referral=referral, node=ReferralFlow.screen,
        perform=lambda process: services.referral_screening_record(
            actor=worker, process=process, outcome="unfounded", justification="Ubegrundet.",
            members_present="A, B"))
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.referral_task_perform(
            actor=colleague, referral=referral, node=ReferralFlow.cosign_screening,
            perform=lambda process: services.referral_screening_cosign(
                actor=colleague, process=process, approved=True, justification="x"))
    services.referral_task_perform(
        actor=consultant, referral=referral, node=ReferralFlow.cosign_screening,
        perform=lambda process: services.referral_screening_cosign(
            actor=consultant, process=process, approved=True, justification="Enig."))
    referral.refresh_from_db()
    assert referral.outcome == "unfounded"
    assert referral.closed_at is not None
    assert process_of(referral).status == PROCESS.DONE


# --------------------------------------------------------------------------- report to BBU


def test_report_to_bbu_grants_bbu_and_starts_its_task_with_a_24_hour_clock(
        client, worker, colleague, bbu, other_bbu):
    referral = to_assessed_minor(client, worker, bbu, report_needed=True)
    process = process_of(referral)
    assert process.bbu_reported_at is not None
    assert AuditEvent.objects.filter(action="referral.bbu_reported", target_id=str(referral.pk),
                                     actor_id=worker.pk).count() == 1
    assert can(bbu, Action.VIEW, referral)
    assert can(bbu, Action.CLAIM_TASK, referral)
    assert not can(bbu, Action.CHANGE, referral)
    assert not can(bbu, Action.VIEW_REFERRER, referral)
    assert not can(other_bbu, Action.VIEW, referral)
    assert referral.user_grants.filter(user=bbu, kind=GrantKind.BBU).count() == 1

    task = open_task(referral, ReferralFlow.bbu_acknowledge)
    assert task.owner == bbu
    assert task.owner_permission == "referrals.claim_referral_task"
    timer = Task.objects.get(process_id=process.pk, flow_task=ReferralFlow.bbu_acknowledge__timeout)
    assert timer.status == STATUS.SCHEDULED
    assert abs(timer.scheduled - (process.bbu_reported_at + datetime.timedelta(hours=24))) \
        < datetime.timedelta(seconds=1)
    # the main path continues in parallel
    assert open_task(referral, ReferralFlow.screen).status == STATUS.NEW

    for user in (worker, colleague, other_bbu):
        client.force_login(user)
        refused = 403 if can(user, Action.VIEW, referral) else 404  # 404: existence not confirmed
        assert client.post(execute_url(task), {"assessment": "x"}).status_code == refused
    assert not AuditEvent.objects.filter(action="referral.bbu_acknowledged").exists()

    assert execute(client, bbu, task, {"assessment": ""}).status_code == 200
    response = execute(client, bbu, task, {"assessment": "Modtaget; børnefaglig vurdering igangsat."})
    assert response.status_code == 302
    ack = referral.decisions.get(outcome="bbu_acknowledged")
    assert ack.decided_by == bbu
    event = AuditEvent.objects.get(action="referral.bbu_acknowledged", target_id=str(referral.pk))
    assert event.actor_id == bbu.pk
    assert event.extra["within_deadline"] is True
    timer.refresh_from_db()
    assert timer.status == STATUS.CANCELED


def test_no_report_no_bbu_task_and_no_grant(client, worker, bbu):
    referral = to_assessed_minor(client, worker, bbu, report_needed=False)
    assert process_of(referral).bbu_reported_at is None
    assert not Task.objects.filter(process__referralprocess__referral=referral,
                                   flow_task=ReferralFlow.bbu_acknowledge).exists()
    assert not can(bbu, Action.VIEW, referral)
    assert not AuditEvent.objects.filter(action="referral.bbu_reported").exists()


@override_settings(CASEFLOW_BBU_REPORT_HOURS=24)
def test_bbu_clock_breach_escalates_once_to_the_supervisors(client, worker, bbu, supervisor):
    referral = to_assessed_minor(client, worker, bbu, report_needed=True)
    task = open_task(referral, ReferralFlow.bbu_acknowledge)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=23)):
        workflow_timers_fire_task()
    assert not DeadlineBreach.objects.exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        workflow_timers_fire_task()
        workflow_timers_fire_task()
    breach = DeadlineBreach.objects.get()
    assert breach.task_id == task.pk
    assert breach.deadline == "bbu_report"
    assert breach.referral == referral
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED
    assert task.owner == bbu
    assert list(deadline_breaches_for(actor=supervisor)) == [breach]
    assert not deadline_breaches_for(actor=worker).exists()
    assert not deadline_breaches_for(actor=bbu).exists()
    assert process_of(referral).status != PROCESS.DONE


@pytest.mark.parametrize("bbu_first", [True, False])
def test_process_finishes_only_when_both_branches_have_ended(client, worker, bbu, consultant, bbu_first, run_jobs,
                                                            mailoutbox):
    bbu.email = "bbu1@kommune.invalid"
    bbu.save(update_fields=["email"])
    referral = to_assessed_minor(client, worker, bbu, report_needed=True)
    # The e-mail to BBU goes out from a worker: one mail, no names or case content.
    assert run_jobs() == 1
    assert [mail.to for mail in mailoutbox] == [[bbu.email]]
    body = mailoutbox[0].subject + mailoutbox[0].body
    for secret in (referral.person.first_name, referral.person.last_name, referral.reference):
        assert secret not in body
    assert "/tasks/" in body

    def acknowledge():
        assert execute(client, bbu, open_task(referral, ReferralFlow.bbu_acknowledge),
                       {"assessment": "Modtaget."}).status_code == 302

    def conclude():
        assert screen(client, worker, referral, "unfounded").status_code == 302
        assert cosign(client, consultant, referral, approved=True).status_code == 302

    first, second = (acknowledge, conclude) if bbu_first else (conclude, acknowledge)
    first()
    process = process_of(referral)
    assert process.status == PROCESS.NEW
    assert process.finished is None
    second()
    process = process_of(referral)
    assert process.status == PROCESS.DONE
    ends = {ReferralFlow.end_bbu, ReferralFlow.end_bbu_notified, ReferralFlow.end_concluded}
    assert {t.flow_task for t in process.task_set.filter(flow_task_type="END", status=STATUS.DONE)} == ends
    # BBU keeps its view of the referral after it was concluded
    assert can(bbu, Action.VIEW, referral)


# --------------------------------------------------------------------------- deadlines


def test_screening_deadline_breach_escalates_once_and_the_task_stays_open(client, worker, supervisor):
    referral = to_screening(client, worker)
    task = open_task(referral, ReferralFlow.screen)
    timer = Task.objects.get(process_id=task.process_id, flow_task=ReferralFlow.screen__timeout)
    assert timer.status == STATUS.SCHEDULED
    with time_machine.travel(timer.scheduled - datetime.timedelta(minutes=5)):
        workflow_timers_fire_task()
    assert not DeadlineBreach.objects.exists()
    with time_machine.travel(timer.scheduled + datetime.timedelta(minutes=5)):
        workflow_timers_fire_task()
        workflow_timers_fire_task()
    breach = DeadlineBreach.objects.get()
    assert (breach.task_id, breach.deadline, breach.referral) == (task.pk, "screening", referral)
    assert AuditEvent.objects.filter(action="deadline.breached").count() == 1
    task.refresh_from_db()
    assert task.status == STATUS.NEW
    assert list(deadline_breaches_for(actor=supervisor)) == [breach]
    assert not deadline_breaches_for(actor=worker).exists()
    # the late task can still be done; the breach then leaves the dashboard
    assert screen(client, worker, referral, "unfounded").status_code == 302
    assert not deadline_breaches_for(actor=supervisor).exists()
    assert process_of(referral).status == PROCESS.DONE


@pytest.mark.parametrize(("node", "name"), [("acute_triage", "acute_triage"), ("assess", "initial_assessment"),
                                            ("screen", "screening"), ("cosign_screening", "co_signature")])
def test_every_caseworker_and_consultant_task_has_its_named_deadline(node, name):
    timeout = getattr(ReferralFlow, f"{node}__timeout")
    assert timeout._delay.deadline_name == name
    assert timeout._interrupting is False
