"""The case side of the acceptance scenarios (domain.md §6: 1, 2, 5) across the three
flows, driven through the task URLs as the right users (the wrong ones are refused and
nothing changes): states, decisions (kind, decider), grants and audit events."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case, CaseProposal, Consent, Decision
from caseflow.cases.services import case_open
from caseflow.interventions.models import Intervention, InterventionSession
from caseflow.referrals.models import Referral
from permissions.models import CaseGroupGrant, CaseUserGrant, GrantKind
from permissions.policy import Action, can
from tests.factories import PersonFactory, UserFactory
from workflows.case_services import case_process_start
from workflows.flows.case import CaseFlow
from workflows.flows.intervention import InterventionFlow
from workflows.flows.referral import ReferralFlow
from workflows.models import CaseProcess, InterventionProcess, ReferralProcess
from workflows.tasks import workflow_timers_fire_task

pytestmark = pytest.mark.django_db

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
GOALS = "Fiktivt mål: skolegang og en fast fritidsaktivitet."


@pytest.fixture
def mentor2(team):
    return UserFactory(team=team, roles=["mentor"])


# --------------------------------------------------------------------------- helpers


def years_ago(years, extra_days=40) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=extra_days)


def cpr_for(born: datetime.date, serial="4321") -> str:
    """A fictional CPR number for ``born`` (7th digit 4: 2000–2036, 0: 1900s)."""
    century_digit = "4" if born.year >= 2000 else "0"
    return f"{born:%d%m%y}-{century_digit}{serial[1:]}"


def ok(response):
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return response


def post(client, user, url, data):
    client.force_login(user)
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def execute_url(task):
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def execute(client, user, task, data):
    return post(client, user, execute_url(task), data)


def claim(client, user, task):
    client.force_login(user)
    return client.post(reverse("workflows:claim", args=[task.pk]))


def referral_task(referral, node) -> Task:
    return Task.objects.get(process__referralprocess__referral=referral, flow_task=node, status__in=OPEN)


def case_task(case, node) -> Task:
    return Task.objects.get(process__caseprocess__case=case, flow_task=node, status__in=OPEN)


def intervention_task(intervention, node) -> Task:
    return Task.objects.get(process__interventionprocess__intervention=intervention, flow_task=node,
                            status__in=OPEN)


def has_open(intervention, node) -> bool:
    return Task.objects.filter(process__interventionprocess__intervention=intervention, flow_task=node,
                               status__in=OPEN).exists()


def register(client, user, **fields) -> Referral:
    data = {
        "received_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "phone", "referrer_type": "primary_school", "referrer_name": "Fiktiv Lærer",
        "referrer_contact": "skole@example.invalid", "concern_text": "Fiktiv bekymring.",
        "warning_signs": ["extremist_media"], "urgency": "normal", "cpr": "", "first_name": "", "last_name": "",
        "birth_date": "",
    }
    data.update(fields)
    response = post(client, user, reverse("referrals:new"), data)
    assert response.status_code == 302, response.context["form"].errors
    return Referral.objects.latest("pk")


def sign(client, user, case, node, approve=True, justification="Set og godkendt."):
    ok(claim(client, user, case_task(case, node)))
    return execute(client, user, case_task(case, node),
                   {"decision": "yes" if approve else "no", "justification": justification})


def events(action, target):
    return AuditEvent.objects.filter(action=action, target_id=str(target.pk))


def today():
    return timezone.localdate().isoformat()


# --------------------------------------------------------------------------- scenario 1


def test_scenario_1_school_report_to_mentor_session(client, worker, colleague, bbu, consultant, supervisor, mentor,
                                                    outsider):
    born = years_ago(14)
    referral = register(client, worker, cpr=cpr_for(born), first_name="Emil", last_name="Fiktivsen",
                        concern_text="Emil deler voldelige ekstremistiske memes.")
    assert referral.person.is_minor_on(timezone.localdate())  # the minor flag from the CPR number
    ok(execute(client, worker, referral_task(referral, ReferralFlow.acute_triage),
               {"police_alerted": "no", "note": ""}))
    ok(execute(client, worker, referral_task(referral, ReferralFlow.assess),
               {"outcome": "to_coordination_unit", "note": "", "bbu_contact": bbu.pk, "report_needed": "yes",
                "report_justification": "Deler voldelige memes; kan have brug for særlig støtte."}))

    # the underretning: BBU's task with its 24-hour clock; BBU acknowledges
    process = ReferralProcess.objects.get(referral=referral)
    bbu_task = referral_task(referral, ReferralFlow.bbu_acknowledge)
    assert bbu_task.owner == bbu
    timer = Task.objects.get(process_id=process.pk, flow_task=ReferralFlow.bbu_acknowledge__timeout)
    assert timer.scheduled - process.bbu_reported_at == datetime.timedelta(hours=24)
    assert execute(client, outsider, bbu_task, {"assessment": "x"}).status_code in (403, 404)
    ok(execute(client, bbu, bbu_task, {"assessment": "Modtaget; BBU vurderer inden for 24 timer."}))
    assert referral.decisions.get(outcome="bbu_acknowledged").decided_by == bbu

    # screening level 2 by the unit, co-signed by the consultant: the case and its CaseFlow
    ok(claim(client, worker, referral_task(referral, ReferralFlow.screen)))
    ok(execute(client, worker, referral_task(referral, ReferralFlow.screen),
               {"outcome": "case_level_2", "justification": "Drøftet; niveau 2.", "members_present": "A, B og C"}))
    assert not Case.objects.exists()
    cosign = referral_task(referral, ReferralFlow.cosign_screening)
    assert claim(client, worker, cosign).status_code == 404
    ok(claim(client, consultant, cosign))
    ok(execute(client, consultant, referral_task(referral, ReferralFlow.cosign_screening),
               {"approved": "yes", "justification": "Børnefagligt forsvarligt."}))
    case = Case.objects.get()
    assert (case.level, case.is_minor, case.responsible) == (Case.Level.ANTICIPATORY, True, worker)
    assert referral.decisions.get(kind=Decision.Kind.CO_SIGNATURE).decided_by == consultant
    assert CaseProcess.objects.filter(case=case).exclude(status__in=(PROCESS.DONE, PROCESS.CANCELED)).count() == 1

    # clarification with the custody holders' consent
    clarify = case_task(case, CaseFlow.clarify)
    assert clarify.owner == worker
    ok(execute(client, worker, clarify, {
        "conversation": "Samtale med Emil og forældrene.", "consent_given_by": "custody_holder",
        "consent_given_by_name": "Fiktiv Forælder", "consent_given_on": today()}))
    consent = Consent.objects.get(case=case, scope=Consent.Scope.CASE_WORK)
    assert consent.given_by == Consent.GivenBy.CUSTODY_HOLDER

    # the plan with a mentor, co-signed by the consultant (not by the supervisor or the worker)
    ok(execute(client, worker, case_task(case, CaseFlow.plan), {"goals": GOALS, "interventions": ["mentor"]}))
    assert not Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.approve).exists()
    co_sign = case_task(case, CaseFlow.co_sign)
    for user in (worker, supervisor, mentor):
        assert claim(client, user, co_sign).status_code in (403, 404)
    assert not case.interventions.exists()
    ok(sign(client, consultant, case, CaseFlow.co_sign, justification="Planen er børnefagligt god."))
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    assert case.decisions.get(kind=Decision.Kind.PLAN_APPROVAL).decided_by == worker
    plan_signature = case.decisions.filter(kind=Decision.Kind.CO_SIGNATURE).get()
    assert (plan_signature.decided_by, plan_signature.outcome) == (consultant, "approved")
    assert events("case.plan_recorded", case).count() == 1

    # InterventionFlow: nothing for the mentor before the custody holders' consent
    intervention = case.interventions.get()
    assert InterventionProcess.objects.filter(intervention=intervention).exists()
    assert intervention.status == Intervention.Status.PROPOSED
    assert not has_open(intervention, InterventionFlow.match_provider)
    assert not has_open(intervention, InterventionFlow.answer_offer)
    assert not can(mentor, Action.VIEW, intervention)
    consent_task = intervention_task(intervention, InterventionFlow.obtain_consent)
    assert consent_task.owner == worker
    response = execute(client, worker, consent_task, {"given_by": "subject", "given_by_name": "",
                                                      "given_on": today(), "expires_on": "", "note": ""})
    assert response.status_code == 200
    assert "custody holder" in str(response.context["form"].errors)
    assert not has_open(intervention, InterventionFlow.match_provider)
    ok(execute(client, worker, consent_task, {"given_by": "custody_holder", "given_by_name": "Fiktiv Forælder",
                                              "given_on": today(), "expires_on": "", "note": ""}))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.CONSENT_OBTAINED

    # matching the mentor; the mentor accepts and logs a session
    ok(execute(client, worker, intervention_task(intervention, InterventionFlow.match_provider),
               {"provider": mentor.pk, "partner_roles": ""}))
    answer = intervention_task(intervention, InterventionFlow.answer_offer)
    assert answer.owner == mentor
    ok(execute(client, mentor, answer, {"answer": "accept", "goals": GOALS, "started_on": today(), "reason": ""}))
    intervention.refresh_from_db()
    assert (intervention.status, intervention.provider) == (Intervention.Status.ACTIVE, mentor)
    ok(post(client, mentor, reverse("interventions:detail", args=[intervention.pk]),
            {"session-held_on": today(), "session-duration_minutes": 60, "session-topic": "Skole",
             "session-note": "Kort fiktiv note."}))
    session = InterventionSession.objects.get(intervention=intervention)
    assert session.logged_by == mentor

    # the mentor's grant: the intervention only, never the case
    assert can(mentor, Action.VIEW, intervention)
    assert not can(mentor, Action.VIEW, case)
    assert not CaseUserGrant.objects.filter(content_object=case, user=mentor).exists()
    client.force_login(mentor)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("interventions:detail", args=[intervention.pk])).status_code == 200
    for action in ("intervention.consent_obtained", "intervention.matched", "intervention.accepted",
                   "intervention.session_logged"):
        assert events(action, intervention).count() == 1, action


# --------------------------------------------------------------------------- scenario 5


def test_scenario_5_level_3_exit_programme_for_an_adult_returnee(client, team, worker, colleague, consultant,
                                                                 supervisor, mentor, mentor2):
    person = PersonFactory(birth_date=years_ago(27), first_name="Fiktiv", last_name="Hjemvendt")
    case = case_open(actor=worker, person=person, team=team, level=Case.Level.INTERVENING, responsible=worker)
    case_process_start(actor=worker, case=case)
    ok(execute(client, worker, case_task(case, CaseFlow.clarify), {
        "conversation": "Samtale efter hjemkomst fra konfliktzone.", "consent_given_by": "subject",
        "consent_given_on": today()}))
    ok(execute(client, worker, case_task(case, CaseFlow.plan),
               {"goals": GOALS, "interventions": ["exit_programme", "mentor"]}))

    # only the supervisor's approval; no consultant for an adult
    proposal = CaseProposal.objects.get(case=case)
    assert (proposal.needs_approval, proposal.needs_co_signature) == (True, False)
    assert not Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.co_sign).exists()
    approve = case_task(case, CaseFlow.approve)
    for user in (worker, colleague, consultant):
        assert claim(client, user, approve).status_code in (403, 404)
    assert execute(client, worker, approve, {"decision": "yes", "justification": "x"}).status_code in (403, 404)
    assert Case.objects.get(pk=case.pk).status == Case.Status.PLANNING
    ok(sign(client, supervisor, case, CaseFlow.approve, justification="Exitforløb godkendt."))
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    assert case.decisions.get(kind=Decision.Kind.APPROVAL).decided_by == supervisor
    assert not case.decisions.filter(kind=Decision.Kind.CO_SIGNATURE).exists()
    assert case.decisions.get(kind=Decision.Kind.PLAN_APPROVAL).decided_by == worker

    # EXIT + MENTOR; job help is one of the exit programme's partner roles (no kind of its own)
    exit_programme = case.interventions.get(kind=Intervention.Kind.EXIT_PROGRAMME)
    mentoring = case.interventions.get(kind=Intervention.Kind.MENTOR)
    partner_roles = "Politi/PET: risikovurdering. Jobcenter: jobhjælp. Kriminalforsorgen: tilsyn."
    for intervention, provider, roles in ((exit_programme, mentor, partner_roles), (mentoring, mentor2, "")):
        ok(execute(client, worker, intervention_task(intervention, InterventionFlow.obtain_consent),
                   {"given_by": "subject", "given_by_name": "", "given_on": today(), "expires_on": "", "note": ""}))
        ok(execute(client, worker, intervention_task(intervention, InterventionFlow.match_provider),
                   {"provider": provider.pk, "partner_roles": roles}))
        ok(execute(client, provider, intervention_task(intervention, InterventionFlow.answer_offer),
                   {"answer": "accept", "goals": GOALS, "started_on": today(), "reason": ""}))
    exit_programme.refresh_from_db()
    assert exit_programme.partner_roles == partner_roles
    assert exit_programme.status == Intervention.Status.ACTIVE

    # monthly reviews: one month on, two dispatcher runs → one review task of each kind
    case_timer = Task.objects.get(process__caseprocess__case=case, flow_task=CaseFlow.wait_review,
                                  status=STATUS.SCHEDULED)
    assert case_timer.scheduled - timezone.now() < datetime.timedelta(days=32)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=32)):
        workflow_timers_fire_task()
        workflow_timers_fire_task()
    review = Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.review, status__in=OPEN)
    assert review.count() == 1
    assert review.get().owner == worker
    assert Case.objects.get(pk=case.pk).status == Case.Status.REVIEW
    for intervention in (exit_programme, mentoring):
        reviews = Task.objects.filter(process__interventionprocess__intervention=intervention,
                                      flow_task=InterventionFlow.review, status__in=OPEN)
        assert reviews.count() == 1
        intervention.refresh_from_db()
        assert intervention.status == Intervention.Status.REVIEW

    # the caseworker continues the case: the next monthly review is armed
    ok(execute(client, worker, review.get(), {"outcome": "continue", "note": "Forløbet går efter planen."}))
    assert case.decisions.get(kind=Decision.Kind.REVIEW).decided_by == worker
    assert Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.wait_review,
                               status=STATUS.SCHEDULED).count() == 1


# --------------------------------------------------------------------------- scenario 2, consent


def test_scenario_2_only_the_19_year_olds_own_consent_counts(client, team, worker, colleague, consultant):
    born = years_ago(19)
    referral = register(client, worker, cpr=cpr_for(born), first_name="Adam", last_name="Fiktivsen",
                        referrer_type="parent_relative", referrer_name="Fiktiv Mor",
                        concern_text="Isolerer sig og planlægger rejse til en konfliktzone.")
    ok(execute(client, worker, referral_task(referral, ReferralFlow.acute_triage),
               {"police_alerted": "yes", "note": "Politiet (114) orienteret."}))
    ok(execute(client, worker, referral_task(referral, ReferralFlow.assess),
               {"outcome": "to_coordination_unit", "note": ""}))
    ok(claim(client, worker, referral_task(referral, ReferralFlow.screen)))
    ok(execute(client, worker, referral_task(referral, ReferralFlow.screen),
               {"outcome": "case_level_2", "justification": "Niveau 2.", "members_present": "A og B"}))
    case = Case.objects.get()
    assert not case.is_minor

    # a parent's consent, or a minor's exception, is refused with a clear error; nothing is written
    clarify = case_task(case, CaseFlow.clarify)
    response = execute(client, worker, clarify, {
        "conversation": "Samtale.", "consent_given_by": "custody_holder", "consent_given_by_name": "Fiktiv Mor",
        "consent_given_on": today()})
    assert response.status_code == 200
    assert response.context["form"].errors
    response = execute(client, worker, clarify, {
        "conversation": "Samtale.", "consent_given_by": "", "exception_justification": "Moren er risikoen."})
    assert response.status_code == 200
    assert "only their own consent" in str(response.context["form"].errors)
    assert not Consent.objects.filter(case=case).exists()
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLARIFICATION
    assert not case.decisions.exists()

    # his own consent counts
    ok(execute(client, worker, clarify, {"conversation": "Samtale med Adam.", "consent_given_by": "subject",
                                         "consent_given_on": today()}))
    assert Consent.objects.get(case=case).given_by == Consent.GivenBy.SUBJECT
    assert Case.objects.get(pk=case.pk).status == Case.Status.PLANNING

    # the mother has no user; only the caseworker holds a grant on his case
    assert list(CaseUserGrant.objects.filter(content_object=case).values_list("user_id", "kind")) == [
        (worker.pk, GrantKind.ASSIGNED)]
    assert not CaseGroupGrant.objects.filter(content_object=case).exists()
    for user in (colleague, consultant):
        assert not can(user, Action.VIEW, case)
        client.force_login(user)
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
