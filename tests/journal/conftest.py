"""Users and a case shared by the journal tests."""

import datetime

import pytest
from django.utils import timezone

from permissions.models import GrantKind
from tests.factories import CaseFactory, InterventionFactory, PersonFactory, TeamFactory, UserFactory, grant


@pytest.fixture
def colleague(team, case):
    user = UserFactory(team=team, roles=["caseworker"])
    grant(case, user, GrantKind.CO_WORKER)
    return user


@pytest.fixture
def case(team, worker, consultant):
    """A minor's case: the worker is responsible, the consultants reach it."""
    minor = PersonFactory(birth_date=timezone.localdate() - datetime.timedelta(days=15 * 365))
    return CaseFactory(team=team, responsible=worker, person=minor, is_minor=True)


@pytest.fixture
def bbu(case):
    user = UserFactory(team=None, roles=["bbu_liaison"])
    grant(case, user, GrantKind.BBU)
    return user


@pytest.fixture
def reader(case):
    """A caseworker of another team with emergency (break-glass) access to the case."""
    user = UserFactory(team=TeamFactory(name="Tredje hold"), roles=["caseworker"])
    grant(case, user, GrantKind.BREAK_GLASS, valid_until=timezone.now() + datetime.timedelta(hours=1))
    return user


@pytest.fixture
def intervention(case):
    return InterventionFactory(case=case)


@pytest.fixture
def mentor(team, intervention):
    user = UserFactory(team=team, roles=["mentor"])
    grant(intervention, user, GrantKind.PROVIDER)
    return user


@pytest.fixture
def earlier():
    return timezone.now() - datetime.timedelta(hours=2)
