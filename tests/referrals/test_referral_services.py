import pytest

from caseflow.cases.models import Decision
from caseflow.core.exceptions import ApplicationError
from caseflow.referrals.models import Referral
from caseflow.referrals.services import CONCERN_REQUIRED, referral_register, referral_screen
from tests.factories import PersonFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


TEAM = "Koordineringsenheden"


def _worker():
    return UserFactory(team=TeamFactory(name=TEAM), roles=["caseworker"])


def _register(**overrides):
    values = {
        "actor": _worker(),
        "team": TeamFactory(name=TEAM),
        "channel": Referral.Channel.PHONE,
        "referrer_type": Referral.ReferrerType.PRIMARY_SCHOOL,
        "concern_text": "Fiktiv bekymring om en elev.",
    }
    values.update(overrides)
    return referral_register(**values)


def test_referral_register_gives_hv_reference_and_received_status():
    referral = _register(person=PersonFactory())
    assert referral.reference.startswith("HV-")
    assert referral.status == Referral.Status.RECEIVED
    assert _register().reference != referral.reference


@pytest.mark.parametrize("text", ["", "  \n "])
def test_referral_register_refuses_empty_concern(text):
    with pytest.raises(ApplicationError) as excinfo:
        _register(concern_text=text)
    assert excinfo.value.message == CONCERN_REQUIRED
    assert not Referral.objects.exists()


def test_referral_register_refuses_unknown_warning_sign():
    with pytest.raises(ApplicationError):
        _register(warning_signs=["violence", "not-a-sign"])
    assert not Referral.objects.exists()


def test_referral_register_anonymous_keeps_no_referrer_identity():
    referral = _register(is_anonymous=True, referrer_name="Fiktiv Navn", referrer_contact="12345678")
    assert referral.referrer_name == ""
    assert referral.referrer_contact == ""


def test_referral_screen_records_decision_and_closes_unfounded():
    referral = _register()
    actor = _worker()
    referral_screen(actor=actor, referral=referral, outcome=Referral.Outcome.UNFOUNDED,
                    justification="Ingen konkrete tegn.", members_present="SSP, DKS")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASSESSED
    assert referral.closed_at is not None
    decision = referral.decisions.get()
    assert decision.kind == Decision.Kind.SCREENING
    assert decision.decided_by == actor
    assert decision.members_present == "SSP, DKS"


def test_referral_screen_refuses_second_screening_and_blank_justification():
    referral = _register()
    actor = _worker()
    with pytest.raises(ApplicationError):
        referral_screen(actor=actor, referral=referral, outcome=Referral.Outcome.UNFOUNDED, justification=" ")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED
    referral_screen(actor=actor, referral=referral, outcome=Referral.Outcome.CASE_LEVEL_2, justification="Begrundet.")
    with pytest.raises(ApplicationError):
        referral_screen(actor=actor, referral=referral, outcome=Referral.Outcome.UNFOUNDED, justification="Igen.")
    assert referral.decisions.count() == 1


def test_referral_register_refused_for_other_team_and_providers():
    for actor in (UserFactory(roles=["caseworker"]), UserFactory(team=TeamFactory(name=TEAM), roles=["mentor"])):
        with pytest.raises(ApplicationError):
            _register(actor=actor)
    assert not Referral.objects.exists()


def test_referral_screen_refused_for_caseworker_of_another_team():
    referral = _register()
    with pytest.raises(ApplicationError):
        referral_screen(actor=UserFactory(roles=["caseworker"]), referral=referral,
                        outcome=Referral.Outcome.UNFOUNDED, justification="Begrundet.")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED
