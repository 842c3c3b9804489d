"""Every service that writes leaves exactly the expected events, and every read view
leaves a read event with a purpose (design.md §3 "Audit")."""

import datetime

import pytest
from django.db.models import Max
from django.urls import reverse

from caseflow.audit.models import AuditEvent
from caseflow.cases.services import (
    case_bbu_contact_set,
    case_close,
    case_coworker_add,
    case_minor_flag_refresh,
    case_open,
    case_reassign,
    decision_record,
)
from caseflow.interventions.services import intervention_match, intervention_propose, intervention_start
from caseflow.referrals.services import referral_register, referral_screen
from permissions.services import break_glass_open, break_glass_review
from tests.factories import CaseFactory, PersonFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

MINOR_BIRTH = datetime.date(2012, 3, 1)


class Events:
    """The events written after a marker, oldest first."""

    def __init__(self):
        self.mark()

    def mark(self):
        self.after = AuditEvent.objects.aggregate(m=Max("sequence"))["m"] or 0

    def new(self):
        events = list(AuditEvent.objects.filter(sequence__gt=self.after).order_by("sequence"))
        self.mark()
        return events

    def actions(self):
        return [event.action for event in self.new()]


@pytest.fixture
def world():
    team = TeamFactory(name="Koordineringsenheden")
    return {
        "team": team,
        "supervisor": UserFactory(team=team, roles=["supervisor"]),
        "worker": UserFactory(team=team, roles=["caseworker"]),
        "worker2": UserFactory(team=team, roles=["caseworker"]),
        "mentor": UserFactory(roles=["mentor"]),
        "mentor2": UserFactory(roles=["mentor"]),
        "bbu": UserFactory(roles=["bbu_liaison"]),
    }


def test_case_services_leave_exactly_the_expected_events(world):
    w = world
    events = Events()
    case = case_open(actor=w["supervisor"], person=PersonFactory(birth_date=MINOR_BIRTH), team=w["team"],
                     level=2, responsible=w["worker"])
    opened = events.new()
    assert [e.action for e in opened] == ["case.opened", "access.granted", "access.granted"]
    assert all(e.case_id == case.pk for e in opened)
    assert opened[0].actor == w["supervisor"]
    assert opened[1].extra["kind"] == "assigned"
    assert opened[2].extra["kind"] == "consultant"

    case_coworker_add(actor=w["supervisor"], case=case, user=w["worker2"])
    assert events.actions() == ["access.granted"]
    case_reassign(actor=w["supervisor"], case=case, responsible=w["worker2"])
    reassigned = events.new()
    assert [e.action for e in reassigned] == ["access.revoked", "access.granted", "case.reassigned"]
    assert reassigned[2].changes == {"responsible_id": [w["worker"].pk, w["worker2"].pk]}

    case_bbu_contact_set(actor=w["worker2"], case=case, bbu_contact=w["bbu"])
    assert events.actions() == ["access.granted", "case.changed"]

    decision = decision_record(actor=w["worker2"], kind="other", case=case, justification="Fortrolig begrundelse.")
    recorded = events.new()
    assert [e.action for e in recorded] == ["decision.recorded"]
    assert recorded[0].target_id == str(decision.pk)
    assert "Fortrolig" not in str(recorded[0].changes) + str(recorded[0].extra)  # no free text

    case_minor_flag_refresh(case=case, on=datetime.date(2030, 3, 1))
    assert events.actions() == ["case.minor_flag_changed", "access.revoked", "access.revoked"]

    case_close(actor=w["worker2"], case=case, reason="goals_met", justification="Målene er nået.")
    assert events.actions() == ["decision.recorded", "case.closed"]


def test_intervention_services_leave_exactly_the_expected_events(world):
    w = world
    case = CaseFactory(team=w["team"], responsible=w["worker"])
    events = Events()
    intervention = intervention_propose(actor=w["worker"], case=case, kind="mentor", provider=w["mentor"],
                                        goals="Fortroligt mål.")
    assert events.actions() == ["intervention.proposed", "access.granted"]
    intervention_match(actor=w["worker"], intervention=intervention, provider=w["mentor2"])
    assert events.actions() == ["access.revoked", "access.granted", "intervention.matched"]
    intervention_start(actor=w["worker"], intervention=intervention, started_on=datetime.date(2026, 1, 5))
    started = events.new()
    assert [e.action for e in started] == ["intervention.started"]
    assert started[0].case_id == case.pk
    case_close(actor=w["worker"], case=case, reason="goals_met", justification="Afsluttet.")
    assert events.actions() == ["decision.recorded", "access.revoked", "case.closed"]


def test_referral_services_leave_exactly_the_expected_events(world):
    w = world
    events = Events()
    referral = referral_register(actor=w["worker"], team=w["team"], channel="phone", referrer_type="citizen",
                                 concern_text="Fortrolig bekymring.", referrer_name="Fiktiv Henvender")
    registered = events.new()
    assert [e.action for e in registered] == ["referral.registered"]
    assert "Fortrolig" not in str(registered[0].extra)
    assert "Henvender" not in str(registered[0].extra)
    referral_screen(actor=w["worker"], referral=referral, outcome="unfounded", justification="Ingen tegn.")
    assert events.actions() == ["decision.recorded", "referral.screened"]


def test_break_glass_services_leave_exactly_the_expected_events(world):
    w = world
    case = CaseFactory(team=w["team"], responsible=w["worker"])
    outsider = UserFactory(team=TeamFactory(name="Andet"), roles=["caseworker"])
    events = Events()
    access = break_glass_open(actor=outsider, case=case, reason="Akut fare.")
    opened = events.new()
    assert [e.action for e in opened] == ["access.granted", "access.break_glass_opened"]
    assert "Akut" not in str(opened[1].extra)  # the reason stays in the access record
    assert opened[1].extra["break_glass_id"] == access.pk
    break_glass_review(actor=w["supervisor"], access=access, justified=False)
    assert events.actions() == ["access.revoked", "access.break_glass_reviewed"]


def test_refused_service_leaves_no_event(world):
    w = world
    case = CaseFactory(team=w["team"], responsible=w["worker"])
    events = Events()
    with pytest.raises(Exception):  # noqa: B017,PT011 - ApplicationError; the point is the empty log
        decision_record(actor=w["worker"], kind="other", case=case, justification="  ")
    with pytest.raises(Exception):  # noqa: B017,PT011
        case_reassign(actor=w["worker"], case=case, responsible=w["worker2"])
    assert events.new() == []


def test_read_views_leave_read_events_with_purpose(world, client):
    w = world
    case = CaseFactory(team=w["team"], responsible=w["worker"], person=PersonFactory(first_name="Søgemål"))
    hidden = CaseFactory(team=TeamFactory(name="Andet"))
    intervention = intervention_propose(actor=w["worker"], case=case, kind="mentor", provider=w["mentor"])
    client.force_login(w["worker"])
    events = Events()

    client.get(reverse("cases:list"))
    listed = events.new()
    assert [e.action for e in listed] == ["case.listed"]
    assert listed[0].extra["ids"] == [case.pk]
    assert listed[0].purpose

    client.get(reverse("cases:detail", args=[case.pk]))
    viewed = events.new()
    assert [(e.action, e.case_id) for e in viewed] == [("case.viewed", case.pk)]
    assert viewed[0].purpose == "case_work"
    assert viewed[0].request_id
    assert viewed[0].actor == w["worker"]

    assert client.get(reverse("cases:detail", args=[hidden.pk])).status_code == 404
    denied = events.new()
    assert [(e.action, e.case_id) for e in denied] == [("access.denied", hidden.pk)]

    client.get(reverse("people:search"), {"q": "Søgemål"})
    searched = events.new()
    assert [e.action for e in searched] == ["person.searched"]
    assert searched[0].extra["criterion"]["name"] == "Søgemål"
    assert searched[0].extra["case_ids"] == [case.pk]
    assert searched[0].purpose

    client.get(reverse("interventions:detail", args=[intervention.pk]))
    assert events.actions() == ["intervention.viewed"]


def test_case_history_for_supervisor_only(world, client, django_assert_max_num_queries):
    w = world
    case = case_open(actor=w["supervisor"], person=PersonFactory(), team=w["team"], level=2,
                     responsible=w["worker"])
    decision_record(actor=w["worker"], kind="other", case=case, justification="Synlig begrundelse.")
    client.force_login(w["worker"])
    client.get(reverse("cases:detail", args=[case.pk]))
    assert client.get(reverse("cases:history", args=[case.pk])).status_code == 403
    client.force_login(UserFactory(team=TeamFactory(name="Andet"), roles=["supervisor"]))
    assert client.get(reverse("cases:history", args=[case.pk])).status_code == 404

    client.force_login(w["supervisor"])
    response = client.get(reverse("cases:history", args=[case.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Synlig begrundelse." in content  # decisions with justification and decider
    assert w["worker"].username in content  # who viewed the case
    actions = [e.action for e in response.context["events"]]
    assert {"case.opened", "access.granted", "decision.recorded", "case.viewed"} <= set(actions)
    assert AuditEvent.objects.filter(action="case.history_viewed", case_id=case.pk).count() == 1

    with django_assert_max_num_queries(20) as few:
        client.get(reverse("cases:history", args=[case.pk]))
    queries_with_few_events = len(few.captured_queries)  # (each request resets the query log)
    for _ in range(60):
        client.get(reverse("cases:detail", args=[case.pk]))
    with django_assert_max_num_queries(queries_with_few_events):
        response = client.get(reverse("cases:history", args=[case.pk]))
    assert len(response.context["events"]) > 60


def test_person_identify_records_a_created_person_once(world):
    from caseflow.people.services import person_identify

    events = Events()
    person = person_identify(actor=world["worker"], cpr="010190-1234", first_name="Fiktiv")
    created = events.new()
    assert [e.action for e in created] == ["person.created"]
    assert created[0].target_id == str(person.pk)
    assert "0101901234" not in str(created[0].extra) + str(created[0].changes)
    assert person_identify(actor=world["worker"], cpr="0101901234") == person  # found, not created
    assert events.new() == []
