import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.timers import fire_due_timers

from caseflow.accounts.models import Team, User
from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case, Consent, Decision
from caseflow.interventions.models import Intervention, InterventionSession
from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember, RegisterCheck
from caseflow.people.models import Person
from caseflow.referrals.models import Referral
from workflows.flows.case import CaseFlow
from workflows.flows.intervention import InterventionFlow
from workflows.flows.referral import ReferralFlow
from workflows.models import CaseProcess, DeadlineBreach, InterventionProcess, ReferralProcess
from workflows.selectors import task_inbox_for, task_queue_for

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = {"caseworker1", "caseworker2", "consultant", "supervisor", "bbu1", "mentor1", "coach1", "auditor",
                  "partner1", "partner2"}
WAITING_PEOPLE = {"Mikkel", "Ali", "Nora"}  # the referrals waiting for screening, on the demo meeting's agenda
RUNNING = (PROCESS.NEW,)


def _snapshot():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Team, User, Person, Case, Referral, Intervention, InterventionSession, Decision, Consent,
                      Process, ReferralProcess, CaseProcess, InterventionProcess, Task, AuditEvent,
                      Meeting, MeetingMember, AgendaItem, RegisterCheck)
    }


@pytest.fixture
def demo(settings):
    settings.CASEFLOW_DEMO_PASSWORD = "demo-test-pw"
    call_command("seed_demo")
    by_kind = {i.kind: i for i in Intervention.objects.select_related("case", "case__person", "provider")}
    return {kind: intervention.case for kind, intervention in by_kind.items()} | {"interventions": by_kind}


def _user(username):
    return User.objects.get(username=username)


def test_seed_demo_is_idempotent(settings):
    settings.CASEFLOW_DEMO_PASSWORD = "demo-test-pw"
    call_command("seed_demo")
    first = _snapshot()
    task_states = sorted(Task.objects.values_list("pk", "status", "owner_id"))
    call_command("seed_demo")
    assert _snapshot() == first
    assert sorted(Task.objects.values_list("pk", "status", "owner_id")) == task_states
    assert len(first["Case"]) == 3
    assert len(first["CaseProcess"]) == 3
    assert len(first["InterventionProcess"]) == 3
    assert len(first["Referral"]) == 7
    assert len(first["Meeting"]) == 1
    assert len(first["AgendaItem"]) == 3


def test_seed_demo_creates_the_design_scenarios(settings):
    settings.CASEFLOW_DEMO_PASSWORD = "demo-test-pw"
    call_command("seed_demo")
    team = Team.objects.get(name="Koordineringsenheden")
    assert set(User.objects.values_list("username", flat=True)) >= DEMO_USERNAMES
    for username in DEMO_USERNAMES:
        assert User.objects.get(username=username).check_password("demo-test-pw")
    assert User.objects.get(username="caseworker1").groups.filter(name="caseworker").exists()
    assert User.objects.get(username="consultant").groups.filter(name="child_consultant").exists()

    minor_mentor = Case.objects.get(is_minor=True, interventions__kind=Intervention.Kind.MENTOR)
    assert minor_mentor.level == 2
    assert minor_mentor.responsible.username == "caseworker1"
    assert minor_mentor.interventions.get().provider.username == "mentor1"
    exit_case = Case.objects.get(interventions__kind=Intervention.Kind.EXIT_PROGRAMME)
    assert exit_case.level == 3
    assert not exit_case.is_minor
    assert exit_case.responsible.username == "caseworker2"
    coach_case = Case.objects.get(interventions__kind=Intervention.Kind.PARENT_COACH)
    assert coach_case.responsible.username == "caseworker1"
    assert coach_case.interventions.get().provider.username == "coach1"
    assert set(Referral.objects.filter(team=team, status=Referral.Status.TO_COORDINATION_UNIT).values_list(
        "person__first_name", flat=True)) == WAITING_PEOPLE
    waiting = Referral.objects.get(team=team, status=Referral.Status.TO_COORDINATION_UNIT, person__first_name="Mikkel")
    assert not Referral.objects.filter(team=team, status=Referral.Status.RECEIVED).exists()
    assert waiting.decisions.get(kind=Decision.Kind.CHILD_WELFARE_REPORT).outcome == "no_report"
    assert ReferralProcess.objects.get(referral=waiting).bbu_contact.username == "bbu1"
    screening = Task.objects.get(process__referralprocess__referral=waiting, status=STATUS.NEW)
    assert screening.flow_task == ReferralFlow.screen
    assert screening.owner is None
    screenings = set(Task.objects.filter(flow_task=ReferralFlow.screen, status=STATUS.NEW))
    assert len(screenings) == 3
    for username in ("caseworker1", "caseworker2"):
        assert set(task_queue_for(actor=User.objects.get(username=username))) == screenings
    unfounded = Referral.objects.get(outcome=Referral.Outcome.UNFOUNDED)
    assert unfounded.closed_at is not None
    assert unfounded.decisions.get().justification
    unfounded_process = ReferralProcess.objects.get(referral=unfounded)
    assert unfounded_process.status == PROCESS.DONE
    assert unfounded_process.task_set.filter(flow_task=ReferralFlow.end_concluded, status=STATUS.DONE).exists()
    assert all(c.reference.startswith("KE-") for c in Case.objects.all())


def test_seed_demo_refuses_default_password_in_production(settings):
    settings.DEBUG = False
    settings.CASEFLOW_DEMO_PASSWORD = "demo"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.filter(username="caseworker1").exists()


# --------------------------------------------------------------------------- the three cases, through the flows


def _running_case_process(case) -> CaseProcess:
    process = CaseProcess.objects.get(case=case)
    assert process.status in RUNNING
    # ACTIVE, the plan applied: the CaseFlow waits for its review timer, no human task open
    assert Task.objects.get(process_id=process.pk, flow_task=CaseFlow.wait_review).status == STATUS.SCHEDULED
    assert not Task.objects.filter(process_id=process.pk, flow_task_type="HUMAN",
                                   status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)).exists()
    return process


def _running_intervention_process(intervention) -> InterventionProcess:
    process = InterventionProcess.objects.get(intervention=intervention)
    assert process.status in RUNNING
    follow = Task.objects.get(process_id=process.pk, status__in=(STATUS.NEW, STATUS.ASSIGNED),
                              flow_task_type="HUMAN")
    assert follow.flow_task == InterventionFlow.follow
    assert follow.owner == intervention.case.responsible
    for node in (InterventionFlow.obtain_consent, InterventionFlow.match_provider, InterventionFlow.answer_offer):
        assert Task.objects.get(process_id=process.pk, flow_task=node).status == STATUS.DONE
    assert Task.objects.get(process_id=process.pk, flow_task=InterventionFlow.answer_offer).owner == \
        intervention.provider
    return process


def _came_from_a_referral(case, screening_cosigned: bool) -> Referral:
    referral = Referral.objects.get(case=case)
    assert referral.status == Referral.Status.ASSESSED
    assert referral.outcome == (Referral.Outcome.CASE_LEVEL_3 if case.level == 3 else Referral.Outcome.CASE_LEVEL_2)
    assert referral.received_at < timezone.now() - datetime.timedelta(days=20)  # lived-in: weeks ago
    process = ReferralProcess.objects.get(referral=referral)
    assert process.status == PROCESS.DONE
    assert process.task_set.filter(flow_task=ReferralFlow.end_case_opened, status=STATUS.DONE).exists()
    cosigned = process.task_set.filter(flow_task=ReferralFlow.cosign_screening, status=STATUS.DONE)
    assert cosigned.exists() == screening_cosigned
    return referral


def _sessions(intervention):
    return list(intervention.sessions.order_by("held_on").values_list("held_on", flat=True))


def test_minor_mentor_case_at_level_2_went_through_all_three_flows(demo):
    case = demo[Intervention.Kind.MENTOR]
    intervention = demo["interventions"][Intervention.Kind.MENTOR]
    assert (case.person.first_name, case.is_minor, case.level, case.status) == ("Emil", True, 2, Case.Status.ACTIVE)
    assert case.responsible.username == "caseworker1"
    assert case.bbu_contact.username == "bbu1"
    referral = _came_from_a_referral(case, screening_cosigned=True)
    assert referral.registered_by.username == "caseworker1"
    assert ReferralProcess.objects.get(referral=referral).bbu_contact.username == "bbu1"
    assert referral.decisions.get(kind=Decision.Kind.CHILD_WELFARE_REPORT).outcome == "no_report"
    assert referral.decisions.get(kind=Decision.Kind.CO_SIGNATURE).decided_by.username == "consultant"
    # the clarification's consent: a custody holder's (the person has custody holders)
    consent = case.consents.get(scope=Consent.Scope.CASE_WORK)
    assert consent.given_by == Consent.GivenBy.CUSTODY_HOLDER
    assert consent.given_by_name in set(case.person.custody_holders.values_list("name", flat=True))
    # the plan: co-signed by the consultant, no supervisor's approval at level 2
    cosign = case.decisions.get(kind=Decision.Kind.CO_SIGNATURE)
    assert (cosign.outcome, cosign.decided_by.username) == ("approved", "consultant")
    assert not case.decisions.filter(kind=Decision.Kind.APPROVAL).exists()
    assert case.decisions.get(kind=Decision.Kind.PLAN_APPROVAL).decided_by.username == "caseworker1"
    _running_case_process(case)
    # the intervention: custody holder's consent, mentor1 matched and accepted, sessions logged
    assert (intervention.status, intervention.provider.username) == (Intervention.Status.ACTIVE, "mentor1")
    assert intervention.consents.get().given_by == Consent.GivenBy.CUSTODY_HOLDER
    assert intervention.started_on < timezone.localdate() - datetime.timedelta(days=14)
    held = _sessions(intervention)
    assert len(held) == 3
    assert all(intervention.started_on <= day <= timezone.localdate() for day in held)
    assert set(intervention.sessions.values_list("logged_by__username", flat=True)) == {"mentor1"}
    _running_intervention_process(intervention)


def test_adult_exit_programme_at_level_3_approved_by_the_supervisor(demo):
    case = demo[Intervention.Kind.EXIT_PROGRAMME]
    intervention = demo["interventions"][Intervention.Kind.EXIT_PROGRAMME]
    assert (case.is_minor, case.level, case.status) == (False, 3, Case.Status.ACTIVE)
    assert case.responsible.username == "caseworker2"
    _came_from_a_referral(case, screening_cosigned=False)
    approval = case.decisions.get(kind=Decision.Kind.APPROVAL)
    assert (approval.outcome, approval.decided_by.username) == ("approved", "supervisor")
    assert not case.decisions.filter(kind=Decision.Kind.CO_SIGNATURE).exists()  # an adult: no consultant
    assert case.consents.get(scope=Consent.Scope.CASE_WORK).given_by == Consent.GivenBy.SUBJECT
    _running_case_process(case)
    assert (intervention.status, intervention.provider.username) == (Intervention.Status.ACTIVE, "exitmentor1")
    assert intervention.partner_roles.strip()
    assert intervention.consents.get().given_by == Consent.GivenBy.SUBJECT
    assert len(_sessions(intervention)) == 3
    _running_intervention_process(intervention)


def test_sixteen_year_old_with_a_parent_coach_cosigned_by_the_consultant(demo):
    case = demo[Intervention.Kind.PARENT_COACH]
    intervention = demo["interventions"][Intervention.Kind.PARENT_COACH]
    assert case.person.age_on(timezone.localdate()) == 16
    assert (case.is_minor, case.level, case.status) == (True, 2, Case.Status.ACTIVE)
    assert case.responsible.username == "caseworker1"
    assert case.bbu_contact is None  # BBU was named at the referral only
    referral = _came_from_a_referral(case, screening_cosigned=True)
    assert referral.decisions.get(kind=Decision.Kind.CO_SIGNATURE).decided_by.username == "consultant"
    assert case.decisions.get(kind=Decision.Kind.CO_SIGNATURE).decided_by.username == "consultant"
    _running_case_process(case)
    assert (intervention.status, intervention.provider.username) == (Intervention.Status.ACTIVE, "coach1")
    assert intervention.consents.get().given_by == Consent.GivenBy.CUSTODY_HOLDER
    assert len(_sessions(intervention)) == 2
    _running_intervention_process(intervention)


def test_nothing_is_due_or_breached_right_after_seeding(demo):
    assert fire_due_timers() == 0
    assert not DeadlineBreach.objects.exists()
    assert Case.objects.filter(status=Case.Status.ACTIVE).count() == 3


# --------------------------------------------------------------------------- what the demo users see


def _inbox(username):
    return list(task_inbox_for(actor=_user(username)))


def _queue(username):
    return list(task_queue_for(actor=_user(username)))


def test_demo_inboxes_and_queues(demo):
    follows = {
        kind: Task.objects.get(process__interventionprocess__intervention=intervention,
                               flow_task=InterventionFlow.follow, status=STATUS.ASSIGNED)
        for kind, intervention in demo["interventions"].items()
    }
    assert set(_inbox("caseworker1")) == {follows[Intervention.Kind.MENTOR], follows[Intervention.Kind.PARENT_COACH]}
    assert _inbox("caseworker2") == [follows[Intervention.Kind.EXIT_PROGRAMME]]
    screenings = set(Task.objects.filter(flow_task=ReferralFlow.screen, status=STATUS.NEW))
    assert len(screenings) == 3
    assert set(_queue("caseworker1")) == set(_queue("caseworker2")) == screenings
    for username in ("mentor1", "coach1", "exitmentor1", "consultant", "bbu1", "auditor", "partner1", "partner2"):
        assert _inbox(username) == [], username
        assert _queue(username) == [], username


def test_providers_see_their_intervention_but_no_case_page(client, demo):
    interventions = demo["interventions"]
    cases = [demo[kind] for kind in interventions]
    for username, own in (("mentor1", Intervention.Kind.MENTOR), ("coach1", Intervention.Kind.PARENT_COACH),
                          ("exitmentor1", Intervention.Kind.EXIT_PROGRAMME)):
        client.force_login(_user(username))
        for case in cases:
            assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404, (username, case)
        for kind, intervention in interventions.items():
            expected = 200 if kind == own else 404
            assert client.get(reverse("interventions:detail", args=[intervention.pk])).status_code == expected
    client.force_login(_user("caseworker1"))
    assert client.get(reverse("cases:detail", args=[demo[Intervention.Kind.MENTOR].pk])).status_code == 200
    assert client.get(reverse("cases:detail", args=[demo[Intervention.Kind.EXIT_PROGRAMME].pk])).status_code == 404


def test_demo_referrals_each_case_has_its_referral(demo):
    from permissions.policy import visible_referrals

    team = Team.objects.get(name="Koordineringsenheden")
    # the three cases' referrals, the three waiting for screening, the unfounded one
    assert Referral.objects.filter(team=team).count() == 7
    assert Referral.objects.filter(case__isnull=False).count() == 3
    assert len(visible_referrals(_user("supervisor"))) == 7
    waiting = set(Referral.objects.filter(status=Referral.Status.TO_COORDINATION_UNIT))
    assert len(waiting) == 3
    assert set(visible_referrals(_user("caseworker1"))) == waiting
    for username in ("mentor1", "coach1", "exitmentor1", "auditor", "bbu1", "partner1", "partner2"):
        assert not visible_referrals(_user(username)).exists(), username


# --------------------------------------------------------------------------- the coordination-unit meeting


def test_demo_partner_members_and_their_meeting(client, demo):
    partners = {username: _user(username) for username in ("partner1", "partner2")}
    for user in partners.values():
        assert user.groups.filter(name="partner_member").exists()
        assert user.team is None
        assert user.check_password("demo-test-pw")
    meeting = Meeting.objects.get()
    assert meeting.status == Meeting.Status.AGENDA_SENT
    assert meeting.chair.username == "supervisor"
    assert meeting.starts_at > timezone.now()
    assert {(m.user.username, m.authority) for m in meeting.members.all()} == {
        ("partner1", "Politiet (DKS)"), ("partner2", "Kriminalforsorgen")}
    items = list(meeting.items.order_by("order"))
    assert [item.referral.person.first_name for item in items] == ["Mikkel", "Ali", "Nora"]
    assert all(not item.is_decided and item.kind == AgendaItem.Kind.REFERRAL for item in items)
    checks = RegisterCheck.objects.filter(item__meeting=meeting)
    assert checks.count() >= 1
    restricted = checks.get(member=partners["partner1"])
    assert restricted.restricted
    assert restricted.legal_basis == RegisterCheck.LegalBasis.RPL_115

    # partner2 sees the agenda but not partner1's check that may not be passed on; no case page.
    client.force_login(partners["partner2"])
    content = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Mikkel" in content
    assert restricted.summary not in content
    for case in Case.objects.all():
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    for referral in Referral.objects.all():
        assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    client.force_login(partners["partner1"])
    assert restricted.summary in client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    client.force_login(_user("caseworker1"))
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200
