"""CaseFlow end to end, driven through the task URLs as the right users (and refused to
the wrong ones), on the real PostgreSQL: statuses, decisions, grants, audit events,
timers (time_machine), reopening (scenario 7), a refused closure (scenario 10) and
turning 18 (scenario 11)."""

import datetime

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.timers import fire_due_timers

from caseflow.audit.models import AuditEvent
from caseflow.cases.consents import consent_record
from caseflow.cases.models import Case, CaseProposal, Consent, Decision
from caseflow.cases.services import case_open
from caseflow.core.exceptions import ApplicationError
from caseflow.interventions.models import Intervention
from permissions.models import GrantKind
from permissions.policy import Action, can
from tests.factories import PersonFactory, grant
from workflows.case_services import case_process_start, case_reopen
from workflows.flows.case import CaseFlow
from workflows.models import CaseProcess, InterventionProcess

pytestmark = pytest.mark.django_db

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
ADULT_BIRTH_DATE = datetime.date(1990, 5, 4)


def years_ago(years, days=0):
    return timezone.localdate() - relativedelta(years=years) + datetime.timedelta(days=days)


def new_case(worker, team, birth_date=ADULT_BIRTH_DATE, level=Case.Level.ANTICIPATORY) -> Case:
    person = PersonFactory(birth_date=birth_date)
    case = case_open(actor=worker, person=person, team=team, level=level, responsible=worker)
    case_process_start(actor=worker, case=case)
    return Case.objects.get(pk=case.pk)


def open_task(case, node) -> Task:
    return Task.objects.get(process__caseprocess__case=case, flow_task=node, status__in=OPEN)


def execute_url(task):
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def execute(client, user, task, data):
    client.force_login(user)
    return client.post(execute_url(task), data, HTTP_ACCEPT_LANGUAGE="en")


def claim(client, user, task):
    client.force_login(user)
    return client.post(reverse("workflows:claim", args=[task.pk]))


def ok(response):
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return response


def clarify(client, worker, case, **consent):
    consent = consent or {"consent_given_by": "subject", "consent_given_on": timezone.localdate().isoformat()}
    ok(execute(client, worker, open_task(case, CaseFlow.clarify),
               {"conversation": "Bekymringssamtale med borgeren.", **consent}))


def custody_consent():
    return {"consent_given_by": "custody_holder", "consent_given_by_name": "Fiktiv Forælder",
            "consent_given_on": timezone.localdate().isoformat()}


def plan(client, worker, case, interventions=("mentor", "professional_advice")):
    return execute(client, worker, open_task(case, CaseFlow.plan),
                   {"goals": "Skole og fritid.", "interventions": list(interventions)})


def sign(client, user, case, node, approve=True, justification="Set og godkendt."):
    task = open_task(case, node)
    ok(claim(client, user, task))
    return execute(client, user, open_task(case, node),
                   {"decision": "yes" if approve else "no", "justification": justification})


def review(client, worker, case, outcome, **extra):
    return execute(client, worker, open_task(case, CaseFlow.review),
                   {"outcome": outcome, "note": "Status drøftet.", **extra})


def scheduled(case, node) -> Task:
    return Task.objects.get(process__caseprocess__case=case, flow_task=node, status=STATUS.SCHEDULED)


def status(case):
    return Case.objects.get(pk=case.pk).status


# --------------------------------------------------------------------------- adult level 2, the whole life


def test_adult_level_2_case_from_clarification_to_archive(client, worker, team, mentor):
    case = new_case(worker, team)
    assert case.status == Case.Status.CLARIFICATION
    assert open_task(case, CaseFlow.clarify).owner == worker
    assert not Task.objects.filter(flow_task=CaseFlow.wait_adult_transition).exists()
    clarify(client, worker, case)
    assert status(case) == Case.Status.PLANNING
    assert Consent.objects.get(case=case).given_by == Consent.GivenBy.SUBJECT

    ok(plan(client, worker, case))
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    approval = case.decisions.get(kind=Decision.Kind.PLAN_APPROVAL)
    assert approval.decided_by == worker
    assert sorted(case.interventions.values_list("kind", flat=True)) == ["mentor", "professional_advice"]
    assert InterventionProcess.objects.filter(intervention__case=case).count() == 2
    timer = scheduled(case, CaseFlow.wait_review)
    assert abs(timer.scheduled - (timezone.now() + relativedelta(months=3))) < datetime.timedelta(minutes=5)
    assert AuditEvent.objects.filter(action="case.plan_recorded", target_id=str(case.pk)).exists()

    with time_machine.travel(timezone.now(), tick=True) as clock:
        fire_due_timers()
        assert not Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.review).exists()
        clock.shift(datetime.timedelta(days=93))
        fire_due_timers()
        assert status(case) == Case.Status.REVIEW
        assert open_task(case, CaseFlow.review).owner == worker
        ok(review(client, worker, case, "continue"))
        assert status(case) == Case.Status.ACTIVE
        assert case.decisions.get(kind=Decision.Kind.REVIEW).outcome == "continue"
        scheduled(case, CaseFlow.wait_review)

        clock.shift(datetime.timedelta(days=93))
        fire_due_timers()
        intervention = case.interventions.first()
        grant(intervention, mentor, GrantKind.PROVIDER)
        assert can(mentor, Action.VIEW, intervention)
        response = review(client, worker, case, "closure", closure_reason="")
        assert response.status_code == 200
        assert "closure_reason" in response.context["form"].errors
        ok(review(client, worker, case, "closure", closure_reason="goals_met"))
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED
        assert case.closure_reason == "goals_met"
        closure = case.decisions.get(kind=Decision.Kind.CLOSURE)
        assert closure.decided_by == worker
        assert closure.justification == "Status drøftet."
        assert not can(mentor, Action.VIEW, intervention)
        assert can(worker, Action.CHANGE, case)  # the caseworker keeps the case for its follow-up

        clock.shift(datetime.timedelta(days=190))
        fire_due_timers()
        assert status(case) == Case.Status.FOLLOW_UP_6M
        ok(execute(client, worker, open_task(case, CaseFlow.follow_up_6m), {"note": "Går godt."}))
        assert status(case) == Case.Status.FOLLOW_UP_6M
        clock.shift(datetime.timedelta(days=190))
        fire_due_timers()
        assert status(case) == Case.Status.FOLLOW_UP_12M
        ok(execute(client, worker, open_task(case, CaseFlow.follow_up_12m), {"note": "Stadig godt."}))

    case.refresh_from_db()
    assert case.status == Case.Status.ARCHIVED
    assert list(case.decisions.filter(kind=Decision.Kind.OTHER, outcome__startswith="follow_up").values_list(
        "outcome", flat=True).order_by("pk")) == ["follow_up_6m", "follow_up_12m"]
    assert AuditEvent.objects.filter(action="case.archived", target_id=str(case.pk)).count() == 1
    assert AuditEvent.objects.filter(action="case.followed_up", target_id=str(case.pk)).count() == 2
    process = CaseProcess.objects.get(case=case)
    assert process.status == PROCESS.DONE
    assert not process.task_set.filter(status__in=(*OPEN, STATUS.SCHEDULED)).exists()


def test_clarification_needs_consent_or_a_minors_exception(client, worker, team):
    case = new_case(worker, team)
    task = open_task(case, CaseFlow.clarify)
    response = execute(client, worker, task, {"conversation": "Samtale.", "consent_given_by": "",
                                              "exception_justification": "Forælder er risikoen."})
    assert response.status_code == 200
    assert "exception_justification" in response.context["form"].errors
    response = execute(client, worker, task, {"conversation": "Samtale."})
    assert response.status_code == 200
    assert "consent_given_by" in response.context["form"].errors
    assert status(case) == Case.Status.CLARIFICATION
    assert not case.decisions.exists()
    minor = new_case(worker, team, birth_date=years_ago(15))
    clarify(client, worker, minor, consent_given_by="", exception_justification="Forælder er risikoen; BBU enig.")
    assert minor.decisions.filter(outcome="consent_exception").exists()


def test_mentor_needs_consent_in_the_plan(client, worker, team):
    case = new_case(worker, team, birth_date=years_ago(15))
    clarify(client, worker, case, consent_given_by="", exception_justification="Forælder er risikoen; BBU enig.")
    response = plan(client, worker, case, interventions=["mentor"])
    assert response.status_code == 200
    assert "interventions" in response.context["form"].errors
    assert not CaseProposal.objects.filter(case=case).exists()
    ok(plan(client, worker, case, interventions=["professional_advice"]))


# --------------------------------------------------------------------------- minor level 3: split and join


def test_minor_level_3_plan_needs_co_signature_and_approval(client, worker, team, consultant, supervisor,
                                                             colleague):
    case = new_case(worker, team, birth_date=years_ago(15), level=Case.Level.INTERVENING)
    assert case.is_minor
    clarify(client, worker, case, **custody_consent())
    ok(plan(client, worker, case, interventions=["mentor", "exit_programme"]))
    co_sign, approve = open_task(case, CaseFlow.co_sign), open_task(case, CaseFlow.approve)
    assert co_sign.owner is None
    assert approve.owner is None
    assert co_sign.owner_permission == "cases.cosign_case"
    assert approve.owner_permission == "cases.approve_case"

    # The wrong users cannot take or do either signature.
    for user in (worker, colleague, supervisor):
        assert claim(client, user, co_sign).status_code in (403, 404)
    for user in (worker, consultant):
        assert claim(client, user, approve).status_code in (403, 404)
    assert execute(client, worker, co_sign, {"decision": "yes", "justification": "x"}).status_code in (403, 404)
    assert Task.objects.get(pk=co_sign.pk).owner is None

    ok(sign(client, consultant, case, CaseFlow.co_sign))
    assert status(case) == Case.Status.PLANNING
    assert not case.interventions.exists()
    ok(sign(client, supervisor, case, CaseFlow.approve))
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    co_signature = case.decisions.get(kind=Decision.Kind.CO_SIGNATURE)
    assert (co_signature.decided_by, co_signature.outcome) == (consultant, "approved")
    assert case.decisions.get(kind=Decision.Kind.APPROVAL).decided_by == supervisor
    assert case.decisions.get(kind=Decision.Kind.PLAN_APPROVAL).decided_by == worker
    assert case.interventions.count() == 2
    assert Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.join_signatures,
                               status=STATUS.DONE).count() == 1
    timer = scheduled(case, CaseFlow.wait_review)
    assert timer.scheduled - timezone.now() < datetime.timedelta(days=32)  # level 3: monthly


def test_a_refused_plan_goes_back_to_the_caseworker_with_the_refusal(client, worker, team, consultant):
    case = new_case(worker, team, birth_date=years_ago(15), level=Case.Level.INTERVENING)
    clarify(client, worker, case, **custody_consent())
    ok(plan(client, worker, case))
    response = sign(client, consultant, case, CaseFlow.co_sign, approve=True, justification="")
    assert response.status_code == 200
    assert "justification" in response.context["form"].errors
    ok(execute(client, consultant, open_task(case, CaseFlow.co_sign),
               {"decision": "no", "justification": "Målene er for vage."}))
    assert CaseProposal.objects.get(case=case).status == CaseProposal.Status.REFUSED
    # The supervisor's pending approval is cancelled; the plan is the caseworker's again.
    assert not Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.approve,
                                   status__in=OPEN).exists()
    task = open_task(case, CaseFlow.plan)
    assert task.owner == worker
    assert status(case) == Case.Status.PLANNING
    client.force_login(worker)
    page = client.get(execute_url(task), HTTP_ACCEPT_LANGUAGE="en")
    assert "Målene er for vage." in page.content.decode()
    refusal = case.decisions.get(kind=Decision.Kind.CO_SIGNATURE)
    assert (refusal.outcome, refusal.decided_by) == ("refused", consultant)
    assert not case.interventions.exists()


def test_wrong_users_cannot_do_the_caseworker_tasks(client, worker, team, outsider, consultant, mentor,
                                                    colleague):
    case = new_case(worker, team, birth_date=years_ago(15))
    task = open_task(case, CaseFlow.clarify)
    for user in (outsider, consultant, mentor, colleague):
        client.force_login(user)
        assert client.get(execute_url(task)).status_code in (403, 404)
        response = execute(client, user, task, {"conversation": "x", "consent_given_by": "subject",
                                                 "consent_given_on": timezone.localdate().isoformat()})
        assert response.status_code in (403, 404)
    assert status(case) == Case.Status.CLARIFICATION
    assert not Consent.objects.exists()
    assert Task.objects.get(pk=task.pk).status == STATUS.ASSIGNED


def test_execute_refused_when_the_owner_lost_access(client, worker, team):
    case = new_case(worker, team)
    from permissions.services import case_access_revoke

    case_access_revoke(actor=None, case=case, kind=GrantKind.ASSIGNED, user=worker)
    task = open_task(case, CaseFlow.clarify)
    response = execute(client, worker, task, {"conversation": "x", "consent_given_by": "subject",
                                              "consent_given_on": timezone.localdate().isoformat()})
    assert response.status_code == 404  # they no longer see the case: as if it did not exist
    assert status(case) == Case.Status.CLARIFICATION


def test_case_process_start_refused_to_outsiders_and_twice(worker, team, outsider):
    case = case_open(actor=worker, person=PersonFactory(), team=team, level=2, responsible=worker)
    with pytest.raises(ApplicationError):
        case_process_start(actor=outsider, case=case)
    case_process_start(actor=worker, case=case)
    with pytest.raises(ApplicationError):
        case_process_start(actor=worker, case=case)
    assert CaseProcess.objects.filter(case=case).count() == 1


# --------------------------------------------------------------------------- level change


def test_minor_level_change_is_co_signed_and_sets_the_next_interval(client, worker, team, consultant):
    case = new_case(worker, team, birth_date=years_ago(15))
    clarify(client, worker, case, **custody_consent())
    ok(plan(client, worker, case))
    ok(sign(client, consultant, case, CaseFlow.co_sign))
    with time_machine.travel(timezone.now(), tick=True) as clock:
        clock.shift(datetime.timedelta(days=93))
        fire_due_timers()
        ok(review(client, worker, case, "level_change", level="3"))
        assert Case.objects.get(pk=case.pk).level == 2
        ok(sign(client, consultant, case, CaseFlow.co_sign))
        case.refresh_from_db()
        assert case.level == 3
        assert case.status == Case.Status.ACTIVE
        change = case.decisions.get(kind=Decision.Kind.LEVEL_CHANGE)
        assert (change.decided_by, change.outcome) == (worker, "2->3")
        assert AuditEvent.objects.filter(action="case.level_changed", target_id=str(case.pk)).exists()
        assert scheduled(case, CaseFlow.wait_review).scheduled - timezone.now() < datetime.timedelta(days=32)


# --------------------------------------------------------------------------- scenario 10


def to_review(client, worker, consultant, case):
    clarify(client, worker, case, **custody_consent())
    ok(plan(client, worker, case, interventions=["professional_advice"]))
    ok(sign(client, consultant, case, CaseFlow.co_sign))


def test_scenario_10_consultant_refuses_the_closure_of_a_16_year_olds_case(client, worker, team, consultant,
                                                                          supervisor):
    case = new_case(worker, team, birth_date=years_ago(16))
    to_review(client, worker, consultant, case)
    with time_machine.travel(timezone.now(), tick=True) as clock:
        clock.shift(datetime.timedelta(days=93))
        fire_due_timers()
        ok(review(client, worker, case, "closure", closure_reason="goals_met"))
        assert status(case) == Case.Status.REVIEW
        ok(sign(client, consultant, case, CaseFlow.co_sign, approve=False,
                justification="Ikke før skoleskiftet er på plads."))
    case.refresh_from_db()
    assert case.is_open
    assert case.status == Case.Status.REVIEW
    assert case.closed_at is None
    assert not case.decisions.filter(kind=Decision.Kind.CLOSURE).exists()
    refusal = case.decisions.get(kind=Decision.Kind.CO_SIGNATURE, outcome="refused")
    assert refusal.decided_by == consultant
    # Back to the caseworker, who may propose again or continue.
    assert open_task(case, CaseFlow.review).owner == worker
    client.force_login(supervisor)
    history = client.get(reverse("cases:history", args=[case.pk]))
    assert history.status_code == 200
    assert "Ikke før skoleskiftet er på plads." in history.content.decode()
    ok(review(client, worker, case, "continue"))
    assert status(case) == Case.Status.ACTIVE


# --------------------------------------------------------------------------- scenario 7


def close_adult_case(client, worker, team):
    case = new_case(worker, team)
    clarify(client, worker, case)
    ok(plan(client, worker, case, interventions=["professional_advice"]))
    with time_machine.travel(timezone.now(), tick=True) as clock:
        clock.shift(datetime.timedelta(days=93))
        fire_due_timers()
        ok(review(client, worker, case, "closure", closure_reason="goals_met"))
    assert status(case) == Case.Status.CLOSED
    return case


def test_scenario_7_reopen_keeps_the_number_and_replaces_the_follow_up(client, worker, team, outsider):
    case = close_adult_case(client, worker, team)
    reference = case.reference
    old = CaseProcess.objects.get(case=case)
    timer = scheduled(case, CaseFlow.wait_follow_up_6m)
    decisions_before = set(case.decisions.values_list("pk", flat=True))
    with pytest.raises(ApplicationError):
        case_reopen(actor=outsider, case=case, justification="Ny bekymring.")
    with pytest.raises(ApplicationError):
        case_reopen(actor=worker, case=case, justification=" ")

    case = case_reopen(actor=worker, case=case, justification="Ny bekymring fra skolen.")
    assert case.reference == reference
    assert case.status == Case.Status.REOPENED
    assert case.closed_at is None
    reopening = case.decisions.get(kind=Decision.Kind.REOPENING)
    assert reopening.decided_by == worker
    assert reopening.outcome == "closed"
    assert decisions_before < set(case.decisions.values_list("pk", flat=True))
    assert Task.objects.get(pk=timer.pk).status == STATUS.CANCELED
    assert CaseProcess.objects.get(pk=old.pk).status == PROCESS.CANCELED
    running = CaseProcess.objects.filter(case=case).exclude(status__in=(PROCESS.DONE, PROCESS.CANCELED))
    assert running.count() == 1
    assert open_task(case, CaseFlow.clarify).owner == worker
    assert AuditEvent.objects.filter(action="case.reopened", target_id=str(case.pk)).count() == 1
    with pytest.raises(ApplicationError):
        case_reopen(actor=worker, case=case, justification="Igen.")  # an open case is not reopened

    with time_machine.travel(timezone.now() + datetime.timedelta(days=200), tick=True):
        fire_due_timers()
    assert status(case) == Case.Status.REOPENED
    clarify(client, worker, case)
    assert status(case) == Case.Status.PLANNING


def test_reopen_restores_the_responsible_caseworkers_access(client, worker, team, supervisor):
    case = close_adult_case(client, worker, team)
    from permissions.services import case_access_revoke

    case_access_revoke(actor=None, case=case, kind=GrantKind.ASSIGNED, user=worker)
    assert not can(worker, Action.VIEW, case)
    case_reopen(actor=supervisor, case=case, justification="Ny henvendelse.")
    assert can(worker, Action.CHANGE, case)
    assert open_task(case, CaseFlow.clarify).owner == worker


# --------------------------------------------------------------------------- scenario 11


def test_scenario_11_turning_18_task_and_own_consent(client, worker, team, consultant):
    birth_date = years_ago(18, days=120)  # 18 in about four months
    case = new_case(worker, team, birth_date=birth_date)
    timer = scheduled(case, CaseFlow.wait_adult_transition)
    due = birth_date + relativedelta(years=18) - relativedelta(months=3)
    assert timezone.localtime(timer.scheduled).date() == due
    to_review(client, worker, consultant, case)
    with time_machine.travel(timezone.now(), tick=True) as clock:
        clock.shift(datetime.timedelta(days=40))
        fire_due_timers()
        fire_due_timers()
        tasks = Task.objects.filter(process__caseprocess__case=case, flow_task=CaseFlow.plan_adult_transition)
        assert tasks.count() == 1
        assert tasks.get().owner == worker
        ok(execute(client, worker, tasks.get(), {"note": "Overgang til voksenindsats (SEL § 12 b)."}))
        clock.shift(datetime.timedelta(days=90))  # past the 18th birthday and the review
        fire_due_timers()
        assert not case.person.is_minor_on(timezone.localdate())
        response = review(client, worker, case, "continue")
        assert response.status_code == 200
        assert "outcome" in response.context["form"].errors
        assert status(case) == Case.Status.REVIEW
        consent_record(actor=worker, case=case, scope=Consent.Scope.CASE_WORK, given_by="subject",
                       given_on=timezone.localdate())
        ok(review(client, worker, case, "continue"))
        assert status(case) == Case.Status.ACTIVE
    assert Task.objects.filter(flow_task=CaseFlow.plan_adult_transition).count() == 1


def test_adult_transition_branch_does_not_keep_a_closed_process_open(client, worker, team, consultant):
    case = new_case(worker, team, birth_date=years_ago(16))  # the 18-minus-3 point is far away
    scheduled(case, CaseFlow.wait_adult_transition)
    to_review(client, worker, consultant, case)
    with time_machine.travel(timezone.now(), tick=True) as clock:
        clock.shift(datetime.timedelta(days=93))
        fire_due_timers()
        ok(review(client, worker, case, "closure", closure_reason="goals_met"))
        ok(sign(client, consultant, case, CaseFlow.co_sign))
        assert status(case) == Case.Status.CLOSED
        for _ in range(2):
            clock.shift(datetime.timedelta(days=190))
            fire_due_timers()
            node = CaseFlow.follow_up_6m if status(case) == Case.Status.FOLLOW_UP_6M else CaseFlow.follow_up_12m
            ok(execute(client, worker, open_task(case, node), {"note": "Opfølgning."}))
    process = CaseProcess.objects.get(case=case)
    assert status(case) == Case.Status.ARCHIVED
    assert process.status == PROCESS.DONE
    assert not process.task_set.filter(status__in=(*OPEN, STATUS.SCHEDULED)).exists()
    assert Intervention.objects.filter(case=case).count() == 1


# --------------------------------------------------------------------------- the case page


def test_case_page_shows_open_tasks_and_the_chart(client, worker, team, consultant, outsider,
                                                  django_assert_max_num_queries):
    case = new_case(worker, team, birth_date=years_ago(15))
    clarify(client, worker, case, **custody_consent())
    url = reverse("cases:detail", args=[case.pk])
    client.force_login(worker)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert execute_url(open_task(case, CaseFlow.plan)) in page
    assert "<svg" in page
    ok(plan(client, worker, case))
    co_sign = open_task(case, CaseFlow.co_sign)
    client.force_login(consultant)
    with django_assert_max_num_queries(60):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("workflows:claim", args=[co_sign.pk]) in page
    client.force_login(worker)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("workflows:claim", args=[co_sign.pk]) not in page
    client.force_login(outsider)
    assert client.get(url).status_code in (403, 404)


# --------------------------------------------------------------------------- reopening at the screening's level


def _screen_new_concern(client, worker, team, person, outcome):
    from caseflow.referrals.models import Referral
    from caseflow.referrals.services import referral_register
    from workflows.flows.referral import ReferralFlow
    from workflows.services import referral_process_start

    referral = referral_register(actor=worker, team=team, channel=Referral.Channel.PHONE,
                                 referrer_type=Referral.ReferrerType.JOBCENTRE, concern_text="Ny bekymring.",
                                 person=person)
    referral_process_start(actor=worker, referral=referral)

    def task(node):
        return Task.objects.get(process__referralprocess__referral=referral, flow_task=node, status__in=OPEN)

    ok(execute(client, worker, task(ReferralFlow.acute_triage), {"police_alerted": "no", "note": ""}))
    ok(execute(client, worker, task(ReferralFlow.assess), {"outcome": "to_coordination_unit", "note": ""}))
    ok(claim(client, worker, task(ReferralFlow.screen)))
    ok(execute(client, worker, task(ReferralFlow.screen),
               {"outcome": outcome, "justification": "Ny vurdering: indgribende niveau.",
                "members_present": "A, B og C"}))
    return referral


def test_level_3_screening_reopens_a_closed_level_2_case_at_level_3(client, worker, team):
    case = close_adult_case(client, worker, team)
    assert case.level == Case.Level.ANTICIPATORY
    referral = _screen_new_concern(client, worker, team, case.person, "case_level_3")
    case.refresh_from_db()
    assert Case.objects.count() == 1
    assert (case.status, case.level) == (Case.Status.REOPENED, Case.Level.INTERVENING)
    change = case.decisions.get(kind=Decision.Kind.LEVEL_CHANGE)
    assert (change.decided_by, change.outcome) == (worker, "2->3")
    assert change.justification == "Ny vurdering: indgribende niveau."
    event = AuditEvent.objects.get(action="case.level_changed", target_id=str(case.pk))
    assert event.changes == {"level": [2, 3]}
    assert event.extra["referral_id"] == referral.pk
    assert open_task(case, CaseFlow.clarify).owner == worker


def test_level_2_screening_reopens_a_level_2_case_without_a_level_change(client, worker, team):
    case = close_adult_case(client, worker, team)
    _screen_new_concern(client, worker, team, case.person, "case_level_2")
    case.refresh_from_db()
    assert (case.status, case.level) == (Case.Status.REOPENED, Case.Level.ANTICIPATORY)
    assert not case.decisions.filter(kind=Decision.Kind.LEVEL_CHANGE).exists()
    assert not AuditEvent.objects.filter(action="case.level_changed", target_id=str(case.pk)).exists()


def test_reopen_refuses_an_unknown_level_and_changes_nothing(client, worker, team):
    case = close_adult_case(client, worker, team)
    with pytest.raises(ApplicationError) as error:
        case_reopen(actor=worker, case=case, justification="Ny bekymring.", level=7)
    assert error.value.field == "level"
    assert status(case) == Case.Status.CLOSED
    assert not case.decisions.filter(kind=Decision.Kind.REOPENING).exists()


# --------------------------------------------------------------------------- the proposer lost access


def test_plan_is_applied_by_the_new_responsible_when_the_proposer_was_reassigned(client, worker, colleague, team,
                                                                                 consultant, supervisor):
    from caseflow.cases.services import case_reassign

    case = new_case(worker, team, birth_date=years_ago(15))
    clarify(client, worker, case, **custody_consent())
    ok(plan(client, worker, case, interventions=["mentor"]))
    case_reassign(actor=supervisor, case=case, responsible=colleague, reason="Ferie")
    assert not can(worker, Action.CHANGE, case)

    ok(sign(client, consultant, case, CaseFlow.co_sign))
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    assert CaseProposal.objects.get(case=case).proposed_by == worker
    assert case.decisions.get(kind=Decision.Kind.CO_SIGNATURE).decided_by == consultant
    assert case.decisions.get(kind=Decision.Kind.PLAN_APPROVAL).decided_by == colleague
    intervention = case.interventions.get()
    assert InterventionProcess.objects.filter(intervention=intervention).exists()
    task = Task.objects.get(process__interventionprocess__intervention=intervention, status__in=OPEN)
    assert task.owner == colleague
    assert AuditEvent.objects.filter(action="case.changed", target_id=str(case.pk),
                                     extra__reason="proposer_lost_access", extra__applied_by=colleague.pk,
                                     extra__proposed_by=worker.pk).count() == 1
    assert scheduled(case, CaseFlow.wait_review)


def test_last_signature_is_refused_cleanly_when_no_one_may_apply_the_plan(client, worker, team, consultant):
    from permissions.services import case_access_revoke

    case = new_case(worker, team, birth_date=years_ago(15))
    clarify(client, worker, case, **custody_consent())
    ok(plan(client, worker, case, interventions=["mentor"]))
    case_access_revoke(actor=None, case=case, kind=GrantKind.ASSIGNED, user=worker)  # responsible, no access

    task = open_task(case, CaseFlow.co_sign)
    ok(claim(client, consultant, task))
    response = execute(client, consultant, open_task(case, CaseFlow.co_sign),
                       {"decision": "yes", "justification": "Set og godkendt."})
    assert response.status_code == 200
    assert "no longer has access" in str(response.context["form"].errors)
    assert status(case) == Case.Status.PLANNING
    assert not case.decisions.filter(kind=Decision.Kind.CO_SIGNATURE).exists()
    assert CaseProposal.objects.get(case=case).status == CaseProposal.Status.PENDING
    assert open_task(case, CaseFlow.co_sign).owner == consultant
    assert not case.interventions.exists()
