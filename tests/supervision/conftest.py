"""People and cases shared by the supervision tests: cases driven through the real
CaseFlow from code (as seed_demo does), deadline breaches recorded by the real
breach service from the task's own deadline timer."""

import datetime

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.cases.models import Case
from caseflow.cases.services import case_open
from tests.factories import PersonFactory, TeamFactory, UserFactory
from workflows.case_services import case_clarification_record, case_plan_propose, case_process_start
from workflows.deadlines import deadline_breach_record
from workflows.driving import flow_task_perform
from workflows.flows.case import CaseFlow
from workflows.models import CaseProcess

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
ADULT = datetime.date(1990, 5, 4)


@pytest.fixture
def colleague(team):
    """Another caseworker of the same team."""
    return UserFactory(team=team, roles=["caseworker"])


@pytest.fixture
def other_supervisor():
    """The supervisor of another team."""
    return UserFactory(team=TeamFactory(name="Andet hold"), roles=["supervisor"])


@pytest.fixture
def second_supervisor(team):
    return UserFactory(team=team, roles=["supervisor"])


@pytest.fixture
def mentor(team):
    return UserFactory(team=team, roles=["mentor"])


def new_case(worker, team, level=Case.Level.ANTICIPATORY, birth_date=ADULT) -> Case:
    """An opened case with its CaseFlow started: clarification assigned to ``worker``."""
    case = case_open(actor=worker, person=PersonFactory(birth_date=birth_date), team=team, level=level,
                     responsible=worker)
    case_process_start(actor=worker, case=case)
    return Case.objects.get(pk=case.pk)


def open_task(case, node) -> Task:
    return Task.objects.get(process__caseprocess__case=case, flow_task=node, status__in=OPEN)


def clarify(worker, case):
    """Clarification done, with the person's consent (a custody holder's for a minor)."""
    consent = ({"consent_given_by": "custody_holder", "consent_given_by_name": "Fiktiv Forælder"} if case.is_minor
               else {"consent_given_by": "subject"})
    flow_task_perform(
        actor=worker, process=CaseProcess.objects.get(case=case), node=CaseFlow.clarify,
        perform=lambda process: case_clarification_record(
            actor=worker, case=case, conversation="Bekymringssamtale (fiktiv).",
            consent_given_on=timezone.localdate(), **consent),
    )


def case_waiting_for_approval(worker, team) -> Case:
    """A level-3 adult case whose plan waits for the supervisor's approval."""
    case = new_case(worker, team, level=Case.Level.INTERVENING)
    clarify(worker, case)
    flow_task_perform(
        actor=worker, process=CaseProcess.objects.get(case=case), node=CaseFlow.plan,
        perform=lambda process: case_plan_propose(actor=worker, case=Case.objects.get(pk=case.pk),
                                                  goals="Uddannelse og fritid (fiktivt).",
                                                  interventions=["mentor"]),
    )
    return Case.objects.get(pk=case.pk)


def breach(task):
    """Record the breach of ``task``'s deadline as its fired timeout would."""
    timer = Task.objects.get(previous=task, flow_task_type="TIMER", status=STATUS.SCHEDULED)
    return deadline_breach_record(timer_task=timer)
