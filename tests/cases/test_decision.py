import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from caseflow.cases.models import Decision
from caseflow.cases.services import JUSTIFICATION_REQUIRED, decision_record
from caseflow.core.exceptions import ApplicationError
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("justification", ["", "   ", "\n\t", None])
def test_decision_record_refuses_empty_justification(justification):
    actor = UserFactory(roles=["caseworker"])
    case = CaseFactory(responsible=actor)
    with pytest.raises(ApplicationError) as excinfo:
        decision_record(actor=actor, kind=Decision.Kind.LEVEL_CHANGE, case=case, justification=justification)
    assert excinfo.value.message == JUSTIFICATION_REQUIRED
    assert excinfo.value.field == "justification"
    assert not Decision.objects.exists()


def test_decision_record_refuses_missing_decider():
    case = CaseFactory(responsible=UserFactory(roles=["caseworker"]))
    with pytest.raises(ApplicationError):
        decision_record(actor=None, kind=Decision.Kind.CLOSURE, case=case, justification="Mål nået.")
    assert not Decision.objects.exists()


def test_decision_record_stores_justification_and_decider():
    actor = UserFactory(roles=["supervisor"])
    case = CaseFactory(team=actor.team)
    decision = decision_record(
        actor=actor, kind=Decision.Kind.PLAN_APPROVAL, case=case, justification="  Planen er realistisk.  "
    )
    decision.refresh_from_db()
    assert decision.justification == "Planen er realistisk."
    assert decision.decided_by == actor


def test_decision_model_validation_refuses_blank_justification():
    decision = Decision(kind=Decision.Kind.OTHER, case=CaseFactory(), decided_by=UserFactory(), justification="")
    with pytest.raises(ValidationError) as excinfo:
        decision.full_clean()
    assert "justification" in excinfo.value.message_dict


@pytest.mark.parametrize("justification", ["", "    "])
def test_decision_database_constraint_refuses_blank_justification(justification):
    """Even a write that bypasses the service cannot store a decision without reasons."""
    case, user = CaseFactory(), UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(kind=Decision.Kind.OTHER, case=case, decided_by=user, justification=justification)


def test_decision_database_constraint_refuses_missing_subject():
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(kind=Decision.Kind.OTHER, decided_by=UserFactory(), justification="Begrundet.")


def test_decision_records_minor_status_at_decision_date():
    import datetime

    from django.utils import timezone

    actor = UserFactory(roles=["caseworker"])
    case = CaseFactory(person__birth_date=datetime.date(2008, 11, 23), responsible=actor)
    tz = timezone.get_current_timezone()
    before = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=tz)
    on_birthday = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=tz)
    first = decision_record(actor=actor, kind="other", case=case, justification="a", decided_at=before)
    second = decision_record(actor=actor, kind="other", case=case, justification="b", decided_at=on_birthday)
    assert first.subject_was_minor is True
    assert second.subject_was_minor is False


def test_decision_record_refused_without_access_to_the_case():
    case = CaseFactory(responsible=UserFactory(roles=["caseworker"]))
    outsider = UserFactory(roles=["caseworker"])
    with pytest.raises(ApplicationError):
        decision_record(actor=outsider, kind=Decision.Kind.OTHER, case=case, justification="Begrundet.")
    assert not Decision.objects.exists()


@pytest.mark.parametrize(("code", "label"), [
    ("approved", "Godkendt"),
    ("police_alerted", "Politiet underrettet"),
    ("case_level_2", None),  # a screening outcome: its own label
    ("goals_met", "Mål nået"),
    ("2->3", "Niveau 2 → 3"),
    ("something_new", "something_new"),
    ("", ""),
])
def test_decision_outcomes_read_as_labels(code, label):
    from django.utils import translation

    from caseflow.cases.outcomes import outcome_label
    from caseflow.referrals.models import Referral

    with translation.override("da"):
        expected = label if label is not None else str(Referral.Outcome(code).label)
        assert outcome_label(code) == expected
