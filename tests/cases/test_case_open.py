import datetime
import re
import threading

import pytest
from django.db import connection
from django.utils import timezone

from caseflow.cases.models import Case
from caseflow.cases.services import case_minor_flag_refresh, case_open
from caseflow.core.exceptions import ApplicationError
from tests.factories import PersonFactory, TeamFactory, UserFactory


@pytest.mark.django_db
def test_case_open_gives_sequential_references_per_year():
    team = TeamFactory()
    actor = UserFactory(team=team, roles=["supervisor"])
    opened = datetime.datetime(2026, 3, 1, 10, 0, tzinfo=timezone.get_current_timezone())
    first = case_open(actor=actor, person=PersonFactory(), team=team, level=2, opened_at=opened)
    second = case_open(actor=actor, person=PersonFactory(), team=team, level=3, opened_at=opened)
    next_year = case_open(
        actor=actor, person=PersonFactory(), team=team, level=2, opened_at=opened.replace(year=2027)
    )
    assert first.reference == "KE-2026-0001"
    assert second.reference == "KE-2026-0002"
    assert next_year.reference == "KE-2027-0001"
    assert re.fullmatch(r"KE-\d{4}-\d{4,}", first.reference)


@pytest.mark.django_db
def test_case_open_refuses_level_1():
    with pytest.raises(ApplicationError):
        case_open(actor=UserFactory(roles=["supervisor"]), person=PersonFactory(), team=TeamFactory(), level=1)
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_case_open_derives_minor_flag_from_birth_date():
    tz = timezone.get_current_timezone()
    person = PersonFactory(birth_date=datetime.date(2008, 11, 23))
    team = TeamFactory()
    actor = UserFactory(team=team, roles=["supervisor"])
    minor_case = case_open(actor=actor, person=person, team=team, level=2,
                           opened_at=datetime.datetime(2026, 11, 22, 23, 30, tzinfo=tz))
    adult_case = case_open(actor=actor, person=person, team=team, level=2,
                           opened_at=datetime.datetime(2026, 11, 23, 0, 30, tzinfo=tz))
    assert minor_case.is_minor is True
    assert adult_case.is_minor is False


@pytest.mark.django_db
def test_case_minor_flag_refresh_flips_on_the_18th_birthday():
    person = PersonFactory(birth_date=datetime.date(2008, 11, 23))
    case = case_open(actor=UserFactory(roles=["supervisor"]), person=person, team=TeamFactory(), level=2,
                     opened_at=datetime.datetime(2025, 1, 1, tzinfo=timezone.get_current_timezone()))
    assert case.is_minor is True
    assert case_minor_flag_refresh(case=case, on=datetime.date(2026, 11, 22)) is False
    assert case_minor_flag_refresh(case=case, on=datetime.date(2026, 11, 23)) is True
    case.refresh_from_db()
    assert case.is_minor is False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_case_open_concurrent_writers_never_share_a_reference():
    if connection.vendor != "postgresql":
        pytest.fail("concurrency is only meaningful on PostgreSQL (run make test)")
    team = TeamFactory()
    actor = UserFactory(team=team, roles=["supervisor"])
    people = [PersonFactory() for _ in range(8)]
    errors = []

    def open_one(person):
        try:
            case_open(actor=actor, person=person, team=team, level=2)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 8


@pytest.mark.django_db
def test_case_open_refused_for_roles_outside_case_work():
    for role in ("mentor", "auditor", "bbu_liaison", "child_consultant", "partner_intake"):
        with pytest.raises(ApplicationError):
            case_open(actor=UserFactory(roles=[role]), person=PersonFactory(), team=TeamFactory(), level=2)
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_case_open_responsible_must_be_a_caseworker_of_the_team():
    team = TeamFactory()
    supervisor = UserFactory(team=team, roles=["supervisor"])
    for responsible in (UserFactory(team=team, roles=["mentor"]), UserFactory(roles=["caseworker"])):
        with pytest.raises(ApplicationError):
            case_open(actor=supervisor, person=PersonFactory(), team=team, level=2, responsible=responsible)
    assert not Case.objects.exists()
