"""The one search box: case reference, referral reference, name, birth date (Danish and
ISO) and CPR number; policy-scoped ("a case exists — contact …" for invisible cases,
nothing at all for invisible referrals), audited without the CPR number."""

import datetime
import json
import logging

import pytest
from django.urls import reverse

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.people.services import person_identify
from tests.factories import CaseFactory, PersonFactory, ReferralFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CPR = "010190-1234"
CPR_DIGITS = "0101901234"


@pytest.fixture
def team():
    return TeamFactory(name="Eget hold")


@pytest.fixture
def other_team():
    return TeamFactory(name="Andet hold")


@pytest.fixture
def searcher(team):
    return UserFactory(team=team, roles=["caseworker"])


@pytest.fixture
def owner(other_team):
    return UserFactory(team=other_team, roles=["caseworker"], first_name="Olga", last_name="Ejer")


@pytest.fixture
def visible_case(team, searcher):
    return CaseFactory(team=team, responsible=searcher,
                       person=PersonFactory(first_name="Emil", last_name="Synligsen",
                                            birth_date=datetime.date(2011, 3, 12)))


@pytest.fixture
def hidden_case(other_team, owner):
    return CaseFactory(team=other_team, responsible=owner,
                       person=PersonFactory(first_name="Emil", last_name="Skjultsen",
                                            birth_date=datetime.date(2010, 7, 1)))


def search(client, user, q, method="post"):
    client.force_login(user)
    response = getattr(client, method)(reverse("people:search"), {"q": q}, **EN)
    assert response.status_code == 200
    return response


def last_search_event():
    return AuditEvent.objects.filter(action=AuditAction.PERSON_SEARCHED).latest("sequence")


# --------------------------------------------------------------------------- case references


def test_visible_case_by_reference(client, searcher, visible_case):
    response = search(client, searcher, visible_case.reference.lower())
    content = response.content.decode()
    assert reverse("cases:detail", args=[visible_case.pk]) in content
    assert "Emil Synligsen" in content
    event = last_search_event()
    assert event.extra["criterion"] == {"kind": "case_reference", "reference": visible_case.reference, "cpr": False}
    assert event.extra["case_ids"] == [visible_case.pk]


def test_invisible_case_by_reference_says_only_whom_to_contact(client, searcher, hidden_case):
    response = search(client, searcher, hidden_case.reference)
    [hit] = response.context["hits"]
    assert hit.label == ""
    assert hit.cases[0].case is None
    assert hit.cases[0].reference is None
    content = response.content.decode()
    assert "A case exists — contact Olga Ejer." in content
    assert "Skjultsen" not in content
    assert reverse("cases:detail", args=[hidden_case.pk]) not in content
    # The reference appears only in the search box the searcher typed it into.
    assert content.count(hidden_case.reference) == 1


def test_unknown_case_reference_finds_nothing(client, searcher, visible_case):
    response = search(client, searcher, "KE-2026-9999")
    assert response.context["hits"] == []
    assert "Nothing found." in response.content.decode()


# --------------------------------------------------------------------------- referral references


def test_visible_referral_by_reference(client, team, searcher):
    referral = ReferralFactory(team=team, person=PersonFactory(first_name="Rikke", last_name="Henvist"))
    response = search(client, searcher, referral.reference)
    assert [r.pk for r in response.context["referrals"]] == [referral.pk]
    assert reverse("referrals:detail", args=[referral.pk]) in response.content.decode()
    assert last_search_event().extra["referral_ids"] == [referral.pk]


def test_invisible_referral_reference_is_never_confirmed(client, other_team, searcher):
    hidden = ReferralFactory(team=other_team, person=PersonFactory(first_name="Rikke", last_name="Skjult"))
    response = search(client, searcher, hidden.reference)
    unknown = search(client, searcher, "HV-2026-0404")
    assert response.context["referrals"] == []
    assert response.context["hits"] == []
    content = response.content.decode()
    assert "Skjult" not in content
    assert reverse("referrals:detail", args=[hidden.pk]) not in content
    # Exactly the answer an unknown reference gets.
    assert "Nothing found." in content
    assert "Nothing found." in unknown.content.decode()
    assert last_search_event().extra["referral_ids"] == []


# --------------------------------------------------------------------------- names and birth dates


def test_name_finds_visible_and_hidden_cases(client, searcher, visible_case, hidden_case):
    response = search(client, searcher, "emil")
    content = response.content.decode()
    assert visible_case.reference in content
    assert "Synligsen" in content
    assert hidden_case.reference not in content
    assert "Skjultsen" not in content
    assert "A case exists — contact Olga Ejer." in content
    event = last_search_event()
    assert event.extra["criterion"]["name"] == "emil"
    assert sorted(event.extra["case_ids"]) == sorted([visible_case.pk, hidden_case.pk])


def test_name_search_lists_visible_referrals(client, team, other_team, searcher):
    mine = ReferralFactory(team=team, person=PersonFactory(first_name="Rikke", last_name="Henvist"))
    hidden = ReferralFactory(team=other_team, person=PersonFactory(first_name="Rikke", last_name="Anden"))
    response = search(client, searcher, "Rikke")
    assert [r.pk for r in response.context["referrals"]] == [mine.pk]
    assert hidden.reference not in response.content.decode()


@pytest.mark.parametrize("date", ["12-03-2011", "12.03.2011", "2011-03-12"])
def test_birth_date_in_danish_and_iso_format(client, searcher, visible_case, hidden_case, date):
    response = search(client, searcher, date)
    [hit] = response.context["hits"]
    assert hit.cases[0].case_id == visible_case.pk
    assert last_search_event().extra["criterion"]["birth_date"] == "2011-03-12"


def test_name_and_birth_date_together(client, searcher, visible_case, hidden_case):
    assert search(client, searcher, "Emil 01-07-2010").context["hits"][0].cases[0].case_id == hidden_case.pk
    assert search(client, searcher, "Emil 01-07-2011").context["hits"] == []


@pytest.mark.parametrize(("q", "message"), [
    ("", "Enter a name, a reference, a date of birth or a CPR number."),
    ("31-02-2011", "Enter a valid date of birth, as dd-mm-yyyy."),
    ("01-01-2011 02-02-2012", "Enter only one date of birth."),
])
def test_bad_input_is_a_form_error_and_no_event(client, searcher, q, message):
    before = AuditEvent.objects.filter(action=AuditAction.PERSON_SEARCHED).count()
    response = search(client, searcher, q)
    assert response.context["hits"] is None
    content = response.content.decode()
    assert message in content
    assert 'role="alert"' in content
    assert AuditEvent.objects.filter(action=AuditAction.PERSON_SEARCHED).count() == before


# --------------------------------------------------------------------------- CPR numbers


@pytest.fixture
def cpr_person(searcher):
    return person_identify(actor=searcher, cpr=CPR, first_name="Cpr", last_name="Personsen")


@pytest.mark.parametrize("q", [CPR, CPR_DIGITS, "010190 1234"])
def test_cpr_finds_the_visible_case(client, team, searcher, cpr_person, q):
    case = CaseFactory(team=team, responsible=searcher, person=cpr_person)
    response = search(client, searcher, q)
    [hit] = response.context["hits"]
    assert hit.cases[0].case_id == case.pk
    assert "Cpr Personsen" in response.content.decode()


def test_cpr_of_an_invisible_case_says_only_whom_to_contact(client, other_team, owner, searcher, cpr_person):
    hidden = CaseFactory(team=other_team, responsible=owner, person=cpr_person)
    response = search(client, searcher, CPR)
    [hit] = response.context["hits"]
    assert hit.label == ""
    assert hit.cases[0].case is None
    content = response.content.decode()
    assert "A case exists — contact Olga Ejer." in content
    assert hidden.reference not in content
    assert "Personsen" not in content


def test_unknown_cpr_finds_nothing(client, searcher, cpr_person):
    response = search(client, searcher, "020290-1234")
    assert response.context["hits"] == []
    assert "Nothing found." in response.content.decode()


def test_invalid_cpr_is_a_form_error(client, searcher):
    response = search(client, searcher, "320190-1234")
    assert response.context["hits"] is None
    assert 'role="alert"' in response.content.decode()


def test_cpr_never_in_audit_events_or_logs(client, team, searcher, cpr_person, caplog):
    CaseFactory(team=team, responsible=searcher, person=cpr_person)
    before = AuditEvent.objects.count()
    with caplog.at_level(logging.DEBUG):
        search(client, searcher, f"Emil {CPR}")
        search(client, searcher, CPR_DIGITS)
        search(client, searcher, "320190-1234")  # invalid: refused, still not logged
    events = list(AuditEvent.objects.order_by("sequence")[before:])
    searches = [e for e in events if e.action == AuditAction.PERSON_SEARCHED]
    assert len(searches) == 2
    for event in searches:
        assert event.extra["criterion"] == {"kind": "cpr", "cpr": True}
    dumped = json.dumps([[e.extra, e.changes, e.purpose, e.reason, e.target_id] for e in events], default=str)
    for value in ("010190", "0101901234", "320190", "Emil"):
        assert value not in dumped
    for record in caplog.records:
        text = record.getMessage()
        assert "010190" not in text
        assert "320190" not in text


def test_search_form_posts_so_the_cpr_stays_out_of_urls(client, searcher):
    client.force_login(searcher)
    content = client.get(reverse("people:search"), **EN).content.decode()
    assert 'method="post"' in content
    assert 'for="id_q"' in content  # a label for the one search box


def test_search_refused_for_mentor_and_bbu(client):
    for role in ("mentor", "bbu_liaison"):
        client.force_login(UserFactory(roles=[role]))
        assert client.post(reverse("people:search"), {"q": "Emil"}).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_SEARCHED).exists()
