"""person_identify (who a referral is about) and person_cpr_reveal (the audited full
number). Fictional people and numbers only."""

import datetime
import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.core.exceptions import ApplicationError
from caseflow.people.models import Person
from caseflow.people.services import person_cpr_reveal, person_identify
from permissions.models import GrantKind
from tests.factories import CaseFactory, InterventionFactory, ReferralFactory, TeamFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

CPR = "010190-1234"
CPR_DIGITS = "0101901234"


@pytest.fixture
def team():
    return TeamFactory(name="Fiktivt Team")


# --------------------------------------------------------------------------- person_identify


def test_person_identify_with_cpr_creates_a_person_with_the_birth_date_of_the_number(worker):
    person = person_identify(actor=worker, cpr=CPR, first_name=" Fiktiv ", last_name="Testesen")
    person.refresh_from_db()
    assert person.birth_date == datetime.date(1990, 1, 1)
    assert (person.first_name, person.last_name) == ("Fiktiv", "Testesen")
    assert person.cpr_display == "010190-****"


def test_person_identify_finds_the_existing_person_by_cpr_and_never_duplicates(worker):
    first = person_identify(actor=worker, cpr=CPR, first_name="Fiktiv", last_name="Testesen")
    again = person_identify(actor=worker, cpr=CPR_DIGITS, first_name="Andet", last_name="Navn",
                            birth_date=datetime.date(1990, 1, 1))
    bare = person_identify(actor=worker, cpr=" 010190 1234 ")
    assert again.pk == bare.pk == first.pk
    assert Person.objects.count() == 1
    first.refresh_from_db()
    assert (first.first_name, first.last_name) == ("Fiktiv", "Testesen")  # never overwritten


def test_person_identify_contradicting_birth_date_is_refused_and_writes_nothing(worker):
    with pytest.raises(ApplicationError) as exc:
        person_identify(actor=worker, cpr=CPR, first_name="Fiktiv", birth_date=datetime.date(1991, 2, 2))
    assert exc.value.field == "cpr"
    assert Person.objects.count() == 0


@pytest.mark.parametrize(("cpr", "code"), [("320190-1234", "invalid_date"), ("0101901", "invalid"),
                                           ("01019O-1234", "invalid"), ("010190-5000", "too_old")])
def test_person_identify_invalid_cpr_is_refused_and_writes_nothing(worker, cpr, code):
    with pytest.raises(ApplicationError) as exc:
        person_identify(actor=worker, cpr=cpr, first_name="Fiktiv")
    assert exc.value.field == "cpr"
    assert exc.value.extra["code"] == code
    assert Person.objects.count() == 0


@pytest.mark.parametrize("days_back", [-1, 120 * 366])
def test_person_identify_implausible_birth_date_is_refused(worker, days_back):
    born = timezone.localdate() - datetime.timedelta(days=days_back)
    with pytest.raises(ApplicationError) as exc:
        person_identify(actor=worker, first_name="Fiktiv", last_name="Testesen", birth_date=born)
    assert exc.value.field == "birth_date"
    assert Person.objects.count() == 0


def test_person_identify_accepts_a_birth_date_today_and_120_years_back(worker):
    today = timezone.localdate()
    assert person_identify(actor=worker, birth_date=today).birth_date == today
    oldest = today.replace(year=today.year - 120) if (today.month, today.day) != (2, 29) else \
        today.replace(year=today.year - 120, day=28)
    assert person_identify(actor=worker, first_name="Fiktiv", birth_date=oldest).birth_date == oldest


def test_person_identify_without_anything_is_an_unknown_person(worker):
    assert person_identify(actor=worker) is None
    assert person_identify(actor=worker, cpr="  ", first_name=" ", last_name="", birth_date=None) is None
    assert Person.objects.count() == 0


def test_person_identify_without_cpr_never_merges(worker):
    born = datetime.date(2011, 5, 4)
    first = person_identify(actor=worker, first_name="Fiktiv", last_name="Testesen", birth_date=born)
    second = person_identify(actor=worker, first_name="Fiktiv", last_name="Testesen", birth_date=born)
    only_name = person_identify(actor=worker, last_name="Testesen")
    assert len({first.pk, second.pk, only_name.pk}) == 3
    assert only_name.birth_date is None
    assert only_name.cpr_index == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [("first_name", "Fiktiv\x00"), ("last_name", "Test\x07esen"), ("first_name", "Fiktiv\u202eevil"),
     ("first_name", "x" * 121), ("last_name", "y" * 121)],
)
def test_person_identify_bad_names_are_refused(worker, field, value):
    with pytest.raises(ApplicationError) as exc:
        person_identify(actor=worker, **{field: value})
    assert exc.value.field == field
    assert Person.objects.count() == 0


def test_person_identify_keeps_html_as_text(worker):
    person = person_identify(actor=worker, first_name="<script>x</script>", last_name="Zero\u200cWidth")
    assert person.first_name == "<script>x</script>"
    assert person.last_name == "Zero\u200cWidth"  # a ZWNJ belongs to some spellings


# --------------------------------------------------------------------------- person_cpr_reveal


def _events_json() -> str:
    return json.dumps(list(AuditEvent.objects.values()), cls=DjangoJSONEncoder)


@pytest.fixture
def person(worker):
    return person_identify(actor=worker, cpr=CPR, first_name="Fiktiv", last_name="Testesen")


def test_person_cpr_reveal_allowed_for_the_responsible_caseworker(worker, person, team):
    case = CaseFactory(responsible=worker, person=person, team=team)
    assert person_cpr_reveal(actor=worker, person=person, purpose="Brev til e-Boks") == CPR_DIGITS
    event = AuditEvent.objects.get(action=AuditAction.PERSON_CPR_REVEALED)
    assert event.actor_id == worker.pk
    assert event.purpose == "Brev til e-Boks"
    assert event.target_type == "people.person"
    assert event.target_id == str(person.pk)
    assert event.case_id == case.pk
    events = _events_json()
    assert CPR_DIGITS not in events
    assert CPR not in events


def test_person_cpr_reveal_allowed_for_a_caseworker_screening_a_referral_about_them(worker, person, team):
    ReferralFactory(team=team, person=person)
    assert person_cpr_reveal(actor=worker, person=person, purpose="Opslag i CPR") == CPR_DIGITS


@pytest.mark.parametrize("who", ["other_caseworker", "mentor", "bbu_liaison", "auditor"])
def test_person_cpr_reveal_denied_without_the_case_file(worker, person, team, who):
    case = CaseFactory(responsible=worker, person=person, team=team)
    if who == "other_caseworker":
        actor = UserFactory(team=TeamFactory(name="Andet Team"), roles=["caseworker"])
    elif who == "mentor":
        actor = UserFactory(team=None, roles=["mentor"])
        grant(InterventionFactory(case=case), actor, GrantKind.PROVIDER)
    elif who == "bbu_liaison":
        actor = UserFactory(team=None, roles=["bbu_liaison"])
        grant(case, actor, GrantKind.BBU)  # the summary, not the whole file
    else:
        actor = UserFactory(team=None, roles=["auditor"])
    with pytest.raises(ApplicationError):
        person_cpr_reveal(actor=actor, person=person, purpose="Nysgerrig")
    denied = AuditEvent.objects.get(action=AuditAction.ACCESS_DENIED, actor_id=actor.pk)
    assert denied.target_id == str(person.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_CPR_REVEALED).exists()
    assert CPR_DIGITS not in _events_json()


def test_person_cpr_reveal_needs_a_purpose(worker, person, team):
    CaseFactory(responsible=worker, person=person, team=team)
    with pytest.raises(ApplicationError) as exc:
        person_cpr_reveal(actor=worker, person=person, purpose="  ")
    assert exc.value.field == "purpose"
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_CPR_REVEALED).exists()


def test_person_cpr_reveal_of_a_person_without_cpr_is_refused(worker, team):
    person = person_identify(actor=worker, first_name="Fiktiv", last_name="Testesen")
    CaseFactory(responsible=worker, person=person, team=team)
    with pytest.raises(ApplicationError):
        person_cpr_reveal(actor=worker, person=person, purpose="Opslag")
