"""The dashboard: each role sees only its own tasks, cases, breaches and interventions;
deadlines carry a colour class, a text label and the working days left; the page is one
audited read with a constant number of queries."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_timers

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.core.workdays import add_working_days, is_working_day
from caseflow.dashboard.selectors import deadline_of, soon_cutoff
from permissions.models import GrantKind
from tests.factories import (
    CaseFactory,
    InterventionFactory,
    PersonFactory,
    ReferralFactory,
    TeamFactory,
    UserFactory,
    grant,
)
from workflows.flows.referral import ReferralFlow
from workflows.services import referral_process_start

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def worker(team):
    return UserFactory(team=team, roles=["caseworker"], first_name="Vera", last_name="Sagsen")


@pytest.fixture
def colleague(team):
    return UserFactory(team=team, roles=["caseworker"])


@pytest.fixture
def mentor(team):
    return UserFactory(team=team, roles=["mentor"])


@pytest.fixture
def partner():
    """Registers referrals but may not screen them: their first task goes to the queue."""
    return UserFactory(team=None, roles=[])


def started_referral(team, actor, registered_by=None):
    referral = ReferralFactory(team=team, registered_by=registered_by or actor)
    referral_process_start(actor=actor, referral=referral)
    return referral


def triage_task(referral) -> Task:
    return Task.objects.get(process__referralprocess__referral=referral, flow_task=ReferralFlow.acute_triage)


def dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("dashboard:home"), **EN)
    assert response.status_code == 200
    return response


def a_working_day_morning():
    """10:00 on the next working day that is followed by a working day, so "tomorrow"
    and "one working day later" are the same thing in these tests."""
    day = timezone.localdate() + datetime.timedelta(days=1)
    while not (is_working_day(day) and is_working_day(day + datetime.timedelta(days=1))):
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


# --------------------------------------------------------------------------- who sees what


def test_root_redirects_to_the_dashboard(client, worker):
    client.force_login(worker)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")


def test_dashboard_requires_sign_in(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_caseworker_sees_own_tasks_queue_and_cases_only(client, team, worker, colleague, partner):
    mine = started_referral(team, worker)
    theirs = started_referral(team, colleague)
    unassigned = started_referral(team, worker, registered_by=partner)
    other_team = started_referral(TeamFactory(name="Andet hold"), UserFactory(
        team=TeamFactory(name="Andet hold"), roles=["caseworker"]))
    my_case = CaseFactory(team=team, responsible=worker, person=PersonFactory(birth_date=datetime.date(2012, 1, 1)),
                          is_minor=True)
    CaseFactory(team=team, responsible=worker, status=Case.Status.CLOSED)  # not open: not listed
    their_case = CaseFactory(team=team, responsible=colleague)

    response = dashboard(client, worker)
    counts = response.context["counts"]
    assert counts["my_tasks"] == 1
    assert counts["queue"] == 1
    assert counts["my_cases"] == 1
    assert "team_breaches" not in counts
    assert "interventions" not in counts
    assert [t.pk for t in response.context["my_tasks"]] == [triage_task(mine).pk]
    assert [t.pk for t in response.context["queue"]] == [triage_task(unassigned).pk]
    assert [c.pk for c in response.context["my_cases"]] == [my_case.pk]
    content = response.content.decode()
    assert mine.reference in content
    assert unassigned.reference in content
    assert theirs.reference not in content
    assert other_team.reference not in content
    assert my_case.reference in content
    assert their_case.reference not in content
    assert "Minor" in content  # the minor badge
    assert reverse("workflows:claim", args=[triage_task(unassigned).pk]) in content
    assert reverse("workflows:claim", args=[triage_task(mine).pk]) not in content


def test_supervisor_sees_team_queue_and_team_breaches(client, team, worker, supervisor, partner):
    unassigned = started_referral(team, worker, registered_by=partner)
    started_referral(team, worker)  # the worker's own task: not the supervisor's inbox
    outsider_supervisor = UserFactory(team=TeamFactory(name="Andet hold"), roles=["supervisor"])
    with time_machine.travel(a_working_day_morning(), tick=False):
        fire_due_timers()
        response = dashboard(client, supervisor)
        counts = response.context["counts"]
        assert counts["my_tasks"] == 0
        assert counts["queue"] == 1
        assert counts["team_breaches"] == 2  # both triage deadlines (end of the registration day) passed
        assert counts["my_cases"] == 0
        assert unassigned.reference in response.content.decode()
        assert 'id="team-breaches"' in response.content.decode()

        other = dashboard(client, outsider_supervisor)
        assert other.context["counts"]["team_breaches"] == 0
        assert other.context["counts"]["queue"] == 0
        assert unassigned.reference not in other.content.decode()


def test_consultant_sees_no_caseworker_tasks_and_no_case_card(client, team, worker, consultant, partner):
    started_referral(team, worker, registered_by=partner)
    CaseFactory(team=team, responsible=worker, person=PersonFactory(birth_date=datetime.date(2012, 1, 1)),
                is_minor=True)
    response = dashboard(client, consultant)
    counts = response.context["counts"]
    assert counts == {"my_tasks": 0, "queue": 0, "due_soon": 0, "breached": 0}
    assert "my_cases" not in response.context


def test_mentor_sees_own_interventions_and_no_cases(client, team, worker, mentor, partner):
    case = CaseFactory(team=team, responsible=worker, person=PersonFactory(first_name="Emil"))
    own = InterventionFactory(case=case, provider=mentor, status="active")
    grant(own, mentor, GrantKind.PROVIDER)
    other_mentor = UserFactory(team=team, roles=["mentor"])
    theirs = InterventionFactory(case=CaseFactory(team=team, responsible=worker,
                                                  person=PersonFactory(first_name="Skjult")),
                                 provider=other_mentor, status="active")
    grant(theirs, other_mentor, GrantKind.PROVIDER)
    started_referral(team, worker, registered_by=partner)

    response = dashboard(client, mentor)
    counts = response.context["counts"]
    assert counts["interventions"] == 1
    assert counts["my_tasks"] == 0
    assert counts["queue"] == 0
    assert "my_cases" not in counts
    assert [i.pk for i in response.context["interventions"]] == [own.pk]
    content = response.content.decode()
    assert reverse("interventions:detail", args=[own.pk]) in content
    assert reverse("interventions:detail", args=[theirs.pk]) not in content
    assert case.reference not in content
    assert "Skjult" not in content


def test_user_without_work_roles_gets_an_empty_dashboard(client):
    auditor = UserFactory(roles=["auditor"])
    response = dashboard(client, auditor)
    assert response.context["counts"] == {}
    assert "There is nothing for you on the dashboard." in response.content.decode()


# --------------------------------------------------------------------------- deadlines


def test_due_today_is_soon_and_a_day_later_it_is_overdue(client, team, worker):
    start = a_working_day_morning()
    with time_machine.travel(start, tick=False):
        referral = started_referral(team, worker)
        response = dashboard(client, worker)
        [row] = response.context["deadlines"]
        assert row.pk == triage_task(referral).pk
        assert row.deadline.state == "soon"
        assert row.deadline.days_left == 0
        assert response.context["counts"]["due_soon"] == 1
        assert response.context["counts"]["breached"] == 0
        content = response.content.decode()
        assert "deadline-soon" in content
        assert "Due soon" in content
        assert "Due today" in content

    with time_machine.travel(start + datetime.timedelta(days=1), tick=False):
        response = dashboard(client, worker)
        [row] = response.context["deadlines"]
        assert row.deadline.state == "breached"
        assert row.deadline.days_left == -1
        assert response.context["counts"]["breached"] == 1
        assert response.context["counts"]["due_soon"] == 0
        content = response.content.decode()
        assert "deadline-breached" in content
        assert "Overdue" in content
        assert "1 working day overdue" in content

        # Once the timer has fired the breach record keeps the deadline on the dashboard.
        fire_due_timers()
        response = dashboard(client, worker)
        [row] = response.context["deadlines"]
        assert row.deadline.state == "breached"
        assert response.context["counts"]["breached"] == 1


def test_assessment_deadline_counts_working_days_left(client, team, worker):
    start = a_working_day_morning()
    with time_machine.travel(start, tick=False):
        referral = started_referral(team, worker)
        client.force_login(worker)
        task = triage_task(referral)
        response = client.post(task.flow_task.reverse("execute", args=[task.process_id, task.pk]),
                               {"police_alerted": "no", "note": ""})
        assert response.status_code == 302
        response = dashboard(client, worker)
        [row] = response.context["my_tasks"]
        assert row.flow_task == ReferralFlow.assess
        assert row.deadline.state == "soon"  # 2 working days: within the default "soon" window
        assert row.deadline.days_left == 2
        assert "2 working days left" in response.content.decode()


def test_deadline_states_and_texts():
    now = datetime.datetime(2026, 3, 4, 10, 0, tzinfo=timezone.get_current_timezone())  # a Wednesday
    cutoff = soon_cutoff(now)
    far = timezone.make_aware(datetime.datetime.combine(add_working_days(now.date(), 5), datetime.time(12)))
    ok = deadline_of(far, now=now, cutoff=cutoff)
    assert (ok.state, ok.days_left, ok.label) == ("ok", 5, "On track")
    soon = deadline_of(now + datetime.timedelta(days=1), now=now, cutoff=cutoff)
    assert (soon.state, soon.days_left) == ("soon", 1)
    late = deadline_of(now - datetime.timedelta(days=7), now=now, cutoff=cutoff)  # the Wednesday before
    assert (late.state, late.days_left) == ("breached", -5)
    assert "5 working days overdue" in late.days_text
    assert deadline_of(None, now=now) is None


# --------------------------------------------------------------------------- queries and audit


def test_dashboard_query_count_is_constant(client, team, worker, partner, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            started_referral(team, worker)
            started_referral(team, worker, registered_by=partner)
            CaseFactory(team=team, responsible=worker)

    add(5)
    dashboard(client, worker)  # warm caches (content types, sessions)
    client.force_login(worker)
    with django_assert_max_num_queries(100) as small:
        client.get(reverse("dashboard:home"))
    add(35)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("dashboard:home"))
    counts = response.context["counts"]
    assert counts["my_tasks"] == 40
    assert counts["queue"] == 40
    assert counts["my_cases"] == 40
    assert len(response.context["my_tasks"]) == 20
    content = response.content.decode()
    assert reverse("workflows:inbox") in content
    assert reverse("workflows:queue") in content
    assert reverse("cases:list") in content


def test_dashboard_read_is_one_audit_event(client, team, worker, partner):
    started_referral(team, worker)
    case = CaseFactory(team=team, responsible=worker)
    client.force_login(worker)
    before = AuditEvent.objects.count()
    assert client.get(reverse("dashboard:home")).status_code == 200
    events = list(AuditEvent.objects.order_by("sequence")[before:])
    assert [(e.action, e.purpose) for e in events] == [("case.listed", "dashboard")]
    extra = events[0].extra
    assert extra["counts"]["my_tasks"] == 1
    assert extra["counts"]["my_cases"] == 1
    assert extra["case_ids"] == [case.pk]
    assert events[0].actor == worker


def test_claim_from_the_dashboard(client, team, worker, partner):
    referral = started_referral(team, worker, registered_by=partner)
    task = triage_task(referral)
    client.force_login(worker)
    response = client.post(reverse("workflows:claim", args=[task.pk]))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner == worker
    assert task.status == STATUS.ASSIGNED
    response = dashboard(client, worker)
    assert [t.pk for t in response.context["my_tasks"]] == [task.pk]
    assert response.context["counts"]["queue"] == 0
