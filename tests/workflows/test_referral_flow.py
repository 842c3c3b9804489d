"""ReferralFlow end to end, driven through the task URLs as the right users (and refused
to the wrong ones), on the real PostgreSQL: states, decisions, grants and audit events."""

import datetime

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case, Decision
from caseflow.referrals.models import Referral
from permissions.policy import Action, can
from tests.factories import TeamFactory, UserFactory
from workflows.flows.referral import ReferralFlow
from workflows.models import ReferralProcess

pytestmark = pytest.mark.django_db

ADULT_BIRTH_DATE = "1990-05-04"
MINOR_BIRTH_DATE = (timezone.localdate() - datetime.timedelta(days=15 * 365)).isoformat()


def register(client, user, birth_date=ADULT_BIRTH_DATE) -> Referral:
    client.force_login(user)
    response = client.post(reverse("referrals:new"), {
        "received_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "phone", "referrer_type": "primary_school", "referrer_name": "Fiktiv Lærer",
        "referrer_contact": "skole@example.invalid", "concern_text": "Fiktiv bekymring om voldelige memes.",
        "warning_signs": ["extremist_media"], "urgency": "normal", "cpr": "",
        "first_name": "Fiktiv", "last_name": "Elevsen", "birth_date": birth_date,
    })
    assert response.status_code == 302, response.context["form"].errors
    return Referral.objects.latest("pk")


def open_task(referral, node) -> Task:
    return Task.objects.get(process__referralprocess__referral=referral, flow_task=node,
                            status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED))


def execute_url(task):
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def execute(client, user, task, data):
    client.force_login(user)
    return client.post(execute_url(task), data)


def process_of(referral) -> ReferralProcess:
    return ReferralProcess.objects.get(referral=referral)


def to_screening(client, worker, birth_date=ADULT_BIRTH_DATE, bbu=None) -> Referral:
    referral = register(client, worker, birth_date)
    assert execute(client, worker, open_task(referral, ReferralFlow.acute_triage),
                   {"police_alerted": "no", "note": ""}).status_code == 302
    data = {"outcome": "to_coordination_unit", "note": ""}
    if bbu is not None:
        data.update(bbu_contact=bbu.pk, report_needed="no", report_justification="Ingen tegn på mistrivsel.")
    response = execute(client, worker, open_task(referral, ReferralFlow.assess), data)
    assert response.status_code == 302, response.context["form"].errors
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT
    return referral


def claim(client, user, task):
    client.force_login(user)
    return client.post(reverse("workflows:claim", args=[task.pk]))


def screen(client, user, referral, outcome, **extra):
    task = open_task(referral, ReferralFlow.screen)
    assert claim(client, user, task).status_code == 302
    return execute(client, user, open_task(referral, ReferralFlow.screen), {
        "outcome": outcome, "justification": "Drøftet på mødet; begrundelse.", "members_present": "A, B og C",
        **extra,
    })


# --------------------------------------------------------------------------- start and triage


def test_registration_starts_the_flow_with_triage_assigned_to_the_registrar(client, worker):
    referral = register(client, worker)
    process = process_of(referral)
    assert referral.status == Referral.Status.ACUTE_TRIAGE
    task = open_task(referral, ReferralFlow.acute_triage)
    assert task.owner == worker
    assert task.status == STATUS.ASSIGNED
    assert task.owner_permission == "referrals.change_referral"
    assert task.owner_permission_obj == referral
    assert process.status == PROCESS.NEW


def test_acute_triage_with_police_alerted_records_a_decision(client, worker):
    referral = register(client, worker)
    task = open_task(referral, ReferralFlow.acute_triage)
    response = execute(client, worker, task, {"police_alerted": "yes", "note": ""})
    assert response.status_code == 200  # the note is required
    assert not referral.decisions.exists()
    response = execute(client, worker, task, {"police_alerted": "yes", "note": "Politiet underrettet 114 kl. 10."})
    assert response.status_code == 302
    decision = referral.decisions.get()
    assert decision.outcome == "police_alerted"
    assert decision.decided_by == worker
    referral.refresh_from_db()
    assert referral.status == Referral.Status.INITIAL_ASSESSMENT
    assert open_task(referral, ReferralFlow.assess).owner == worker


# --------------------------------------------------------------------------- screening outcomes


@pytest.mark.parametrize("outcome", ["unfounded", "advice_to_referrer", "referred_elsewhere", "police_handling"])
def test_screening_outcome_without_case_closes_the_referral(client, worker, colleague, outcome):
    referral = to_screening(client, worker)
    response = screen(client, colleague, referral, outcome)
    assert response.status_code == 302, response.context["form"].errors
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASSESSED
    assert referral.outcome == outcome
    assert referral.closed_at is not None
    assert referral.case is None
    assert Case.objects.count() == 0
    decision = referral.decisions.get(kind=Decision.Kind.SCREENING)
    assert decision.members_present == "A, B og C"
    assert decision.decided_by == colleague
    process = process_of(referral)
    assert process.status == PROCESS.DONE
    assert process.task_set.filter(flow_task=ReferralFlow.end_concluded, status=STATUS.DONE).exists()
    assert AuditEvent.objects.filter(action="referral.screened", target_id=str(referral.pk)).exists()


@pytest.mark.parametrize(("outcome", "level"), [("case_level_2", 2), ("case_level_3", 3)])
def test_screening_outcome_with_case_opens_it_for_the_responsible_caseworker(
        client, worker, colleague, outcome, level):
    referral = to_screening(client, worker)
    response = screen(client, colleague, referral, outcome, responsible=worker.pk)
    assert response.status_code == 302, response.context["form"].errors
    referral.refresh_from_db()
    case = Case.objects.get()
    assert referral.case == case
    assert referral.status == Referral.Status.ASSESSED
    assert referral.closed_at is None
    assert referral.outcome == outcome
    assert case.reference.startswith("KE-")
    assert case.level == level
    assert case.person == referral.person
    assert case.responsible == worker
    assert case.team == referral.team
    assert can(worker, Action.CLAIM_TASK, case)
    assert can(worker, Action.VIEW_FILE, case)
    assert not can(colleague, Action.VIEW, case)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"case.opened", "referral.screened", "access.granted", "decision.recorded"} <= actions
    assert AuditEvent.objects.filter(action="case.opened", target_id=str(case.pk)).exists()
    process = process_of(referral)
    assert process.status == PROCESS.DONE
    assert process.task_set.filter(flow_task=ReferralFlow.end_case_opened, status=STATUS.DONE).exists()


def test_screening_case_without_responsible_makes_the_screener_responsible(client, worker, colleague):
    referral = to_screening(client, worker)
    assert screen(client, colleague, referral, "case_level_2").status_code == 302
    assert Case.objects.get().responsible == colleague


def test_screening_requires_justification_and_members(client, worker):
    referral = to_screening(client, worker)
    task = open_task(referral, ReferralFlow.screen)
    claim(client, worker, task)
    response = execute(client, worker, task, {"outcome": "unfounded", "justification": "", "members_present": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"justification", "members_present"}
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT


# --------------------------------------------------------------------------- other exits


def test_assessment_to_another_municipality_ends_the_flow(client, worker):
    referral = register(client, worker)
    execute(client, worker, open_task(referral, ReferralFlow.acute_triage), {"police_alerted": "no"})
    task = open_task(referral, ReferralFlow.assess)
    assert execute(client, worker, task, {"outcome": "transferred", "note": ""}).status_code == 200
    assert execute(client, worker, task, {"outcome": "transferred", "note": "Bor i Aarhus."}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TRANSFERRED
    assert referral.closed_at is not None
    assert process_of(referral).status == PROCESS.DONE
    assert referral.decisions.get().outcome == "sent_to_another_municipality"


@pytest.mark.parametrize("sufficient", [True, False])
def test_waiting_for_information_goes_to_screening_or_is_shelved(client, worker, sufficient):
    referral = register(client, worker)
    execute(client, worker, open_task(referral, ReferralFlow.acute_triage), {"police_alerted": "no"})
    execute(client, worker, open_task(referral, ReferralFlow.assess), {"outcome": "awaiting_information"})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.AWAITING_INFORMATION
    task = open_task(referral, ReferralFlow.receive_information)
    assert task.owner == worker
    data = {"sufficient": "yes"} if sufficient else {"sufficient": "no", "note": "Skolen svarer ikke."}
    assert execute(client, worker, task, data).status_code == 302
    referral.refresh_from_db()
    if sufficient:
        assert referral.status == Referral.Status.TO_COORDINATION_UNIT
        assert open_task(referral, ReferralFlow.screen).owner is None
    else:
        assert referral.status == Referral.Status.SHELVED
        assert referral.closed_at is not None
        assert process_of(referral).status == PROCESS.DONE


# --------------------------------------------------------------------------- minors


def test_minor_assessment_requires_bbu_contact_and_the_underretning_checkpoint(client, worker, bbu):
    referral = register(client, worker, birth_date=MINOR_BIRTH_DATE)
    execute(client, worker, open_task(referral, ReferralFlow.acute_triage), {"police_alerted": "no"})
    task = open_task(referral, ReferralFlow.assess)
    response = execute(client, worker, task, {"outcome": "to_coordination_unit"})
    assert response.status_code == 200
    assert {"bbu_contact", "report_needed", "report_justification"} <= set(response.context["form"].errors)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.INITIAL_ASSESSMENT
    assert not referral.decisions.exists()

    not_bbu = UserFactory(roles=["caseworker"])
    response = execute(client, worker, task, {"outcome": "to_coordination_unit", "bbu_contact": not_bbu.pk,
                                              "report_needed": "yes", "report_justification": "Tegn på mistrivsel."})
    assert response.status_code == 200
    assert "bbu_contact" in response.context["form"].errors

    response = execute(client, worker, task, {"outcome": "to_coordination_unit", "bbu_contact": bbu.pk,
                                              "report_needed": "yes", "report_justification": "Tegn på mistrivsel."})
    assert response.status_code == 302, response.context["form"].errors
    decision = referral.decisions.get(kind=Decision.Kind.CHILD_WELFARE_REPORT)
    assert decision.outcome == "report_made"
    assert decision.subject_was_minor
    assert process_of(referral).bbu_contact == bbu
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT


def test_minor_screening_opens_a_minors_case_after_the_cosignature(client, worker, bbu):
    referral = to_screening(client, worker, birth_date=MINOR_BIRTH_DATE, bbu=bbu)
    assert screen(client, worker, referral, "case_level_2").status_code == 302
    assert Case.objects.count() == 0
    consultant = UserFactory(team=None, roles=["child_consultant"])
    task = open_task(referral, ReferralFlow.cosign_screening)
    assert claim(client, consultant, task).status_code == 302
    assert execute(client, consultant, task, {"approved": "yes", "justification": "Enig."}).status_code == 302
    case = Case.objects.get()
    assert case.is_minor
    assert case.responsible == worker


def test_adult_assessment_has_no_minor_fields(client, worker):
    referral = register(client, worker)
    execute(client, worker, open_task(referral, ReferralFlow.acute_triage), {"police_alerted": "no"})
    client.force_login(worker)
    response = client.get(execute_url(open_task(referral, ReferralFlow.assess)))
    assert response.status_code == 200
    assert "bbu_contact" not in response.context["form"].fields


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("who", ["mentor", "outsider", "colleague"])
def test_task_urls_refuse_users_who_do_not_own_the_task(client, worker, mentor, outsider, colleague, who):
    user = {"mentor": mentor, "outsider": outsider, "colleague": colleague}[who]
    referral = register(client, worker)
    task = open_task(referral, ReferralFlow.acute_triage)
    client.force_login(user)
    # Who may not see the referral gets 404 (existence not confirmed); a colleague who may, 403.
    refused = 403 if who == "colleague" else 404
    assert client.get(execute_url(task)).status_code == refused
    assert client.post(execute_url(task), {"police_alerted": "yes", "note": "x"}).status_code == refused
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACUTE_TRIAGE
    assert not referral.decisions.exists()
    assert open_task(referral, ReferralFlow.acute_triage).status == STATUS.ASSIGNED


@pytest.mark.parametrize("who", ["mentor", "outsider"])
def test_screening_task_cannot_be_claimed_by_the_wrong_users(client, worker, mentor, outsider, who):
    user = {"mentor": mentor, "outsider": outsider}[who]
    referral = to_screening(client, worker)
    task = open_task(referral, ReferralFlow.screen)
    assert claim(client, user, task).status_code == 404
    client.force_login(user)
    # They may not see the referral: 404, as for an id that does not exist.
    assert client.post(task.flow_task.reverse("assign", args=[task.process_id, task.pk])).status_code == 404
    assert client.post(execute_url(task), {"outcome": "unfounded", "justification": "x",
                                           "members_present": "x"}).status_code == 404
    task.refresh_from_db()
    assert task.owner is None
    assert task.status == STATUS.NEW
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TO_COORDINATION_UNIT
    assert Case.objects.count() == 0


def test_execution_rechecks_the_policy_when_the_owner_lost_access(client, worker):
    referral = register(client, worker)
    task = open_task(referral, ReferralFlow.acute_triage)
    worker.team = TeamFactory(name="Nyt hold")
    worker.save()
    # They no longer see the referral: 404, as if it did not exist.
    assert execute(client, worker, task, {"police_alerted": "no"}).status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACUTE_TRIAGE


def test_a_claimed_task_cannot_be_claimed_again(client, worker, colleague):
    referral = to_screening(client, worker)
    task = open_task(referral, ReferralFlow.screen)
    assert claim(client, colleague, task).status_code == 302
    response = claim(client, worker, task)
    assert response.status_code == 302
    assert response.url == reverse("workflows:queue")
    task.refresh_from_db()
    assert task.owner == colleague


def test_viewflow_assign_url_works_for_a_permitted_user(client, worker, colleague):
    referral = to_screening(client, worker)
    task = open_task(referral, ReferralFlow.screen)
    client.force_login(colleague)
    response = client.post(task.flow_task.reverse("assign", args=[task.process_id, task.pk]))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner == colleague
    assert task.status == STATUS.ASSIGNED


# --------------------------------------------------------------------------- leaking views are not routed


@pytest.mark.parametrize("name", ["index", "process_list", "process_detail", "task_list", "process_cancel",
                                  "chart", "process_chart"])
def test_viewflow_lists_and_process_pages_are_not_routed(name):
    args = [1] if name in ("process_detail", "process_cancel", "process_chart") else []
    with pytest.raises(NoReverseMatch):
        ReferralFlow.instance.reverse(name, args=args)


def test_viewflow_list_urls_answer_404(client, worker):
    referral = register(client, worker)
    process = process_of(referral)
    worker.is_superuser = True
    worker.save()
    client.force_login(worker)
    for url in ("/workflows/referral/", "/workflows/referral/flows/", "/workflows/referral/tasks/",
                f"/workflows/referral/{process.pk}/", f"/workflows/referral/{process.pk}/chart/",
                "/workflows/referral/chart/"):
        assert client.get(url).status_code == 404, url


# --------------------------------------------------------------------------- inbox and queue


def test_inbox_and_queue_show_exactly_the_right_tasks(client, worker, colleague, outsider, mentor,
                                                      django_assert_max_num_queries):
    mine = register(client, worker)
    theirs = register(client, colleague)
    waiting = to_screening(client, worker)
    other_team = register(client, outsider)

    def listed(user, name):
        client.force_login(user)
        response = client.get(reverse(name))
        assert response.status_code == 200
        return {task.pk for task in response.context["tasks"]}

    triage = {r.pk: open_task(r, ReferralFlow.acute_triage).pk for r in (mine, theirs, other_team)}
    screening = open_task(waiting, ReferralFlow.screen).pk
    assert listed(worker, "workflows:inbox") == {triage[mine.pk]}
    assert listed(colleague, "workflows:inbox") == {triage[theirs.pk]}
    assert listed(outsider, "workflows:inbox") == {triage[other_team.pk]}
    assert listed(worker, "workflows:queue") == {screening}
    assert listed(colleague, "workflows:queue") == {screening}
    assert listed(outsider, "workflows:queue") == set()
    assert listed(mentor, "workflows:queue") == set()
    assert listed(mentor, "workflows:inbox") == set()

    client.force_login(worker)
    with django_assert_max_num_queries(12):
        client.get(reverse("workflows:queue"))
    claim(client, colleague, Task.objects.get(pk=screening))
    assert listed(colleague, "workflows:inbox") == {triage[theirs.pk], screening}
    assert listed(worker, "workflows:queue") == set()


def test_task_detail_and_assign_pages_follow_the_policy(client, worker, colleague, mentor, outsider):
    referral = to_screening(client, worker)
    task = open_task(referral, ReferralFlow.screen)
    done = Task.objects.get(process__referralprocess__referral=referral, flow_task=ReferralFlow.assess)
    client.force_login(colleague)
    assert client.get(task.flow_task.reverse("detail", args=[task.process_id, task.pk])).status_code == 200
    assert client.get(task.flow_task.reverse("assign", args=[task.process_id, task.pk])).status_code == 200
    assert client.get(done.flow_task.reverse("detail", args=[done.process_id, done.pk])).status_code == 200
    for user in (mentor, outsider):  # they may not see the referral: 404, existence not confirmed
        client.force_login(user)
        assert client.get(done.flow_task.reverse("detail", args=[done.process_id, done.pk])).status_code == 404
        assert client.get(task.flow_task.reverse("assign", args=[task.process_id, task.pk])).status_code == 404
        for action in ("undo", "revive"):
            assert client.post(done.flow_task.reverse(action, args=[done.process_id, done.pk])).status_code == 404
    task.refresh_from_db()
    assert task.owner is None
