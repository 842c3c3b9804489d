"""seed_bench (issue 11): set-based bench data that the policy, the selectors and the
audit chain accept as real."""

import pytest
from django.core.management import CommandError, call_command

from caseflow.accounts.models import User
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import audit_verify
from caseflow.cases.models import Case
from caseflow.cases.selectors import case_list_for
from caseflow.core.bench_seed import AUDIT_EVENTS_PER_CASE, JOURNAL_NOTES_PER_CASE, seed_bench
from caseflow.interventions.models import Intervention
from caseflow.journal.models import JournalNote
from caseflow.people.cpr import cpr_decrypt, cpr_index
from caseflow.people.models import Person
from caseflow.referrals.models import Referral
from permissions.models import CaseGroupGrant, CaseUserGrant, GrantKind
from permissions.policy import case_actions, visible_cases
from permissions.rules import Action
from tests.factories import CaseFactory
from workflows.selectors import task_inbox_for, task_queue_for

pytestmark = pytest.mark.django_db

CASES = 200


@pytest.fixture
def seeded(tmp_path, settings):
    settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH = tmp_path / "no-heads.jsonl"
    return seed_bench(cases=CASES, caseworkers=30, teams=3, tag="t", analyze=False)


def test_seed_creates_the_expected_counts(seeded):
    assert Case.objects.count() == CASES
    assert Person.objects.count() == CASES
    assert Referral.objects.filter(case__isnull=False).count() == CASES
    assert Referral.objects.filter(case__isnull=True, closed_at__isnull=True).count() == CASES // 10
    assert JournalNote.objects.count() == CASES * JOURNAL_NOTES_PER_CASE
    assert AuditEvent.objects.count() == CASES * AUDIT_EVENTS_PER_CASE
    assert Intervention.objects.count() == seeded.counts["interventions"] > 0
    assert User.objects.filter(username__startswith="bench_t_cw").count() == 30
    # every status and both levels occur
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)
    assert set(Case.objects.values_list("level", flat=True)) == {2, 3}
    assert Case.objects.filter(is_minor=True).exists()
    assert Case.objects.filter(is_minor=False).exists()
    # closed cases carry their closing time, open ones none
    assert not Case.objects.filter(status=Case.Status.CLOSED, closed_at__isnull=True).exists()
    assert not Case.objects.filter(status__in=Case.OPEN_STATUSES, closed_at__isnull=False).exists()


def test_grants_make_caseworkers_see_exactly_their_cases(seeded):
    worker = User.objects.get(username="bench_t_cw0004")
    own = set(Case.objects.filter(responsible=worker).values_list("pk", flat=True))
    co_worked = set(CaseUserGrant.objects.filter(user=worker, kind=GrantKind.CO_WORKER)
                    .values_list("content_object_id", flat=True))
    assert own
    assert set(visible_cases(worker).values_list("pk", flat=True)) == own | co_worked
    assert set(case_list_for(actor=worker).values_list("pk", flat=True)) == own | co_worked
    # a colleague in another team sees none of them
    other = User.objects.exclude(team=worker.team).filter(username__startswith="bench_t_cw").first()
    assert not visible_cases(other).filter(pk__in=own).exists()
    # the responsible caseworker may change the case, the colleague may not even see it
    case = Case.objects.get(pk=min(own))
    assert Action.CHANGE in case_actions(worker, case)
    assert case_actions(other, case) == frozenset()


def test_supervisor_and_consultant_reach_what_the_policy_gives_them(seeded):
    supervisor = User.objects.get(username="bench_t_sup0001")
    team_cases = set(Case.objects.filter(team=supervisor.team).values_list("pk", flat=True))
    assert set(visible_cases(supervisor).values_list("pk", flat=True)) == team_cases
    consultant = User.objects.get(username="bench_t_cons0000")
    minors = set(Case.objects.filter(is_minor=True).values_list("pk", flat=True))
    assert set(visible_cases(consultant).values_list("pk", flat=True)) == minors
    assert CaseGroupGrant.objects.filter(kind=GrantKind.CONSULTANT).count() == len(minors)
    adult_case = Case.objects.filter(is_minor=False).first()
    assert case_actions(consultant, adult_case) == frozenset()


def test_seeded_tasks_reach_the_inbox_and_queue(seeded):
    worker = User.objects.get(username="bench_t_cw0004")
    inbox = list(task_inbox_for(actor=worker))
    assert inbox
    assert {task.case_id for task in inbox} <= set(
        Case.objects.filter(responsible=worker).values_list("pk", flat=True))
    supervisor = User.objects.get(username="bench_t_sup0001")
    approvals = list(task_queue_for(actor=supervisor).filter(owner_permission="cases.approve_case"))
    assert approvals
    assert {t.case_id for t in approvals} <= set(
        Case.objects.filter(team=supervisor.team).values_list("pk", flat=True))
    assert not task_inbox_for(actor=User.objects.get(username="bench_t_mentor0000")).exists()


def test_audit_chain_verifies_after_seeding_and_continues(seeded):
    result = audit_verify()
    assert result.ok, result.broken
    assert result.count == CASES * AUDIT_EVENTS_PER_CASE
    # a normal write continues the seeded chain
    CaseFactory()
    assert audit_verify().ok
    # the new event links to the seeded head
    last = AuditEvent.objects.order_by("-sequence").first()
    assert last.prev_hash == AuditEvent.objects.get(sequence=last.sequence - 1).hash


def test_some_people_have_a_searchable_cpr(seeded):
    people = list(Person.objects.exclude(cpr_index=""))
    assert len(people) == CASES // 100
    number = cpr_decrypt(people[0].cpr_encrypted)
    assert people[0].cpr_index == cpr_index(number)
    assert people[0].cpr_masked == f"{number[:6]}-****"


def test_command_refuses_a_database_with_cases_without_yes(tmp_path, settings):
    settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH = tmp_path / "no-heads.jsonl"
    CaseFactory()
    with pytest.raises(CommandError, match="--yes"):
        call_command("seed_bench", "--cases", "5", "--no-analyze")
    assert Case.objects.count() == 1
    call_command("seed_bench", "--cases", "5", "--caseworkers", "3", "--teams", "1", "--yes", "--no-analyze",
                 "--tag", "y")
    assert Case.objects.count() == 6
    assert audit_verify().ok


def test_command_seeds_an_empty_database(tmp_path, settings):
    settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH = tmp_path / "no-heads.jsonl"
    call_command("seed_bench", "--cases", "20", "--caseworkers", "4", "--teams", "2", "--no-analyze")
    assert Case.objects.count() == 20
    assert CaseUserGrant.objects.filter(kind=GrantKind.ASSIGNED).count() == 20


def test_bulk_seeded_tasks_are_indexed_and_both_reaches_agree(seeded):
    from tests.workflows.test_open_tasks import _assert_reaches_agree, _expected_rows, _rows
    from tests.workflows.test_queue_hint import _assert_hints_exact

    rows = _rows()
    assert len(rows) > 100
    assert rows == _expected_rows()
    assert {"cases.change_case", "cases.approve_case", "cases.cosign_case"} <= {row[2] for row in rows}
    # The grants' queue hints, set by the bulk path (the seed writes hundreds of tasks at once).
    assert any(_assert_hints_exact().values())
    assert _assert_reaches_agree() > 100
