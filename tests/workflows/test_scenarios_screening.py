"""The screening side of the acceptance scenarios (domain.md §6: 1, 2, 3, 4, 7) and
each of the six screening outcomes end to end, driven through the task URLs as the
right users; the wrong users are refused and nothing changes."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case, Decision
from caseflow.cases.services import case_close, case_open
from caseflow.people.selectors import duplicate_candidates_for
from caseflow.referrals.models import Referral
from caseflow.referrals.services import referral_register
from permissions.models import CaseGroupGrant, CaseUserGrant, GrantKind
from permissions.policy import Action, can
from tests.factories import PersonFactory, UserFactory
from tests.workflows.test_referral_flow import (
    claim,
    execute,
    execute_url,
    open_task,
    process_of,
    screen,
)
from workflows.flows.case import CaseFlow
from workflows.flows.referral import ReferralFlow
from workflows.models import CaseProcess, DeadlineBreach
from workflows.services import referral_process_start
from workflows.tasks import workflow_timers_fire_task

pytestmark = pytest.mark.django_db


def years_ago(years, extra_days=40) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=extra_days)


def cpr_for(born: datetime.date, serial="4321") -> str:
    """A fictional CPR number for ``born`` (7th digit 4: 2000–2036, 0: 1900s)."""
    century_digit = "4" if born.year >= 2000 else "0"
    return f"{born:%d%m%y}-{century_digit}{serial[1:]}"


def register(client, user, **fields) -> Referral:
    client.force_login(user)
    data = {
        "received_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "phone", "referrer_type": "primary_school", "referrer_name": "Fiktiv Lærer",
        "referrer_contact": "skole@example.invalid", "concern_text": "Fiktiv bekymring.",
        "warning_signs": ["extremist_media"], "urgency": "normal", "cpr": "", "first_name": "", "last_name": "",
        "birth_date": "",
    }
    data.update(fields)
    response = client.post(reverse("referrals:new"), data)
    assert response.status_code == 302, response.context["form"].errors
    return Referral.objects.latest("pk")


def ok(response):
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return response


def triage(client, worker, referral, police_alerted=False, note=""):
    ok(execute(client, worker, open_task(referral, ReferralFlow.acute_triage),
               {"police_alerted": "yes" if police_alerted else "no", "note": note}))


def assess(client, worker, referral, outcome="to_coordination_unit", **extra):
    ok(execute(client, worker, open_task(referral, ReferralFlow.assess), {"outcome": outcome, "note": "", **extra}))
    referral.refresh_from_db()


# --------------------------------------------------------------------------- scenario 1


def test_scenario_1_school_reports_a_14_year_old(client, worker, colleague, bbu, consultant, supervisor, mentor, run_jobs):
    born = years_ago(14)
    referral = register(client, worker, cpr=cpr_for(born), first_name="Emil", last_name="Fiktivsen",
                        concern_text="Emil deler voldelige ekstremistiske memes.")
    assert referral.person.birth_date == born  # the minor flag comes from the CPR number
    assert referral.person.is_minor_on(timezone.localdate())
    triage(client, worker, referral)

    # the minor's assessment needs the BBU contact and the underretning checkpoint
    task = open_task(referral, ReferralFlow.assess)
    response = execute(client, worker, task, {"outcome": "to_coordination_unit"})
    assert response.status_code == 200
    assert {"bbu_contact", "report_needed"} <= set(response.context["form"].errors)
    assess(client, worker, referral, bbu_contact=bbu.pk, report_needed="yes",
           report_justification="Deler voldelige memes; kan have brug for særlig støtte.")

    # the report to BBU: BBU's grant, its task and its 24-hour clock
    process = process_of(referral)
    assert process.bbu_reported_at is not None
    assert AuditEvent.objects.filter(action="referral.bbu_reported", target_id=str(referral.pk)).count() == 1
    assert can(bbu, Action.VIEW, referral)
    assert not can(bbu, Action.CHANGE, referral)
    bbu_task = open_task(referral, ReferralFlow.bbu_acknowledge)
    assert bbu_task.owner == bbu
    timer = Task.objects.get(process_id=process.pk, flow_task=ReferralFlow.bbu_acknowledge__timeout)
    assert timer.scheduled - process.bbu_reported_at == datetime.timedelta(hours=24)

    # the unit's outcome: level 2, recorded by the caseworker, waiting for the consultant
    ok(screen(client, colleague, referral, "case_level_2", responsible=worker.pk))
    assert Case.objects.count() == 0
    cosign = open_task(referral, ReferralFlow.cosign_screening)
    for user in (worker, supervisor, bbu, mentor):
        assert claim(client, user, cosign).status_code == 404
    assert claim(client, consultant, cosign).status_code == 302
    ok(execute(client, consultant, cosign, {"approved": "yes", "justification": "Børnefagligt forsvarligt."}))

    case = Case.objects.get()
    referral.refresh_from_db()
    assert referral.case == case
    assert case.level == Case.Level.ANTICIPATORY
    assert case.is_minor
    assert case.responsible == worker
    assert referral.decisions.get(kind=Decision.Kind.SCREENING).decided_by == colleague
    assert referral.decisions.get(kind=Decision.Kind.CO_SIGNATURE).decided_by == consultant
    case_process = CaseProcess.objects.get(case=case)
    clarify = Task.objects.get(process_id=case_process.pk, flow_task=CaseFlow.clarify)
    assert clarify.owner == worker
    assert clarify.status == STATUS.ASSIGNED
    assert can(consultant, Action.CO_SIGN, case)

    # BBU's branch is still open: the referral's process waits for it (and for the
    # e-mail to BBU, which a worker sends)
    assert process_of(referral).status == PROCESS.NEW
    assert run_jobs() == 1
    ok(execute(client, bbu, bbu_task, {"assessment": "Modtaget; børnefaglig undersøgelse igangsat."}))
    assert process_of(referral).status == PROCESS.DONE
    assert AuditEvent.objects.filter(action="referral.bbu_acknowledged", actor_id=bbu.pk).count() == 1


# --------------------------------------------------------------------------- scenario 2


def test_scenario_2_parent_reports_a_19_year_old_police_alerted_and_the_case_continues(
        client, worker, colleague, consultant):
    born = years_ago(19)
    referral = register(client, worker, cpr=cpr_for(born), first_name="Adam", last_name="Fiktivsen",
                        referrer_type="parent_relative", referrer_name="Fiktiv Mor",
                        concern_text="Isolerer sig og planlægger rejse til en konfliktzone.",
                        warning_signs=["conflict_travel", "family_isolation"], urgency="acute")
    triage(client, worker, referral, police_alerted=True, note="Politiet (114) orienteret kl. 09.10 om rejseplanerne.")
    police = referral.decisions.get(outcome="police_alerted")
    assert police.decided_by == worker

    # the concern continues: adult track, no BBU fields, no report, no co-signature
    client.force_login(worker)
    assert "bbu_contact" not in client.get(execute_url(open_task(referral, ReferralFlow.assess))).context["form"].fields
    assess(client, worker, referral)
    ok(screen(client, worker, referral, "case_level_2"))
    assert not Task.objects.filter(process__referralprocess__referral=referral,
                                   flow_task__in=[ReferralFlow.bbu_acknowledge, ReferralFlow.cosign_screening]).exists()
    case = Case.objects.get()
    referral.refresh_from_db()
    assert referral.case == case
    assert not case.is_minor
    assert process_of(referral).status == PROCESS.DONE
    assert CaseProcess.objects.filter(case=case).exists()

    # the mother (the referrer) has no user and gets no access: only the caseworker's grant
    assert list(CaseUserGrant.objects.filter(content_object=case).values_list("user_id", "kind")) == [
        (worker.pk, GrantKind.ASSIGNED)]
    assert not CaseGroupGrant.objects.filter(content_object=case).exists()
    assert not can(consultant, Action.VIEW, case)
    assert not can(colleague, Action.VIEW, case)


# --------------------------------------------------------------------------- scenario 3


def anonymous_tip(client, worker) -> Referral:
    referral = register(client, worker, referrer_type="anonymous", is_anonymous="on", referrer_name="",
                        referrer_contact="", concern_text="Nogen i en klub på Nørrebro.")
    assert referral.person is None
    triage(client, worker, referral)
    assess(client, worker, referral, outcome="awaiting_information")
    assert referral.status == Referral.Status.AWAITING_INFORMATION
    return referral


def test_scenario_3_anonymous_tip_is_shelved_by_hand(client, worker, outsider):
    referral = anonymous_tip(client, worker)
    task = open_task(referral, ReferralFlow.receive_information)
    client.force_login(outsider)  # another team's caseworker: 404, existence not confirmed
    assert client.post(execute_url(task), {"sufficient": "no", "note": "x"}).status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.AWAITING_INFORMATION
    ok(execute(client, worker, task, {"sufficient": "no", "note": "Ingen identificerbare oplysninger."}))
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SHELVED
    assert referral.closed_at is not None
    assert referral.decisions.get().outcome == "shelved"
    assert Case.objects.count() == 0
    assert process_of(referral).status == PROCESS.DONE


def test_scenario_3_anonymous_tip_is_shelved_after_the_working_days_timeout_once(client, worker):
    referral = anonymous_tip(client, worker)
    timer = Task.objects.get(process__referralprocess__referral=referral,
                             flow_task=ReferralFlow.receive_information__timeout)
    with time_machine.travel(timer.scheduled + datetime.timedelta(minutes=1)):
        workflow_timers_fire_task()
        workflow_timers_fire_task()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SHELVED
    assert referral.decisions.filter(outcome="shelved_info_timeout").count() == 1
    assert AuditEvent.objects.filter(action="referral.changed", target_id=str(referral.pk),
                                     changes__status__1=Referral.Status.SHELVED).count() == 1
    assert Case.objects.count() == 0
    process = process_of(referral)
    assert process.status == PROCESS.DONE
    assert process.task_set.filter(flow_task=ReferralFlow.end_shelved).count() == 1
    assert not DeadlineBreach.objects.exists()


# --------------------------------------------------------------------------- scenario 4


def test_scenario_4_concern_about_a_cpr_with_an_open_case(client, worker, colleague, team):
    born = years_ago(30)
    cpr = cpr_for(born)
    owner = UserFactory(team=team, roles=["caseworker"], first_name="Sara", last_name="Sagsbehandler")
    first = register(client, owner, cpr=cpr, first_name="Omar", last_name="Fiktivsen")
    case = case_open(actor=owner, person=first.person, team=team, level=Case.Level.ANTICIPATORY, responsible=owner)
    cases_before = Case.objects.count()

    # a colleague who cannot see that case registers a new concern about the same CPR
    assert not can(colleague, Action.VIEW, case)
    second = register(client, colleague, cpr=cpr, first_name="Omar", last_name="Fiktivsen")
    assert second.person == first.person  # the same person by the CPR number; the case is not touched
    hits = duplicate_candidates_for(actor=colleague, cpr=cpr)
    case_hit = next(hit for hit in hits if hit.kind == "case")
    assert case_hit.object_id == case.pk
    assert case_hit.visible is False
    assert case_hit.reference is None  # only "a case exists — contact …"
    assert "Sara" in case_hit.contact
    client.force_login(colleague)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code in (403, 404)

    # the flow goes on about the new referral; nothing is merged into the case
    triage(client, colleague, second)
    assess(client, colleague, second)
    assert Case.objects.count() == cases_before
    second.refresh_from_db()
    assert second.case is None
    case.refresh_from_db()
    assert case.responsible == owner

    # a name and birth-date match without a CPR number is flagged as a possible duplicate
    third = register(client, colleague, first_name="omar", last_name="FIKTIVSEN", birth_date=born.isoformat())
    assert third.person != first.person
    hits = duplicate_candidates_for(actor=colleague, first_name="omar", last_name="FIKTIVSEN", birth_date=born,
                                    exclude_referral_id=third.pk)
    assert {hit.match for hit in hits} == {"name_birth_date"}
    assert case.pk in {hit.object_id for hit in hits if hit.kind == "case"}


# --------------------------------------------------------------------------- scenario 7


def test_scenario_7_new_concern_reopens_the_case_closed_4_months_ago(client, worker, team):
    person = PersonFactory(birth_date=years_ago(25))
    with time_machine.travel(timezone.now() - datetime.timedelta(days=200)):
        case = case_open(actor=worker, person=person, team=team, level=Case.Level.ANTICIPATORY, responsible=worker)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=122)):
        case_close(actor=worker, case=case, reason=Case.ClosureReason.GOALS_MET, justification="Målene nået.")
    reference = case.reference
    referral = referral_register(actor=worker, team=team, channel=Referral.Channel.PHONE,
                                 referrer_type=Referral.ReferrerType.JOBCENTRE, concern_text="Ny bekymring.",
                                 person=person)
    assert referral.reopen_case == case
    referral_process_start(actor=worker, referral=referral)
    triage(client, worker, referral)
    assess(client, worker, referral)
    ok(screen(client, worker, referral, "case_level_2"))

    assert Case.objects.count() == 1
    case.refresh_from_db()
    referral.refresh_from_db()
    assert case.reference == reference
    assert case.status == Case.Status.REOPENED
    assert case.closed_at is None
    assert referral.case == case
    assert case.decisions.filter(kind=Decision.Kind.CLOSURE).exists()  # the history is continuous
    reopening = case.decisions.get(kind=Decision.Kind.REOPENING)
    assert reopening.decided_by == worker
    assert AuditEvent.objects.filter(action="case.reopened", target_id=str(case.pk),
                                     extra__referral_id=referral.pk).count() == 1
    running = CaseProcess.objects.filter(case=case).exclude(status__in=(PROCESS.DONE, PROCESS.CANCELED))
    assert running.count() == 1
    assert process_of(referral).status == PROCESS.DONE


# --------------------------------------------------------------------------- the six outcomes


OUTCOMES = ["unfounded", "advice_to_referrer", "referred_elsewhere", "police_handling", "case_level_2",
            "case_level_3"]


@pytest.mark.parametrize("minor", [False, True], ids=["adult", "minor"])
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_each_screening_outcome_end_to_end(client, worker, colleague, bbu, consultant, outsider, outcome, minor):
    born = years_ago(15 if minor else 30)
    referral = register(client, worker, first_name="Fiktiv", last_name="Person", birth_date=born.isoformat())
    triage(client, worker, referral)
    extra = {"bbu_contact": bbu.pk, "report_needed": "no", "report_justification": "Ingen tegn."} if minor else {}
    assess(client, worker, referral, **extra)

    # the wrong user cannot take the screening
    task = open_task(referral, ReferralFlow.screen)
    assert claim(client, outsider, task).status_code == 404
    ok(screen(client, colleague, referral, outcome))
    if minor:
        referral.refresh_from_db()
        assert referral.status == Referral.Status.TO_COORDINATION_UNIT
        cosign = open_task(referral, ReferralFlow.cosign_screening)
        assert claim(client, colleague, cosign).status_code == 404
        assert claim(client, consultant, cosign).status_code == 302
        ok(execute(client, consultant, cosign, {"approved": "yes", "justification": "Enig."}))

    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASSESSED
    assert referral.outcome == outcome
    decision = referral.decisions.get(kind=Decision.Kind.SCREENING)
    assert (decision.outcome, decision.decided_by, decision.members_present) == (outcome, colleague, "A, B og C")
    assert referral.decisions.filter(kind=Decision.Kind.CO_SIGNATURE).count() == (1 if minor else 0)
    assert AuditEvent.objects.filter(action="referral.screened", target_id=str(referral.pk)).count() == 1
    process = process_of(referral)
    assert process.status == PROCESS.DONE
    if outcome.startswith("case_level_"):
        case = Case.objects.get()
        assert referral.case == case
        assert referral.closed_at is None
        assert case.level == int(outcome[-1])
        assert case.is_minor == minor
        assert Task.objects.get(process__caseprocess__case=case, flow_task=CaseFlow.clarify).owner == colleague
        assert process.task_set.filter(flow_task=ReferralFlow.end_case_opened, status=STATUS.DONE).exists()
    else:
        assert Case.objects.count() == 0
        assert referral.closed_at is not None
        assert process.task_set.filter(flow_task=ReferralFlow.end_concluded, status=STATUS.DONE).exists()
