"""The audit trail's pages: the search, its CSV export and a user's access log."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import audit_record
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two teams with a caseworker and a case each; events by both caseworkers, and one
    by team B's caseworker on team A's case (so team A's supervisor sees it)."""
    team_a, team_b = TeamFactory(name="Hold A"), TeamFactory(name="Hold B")
    cw_a = UserFactory(username="cw_a", team=team_a, roles=["caseworker"])
    cw_b = UserFactory(username="cw_b", team=team_b, roles=["caseworker"])
    case_a = CaseFactory(team=team_a, responsible=cw_a)
    case_b = CaseFactory(team=team_b, responsible=cw_b)
    events = {
        "a_on_a": audit_record(actor=cw_a, action=AuditAction.CASE_VIEWED, target=case_a, purpose="case_work"),
        "b_on_b": audit_record(actor=cw_b, action=AuditAction.CASE_VIEWED, target=case_b, purpose="case_work"),
        "b_on_a": audit_record(actor=cw_b, action=AuditAction.ACCESS_DENIED, target=case_a),
        "a_closed_a": audit_record(actor=cw_a, action=AuditAction.CASE_CHANGED, target=case_a,
                                   changes={"level": [2, 3]}),
    }
    return {
        "team_a": team_a, "team_b": team_b, "cw_a": cw_a, "cw_b": cw_b, "case_a": case_a, "case_b": case_b,
        "events": events,
        "auditor": UserFactory(username="dpo", team=None, roles=["auditor"]),
        "supervisor_a": UserFactory(username="sup_a", team=team_a, roles=["supervisor"]),
        "mentor": UserFactory(username="mentor", team=team_a, roles=["mentor"]),
    }


def _sequences(response):
    return {event.sequence for event in response.context["events"]}


def _mine(world):
    return {event.sequence for event in world["events"].values()}


def _searches(actor, action=AuditAction.AUDIT_SEARCHED):
    return list(AuditEvent.objects.filter(actor=actor, action=action).order_by("sequence"))


# --------------------------------------------------------------------------- who may read


def test_audit_search_requires_sign_in(client):
    response = client.get(reverse("audit:search"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_audit_search_auditor_sees_every_team_newest_first(client, world):
    client.force_login(world["auditor"])
    response = client.get(reverse("audit:search"))
    assert response.status_code == 200
    shown = [event.sequence for event in response.context["events"] if event.sequence in _mine(world)]
    assert shown == sorted(_mine(world), reverse=True)


def test_audit_search_supervisor_sees_own_team_only(client, world):
    client.force_login(world["supervisor_a"])
    response = client.get(reverse("audit:search"))
    assert response.status_code == 200
    events = world["events"]
    shown = _sequences(response)
    # own member's events and another team's member acting on the own team's case
    assert {events["a_on_a"].sequence, events["a_closed_a"].sequence, events["b_on_a"].sequence} <= shown
    assert events["b_on_b"].sequence not in shown
    team_a_members = set(world["team_a"].members.values_list("pk", flat=True))
    for event in response.context["events"]:
        assert event.actor_id in team_a_members or event.case_id == world["case_a"].pk


def test_audit_search_supervisor_cannot_name_another_teams_user(client, world):
    client.force_login(world["supervisor_a"])
    response = client.get(reverse("audit:search"), {"user": "cw_b"})
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert response.context["page_obj"] is None


def test_audit_search_supervisor_without_team_sees_nothing(client, world):
    client.force_login(UserFactory(team=None, roles=["supervisor"]))
    response = client.get(reverse("audit:search"))
    assert response.status_code == 200
    assert list(response.context["events"]) == []


@pytest.mark.parametrize("role", ["caseworker", "mentor", "child_consultant", "bbu_liaison", "partner_member", None])
def test_audit_pages_refused_for_other_roles(client, world, role):
    user = UserFactory(team=world["team_a"], roles=[role] if role else [])
    client.force_login(user)
    assert client.get(reverse("audit:search")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403
    assert client.get(reverse("audit:user_log", args=[world["cw_a"].pk])).status_code == 404
    assert not AuditEvent.objects.filter(actor=user, action__in=[
        AuditAction.AUDIT_SEARCHED, AuditAction.AUDIT_EXPORTED, AuditAction.AUDIT_USER_LOG_VIEWED]).exists()


def test_audit_pages_refused_for_superuser_without_role(client, world):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("audit:search")).status_code == 403


# --------------------------------------------------------------------------- criteria


def test_audit_search_by_user(client, world):
    client.force_login(world["auditor"])
    response = client.get(reverse("audit:search"), {"user": "cw_b"})
    events = world["events"]
    assert _sequences(response) == {events["b_on_b"].sequence, events["b_on_a"].sequence}


def test_audit_search_by_case(client, world):
    client.force_login(world["auditor"])
    response = client.get(reverse("audit:search"), {"case_id": world["case_b"].pk})
    assert events_only(response) == {world["events"]["b_on_b"].sequence}


def events_only(response):
    """The shown events, minus the case's own opening and grant events from the factory."""
    return {event.sequence for event in response.context["events"] if event.action == AuditAction.CASE_VIEWED}


def test_audit_search_by_action(client, world):
    client.force_login(world["auditor"])
    response = client.get(reverse("audit:search"), {"action": AuditAction.ACCESS_DENIED.value})
    assert {event.action for event in response.context["events"]} == {AuditAction.ACCESS_DENIED}
    assert world["events"]["b_on_a"].sequence in _sequences(response)


def test_audit_search_combines_case_and_action(client, world):
    client.force_login(world["auditor"])
    response = client.get(reverse("audit:search"),
                          {"case_id": world["case_a"].pk, "action": AuditAction.CASE_VIEWED.value})
    assert _sequences(response) == {world["events"]["a_on_a"].sequence}


def test_audit_search_by_period(client, world):
    client.force_login(world["auditor"])
    today = timezone.localdate()
    url = reverse("audit:search")
    within = client.get(url, {"user": "cw_a", "date_from": today.isoformat(), "date_to": today.isoformat()})
    assert _sequences(within) == {world["events"]["a_on_a"].sequence, world["events"]["a_closed_a"].sequence}
    after = client.get(url, {"user": "cw_a", "date_from": (today + datetime.timedelta(days=1)).isoformat()})
    assert _sequences(after) == set()
    before = client.get(url, {"user": "cw_a", "date_to": (today - datetime.timedelta(days=1)).isoformat()})
    assert _sequences(before) == set()


def test_audit_search_paginates_at_100(client, world):
    for _ in range(101):
        audit_record(actor=world["cw_a"], action=AuditAction.CASE_LISTED)
    client.force_login(world["auditor"])
    url = reverse("audit:search")
    first = client.get(url, {"user": "cw_a", "action": AuditAction.CASE_LISTED.value})
    assert len(first.context["events"]) == 100
    second = client.get(url, {"user": "cw_a", "action": AuditAction.CASE_LISTED.value, "page": 2})
    assert len(second.context["events"]) == 1
    assert max(_sequences(second)) < min(_sequences(first))


# --------------------------------------------------------------------------- the read is recorded


def test_audit_search_is_one_event_with_criterion_and_ids(client, world):
    auditor = world["auditor"]
    client.force_login(auditor)
    response = client.get(reverse("audit:search"), {"user": "cw_b", "case_id": world["case_a"].pk})
    [search] = _searches(auditor)
    assert search.purpose == "audit"
    assert search.extra["criterion"] == {"user": "cw_b", "user_id": world["cw_b"].pk,
                                         "case_id": world["case_a"].pk}
    assert search.extra["ids"] == [event.sequence for event in response.context["events"]]
    assert search.extra["ids"] == [world["events"]["b_on_a"].sequence]


def test_audit_search_with_bad_input_records_nothing(client, world):
    client.force_login(world["auditor"])
    client.get(reverse("audit:search"), {"case_id": "abc"})
    assert _searches(world["auditor"]) == []


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"case_id": "abc"}, "case_id"),
        ({"case_id": "99999999999999999999999"}, "case_id"),
        ({"case_id": "-3"}, "case_id"),
        ({"user": "nobody-by-that-name"}, "user"),
        ({"action": "case.eaten"}, "action"),
        ({"date_from": "2026-02-31"}, "date_from"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "0001-01-01"}, "date_from"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to"),
    ],
)
def test_audit_search_bad_input_is_a_form_error(client, world, params, field):
    client.force_login(world["auditor"])
    response = client.get(reverse("audit:search"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["page_obj"] is None


def test_audit_search_form_errors_are_translated(client, world):
    client.force_login(world["auditor"])
    response = client.get(reverse("audit:search"), {"date_from": "2026-03-02", "date_to": "2026-03-01"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert "The end of the period comes before its start." in response.content.decode()


def test_audit_search_garbage_page_number_shows_a_page(client, world):
    client.force_login(world["auditor"])
    response = client.get(reverse("audit:search"), {"page": "x'; drop"})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 1


def test_audit_export_bad_input_is_a_form_error(client, world):
    client.force_login(world["auditor"])
    response = client.get(reverse("audit:export"), {"case_id": "abc"})
    assert response.status_code == 200
    assert "case_id" in response.context["form"].errors
    assert _searches(world["auditor"], AuditAction.AUDIT_EXPORTED) == []


# --------------------------------------------------------------------------- CSV export


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_audit_export_is_a_csv_of_the_search(client, world):
    auditor = world["auditor"]
    client.force_login(auditor)
    response = client.get(reverse("audit:export"), {"case_id": world["case_a"].pk, "user": "cw_a"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    header, *rows = _csv(response)
    assert header[:3] == ["sequence", "occurred_at", "actor_username"]
    assert {"request_id", "changes", "ip", "case_id", "purpose", "actor_role", "action"} <= set(header)
    by_sequence = {int(row[0]): dict(zip(header, row, strict=True)) for row in rows}
    events = world["events"]
    assert list(by_sequence) == [events["a_closed_a"].sequence, events["a_on_a"].sequence]
    changed = by_sequence[events["a_closed_a"].sequence]
    assert changed["actor_username"] == "cw_a"
    assert changed["action"] == AuditAction.CASE_CHANGED.value
    assert changed["case_id"] == str(world["case_a"].pk)
    assert changed["changes"] == '{"level": [2, 3]}'


def test_audit_export_is_one_event_with_criterion_and_row_count(client, world):
    auditor = world["auditor"]
    client.force_login(auditor)
    response = client.get(reverse("audit:export"), {"user": "cw_b"})
    rows = _csv(response)[1:]
    [export] = _searches(auditor, AuditAction.AUDIT_EXPORTED)
    assert export.extra["criterion"] == {"user": "cw_b", "user_id": world["cw_b"].pk}
    assert export.extra["rows"] == len(rows) == 2
    assert _searches(auditor) == []  # the export is not also a search


def test_audit_export_for_supervisor_is_limited_to_the_team(client, world):
    client.force_login(world["supervisor_a"])
    rows = _csv(client.get(reverse("audit:export")))[1:]
    shown = {int(row[0]) for row in rows}
    assert world["events"]["b_on_a"].sequence in shown
    assert world["events"]["b_on_b"].sequence not in shown


def test_audit_export_caps_rows(client, world, monkeypatch):
    monkeypatch.setattr("caseflow.audit.access.EXPORT_MAX_ROWS", 2)
    client.force_login(world["auditor"])
    rows = _csv(client.get(reverse("audit:export")))[1:]
    assert len(rows) == 2
    [export] = _searches(world["auditor"], AuditAction.AUDIT_EXPORTED)
    assert export.extra["rows"] == 2


def test_audit_export_neutralises_spreadsheet_formulas(client, world):
    audit_record(actor=world["cw_a"], action=AuditAction.CASE_VIEWED, purpose="=HYPERLINK(1)")
    client.force_login(world["auditor"])
    rows = _csv(client.get(reverse("audit:export"), {"user": "cw_a", "action": "case.viewed"}))
    header = rows[0]
    assert rows[1][header.index("purpose")] == "'=HYPERLINK(1)"


# --------------------------------------------------------------------------- a user's access log


def test_audit_user_log_for_auditor_shows_what_the_user_did(client, world):
    auditor = world["auditor"]
    client.force_login(auditor)
    response = client.get(reverse("audit:user_log", args=[world["cw_b"].pk]))
    assert response.status_code == 200
    events = world["events"]
    assert [e.sequence for e in response.context["events"]] == [events["b_on_a"].sequence,
                                                               events["b_on_b"].sequence]
    [viewed] = _searches(auditor, AuditAction.AUDIT_USER_LOG_VIEWED)
    assert (viewed.target_type, viewed.target_id) == ("accounts.user", str(world["cw_b"].pk))
    assert viewed.extra["ids"] == [events["b_on_a"].sequence, events["b_on_b"].sequence]


def test_audit_user_log_for_supervisor_own_team_only(client, world):
    supervisor = world["supervisor_a"]
    client.force_login(supervisor)
    assert client.get(reverse("audit:user_log", args=[world["cw_a"].pk])).status_code == 200
    assert client.get(reverse("audit:user_log", args=[world["cw_b"].pk])).status_code == 404
    assert client.get(reverse("audit:user_log", args=[999_999_999])).status_code == 404
    denied = AuditEvent.objects.filter(actor=supervisor, action=AuditAction.ACCESS_DENIED,
                                       target_type="accounts.user")
    assert set(denied.values_list("target_id", flat=True)) == {str(world["cw_b"].pk), "999999999"}
    assert len(_searches(supervisor, AuditAction.AUDIT_USER_LOG_VIEWED)) == 1


def test_audit_user_log_unknown_user_for_auditor_is_404(client, world):
    client.force_login(world["auditor"])
    assert client.get(reverse("audit:user_log", args=[999_999_999])).status_code == 404


def test_audit_pages_never_link_auditor_to_case_pages(client, world):
    client.force_login(world["auditor"])
    content = client.get(reverse("audit:search")).content.decode()
    main = content[content.index("<main>"):]
    for case in (world["case_a"], world["case_b"]):
        assert reverse("cases:detail", args=[case.pk]) not in main  # nor its history page below it


# --------------------------------------------------------------------------- query counts


def _record_many(world, count):
    for _ in range(count):
        audit_record(actor=world["cw_a"], action=AuditAction.CASE_VIEWED,
                     target_type="cases.case", target_id=str(world["case_a"].pk), case_id=world["case_a"].pk)


@pytest.mark.parametrize(("url_name", "who"), [("audit:search", "auditor"), ("audit:search", "supervisor_a"),
                                               ("audit:user_log", "auditor")])
def test_audit_page_query_count_is_constant(client, world, django_assert_max_num_queries, url_name, who):
    client.force_login(world[who])
    url = reverse(url_name, args=[world["cw_a"].pk]) if url_name == "audit:user_log" else reverse(url_name)
    _record_many(world, 5)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    _record_many(world, 150)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["events"]) == 100


def test_audit_export_query_count_is_constant(client, world, django_assert_max_num_queries):
    client.force_login(world["auditor"])
    _record_many(world, 5)
    with django_assert_max_num_queries(14) as few:
        b"".join(client.get(reverse("audit:export")).streaming_content)
    _record_many(world, 150)
    with django_assert_max_num_queries(len(few.captured_queries)):
        b"".join(client.get(reverse("audit:export")).streaming_content)
