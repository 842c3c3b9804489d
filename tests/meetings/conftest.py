"""People, referrals waiting for screening and a meeting, shared by the meeting tests."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.meetings.models import Meeting
from caseflow.referrals.models import Referral
from tests.factories import UserFactory

ADULT_BIRTH_DATE = "1990-05-04"
MINOR_BIRTH_DATE = (timezone.localdate() - datetime.timedelta(days=15 * 365)).isoformat()
CONCERN = "Fiktiv bekymring om voldelige memes."


def open_task(referral, node) -> Task:
    return Task.objects.get(process__referralprocess__referral=referral, flow_task=node,
                            status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED))


def execute(client, user, task, data):
    client.force_login(user)
    return client.post(task.flow_task.reverse("execute", args=[task.process_id, task.pk]), data)


def to_screening(client, worker, *, first_name, birth_date=ADULT_BIRTH_DATE, bbu=None, cpr="") -> Referral:
    """Register a referral and take it through triage and the initial assessment, so
    it waits at the ReferralFlow's screening task."""
    from workflows.flows.referral import ReferralFlow

    client.force_login(worker)
    response = client.post(reverse("referrals:new"), {
        "received_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "phone", "referrer_type": "primary_school", "referrer_name": "Fiktiv Lærer",
        "referrer_contact": "skole@example.invalid", "concern_text": CONCERN,
        "warning_signs": ["extremist_media"], "urgency": "normal", "cpr": cpr,
        "first_name": first_name, "last_name": "Testesen", "birth_date": birth_date,
    })
    assert response.status_code == 302, response.context["form"].errors
    referral = Referral.objects.latest("pk")
    assert execute(client, worker, open_task(referral, ReferralFlow.acute_triage),
                   {"police_alerted": "no", "note": ""}).status_code == 302
    data = {"outcome": "to_coordination_unit", "note": ""}
    if bbu is not None:
        data.update(bbu_contact=bbu.pk, report_needed="no", report_justification="Ingen tegn på mistrivsel.")
    assert execute(client, worker, open_task(referral, ReferralFlow.assess), data).status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT
    return referral


@pytest.fixture
def bbu():
    return UserFactory(team=None, roles=["bbu_liaison"])


@pytest.fixture
def partner1():
    return UserFactory(first_name="Pia", last_name="Politi", team=None, roles=["partner_member"],
                       email="pia@politi.invalid")


@pytest.fixture
def partner2():
    return UserFactory(first_name="Kurt", last_name="Forsorg", team=None, roles=["partner_member"],
                       email="kurt@kriminalforsorgen.invalid")


@pytest.fixture
def partner3():
    """A partner member invited to no meeting."""
    return UserFactory(first_name="Sofie", last_name="Ssp", team=None, roles=["partner_member"])


@pytest.fixture
def colleague(team):
    return UserFactory(team=team, roles=["caseworker"])


# --------------------------------------------------------------------------- driving a meeting through its pages


def plan_meeting(client, worker, chair, *, days=2) -> Meeting:
    client.force_login(worker)
    response = client.post(reverse("meetings:new"), {
        "starts_at": (timezone.localtime() + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M"),
        "place": "Rådhuset, lokale 12", "chair": chair.pk, "minute_taker": worker.pk,
    })
    assert response.status_code == 302, response.context["form"].errors
    return Meeting.objects.latest("pk")


def act(client, user, meeting, action, **data):
    client.force_login(user)
    return client.post(reverse("meetings:detail", args=[meeting.pk]), {"action": action, **data})


def page(client, user, meeting):
    client.force_login(user)
    return client.get(reverse("meetings:detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en")


def record_check(client, user, item, **data):
    client.force_login(user)
    return client.post(reverse("meetings:register_check", args=[item.pk]), {
        "summary": "", "legal_basis": "", "legal_basis_other": "", **data})


def decide(client, user, item, outcome, **data):
    client.force_login(user)
    return client.post(reverse("meetings:decide", args=[item.pk]), {
        "outcome": outcome, "justification": "Drøftet på mødet.", "dissent": "", **data})


def minutes(client, user, meeting):
    client.force_login(user)
    return client.get(reverse("meetings:minutes", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en")


#: A fictional CPR number (valid date part; never a real person's).
ADULT_CPR = "0405901234"


@pytest.fixture
def agenda(client, worker, supervisor, consultant, bbu, partner1, partner2):
    """A meeting chaired by the supervisor with three referrals (two adults, one
    minor) on its agenda and two invited partners; the agenda is not sent yet."""
    adult_a = to_screening(client, worker, first_name="Anders", cpr=ADULT_CPR)
    adult_b = to_screening(client, worker, first_name="Bente")
    minor_c = to_screening(client, worker, first_name="Carl", birth_date=MINOR_BIRTH_DATE, bbu=bbu)
    meeting = plan_meeting(client, worker, supervisor)
    assert act(client, worker, meeting, "invite", **{"invite-user": partner1.pk,
                                                      "invite-authority": "Politiet (DKS)"}).status_code == 302
    assert act(client, worker, meeting, "invite", **{"invite-user": partner2.pk,
                                                      "invite-authority": "Kriminalforsorgen"}).status_code == 302
    for referral in (adult_a, adult_b, minor_c):
        assert act(client, worker, meeting, "add_item", **{"item-referral": referral.pk}).status_code == 302
    return meeting, adult_a, adult_b, minor_c


def case_with_level_3_plan(client, worker, *, first_name="Lene"):
    """An adult's case opened at level 3 by a screening, through its clarification, with
    a plan waiting for the supervisor's approval (the CaseFlow's approve task)."""
    from caseflow.cases.models import Consent
    from caseflow.interventions.models import Intervention
    from workflows import case_services
    from workflows import services as workflow
    from workflows.driving import flow_task_perform
    from workflows.flows.case import CaseFlow
    from workflows.flows.referral import ReferralFlow

    referral = to_screening(client, worker, first_name=first_name)
    workflow.referral_task_perform(
        actor=worker, referral=referral, node=ReferralFlow.screen,
        perform=lambda process: workflow.referral_screening_record(
            actor=worker, process=process, outcome=Referral.Outcome.CASE_LEVEL_3, responsible=worker,
            justification="Fiktiv: exitforløb relevant.", members_present="SSP, politiet"))
    case = Referral.objects.get(pk=referral.pk).case
    process = case_services.running_process(case)
    flow_task_perform(
        actor=worker, process=process, node=CaseFlow.clarify,
        perform=lambda p: case_services.case_clarification_record(
            actor=worker, case=p.case, conversation="Fiktiv samtale.", consent_given_by=Consent.GivenBy.SUBJECT,
            consent_given_by_name="", consent_given_on=timezone.localdate()))
    flow_task_perform(
        actor=worker, process=process, node=CaseFlow.plan,
        perform=lambda p: case_services.case_plan_propose(
            actor=worker, case=p.case, goals="Fiktivt mål: job og bolig.",
            interventions=[Intervention.Kind.EXIT_PROGRAMME]))
    case.refresh_from_db()
    return case
