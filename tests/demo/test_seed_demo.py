import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from caseflow.accounts.models import Team, User
from caseflow.cases.models import Case, Decision
from caseflow.interventions.models import Intervention
from caseflow.people.models import Person
from caseflow.referrals.models import Referral
from workflows.flows.referral import ReferralFlow
from workflows.models import ReferralProcess
from workflows.selectors import task_queue_for

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = {"caseworker1", "caseworker2", "consultant", "supervisor", "bbu1", "mentor1", "coach1", "auditor"}


def _snapshot():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Team, User, Person, Case, Referral, Intervention, Decision, ReferralProcess, Task)
    }


def test_seed_demo_is_idempotent(settings):
    settings.CASEFLOW_DEMO_PASSWORD = "demo-test-pw"
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first
    assert len(first["Case"]) == 3


def test_seed_demo_creates_the_design_scenarios(settings):
    settings.CASEFLOW_DEMO_PASSWORD = "demo-test-pw"
    call_command("seed_demo")
    team = Team.objects.get(name="Koordineringsenheden")
    assert set(User.objects.values_list("username", flat=True)) >= DEMO_USERNAMES
    for username in DEMO_USERNAMES:
        assert authenticate(username=username, password="demo-test-pw") is not None
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
    waiting = Referral.objects.get(team=team, status=Referral.Status.TO_COORDINATION_UNIT)
    assert not Referral.objects.filter(team=team, status=Referral.Status.RECEIVED).exists()
    assert waiting.decisions.get(kind=Decision.Kind.CHILD_WELFARE_REPORT).outcome == "no_report"
    assert ReferralProcess.objects.get(referral=waiting).bbu_contact.username == "bbu1"
    screening = Task.objects.get(process__referralprocess__referral=waiting, status=STATUS.NEW)
    assert screening.flow_task == ReferralFlow.screen
    assert screening.owner is None
    for username in ("caseworker1", "caseworker2"):
        assert list(task_queue_for(actor=User.objects.get(username=username))) == [screening]
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
