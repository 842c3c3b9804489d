"""Fixtures of the document tests: a minor's case with its team, consultant, BBU contact,
a mentor on one of its interventions, and an outsider; uploads go to a temporary
MEDIA_ROOT."""

import datetime

import pytest

from permissions.models import GrantKind
from tests.factories import (
    CaseFactory,
    InterventionFactory,
    PersonFactory,
    TeamFactory,
    UserFactory,
    grant,
)


@pytest.fixture
def media_root(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def case(team, worker, consultant):
    return CaseFactory(team=team, responsible=worker, is_minor=True,
                       person=PersonFactory(birth_date=datetime.date(2012, 3, 1)))


@pytest.fixture
def users(team, worker, consultant, case):
    """Everyone who matters for the access rules, keyed by relation."""
    supervisor = UserFactory(team=team, roles=["supervisor"])
    bbu = UserFactory(team=None, roles=["bbu_liaison"])
    grant(case, bbu, GrantKind.BBU)
    mentor = UserFactory(team=team, roles=["mentor"])
    intervention = InterventionFactory(case=case, provider=mentor)
    grant(intervention, mentor, GrantKind.PROVIDER)
    outsider = UserFactory(team=TeamFactory(name="Andet hold"), roles=["caseworker"])
    reader = UserFactory(team=team, roles=["caseworker"])
    grant(case, reader, GrantKind.BREAK_GLASS)
    return {"worker": worker, "supervisor": supervisor, "consultant": consultant, "bbu": bbu,
            "mentor": mentor, "outsider": outsider, "break_glass": reader, "intervention": intervention}
