"""A retention run leaves the statistics store unchanged (domain.md §6 scenario 14): the
store keeps pseudonymised rows with no link to live data, so refreshing it after
deleting and anonymising gives identical tables."""

import pytest
import time_machine
from dateutil.relativedelta import relativedelta

from caseflow.cases.models import Case
from caseflow.reports.models import DeadlineBreachStatistic, InterventionStatistic, ReferralStatistic
from caseflow.reports.services import statistics_refresh
from caseflow.retention.services import retention_run

from .conftest import CHILD

pytestmark = pytest.mark.django_db

STORE = (ReferralStatistic, InterventionStatistic, DeadlineBreachStatistic)


def snapshot() -> dict:
    """Every row and column of the store, pseudonym keys and refresh times included."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in STORE}


def test_statistics_identical_after_a_retention_run(build_case, build_unfounded):
    adult = build_case()
    minor = build_case(birth_date=CHILD)
    unfounded = build_unfounded(shelved=False)
    with time_machine.travel(minor.case.closed_at + relativedelta(years=5), tick=False) as clock:
        statistics_refresh()
        before = snapshot()
        assert len(before["reports.ReferralStatistic"]) == 3
        assert before["reports.InterventionStatistic"]
        assert before["reports.DeadlineBreachStatistic"]

        clock.shift(60)
        counts = retention_run().counts
        assert counts["closed_adult_case"] == {"deleted": 1}
        assert counts["unfounded_referral"] == {"anonymised": 1}
        assert not Case.objects.filter(pk=adult.case.pk).exists()

        clock.shift(60)
        statistics_refresh()
        assert snapshot() == before
    assert unfounded.pk
