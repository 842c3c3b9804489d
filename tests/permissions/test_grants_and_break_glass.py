import datetime
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from caseflow.cases.selectors import case_list_for
from caseflow.cases.services import case_minor_flag_refresh, case_open, case_reassign
from caseflow.core.exceptions import ApplicationError
from caseflow.interventions.services import intervention_match, intervention_propose
from permissions.models import BreakGlassAccess, CaseUserGrant, GrantKind
from permissions.policy import Action, can, visible_cases, visible_interventions
from permissions.services import REASON_REQUIRED, break_glass_open, break_glass_review
from permissions.tasks import break_glass_alert_task
from tests.factories import CaseFactory, PersonFactory, TeamFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(team):
    return UserFactory(team=team, roles=["supervisor"], email="leder@caseflow.invalid")


def test_global_grant_of_object_permission_never_opens_every_case(team, client):
    """A model-level grant (user_permissions) of view/claim must not open cases, neither
    through the policy nor through has_perm as viewflow calls it."""
    case = CaseFactory(team=TeamFactory(name="Andet"))
    boss = UserFactory(team=team, roles=["caseworker"])
    for codename in ("view_case", "change_case", "claim_case_task", "export_case"):
        boss.user_permissions.add(Permission.objects.get(content_type__app_label="cases", codename=codename))
    boss = type(boss).objects.get(pk=boss.pk)  # fresh permission caches
    assert not visible_cases(boss).exists()
    assert boss.has_perm("cases.claim_case_task", case) is False
    assert boss.has_perm("cases.claim_case_task") is False  # the global form is vetoed too
    assert boss.has_perm("cases.view_case") is False
    client.force_login(boss)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_superuser_gets_no_case_content(team, client):
    case = CaseFactory(team=team)
    admin = UserFactory(team=team, is_superuser=True, is_staff=True)
    assert admin.has_perm("cases.view_case", case) is False
    client.force_login(admin)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_reassignment_moves_access_in_one_transaction(team, supervisor, client):
    old, new = (UserFactory(team=team, roles=["caseworker"]) for _ in range(2))
    case = case_open(actor=supervisor, person=PersonFactory(), team=team, level=2, responsible=old)
    assert can(old, Action.VIEW, case)
    case_reassign(actor=supervisor, case=case, responsible=new)
    assert not can(old, Action.VIEW, case)
    assert can(new, Action.CHANGE, case)
    assert not CaseUserGrant.objects.filter(user=old, content_object=case).exists()
    client.force_login(old)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_reassignment_is_refused_for_the_caseworker_and_leaves_grants(team, supervisor):
    worker, other = (UserFactory(team=team, roles=["caseworker"]) for _ in range(2))
    case = case_open(actor=supervisor, person=PersonFactory(), team=team, level=2, responsible=worker)
    with pytest.raises(ApplicationError):
        case_reassign(actor=worker, case=case, responsible=other)
    assert can(worker, Action.VIEW, case)
    assert not can(other, Action.VIEW, case)


def test_consultant_access_follows_the_minor_flag(team, supervisor):
    consultant = UserFactory(team=TeamFactory(name="Konsulenter"), roles=["child_consultant"])
    person = PersonFactory(birth_date=datetime.date(2008, 11, 23))
    case = case_open(actor=supervisor, person=person, team=team, level=2,
                     opened_at=datetime.datetime(2025, 6, 1, tzinfo=timezone.get_current_timezone()))
    assert case.is_minor
    assert can(consultant, Action.VIEW, case)
    assert not can(consultant, Action.VIEW_REFERRER, case)
    case_minor_flag_refresh(case=case, on=datetime.date(2026, 11, 23))
    assert not can(consultant, Action.VIEW, case)
    assert not visible_cases(consultant).filter(pk=case.pk).exists()


def test_provider_sees_only_their_intervention(team, supervisor, client):
    worker = UserFactory(team=team, roles=["caseworker"])
    mentor, other_mentor = UserFactory(roles=["mentor"]), UserFactory(roles=["mentor"])
    case = case_open(actor=supervisor, person=PersonFactory(), team=team, level=2, responsible=worker)
    mine = intervention_propose(actor=worker, case=case, kind="mentor", provider=mentor)
    theirs = intervention_propose(actor=worker, case=case, kind="mentor", provider=other_mentor)
    assert set(visible_interventions(mentor)) == {mine}
    assert not visible_cases(mentor).exists()
    client.force_login(mentor)
    assert client.get(reverse("interventions:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("interventions:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    # Rematching moves the access.
    intervention_match(actor=worker, intervention=mine, provider=other_mentor)
    assert not visible_interventions(mentor).exists()
    assert client.get(reverse("interventions:detail", args=[mine.pk])).status_code == 404


def test_break_glass_needs_a_reason_and_records_nothing_without(team):
    worker = UserFactory(team=team, roles=["caseworker"])
    case = CaseFactory(team=TeamFactory(name="Andet"))
    with pytest.raises(ApplicationError) as excinfo:
        break_glass_open(actor=worker, case=case, reason="   ")
    assert excinfo.value.message == REASON_REQUIRED
    assert not BreakGlassAccess.objects.exists()
    assert not can(worker, Action.VIEW, case)


def test_break_glass_refused_for_roles_outside_case_work(team):
    case = CaseFactory(team=TeamFactory(name="Andet"))
    for role in ("mentor", "auditor", "bbu_liaison", "child_consultant"):
        with pytest.raises(ApplicationError):
            break_glass_open(actor=UserFactory(team=team, roles=[role]), case=case, reason="Akut.")
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_expires_on_the_second_without_cleanup(team, client):
    worker = UserFactory(team=team, roles=["caseworker"])
    case = CaseFactory(team=TeamFactory(name="Andet"))
    access = break_glass_open(actor=worker, case=case, reason="Politiet ringer om akut fare.")
    assert access.expires_at - access.opened_at == timedelta(minutes=120)
    client.force_login(worker)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert not can(worker, Action.CHANGE, case)  # emergency access reads only
    # Let the grant run out 1.5 s from now: it works until then and not a moment after,
    # with no clean-up job in between.
    CaseUserGrant.objects.filter(content_object=case, kind=GrantKind.BREAK_GLASS).update(
        valid_until=timezone.now() + timedelta(seconds=1.5))
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    time.sleep(1.6)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert not visible_cases(worker).exists()
    assert CaseUserGrant.objects.filter(content_object=case, kind=GrantKind.BREAK_GLASS).exists()


def test_break_glass_alerts_supervisor_without_content(team, supervisor, django_capture_on_commit_callbacks):
    worker = UserFactory(team=team, roles=["caseworker"])
    case = CaseFactory(team=team, person=PersonFactory(first_name="Hemmelig", last_name="Navnesen"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        access = break_glass_open(actor=worker, case=case, reason="Akut: barnet er forsvundet.")
    assert len(callbacks) == 1  # the alert is queued after commit, with the access id only
    assert break_glass_alert_task.apply(kwargs={"access_id": access.pk}).get() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["leder@caseflow.invalid"]
    body = message.subject + message.body
    for secret in ("Hemmelig", "Navnesen", case.reference, "forsvundet"):
        assert secret not in body
    assert reverse("permissions:break_glass_reviews") in message.body


def test_break_glass_review_by_team_supervisor_only(team, supervisor, client):
    worker = UserFactory(team=team, roles=["caseworker"])
    case = CaseFactory(team=team)
    access = break_glass_open(actor=worker, case=case, reason="Akut.")
    outsider = UserFactory(team=TeamFactory(name="Andet"), roles=["supervisor"])
    with pytest.raises(ApplicationError):
        break_glass_review(actor=outsider, access=access, justified=True)
    with pytest.raises(ApplicationError):
        break_glass_review(actor=worker, access=access, justified=True)
    client.force_login(supervisor)
    page = client.get(reverse("permissions:break_glass_reviews"))
    assert case.reference in page.content.decode()
    client.post(reverse("permissions:break_glass_reviews"), {"access_id": access.pk, "justified": "no"})
    access.refresh_from_db()
    assert access.review == BreakGlassAccess.Review.NOT_JUSTIFIED
    assert access.reviewed_by == supervisor
    assert not can(worker, Action.VIEW, case)  # not justified: ended at once
    client.force_login(worker)
    assert client.get(reverse("permissions:break_glass_reviews")).status_code == 403


def test_break_glass_through_the_person_search(team, client):
    worker = UserFactory(team=team, roles=["caseworker"])
    case = CaseFactory(team=TeamFactory(name="Andet"), person=PersonFactory(first_name="Søgbar"))
    client.force_login(worker)
    response = client.post(reverse("permissions:break_glass_open"), {"case_id": case.pk, "reason": "Akut."})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert client.get(response["Location"]).status_code == 200
    refused = client.post(reverse("permissions:break_glass_open"), {"case_id": case.pk, "reason": ""})
    assert refused.status_code == 302  # back with a message, nothing written
    assert BreakGlassAccess.objects.count() == 1


def test_case_list_queries_constant_in_cases_and_grants(team, client, django_assert_max_num_queries):
    worker = UserFactory(team=team, roles=["caseworker"])
    client.force_login(worker)
    CaseFactory.create_batch(3, team=team, responsible=worker)
    client.get(reverse("cases:list"))  # warm caches (content types)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("cases:list"))
    more = CaseFactory.create_batch(60, team=team, responsible=worker)
    for case in more[:30]:
        grant(case, worker, GrantKind.CO_WORKER)
    for case in CaseFactory.create_batch(30, team=team):
        grant(case, UserFactory(team=team, roles=["caseworker"]), GrantKind.ASSIGNED)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("cases:list"))
    assert response.context["paginator"].count == 63


def test_case_list_for_is_one_union_query(team, django_assert_num_queries):
    worker = UserFactory(team=team, roles=["caseworker", "supervisor"])
    CaseFactory.create_batch(5, team=team, responsible=worker)
    worker = type(worker).objects.get(pk=worker.pk)
    worker.has_role("caseworker")  # roles loaded once per request
    with django_assert_num_queries(1) as captured:
        ids = list(case_list_for(actor=worker).values_list("pk", flat=True))
    assert len(ids) == 5
    sql = captured.captured_queries[0]["sql"].upper()
    assert "UNION" in sql
