"""Consent records and disclosures (domain.md §4.6, §6 scenario 12): the services, the
pages that write them and the case-page section that lists them."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from caseflow.audit.models import AuditEvent
from caseflow.cases import consents as consent_rules
from caseflow.cases import disclosures
from caseflow.cases.consents import ADULT_CONSENTS_HIMSELF, consent_record, consent_withdraw
from caseflow.cases.disclosures import disclosure_record
from caseflow.cases.models import Case, Consent, Disclosure
from caseflow.cases.sections import consents_section
from caseflow.core.exceptions import ApplicationError
from permissions.models import GrantKind
from permissions.policy import case_actions
from tests.factories import CaseFactory, InterventionFactory, PersonFactory, TeamFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

JOBCENTRE = "Jobcenter København"
Basis = Disclosure.LegalBasis


def years_ago(years, days=0):
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


@pytest.fixture
def case(worker, team):
    """A minor's case: the consultants reach it, so the whole matrix applies."""
    return CaseFactory(team=team, responsible=worker, is_minor=True,
                       person=PersonFactory(birth_date=years_ago(15)))


@pytest.fixture
def adult_case(worker, team):
    return CaseFactory(team=team, responsible=worker, person=PersonFactory(birth_date=years_ago(30)))


def sharing_consent(case, actor, *, recipient=JOBCENTRE, given_on=None, expires_on=None,
                    given_by=Consent.GivenBy.SUBJECT, given_by_name=""):
    return consent_record(actor=actor, case=case, scope=Consent.Scope.SHARING, recipient=recipient,
                          given_by=given_by, given_by_name=given_by_name,
                          given_on=given_on or timezone.localdate() - datetime.timedelta(days=10),
                          expires_on=expires_on)


def disclose(case, actor, basis=Basis.CONSENT, recipient=JOBCENTRE, **kwargs):
    kwargs.setdefault("justification", "Nødvendigt for jobcentrets plan.")
    return disclosure_record(actor=actor, case=case, recipient=recipient, data="Status på mentorforløbet.",
                             legal_basis=basis, **kwargs)


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def refusal(case, actor, **kwargs) -> ApplicationError:
    before = events("disclosure.refused")
    with pytest.raises(ApplicationError) as excinfo:
        disclose(case, actor, **kwargs)
    assert not Disclosure.objects.exists()
    after = events("disclosure.refused")
    assert len(after) == len(before) + 1
    assert after[-1].reason == excinfo.value.extra["reason"]
    assert after[-1].case_id == case.pk
    return excinfo.value


# --------------------------------------------------------------------------- scenario 12


def test_scenario_12_withdrawn_consent_blocks_consent_basis_but_115_is_recorded(client, case, worker):
    client.force_login(worker)
    given_on = timezone.localdate() - datetime.timedelta(days=30)
    response = client.post(reverse("cases:consent_new", args=[case.pk]), {
        "scope": Consent.Scope.SHARING, "recipient": JOBCENTRE, "given_by": Consent.GivenBy.CUSTODY_HOLDER,
        "given_by_name": "Mette Testesen", "given_on": given_on.isoformat(), "note": "Skriftligt samtykke.",
    })
    assert response.status_code == 302
    consent = Consent.objects.get(case=case)
    assert (consent.recipient, consent.given_by_name, consent.recorded_by) == (JOBCENTRE, "Mette Testesen", worker)
    assert consent_rules.consent_is_valid(case=case, scope=Consent.Scope.SHARING, recipient=JOBCENTRE)

    response = client.post(reverse("cases:consent_withdraw", args=[case.pk, consent.pk]),
                           {"withdrawn_on": timezone.localdate().isoformat(), "note": "Trukket tilbage pr. telefon."})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()
    assert len(events("consent.withdrawn")) == 1

    url = reverse("cases:disclosure_new", args=[case.pk])
    form = {"recipient": JOBCENTRE, "data": "Status på mentorforløbet.", "legal_basis": Basis.CONSENT,
            "justification": "Jobcentret skal planlægge forløbet."}
    response = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "was withdrawn on" in body
    assert "Choose another legal basis and justify it." in body
    assert not Disclosure.objects.exists()
    refused = events("disclosure.refused")
    assert len(refused) == 1
    assert refused[0].reason == consent_rules.CONSENT_WITHDRAWN
    assert refused[0].actor_id == worker.pk
    assert refused[0].case_id == case.pk

    response = client.post(url, {**form, "legal_basis": Basis.RETSPLEJELOVEN_115,
                                 "justification": "Nødvendigt af hensyn til SSP-samarbejdet (§ 115)."})
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert (disclosure.legal_basis, disclosure.consent, disclosure.decided_by) == (
        Basis.RETSPLEJELOVEN_115, None, worker)
    recorded = events("disclosure.recorded")
    assert len(recorded) == 1
    assert recorded[0].target_id == str(disclosure.pk)

    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "retsplejeloven § 115" in page
    assert "Withdrawn" in page
    assert JOBCENTRE in page


# --------------------------------------------------------------------------- the service


def test_disclosure_record_on_valid_consent_links_the_consent(adult_case, worker):
    consent = sharing_consent(adult_case, worker, recipient="jobcenter københavn")
    disclosure = disclose(adult_case, worker)
    assert disclosure.consent == consent
    assert disclosure.legal_basis == Basis.CONSENT
    assert not events("disclosure.refused")


def test_disclosure_record_consent_for_another_recipient_does_not_count(adult_case, worker):
    sharing_consent(adult_case, worker, recipient="Politiet")
    error = refusal(adult_case, worker)
    assert error.extra["reason"] == consent_rules.CONSENT_MISSING
    assert error.field == "legal_basis"


def test_disclosure_record_refuses_an_explicit_consent_to_another_recipient(adult_case, worker):
    consent = sharing_consent(adult_case, worker, recipient="Politiet")
    error = refusal(adult_case, worker, consent=consent)
    assert error.extra["reason"] == disclosures.REASON_CONSENT_NOT_SHARING


def test_disclosure_record_refuses_a_consent_of_another_case(adult_case, worker, team):
    other = CaseFactory(team=team, responsible=worker)
    consent = sharing_consent(other, worker)
    error = refusal(adult_case, worker, consent=consent)
    assert error.extra["reason"] == disclosures.REASON_CONSENT_OTHER_CASE


def test_disclosure_record_expired_consent_does_not_count(adult_case, worker):
    today = timezone.localdate()
    sharing_consent(adult_case, worker, given_on=today - datetime.timedelta(days=100),
                    expires_on=today - datetime.timedelta(days=1))
    with translation.override("en"):
        error = refusal(adult_case, worker)
        assert "expired on" in str(error.message)
    assert error.extra["reason"] == consent_rules.CONSENT_EXPIRED


def test_disclosure_record_parent_consent_given_before_18_does_not_count_for_adult(worker, team):
    case = CaseFactory(team=team, responsible=worker, person=PersonFactory(birth_date=years_ago(18, days=20)))
    sharing_consent(case, worker, given_on=timezone.localdate() - datetime.timedelta(days=60),
                    given_by=Consent.GivenBy.CUSTODY_HOLDER, given_by_name="Mette Testesen")
    error = refusal(case, worker)
    assert error.extra["reason"] == consent_rules.CONSENT_GIVER_NOT_ACCEPTED


def test_consent_record_refuses_a_parents_consent_for_an_adult(adult_case, worker):
    with pytest.raises(ApplicationError) as excinfo:
        sharing_consent(adult_case, worker, given_by=Consent.GivenBy.CUSTODY_HOLDER, given_by_name="Mette")
    assert excinfo.value.message == ADULT_CONSENTS_HIMSELF
    assert not Consent.objects.exists()


def test_consent_withdraw_refuses_a_date_before_the_consent(adult_case, worker):
    consent = sharing_consent(adult_case, worker)
    with pytest.raises(ApplicationError) as excinfo:
        consent_withdraw(actor=worker, consent=consent, withdrawn_on=consent.given_on - datetime.timedelta(days=1))
    assert excinfo.value.field == "withdrawn_on"
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_disclosure_record_refuses_restricted_material(adult_case, worker):
    error = refusal(adult_case, worker, basis=Basis.RETSPLEJELOVEN_115, restricted_included=True)
    assert error.extra["reason"] == disclosures.REASON_RESTRICTED_MATERIAL
    assert error.field == "restricted_included"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"basis": Basis.OTHER}, "legal_basis_other"),
    ({"basis": Basis.FORVALTNINGSLOVEN_28_2, "justification": "   "}, "justification"),
    ({"basis": "made_up"}, "legal_basis"),
    ({"basis": Basis.DATABESKYTTELSESLOVEN_8, "recipient": " "}, "recipient"),
    ({"basis": Basis.SERVICELOVEN_49B, "decided_at": timezone.now() + datetime.timedelta(days=2)}, "decided_at"),
])
def test_disclosure_record_refuses_incomplete_input(adult_case, worker, kwargs, field):
    error = refusal(adult_case, worker, **kwargs)
    assert error.field == field
    assert error.extra["reason"] == disclosures.REASON_INVALID_INPUT


def test_disclosure_record_other_basis_needs_its_name(adult_case, worker):
    disclosure = disclose(adult_case, worker, basis=Basis.OTHER, legal_basis_other="barnets lov § 133")
    assert disclosure.legal_basis_label == "barnets lov § 133"
    consent = sharing_consent(adult_case, worker)
    # A consent handed in with a basis that is not consent is not linked.
    assert disclose(adult_case, worker, basis=Basis.RETSPLEJELOVEN_115, consent=consent).consent is None


@pytest.mark.parametrize("relation", ["consultant", "bbu", "break_glass", "other_team", "mentor"])
def test_disclosure_and_consent_services_refuse_users_without_change(case, worker, relation):
    user = _user_with(relation, case)
    consent = sharing_consent(case, worker)
    error = refusal(case, user, basis=Basis.RETSPLEJELOVEN_115)
    assert error.extra["reason"] == disclosures.REASON_NOT_ALLOWED
    with pytest.raises(ApplicationError):
        sharing_consent(case, user)
    with pytest.raises(ApplicationError):
        consent_withdraw(actor=user, consent=consent)
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    assert Consent.objects.count() == 1


def test_disclosure_database_refuses_restricted_material_and_missing_consent(adult_case, worker):
    base = {"case": adult_case, "recipient": JOBCENTRE, "data": "x", "justification": "y", "decided_by": worker}
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(**base, legal_basis=Basis.RETSPLEJELOVEN_115, restricted_included=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(**base, legal_basis=Basis.CONSENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(**base, legal_basis=Basis.OTHER, legal_basis_other=" ")


# --------------------------------------------------------------------------- who may


def _user_with(relation, case):
    if relation == "consultant":
        return UserFactory(team=None, roles=["child_consultant"])
    if relation == "bbu":
        user = UserFactory(team=None, roles=["bbu_liaison"])
        grant(case, user, GrantKind.BBU)
        return user
    if relation == "break_glass":
        user = UserFactory(team=TeamFactory(name="Nabohold"), roles=["caseworker"])
        grant(case, user, GrantKind.BREAK_GLASS, valid_until=timezone.now() + datetime.timedelta(hours=2))
        return user
    if relation == "other_team":
        return UserFactory(team=TeamFactory(name="Andet hold"), roles=["caseworker"])
    if relation == "mentor":
        user = UserFactory(team=case.team, roles=["mentor"])
        grant(InterventionFactory(case=case), user, GrantKind.PROVIDER)
        return user
    if relation == "supervisor":
        return UserFactory(team=case.team, roles=["supervisor"])
    raise AssertionError(relation)


def _urls(case, consent):
    return [reverse("cases:consent_new", args=[case.pk]),
            reverse("cases:consent_withdraw", args=[case.pk, consent.pk]),
            reverse("cases:disclosure_new", args=[case.pk])]


def _posts():
    today = timezone.localdate()
    return [
        {"scope": Consent.Scope.CASE_WORK, "given_by": Consent.GivenBy.CUSTODY_HOLDER, "given_by_name": "Mette",
         "given_on": (today - datetime.timedelta(days=5)).isoformat()},
        {"withdrawn_on": today.isoformat()},
        {"recipient": JOBCENTRE, "data": "Status.", "legal_basis": Basis.RETSPLEJELOVEN_115,
         "justification": "§ 115."},
    ]


@pytest.mark.parametrize(("relation", "status"), [
    ("consultant", 403), ("break_glass", 403), ("bbu", 404), ("mentor", 404), ("other_team", 404),
])
def test_pages_refuse_users_without_change(client, case, worker, relation, status):
    consent = sharing_consent(case, worker)
    user = _user_with(relation, case)
    client.force_login(user)
    denied_before = len(events("access.denied"))
    for url, data in zip(_urls(case, consent), _posts(), strict=True):
        assert client.get(url).status_code == status
        assert client.post(url, data).status_code == status
    assert len(events("access.denied")) == denied_before + 6
    assert Consent.objects.count() == 1
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    assert not Disclosure.objects.exists()
    assert not events("consent.withdrawn")
    assert not events("disclosure.recorded")


@pytest.mark.parametrize("relation", ["responsible", "supervisor"])
def test_pages_let_the_case_team_write(client, case, worker, relation):
    consent = sharing_consent(case, worker)
    user = worker if relation == "responsible" else _user_with(relation, case)
    client.force_login(user)
    for url, data in zip(_urls(case, consent), _posts(), strict=True):
        response = client.get(url)
        assert response.status_code == 200
        assert client.post(url, data).status_code == 302
    assert Consent.objects.count() == 2
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()
    assert Disclosure.objects.get().decided_by == user


def test_withdraw_page_answers_404_for_a_consent_of_another_case(client, case, worker, team):
    other_consent = sharing_consent(CaseFactory(team=team, responsible=worker), worker)
    client.force_login(worker)
    url = reverse("cases:consent_withdraw", args=[case.pk, other_consent.pk])
    assert client.post(url, {"withdrawn_on": timezone.localdate().isoformat()}).status_code == 404
    other_consent.refresh_from_db()
    assert other_consent.withdrawn_on is None


def test_pages_send_anonymous_users_to_login(client, case):
    response = client.get(reverse("cases:disclosure_new", args=[case.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_disclosure_page_records_a_read_and_shows_the_sharing_consents(client, case, worker):
    sharing_consent(case, worker)
    client.force_login(worker)
    response = client.get(reverse("cases:disclosure_new", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert JOBCENTRE in response.content.decode()
    viewed = events("case.viewed")
    assert viewed[-1].purpose == consent_rules.PURPOSE_DISCLOSURE
    assert viewed[-1].case_id == case.pk


def test_consent_page_shows_service_and_form_errors(client, adult_case, worker):
    client.force_login(worker)
    url = reverse("cases:consent_new", args=[adult_case.pk])
    response = client.post(url, {"scope": Consent.Scope.SHARING, "given_by": Consent.GivenBy.CUSTODY_HOLDER,
                                 "given_by_name": "Mette", "recipient": JOBCENTRE,
                                 "given_on": timezone.localdate().isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in body
    assert "only their own consent counts" in body
    assert 'id="id_given_by_error"' in body
    response = client.post(url, {"scope": Consent.Scope.SHARING}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'id="id_given_on_error"' in response.content.decode()
    assert not Consent.objects.exists()


def test_disclosure_page_shows_the_restricted_material_refusal(client, case, worker):
    client.force_login(worker)
    response = client.post(reverse("cases:disclosure_new", args=[case.pk]), {
        "recipient": "Politiet", "data": "Notat fra SSP.", "legal_basis": Basis.RETSPLEJELOVEN_115,
        "justification": "§ 115.", "restricted_included": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_restricted_included_error"' in body
    assert "may not be disclosed" in body
    assert not Disclosure.objects.exists()
    assert events("disclosure.refused")[-1].reason == disclosures.REASON_RESTRICTED_MATERIAL


# --------------------------------------------------------------------------- the case-page section


def test_section_shows_lists_and_forms_by_policy(client, case, worker):
    sharing_consent(case, worker)
    disclose(case, worker, basis=Basis.RETSPLEJELOVEN_115, recipient="SSP København")
    consultant = _user_with("consultant", case)
    section = consents_section(actor=consultant, case=case, actions=case_actions(consultant, case))
    assert section["may_change"] is False
    assert section["consent_form"] is None
    assert [c.recipient for c in section["consents"]] == [JOBCENTRE]
    for relation in ("bbu", "mentor", "other_team"):
        user = _user_with(relation, case)
        assert consents_section(actor=user, case=case, actions=case_actions(user, case)) is None

    client.force_login(worker)
    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "SSP København" in page
    assert reverse("cases:disclosure_new", args=[case.pk]) in page
    assert reverse("cases:consent_new", args=[case.pk]) in page

    client.force_login(consultant)
    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "SSP København" in page
    assert JOBCENTRE in page
    assert reverse("cases:consent_new", args=[case.pk]) not in page
    assert reverse("cases:disclosure_new", args=[case.pk]) not in page

    bbu = UserFactory(team=None, roles=["bbu_liaison"])
    grant(case, bbu, GrantKind.BBU)
    client.force_login(bbu)
    response = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert JOBCENTRE not in response.content.decode()
    assert "SSP København" not in response.content.decode()


def _section_queries(case, worker) -> int:
    case = Case.objects.get(pk=case.pk)
    actions = case_actions(worker, case)
    with CaptureQueriesContext(connection) as queries:
        section = consents_section(actor=worker, case=case, actions=actions)
        render_to_string(section["template"], {"section": section})
    return len(queries)


def test_section_reads_a_fixed_number_of_queries(case, worker, team):
    def fill(target, n):
        for i in range(n):
            consent = sharing_consent(target, worker, recipient=f"Modtager {i}")
            if i % 2:
                consent_withdraw(actor=worker, consent=consent)
            disclose(target, worker, recipient=f"Modtager {i}", consent=consent if not i % 2 else None,
                     basis=Basis.CONSENT if not i % 2 else Basis.RETSPLEJELOVEN_115)
            InterventionFactory(case=target)

    small = CaseFactory(team=team, responsible=worker, is_minor=True, person=PersonFactory(birth_date=years_ago(15)))
    fill(small, 3)
    fill(case, 30)
    assert Disclosure.objects.filter(case=case).count() == 30
    assert _section_queries(small, worker) == _section_queries(case, worker)
