"""Property test: random teams, cases, assignments and reassignments. For every user the
case list equals what the policy allows per object, which equals an independent model of
the rules; every invisible case's detail URL answers 404."""

import datetime

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.cases.selectors import case_list_for
from caseflow.cases.services import case_coworker_add, case_open, case_reassign
from permissions.policy import Action, can
from tests.factories import PersonFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ADULT = datetime.date(1990, 1, 1)
MINOR = datetime.date(2016, 6, 15)  # 10 years old on 2026-11-23, a minor for years to come

case_spec = st.tuples(
    st.integers(0, 1),  # team
    st.booleans(),  # minor
    st.integers(0, 2),  # responsible caseworker index in the team
    st.lists(st.integers(0, 2), max_size=2),  # co-workers
    st.one_of(st.none(), st.integers(0, 2)),  # reassigned to
)


class _Rollback(Exception):
    pass


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(specs=st.lists(case_spec, min_size=1, max_size=6))
def test_visible_cases_match_policy_and_model(specs):
    try:
        with transaction.atomic():
            _check(specs)
            raise _Rollback
    except _Rollback:
        pass


def _check(specs):
    teams = [TeamFactory(name=f"Team {i}") for i in range(2)]
    workers = [[UserFactory(team=t, roles=["caseworker"]) for _ in range(3)] for t in teams]
    supervisors = [UserFactory(team=t, roles=["supervisor"]) for t in teams]
    consultant = UserFactory(team=teams[0], roles=["child_consultant"])
    mentor = UserFactory(team=teams[0], roles=["mentor"])
    users = [u for ws in workers for u in ws] + supervisors + [consultant, mentor]

    model = {}  # case id -> set of user ids allowed to see it (independent of the policy)
    cases = []
    for team_index, minor, responsible_index, coworkers, reassigned in specs:
        team = teams[team_index]
        responsible = workers[team_index][responsible_index]
        case = case_open(actor=supervisors[team_index], team=team, level=2, responsible=responsible,
                         person=PersonFactory(birth_date=MINOR if minor else ADULT))
        allowed = {supervisors[team_index].pk}
        for index in coworkers:
            case_coworker_add(actor=supervisors[team_index], case=case, user=workers[team_index][index])
            allowed.add(workers[team_index][index].pk)
        if reassigned is not None:
            case = case_reassign(actor=supervisors[team_index], case=case, responsible=workers[team_index][reassigned])
            responsible = workers[team_index][reassigned]
        allowed.add(responsible.pk)
        if minor:
            allowed.add(consultant.pk)
        model[case.pk] = allowed
        cases.append(case)

    for user in users:
        user = type(user).objects.get(pk=user.pk)
        listed = set(case_list_for(actor=user).values_list("pk", flat=True))
        per_object = {c.pk for c in cases if can(user, Action.VIEW, c)}
        expected = {pk for pk, allowed in model.items() if user.pk in allowed}
        assert listed == per_object == expected, user.username
        client = Client()
        client.force_login(user)
        for case in cases:
            if case.pk not in expected:
                assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
