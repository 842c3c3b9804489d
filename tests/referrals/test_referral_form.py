"""The staff registration form at /referrals/new/: happy path, duplicates, and every
bad input gets a clear, translated error with nothing written."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from caseflow.cases.models import Case
from caseflow.people.models import Person
from caseflow.referrals.models import Referral
from tests.factories import CaseFactory, PersonFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

VALID_CPR = "010190-1234"  # fictional; date part 1 January 1990


def _data(**overrides):
    data = {
        "received_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "phone",
        "referrer_type": "primary_school",
        "referrer_name": "Fiktiv Lærer",
        "referrer_contact": "skole@example.invalid",
        "concern_text": "Eleven deler voldelige memes i klassens chat.",
        "warning_signs": ["extremist_media"],
        "urgency": "normal",
        "cpr": "",
        "first_name": "Fiktiv",
        "last_name": "Elevsen",
        "birth_date": "2011-05-04",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _counts():
    return Referral.objects.count(), Person.objects.count()


def test_referral_form_registers_and_shows_the_referral(client, worker):
    client.force_login(worker)
    response = client.post(reverse("referrals:new"), _data(), follow=True)
    assert response.status_code == 200
    referral = Referral.objects.get()
    assert referral.team == worker.team
    assert referral.registered_by == worker
    assert referral.person.first_name == "Fiktiv"
    assert referral.warning_signs == ["extremist_media"]
    assert referral.reference in response.content.decode()


def test_referral_form_with_cpr_stores_no_clear_cpr_and_shows_it_masked(client, worker):
    client.force_login(worker)
    response = client.post(reverse("referrals:new"), _data(cpr=VALID_CPR, birth_date=""), follow=True)
    assert response.status_code == 200, response.context["form"].errors if response.context else ""
    person = Referral.objects.get().person
    assert person.birth_date == datetime.date(1990, 1, 1)
    content = response.content.decode()
    assert "010190-****" in content
    assert "1234" not in content.split("010190-****")[0][-20:]
    assert "0101901234" not in content


def test_referral_form_anonymous_without_person(client, worker):
    client.force_login(worker)
    client.post(reverse("referrals:new"), _data(referrer_type="anonymous", is_anonymous="on", referrer_name="",
                                                referrer_contact="", first_name="", last_name="", birth_date=""))
    referral = Referral.objects.get()
    assert referral.person is None
    assert referral.is_anonymous


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cpr": "320190-1234"}, "cpr"),  # impossible date
        ({"cpr": "0101901"}, "cpr"),  # wrong length
        ({"cpr": "01019O-1234"}, "cpr"),  # a letter
        ({"birth_date": "2099-01-01"}, "birth_date"),  # future
        ({"birth_date": "1890-01-01"}, "birth_date"),  # more than 120 years back
        ({"concern_text": "   "}, "concern_text"),
        ({"concern_text": "x" * 10_001}, "concern_text"),
        ({"referrer_name": "y" * 201}, "referrer_name"),
        ({"first_name": "z" * 121}, "first_name"),
        ({"referrer_type": "martian"}, "referrer_type"),
        ({"channel": "pigeon"}, "channel"),
        ({"warning_signs": ["not-a-sign"]}, "warning_signs"),
        ({"received_at": "2099-01-01T10:00"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"first_name": "Fiktiv\x00\x07"}, "first_name"),
        ({"is_anonymous": "on"}, "referrer_name"),  # anonymous but named
    ],
)
def test_referral_form_bad_input_is_refused_with_nothing_written(client, worker, overrides, field):
    client.force_login(worker)
    before = _counts()
    response = client.post(reverse("referrals:new"), _data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert all(message.strip() for message in errors[field])
    assert _counts() == before
    assert "Ret de markerede felter" in response.content.decode()  # the Danish summary


def test_referral_form_error_in_english_on_request(client, worker):
    client.force_login(worker)
    response = client.post(reverse("referrals:new"), _data(concern_text=""), HTTP_ACCEPT_LANGUAGE="en")
    assert "Please correct the fields marked below" in response.content.decode()


def test_referral_form_contradicting_cpr_and_birth_date_writes_nothing(client, worker):
    client.force_login(worker)
    before = _counts()
    response = client.post(reverse("referrals:new"), _data(cpr=VALID_CPR, birth_date="1991-02-02"))
    assert response.status_code == 200
    assert "cpr" in response.context["form"].errors or "birth_date" in response.context["form"].errors
    assert _counts() == before


def test_referral_form_html_is_stored_as_text_and_escaped(client, worker):
    client.force_login(worker)
    script = '<script>alert("x")</script><b>fed</b>'
    response = client.post(reverse("referrals:new"), _data(concern_text=script, first_name="<i>Navn</i>"),
                           follow=True)
    assert Referral.objects.get().concern_text == script
    content = response.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;" in content
    assert "<i>Navn</i>" not in content


def test_referral_form_refused_for_roles_without_registration(client, team):
    for role in ("mentor", "auditor", "bbu_liaison", "child_consultant"):
        client.force_login(UserFactory(team=team, roles=[role]))
        assert client.get(reverse("referrals:new")).status_code == 403
        assert client.post(reverse("referrals:new"), _data()).status_code == 403
    assert not Referral.objects.exists()


def test_referral_page_shows_possible_duplicates_with_policy_wording(client, worker, team):
    owner = UserFactory(team=TeamFactory(name="Andet"), roles=["caseworker"], first_name="Olga", last_name="Ejer")
    existing = PersonFactory(first_name="Fiktiv", last_name="Elevsen", birth_date=datetime.date(2011, 5, 4))
    hidden = CaseFactory(team=owner.team, responsible=owner, person=existing)
    client.force_login(worker)
    response = client.post(reverse("referrals:new"), _data(), follow=True)
    content = response.content.decode()
    assert "Olga Ejer" in content  # "a case exists — contact Olga Ejer"
    assert hidden.reference not in content
    assert Case.objects.count() == 1  # never an automatic merge
    assert Person.objects.filter(last_name="Elevsen").count() == 2


def test_referral_about_person_with_closed_case_is_linked_for_reopening(client, worker, team):
    person = PersonFactory(first_name="Gammel", last_name="Sagsen", birth_date=datetime.date(2000, 1, 1))
    closed = CaseFactory(team=team, person=person, status=Case.Status.CLOSED,
                         closed_at=timezone.now() - datetime.timedelta(days=120))
    from caseflow.referrals.services import referral_register

    referral = referral_register(actor=worker, team=team, channel="phone", referrer_type="citizen",
                                 concern_text="Ny bekymring.", person=person)
    assert referral.reopen_case == closed


def test_referral_page_reveals_cpr_only_with_purpose_and_audits_it(client, worker, team):
    from caseflow.audit.models import AuditEvent

    client.force_login(worker)
    client.post(reverse("referrals:new"), _data(cpr=VALID_CPR, birth_date=""))
    referral = Referral.objects.get()
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "010190-1234" not in page
    refused = client.post(reverse("referrals:reveal_cpr", args=[referral.pk]), {"purpose": " "})
    assert "010190-1234" not in refused.content.decode()
    assert "0101901234" not in refused.content.decode()
    shown = client.post(reverse("referrals:reveal_cpr", args=[referral.pk]), {"purpose": "Underretning til BBU"})
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    assert "0101901234" in shown.content.decode() or "010190-1234" in shown.content.decode()
    event = AuditEvent.objects.filter(action="person.cpr_revealed").get()
    assert event.purpose == "Underretning til BBU"
    assert "1234" not in str(event.extra)
    outsider = UserFactory(team=TeamFactory(name="Andet"), roles=["caseworker"])
    client.force_login(outsider)
    assert client.post(reverse("referrals:reveal_cpr", args=[referral.pk]), {"purpose": "x"}).status_code == 404
