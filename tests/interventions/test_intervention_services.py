import datetime

import pytest

from caseflow.cases.models import Case
from caseflow.core.exceptions import ApplicationError
from caseflow.interventions.models import Intervention
from caseflow.interventions.services import intervention_propose, intervention_start
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_intervention_propose_refused_on_closed_case():
    actor = UserFactory(roles=["caseworker"])
    case = CaseFactory(status=Case.Status.CLOSED, responsible=actor)
    with pytest.raises(ApplicationError):
        intervention_propose(actor=actor, case=case, kind=Intervention.Kind.MENTOR)
    assert not Intervention.objects.exists()


def test_intervention_start_needs_provider_for_mentor():
    actor = UserFactory(roles=["caseworker"])
    intervention = intervention_propose(actor=actor, case=CaseFactory(responsible=actor), kind=Intervention.Kind.MENTOR)
    with pytest.raises(ApplicationError) as excinfo:
        intervention_start(actor=actor, intervention=intervention, started_on=datetime.date(2026, 1, 5))
    assert excinfo.value.field == "provider"
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.PROPOSED


def test_intervention_start_with_provider_becomes_active_once():
    actor, mentor = UserFactory(roles=["caseworker"]), UserFactory(roles=["mentor"])
    intervention = intervention_propose(
        actor=actor, case=CaseFactory(responsible=actor), kind=Intervention.Kind.MENTOR, provider=mentor
    )
    intervention_start(actor=actor, intervention=intervention, started_on=datetime.date(2026, 1, 5))
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE
    assert intervention.started_on == datetime.date(2026, 1, 5)
    with pytest.raises(ApplicationError):
        intervention_start(actor=actor, intervention=intervention, started_on=datetime.date(2026, 1, 6))


def test_intervention_propose_refused_without_change_access_and_for_non_provider():
    worker = UserFactory(roles=["caseworker"])
    case = CaseFactory(responsible=worker)
    with pytest.raises(ApplicationError):
        intervention_propose(actor=UserFactory(roles=["caseworker"]), case=case, kind=Intervention.Kind.MENTOR)
    with pytest.raises(ApplicationError):
        intervention_propose(actor=worker, case=case, kind=Intervention.Kind.MENTOR,
                             provider=UserFactory(roles=["auditor"]))
    assert not Intervention.objects.exists()
