import datetime

import pytest
from django.urls import reverse

from caseflow.cases.selectors import case_list_for
from tests.factories import CaseFactory, PersonFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(team):
    other_team = TeamFactory(name="Andet hold")
    worker1 = UserFactory(username="cw1", team=team, roles=["caseworker"])
    worker2 = UserFactory(username="cw2", team=team, roles=["caseworker"])
    return {
        "own": CaseFactory(team=team, responsible=worker1),
        "colleague": CaseFactory(team=team, responsible=worker2),
        "minor": CaseFactory(team=other_team, responsible=None, is_minor=True,
                             person=PersonFactory(birth_date=datetime.date(2012, 1, 1))),
        "other_team": CaseFactory(team=other_team, responsible=None),
        "worker1": worker1,
    }


def _visible(user):
    return set(case_list_for(actor=user).values_list("reference", flat=True))


def test_case_list_for_caseworker_sees_only_own_cases(cases):
    assert _visible(cases["worker1"]) == {cases["own"].reference}


def test_case_list_for_supervisor_sees_own_team_only(cases, team):
    supervisor = UserFactory(team=team, roles=["supervisor"])
    assert _visible(supervisor) == {cases[k].reference for k in ("own", "colleague")}


def test_case_list_for_consultant_sees_minors_only(cases, team):
    consultant = UserFactory(team=team, roles=["child_consultant"])
    assert _visible(consultant) == {cases["minor"].reference}


@pytest.mark.parametrize("role", ["mentor", "parent_coach", "auditor", "bbu_liaison", "partner_intake", None])
def test_case_list_for_roles_without_relation_sees_nothing(cases, team, role):
    user = UserFactory(team=team, roles=[role] if role else [])
    assert _visible(user) == set()


def test_case_list_for_superuser_without_role_sees_nothing(cases):
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert _visible(admin) == set()


def test_case_list_page_requires_sign_in(client):
    response = client.get(reverse("cases:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_case_list_page_shows_visible_cases_only(client, cases):
    client.force_login(cases["worker1"])
    response = client.get(reverse("cases:list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert cases["own"].reference in content
    assert cases["colleague"].reference not in content
    assert cases["other_team"].reference not in content


def test_case_list_page_query_count_is_constant(
    client, team, django_assert_num_queries, django_assert_max_num_queries
):
    worker = UserFactory(team=team, roles=["caseworker"])
    client.force_login(worker)
    CaseFactory.create_batch(3, team=team, responsible=worker)
    # session, user, roles, count, page, the read's audit event, session save
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("cases:list"))
    CaseFactory.create_batch(40, team=team, responsible=worker)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("cases:list"))
    assert response.context["paginator"].count == 43


def test_case_list_page_paginates_at_50(client, team):
    worker = UserFactory(team=team, roles=["caseworker"])
    CaseFactory.create_batch(51, team=team, responsible=worker)
    client.force_login(worker)
    assert len(client.get(reverse("cases:list")).context["cases"]) == 50
    assert len(client.get(reverse("cases:list") + "?page=2").context["cases"]) == 1


def _paged(user, per_page):
    from caseflow.cases.selectors import case_page_for

    pages, number = [], 1
    while True:
        page = case_page_for(actor=user, page_number=number, per_page=per_page)
        pages.append(page)
        if not page.has_next():
            return pages
        number += 1


@pytest.mark.parametrize("per_page", [1, 3, 50])
def test_case_page_matches_the_plain_list_for_a_supervisor_with_grants_outside_the_team(team, per_page):
    """The paged list (team part bounded per page, count split in team + outside) is
    exactly the visible list: same count, same order, no duplicates, on every page."""
    from permissions.models import GrantKind
    from permissions.services import case_access_grant

    other_team = TeamFactory(name="Andet hold")
    supervisor = UserFactory(team=team, roles=["supervisor"])
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    team_cases = [CaseFactory(team=team, opened_at=base + datetime.timedelta(days=i)) for i in range(5)]
    outside = [CaseFactory(team=other_team, opened_at=base + datetime.timedelta(days=i, hours=12))
               for i in range(3)]
    # A grant on a team case must not be counted twice; grants outside the team add cases.
    for case in [team_cases[0], *outside[:2]]:
        case_access_grant(actor=supervisor, case=case, user=supervisor, kind=GrantKind.CO_WORKER,
                          reason="Vikar")
    expected = list(case_list_for(actor=supervisor).values_list("pk", flat=True))
    assert len(expected) == 7
    pages = _paged(supervisor, per_page)
    assert all(page.paginator.count == 7 for page in pages)
    assert [case.pk for page in pages for case in page.object_list] == expected
    assert outside[2].pk not in expected


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_team_case_count_follows_inserts_bulk_inserts_moves_and_deletes(team):
    """The trigger-kept counter behind the supervisor's list count is exact."""
    from caseflow.cases.models import Case, TeamCaseCount

    other = TeamFactory(name="Andet hold")

    def counts():
        kept = dict(TeamCaseCount.objects.values_list("team_id", "cases"))
        real = {t: Case.objects.filter(team_id=t).count() for t in (team.pk, other.pk)}
        return {t: kept.get(t, 0) for t in real}, real

    CaseFactory.create_batch(3, team=team)
    template = CaseFactory(team=other)
    Case.objects.bulk_create([
        Case(reference=f"KE-2026-9{n:04d}", person=template.person, team=other, level=2,
             opened_at=template.opened_at) for n in range(4)
    ])
    Case.objects.filter(pk__in=list(Case.objects.filter(team=team).values_list("pk", flat=True)[:2])).update(
        team=other)
    Case.objects.filter(team=other).order_by("pk").first().delete()
    kept, real = counts()
    assert kept == real == {team.pk: 1, other.pk: 6}


@pytest.mark.parametrize("per_page", [1, 2, 50])
def test_case_page_matches_the_plain_list_for_a_caseworker_with_ties_and_several_grants_per_case(team, per_page):
    """The page takes each grant table's newest cases from the grants' own index: with
    cases opened at the same moment and several grants on one case (responsible and
    stand-in), every page is still exactly the visible list's slice."""
    from permissions.models import CaseUserGrant, GrantKind
    from permissions.services import case_access_grant

    worker = UserFactory(team=team, roles=["caseworker"])
    moment = datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC)
    cases = [CaseFactory(team=team, responsible=worker, opened_at=moment + datetime.timedelta(days=i // 3))
             for i in range(7)]
    for case in cases[::2]:
        case_access_grant(actor=worker, case=case, user=worker, kind=GrantKind.STAND_IN, reason="Vikar")
    assert CaseUserGrant.objects.filter(user=worker).count() > len(cases)
    assert not CaseUserGrant.objects.filter(case_opened_at__isnull=True).exists()
    expected = list(case_list_for(actor=worker).values_list("pk", flat=True))
    assert len(expected) == 7
    pages = _paged(worker, per_page)
    assert all(page.paginator.count == 7 for page in pages)
    assert [case.pk for page in pages for case in page.object_list] == expected


def test_grants_carry_their_cases_opening_time_also_when_it_changes(team):
    from caseflow.cases.models import Case
    from permissions.models import CaseGroupGrant, CaseUserGrant

    worker = UserFactory(team=team, roles=["caseworker"])
    case = CaseFactory(team=team, responsible=worker)
    grant = CaseUserGrant.objects.get(user=worker, content_object=case)
    assert grant.case_opened_at == case.opened_at
    earlier = case.opened_at - datetime.timedelta(days=400)
    Case.objects.filter(pk=case.pk).update(opened_at=earlier)
    assert CaseUserGrant.objects.get(pk=grant.pk).case_opened_at == earlier
    # Whatever a writer puts there, the trigger writes the case's.
    CaseUserGrant.objects.filter(pk=grant.pk).update(case_opened_at=None)
    assert CaseUserGrant.objects.get(pk=grant.pk).case_opened_at == earlier
    assert all(g.case_opened_at == Case.objects.get(pk=g.content_object_id).opened_at
               for g in CaseGroupGrant.objects.all())
