"""Users and teams shared by the workflow tests."""

import pytest

from tests.factories import TeamFactory, UserFactory


@pytest.fixture
def team():
    return TeamFactory(name="Koordineringsenheden")


@pytest.fixture
def worker(team):
    return UserFactory(team=team, roles=["caseworker"])


@pytest.fixture
def colleague(team):
    return UserFactory(team=team, roles=["caseworker"])


@pytest.fixture
def outsider():
    return UserFactory(team=TeamFactory(name="Andet hold"), roles=["caseworker"])


@pytest.fixture
def mentor(team):
    return UserFactory(team=team, roles=["mentor"])


@pytest.fixture
def bbu():
    return UserFactory(team=None, roles=["bbu_liaison"])
