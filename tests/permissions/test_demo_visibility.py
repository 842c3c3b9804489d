"""The demo users see exactly what design.md §5 implies."""

import pytest
from django.core.management import call_command

from caseflow.accounts.models import User
from caseflow.cases.models import Case
from caseflow.interventions.models import Intervention
from permissions.policy import visible_cases, visible_interventions, visible_referrals

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.CASEFLOW_DEMO_PASSWORD = "demo-test-pw"
    call_command("seed_demo")
    by_kind = {i.kind: i for i in Intervention.objects.select_related("case")}
    return {
        "minor_mentor": by_kind[Intervention.Kind.MENTOR].case,
        "adult_exit": by_kind[Intervention.Kind.EXIT_PROGRAMME].case,
        "coach": by_kind[Intervention.Kind.PARENT_COACH].case,
        "interventions": by_kind,
    }


def _cases(username):
    return set(visible_cases(User.objects.get(username=username)))


def _interventions(username):
    return set(visible_interventions(User.objects.get(username=username)))


def test_demo_users_see_exactly_their_cases(demo):
    minor, adult, coach = demo["minor_mentor"], demo["adult_exit"], demo["coach"]
    assert _cases("caseworker1") == {minor, coach}
    assert _cases("caseworker2") == {adult}
    assert _cases("supervisor") == {minor, adult, coach}
    assert _cases("consultant") == {c for c in (minor, adult, coach) if c.is_minor} == {minor, coach}
    assert _cases("bbu1") == {minor}
    for username in ("mentor1", "coach1", "auditor", "admin"):
        assert _cases(username) == set(), username


def test_demo_providers_see_only_their_intervention(demo):
    interventions = demo["interventions"]
    assert _interventions("mentor1") == {interventions[Intervention.Kind.MENTOR]}
    assert _interventions("coach1") == {interventions[Intervention.Kind.PARENT_COACH]}
    assert _interventions("auditor") == set()


def test_demo_referrals_visible_to_case_workers_not_to_providers(demo):
    waiting = {r.reference for r in visible_referrals(User.objects.get(username="caseworker1"))}
    assert len(waiting) == 3  # the referrals waiting for screening; the closed one is not
    # The supervisor sees every referral of the team: the three that opened the demo
    # cases, the three waiting for screening (on the demo meeting's agenda) and the
    # unfounded, closed one.
    assert len(visible_referrals(User.objects.get(username="supervisor"))) == 7
    for username in ("mentor1", "coach1", "auditor", "bbu1"):
        assert not visible_referrals(User.objects.get(username=username)).exists()
    assert Case.objects.count() == 3
