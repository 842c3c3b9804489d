"""``OpenTask``: the trigger-kept index of open human tasks the inbox and queue read on
PostgreSQL, and ``OpenTaskReach`` over it, checked against viewflow's own tables and
against the join-based reach (``_reachable``) for every demo user."""

import pytest
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.accounts.models import Team, User
from caseflow.cases.models import Case
from caseflow.referrals.models import Referral
from permissions.models import GrantKind
from permissions.services import access_grant
from workflows import selectors
from workflows.models import CaseProcess, InterventionProcess, OpenTask, ReferralProcess

pytestmark = pytest.mark.django_db

LISTS = {
    "inbox": lambda user: {"owner": user, "statuses": selectors.INBOX_STATUSES},
    "queue": lambda user: {"owner": None, "statuses": selectors.QUEUE_STATUSES},
}


@pytest.fixture
def demo(settings):
    assert connection.vendor == "postgresql", "OpenTask is kept by PostgreSQL triggers"
    settings.CASEFLOW_DEMO_PASSWORD = "demo-test-pw"
    call_command("seed_demo")


def _expected_rows():
    """What ``OpenTask`` must hold, computed from viewflow's tables and the subjects."""
    rows = set()
    for task in Task.objects.filter(flow_task_type="HUMAN", status__in=selectors.OPEN_TASK_STATUSES,
                                    owner_permission__isnull=False):
        referral = case = intervention = team = None
        if (process := ReferralProcess.objects.filter(pk=task.process_id).first()) is not None:
            referral = process.referral
            team = referral.team_id if referral else None
        elif (process := CaseProcess.objects.filter(pk=task.process_id).first()) is not None:
            case = process.case
        elif (process := InterventionProcess.objects.filter(pk=task.process_id).first()) is not None:
            intervention = process.intervention
            case = intervention.case if intervention else None
        if case is not None:
            team = case.team_id
        rows.add((task.pk, task.owner_id, task.owner_permission, task.status, task.created,
                  referral and referral.pk, case and case.pk, intervention and intervention.pk, team))
    return rows


def _rows():
    return set(OpenTask.objects.values_list("task_id", "owner_id", "owner_permission", "status", "created",
                                            "referral_id", "case_id", "intervention_id", "team_id"))


def _join_reach(user, *, owner, statuses):
    return list(Task.objects.filter(selectors._reachable(user, flow_task_type="HUMAN", owner=owner,
                                                         status__in=statuses)).order_by("created", "pk"))


def _paged(user, *, owner, statuses, per_page=2):
    pages = Paginator(selectors.TaskPages(user, owner=owner, statuses=statuses), per_page)
    return pages.count, [task for number in pages.page_range for task in pages.page(number).object_list]


SHOWN = ("pk", "referral_id", "referral_reference", "case_id", "case_reference", "intervention_id", "due_at")


def _shown(tasks):
    return [tuple(getattr(task, name) for name in SHOWN) for task in tasks]


def _assert_reaches_agree():
    """For every user, inbox and queue: the same tasks in the same order and pages, the
    same count, and what a row shows equal to ``_with_subject`` over viewflow's tables."""
    checked = 0
    for user in User.objects.all():
        for name, conditions in LISTS.items():
            user = User.objects.get(pk=user.pk)
            expected = _join_reach(user, **conditions(user))
            count, paged = _paged(user, **conditions(user))
            assert (count, paged) == (len(expected), expected), (user.username, name)
            assert _shown(paged) == _shown(selectors._with_subject(Task.objects.filter(pk__in=[task.pk for task in expected])))
            checked += len(expected)
    return checked


def test_open_tasks_mirror_every_open_human_task(demo):
    rows = _rows()
    assert rows == _expected_rows()
    kinds = {(referral is not None, case is not None, intervention is not None)
             for _t, _o, _p, _s, _c, referral, case, intervention, _team in rows}
    assert {(True, False, False), (False, True, True)} <= kinds, "referral and intervention flows"
    assert all(team is not None for *_, team in rows)


def test_both_reaches_agree_for_every_demo_user_in_count_order_and_pages(demo):
    assert _assert_reaches_agree() > 5


def test_rows_follow_claims_completion_moves_and_deletion(demo):
    worker = User.objects.get(username="caseworker1")
    screening = Task.objects.filter(status=STATUS.NEW, owner_permission="referrals.change_referral").first()
    # Claimed: owner and status follow.
    Task.objects.filter(pk=screening.pk).update(owner=worker, status=STATUS.ASSIGNED)
    assert OpenTask.objects.get(task_id=screening.pk).owner_id == worker.pk
    assert screening in selectors.task_inbox_for(actor=worker)
    assert screening not in selectors.task_queue_for(actor=worker)

    # A case moves to another team: its tasks and its interventions' tasks follow.
    case = Case.objects.filter(interventions__isnull=False).first()
    other = Team.objects.create(name="Et andet team")
    Case.objects.filter(pk=case.pk).update(team=other)
    moved = OpenTask.objects.filter(case_id=case.pk)
    assert moved.exists()
    assert set(moved.values_list("team_id", flat=True)) == {other.pk}
    assert moved.filter(intervention__isnull=False).exists()

    # A referral moves to another team.
    referral = Referral.objects.get(pk=OpenTask.objects.filter(referral__isnull=False).first().referral_id)
    Referral.objects.filter(pk=referral.pk).update(team=other)
    assert set(OpenTask.objects.filter(referral_id=referral.pk).values_list("team_id", flat=True)) == {other.pk}

    # Done, or deleted: gone.
    Task.objects.filter(pk=screening.pk).update(status=STATUS.DONE)
    assert not OpenTask.objects.filter(task_id=screening.pk).exists()
    other_task = OpenTask.objects.first().task_id
    Task.objects.filter(pk=other_task).delete()
    assert not OpenTask.objects.filter(task_id=other_task).exists()

    assert _rows() == _expected_rows()
    _assert_reaches_agree()


def test_a_supervisors_own_grant_on_a_team_case_is_counted_once(demo):
    supervisor = User.objects.get(username="supervisor")
    # The caseworkers' case tasks back in the queue: the team's, which the supervisor reaches.
    Task.objects.filter(pk__in=OpenTask.objects.filter(team_id=supervisor.team_id, case__isnull=False)
                        .values("task_id")).update(owner=None, status=STATUS.NEW)
    queued = OpenTask.objects.filter(owner__isnull=True, team_id=supervisor.team_id).exclude(case__isnull=True)
    assert queued.exists()
    for row in queued:
        access_grant(actor=supervisor, obj=row.case, kind=GrantKind.CO_WORKER, user=supervisor, reason="test")
    # And one case of another team, reached through the grant only.
    foreign = Case.objects.filter(processes__isnull=False).first()
    other = Team.objects.create(name="Nabo-teamet")
    Case.objects.filter(pk=foreign.pk).update(team=other)
    access_grant(actor=supervisor, obj=Case.objects.get(pk=foreign.pk), kind=GrantKind.CO_WORKER, user=supervisor,
                 reason="test")
    supervisor = User.objects.get(pk=supervisor.pk)
    expected = _join_reach(supervisor, owner=None, statuses=selectors.QUEUE_STATUSES)
    assert len(expected) == len(set(expected)) >= queued.count()
    assert _paged(supervisor, owner=None, statuses=selectors.QUEUE_STATUSES) == (len(expected), expected)
    _assert_reaches_agree()


@pytest.mark.parametrize("name", LISTS)
def test_a_page_is_three_statements_whatever_the_list_length(demo, name):
    def statements(user):
        user = User.objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as queries:
            page = Paginator(selectors.TaskPages(user, **LISTS[name](user)), 50).get_page(1)
            list(page.object_list)
        return len(queries.captured_queries), page.paginator.count

    worker = User.objects.get(username="caseworker1")
    few = statements(worker)
    # Thirty more tasks on a referral the caseworker may screen, in their inbox or the queue.
    template = Task.objects.get(pk=OpenTask.objects.filter(owner_permission="referrals.change_referral")
                                .first().task_id)
    clones = []
    for _ in range(30):
        clone = Task.objects.get(pk=template.pk)
        clone.pk = None
        clone.owner, clone.status = (worker, STATUS.ASSIGNED) if name == "inbox" else (None, STATUS.NEW)
        clones.append(clone)
    Task.objects.bulk_create(clones)
    many = statements(worker)
    assert many[1] >= few[1] + 30
    assert few[0] == many[0] <= 3, (few, many)  # roles, count, page
