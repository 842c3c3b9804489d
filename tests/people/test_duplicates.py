"""duplicate_candidates_for ("possible duplicate", never a merge) and
person_closed_case_for. Fictional people and numbers only."""

import datetime
import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.core.exceptions import ApplicationError
from caseflow.people.models import Person
from caseflow.people.selectors import (
    STATUS_CLOSED,
    STATUS_OPEN,
    duplicate_candidates_for,
    person_closed_case_for,
    person_search_for,
)
from caseflow.people.services import person_identify
from tests.factories import CaseFactory, PersonFactory, ReferralFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

CPR = "010190-1234"
BORN = datetime.date(1990, 1, 1)


@pytest.fixture
def team():
    return TeamFactory(name="Fiktivt Team")


@pytest.fixture
def worker(team):
    return UserFactory(team=team, roles=["caseworker"], first_name="Fiktiv", last_name="Sagsbehandler")


@pytest.fixture
def outsider():
    return UserFactory(team=TeamFactory(name="Andet Team"), roles=["caseworker"])


@pytest.fixture
def person(worker):
    return person_identify(actor=worker, cpr=CPR, first_name="Fiktiv", last_name="Testesen")


def _searches():
    return AuditEvent.objects.filter(action=AuditAction.PERSON_SEARCHED)


def test_duplicates_by_cpr_visible_case_and_referral(worker, person, team):
    case = CaseFactory(responsible=worker, person=person, team=team)
    referral = ReferralFactory(team=team, person=person)
    hits = duplicate_candidates_for(actor=worker, cpr="0101901234")
    assert [(h.kind, h.match, h.object_id, h.visible) for h in hits] == [
        ("case", "cpr", case.pk, True), ("referral", "cpr", referral.pk, True)]
    assert hits[0].reference == case.reference
    assert hits[0].status_label == str(Case.Status.OPENED.label)
    assert hits[0].contact == str(worker)
    assert hits[1].reference == referral.reference
    assert hits[1].contact == team.name


def test_duplicates_by_name_and_birth_date_case_insensitive(worker, team):
    other = PersonFactory(first_name="Fiktiv", last_name="Testesen", birth_date=BORN)
    case = CaseFactory(responsible=worker, person=other, team=team)
    PersonFactory(first_name="Fiktiv", last_name="Testesen", birth_date=BORN + datetime.timedelta(days=1))
    CaseFactory(responsible=worker, person=Person.objects.last(), team=team)  # another birth date
    hits = duplicate_candidates_for(actor=worker, first_name=" fiktiv ", last_name="TESTESEN", birth_date=BORN)
    assert [(h.kind, h.match, h.object_id) for h in hits] == [("case", "name_birth_date", case.pk)]


def test_duplicates_with_cpr_also_find_the_same_name_and_birth_date_without_cpr(worker, person, team):
    """A person registered earlier without a CPR number may be the same; the birth date
    comes from the number. A person with another CPR number is someone else."""
    unnumbered = PersonFactory(first_name="Fiktiv", last_name="Testesen", birth_date=BORN)
    unnumbered_case = CaseFactory(responsible=worker, person=unnumbered, team=team)
    numbered = person_identify(actor=worker, cpr="010190-4321", first_name="Fiktiv", last_name="Testesen")
    CaseFactory(responsible=worker, person=numbered, team=team)
    own_case = CaseFactory(responsible=worker, person=person, team=team)
    hits = duplicate_candidates_for(actor=worker, cpr=CPR, first_name="Fiktiv", last_name="Testesen")
    assert {(h.object_id, h.match) for h in hits} == {(own_case.pk, "cpr"), (unnumbered_case.pk, "name_birth_date")}


def test_duplicates_invisible_case_is_masked_with_the_contact(worker, outsider, person, team):
    case = CaseFactory(responsible=worker, person=person, team=team)
    referral = ReferralFactory(team=team, person=person)
    hits = duplicate_candidates_for(actor=outsider, cpr=CPR)
    assert len(hits) == 2
    case_hit, referral_hit = hits
    assert (case_hit.kind, case_hit.object_id, case_hit.visible, case_hit.reference) == ("case", case.pk, False, None)
    assert case_hit.contact == "Fiktiv Sagsbehandler"
    assert case_hit.status_label == str(STATUS_OPEN)
    assert (referral_hit.kind, referral_hit.visible, referral_hit.reference) == ("referral", False, None)
    assert referral_hit.contact == "Fiktivt Team"
    assert referral_hit.status_label == str(STATUS_OPEN)
    # nothing of the cases' content in the hits
    text = repr(hits)
    assert case.reference not in text
    assert referral.reference not in text
    assert "Testesen" not in text


def test_duplicates_invisible_case_without_responsible_names_the_team(outsider, person, team):
    CaseFactory(responsible=None, person=person, team=team)
    [hit] = duplicate_candidates_for(actor=outsider, cpr=CPR)
    assert hit.contact == team.name
    assert not hit.visible


def test_duplicates_window_open_recent_and_old_closures(worker, person, team, settings):
    settings.CASEFLOW_DUPLICATE_WINDOW_DAYS = 365
    now = timezone.now()
    open_case = CaseFactory(responsible=worker, person=person, team=team)
    recent = CaseFactory(responsible=worker, person=person, team=team, status=Case.Status.CLOSED,
                         closed_at=now - datetime.timedelta(days=30))
    CaseFactory(responsible=worker, person=person, team=team, status=Case.Status.ARCHIVED,
                closed_at=now - datetime.timedelta(days=400))
    recent_referral = ReferralFactory(team=team, person=person, closed_at=now - datetime.timedelta(days=364))
    ReferralFactory(team=team, person=person, closed_at=now - datetime.timedelta(days=366))
    hits = duplicate_candidates_for(actor=worker, cpr=CPR)
    assert {(h.kind, h.object_id) for h in hits} == {
        ("case", open_case.pk), ("case", recent.pk), ("referral", recent_referral.pk)}


def test_duplicates_invisible_closed_case_says_only_closed(worker, outsider, person, team):
    CaseFactory(responsible=worker, person=person, team=team, status=Case.Status.FOLLOW_UP_6M,
                closed_at=timezone.now() - datetime.timedelta(days=10))
    [hit] = duplicate_candidates_for(actor=outsider, cpr=CPR)
    assert hit.status_label == str(STATUS_CLOSED)


def test_duplicates_exclude_the_referral_being_screened(worker, person, team):
    current = ReferralFactory(team=team, person=person)
    earlier = ReferralFactory(team=team, person=person)
    hits = duplicate_candidates_for(actor=worker, cpr=CPR, exclude_referral_id=current.pk)
    assert [h.object_id for h in hits] == [earlier.pk]


def test_duplicates_one_audit_event_per_check_without_the_number(worker, person, team):
    case = CaseFactory(responsible=worker, person=person, team=team)
    referral = ReferralFactory(team=team, person=person)
    before = _searches().count()
    duplicate_candidates_for(actor=worker, cpr=CPR, first_name="Fiktiv", last_name="Testesen")
    assert _searches().count() == before + 1
    event = _searches().order_by("-sequence").first()
    assert event.purpose == "duplicate_check"
    assert event.extra == {
        "criterion": {"cpr": True, "name": "Fiktiv Testesen", "birth_date": "1990-01-01"},
        "case_ids": [case.pk], "referral_ids": [referral.pk],
    }
    events = json.dumps(list(AuditEvent.objects.values()), cls=DjangoJSONEncoder)
    assert "0101901234" not in events
    assert CPR not in events


def test_duplicates_no_hits_still_one_event(worker):
    assert duplicate_candidates_for(actor=worker, first_name="Ingen", last_name="Fundet", birth_date=BORN) == []
    assert _searches().count() == 1
    assert _searches().get().extra["criterion"]["cpr"] is False


def test_duplicates_nothing_to_match_on_is_empty_without_event(worker, person, team):
    CaseFactory(responsible=worker, person=person, team=team)
    assert duplicate_candidates_for(actor=worker) == []
    assert duplicate_candidates_for(actor=worker, first_name="Fiktiv", last_name="Testesen") == []  # no birth date
    assert duplicate_candidates_for(actor=worker, birth_date=BORN) == []  # no name
    assert not _searches().exists()


def test_duplicates_invalid_cpr_is_an_application_error(worker):
    with pytest.raises(ApplicationError) as exc:
        duplicate_candidates_for(actor=worker, cpr="320190-1234")
    assert exc.value.field == "cpr"
    assert not _searches().exists()


def test_duplicates_never_merge(worker, person, team):
    other = PersonFactory(first_name="Fiktiv", last_name="Testesen", birth_date=BORN)
    CaseFactory(responsible=worker, person=other, team=team)
    before = sorted(Person.objects.values_list("pk", "first_name", "last_name", "cpr_index"))
    duplicate_candidates_for(actor=worker, cpr=CPR, first_name="Fiktiv", last_name="Testesen")
    assert sorted(Person.objects.values_list("pk", "first_name", "last_name", "cpr_index")) == before


def test_duplicates_query_count(worker, person, team, django_assert_max_num_queries):
    for _ in range(5):
        CaseFactory(responsible=worker, person=person, team=team)
        ReferralFactory(team=team, person=person)
    # cases, referrals, the two visibility queries, and the audit insert (with its lock and head)
    with django_assert_max_num_queries(9):
        hits = duplicate_candidates_for(actor=worker, cpr=CPR)
    assert len(hits) == 10


def test_person_search_for_still_works(worker, person, team):
    case = CaseFactory(responsible=worker, person=person, team=team)
    [hit] = person_search_for(actor=worker, query="Testesen")
    assert hit.cases[0].case_id == case.pk
    assert hit.cases[0].reference == case.reference


# --------------------------------------------------------------------------- person_closed_case_for


def test_person_closed_case_for_the_most_recent_closed_case(worker, person, team):
    now = timezone.now()
    assert person_closed_case_for(person=person) is None
    CaseFactory(responsible=worker, person=person, team=team)  # open
    CaseFactory(responsible=worker, person=person, team=team, status=Case.Status.CLOSED,
                closed_at=now - datetime.timedelta(days=900))
    latest = CaseFactory(responsible=worker, person=person, team=team, status=Case.Status.FOLLOW_UP_12M,
                         closed_at=now - datetime.timedelta(days=20))
    assert person_closed_case_for(person=person) == latest
    assert person_closed_case_for(person=None) is None
