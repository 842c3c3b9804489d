"""The year's figures (caseflow.reports.statistics) over random small stores, without
a database: whatever the data, no figure from 1 to 4 is shown on the page or in the
CSV, and none can be worked out from the totals shown (within a table, across tables,
or from a quarter and the year)."""

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.cases.models import Case
from caseflow.interventions.models import Intervention
from caseflow.referrals.models import Referral
from caseflow.reports.models import AgeBand, StatisticsOutcome
from caseflow.reports.statistics import DEADLINE_LABELS, statistics_csv_rows, statistics_from_rows
from caseflow.reports.suppression import SHOWN

YEAR = 2025
MIN = 5
months = st.integers(min_value=1, max_value=12).map(lambda m: datetime.date(YEAR, m, 1))

referral_rows = st.fixed_dictionaries({
    "received_month": months,
    "referrer_type": st.sampled_from([Referral.ReferrerType.PRIMARY_SCHOOL, Referral.ReferrerType.POLICE,
                                      Referral.ReferrerType.PARENT_RELATIVE]),
    "age_band": st.sampled_from(AgeBand.values),
    "outcome": st.sampled_from(StatisticsOutcome.values),
    "founded": st.none(),
    "phenomenon": st.sampled_from(["", *Case.Phenomenon.values[:2]]),
    "days_to_screening": st.one_of(st.none(), st.integers(min_value=0, max_value=90)),
})
started_rows = st.fixed_dictionaries({"started_month": months,
                                      "kind": st.sampled_from(Intervention.Kind.values[:3])})
ended_rows = st.fixed_dictionaries({"ended_month": months,
                                    "end_reason": st.sampled_from(["", *Intervention.EndReason.values[:2]])})
breach_rows = st.fixed_dictionaries({"breached_month": months,
                                     "deadline": st.sampled_from([*list(DEADLINE_LABELS)[:3], "something"])})


def _is_small_number(text: str) -> bool:
    return text.isdigit() and 0 < int(text) < MIN


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(referrals=st.lists(referral_rows, max_size=40), started=st.lists(started_rows, max_size=12),
       ended=st.lists(ended_rows, max_size=12), breaches=st.lists(breach_rows, max_size=12))
def test_page_and_csv_never_show_or_leak_a_count_from_1_to_4(referrals, started, ended, breaches):
    stats = statistics_from_rows(year=YEAR, min_count=MIN, referrals=referrals, started=started, ended=ended,
                                 breaches=breaches)
    pub = stats.publication

    # What the page shows: every cell and total of every table.
    for table in stats.tables:
        for row in table.rows:
            for cell in [*row.cells, *([row.total_cell] if row.total_cell else [])]:
                assert not _is_small_number(cell["text"]), (table.slug, row.label, cell)
                assert cell["text"] == pub.display(cell["key"])
            for bar in (table.chart.bars if table.chart else []):
                assert not _is_small_number(bar["text"])
    # What the CSV holds.
    for line in list(statistics_csv_rows(stats))[1:]:
        assert not _is_small_number(line[-1]), line

    # Differencing: a relation whose total is shown leaves 0 or >= 5 for its hidden parts,
    # and never exactly one hidden part.
    for relation in pub.relations:
        if pub.state(relation.total) != SHOWN:
            continue
        hidden = [p for p in relation.parts if pub.state(p) != SHOWN]
        difference = pub.values[relation.total] - sum(pub.values[p] for p in relation.parts
                                                      if pub.state(p) == SHOWN)
        assert difference == 0 or difference >= MIN, (relation, difference)
        assert len(hidden) != 1, relation
    # And through every chain of relations together: no hidden figure is pinned.
    for key, (low, high) in pub.bounds().items():
        if pub.state(key) != SHOWN and pub.values[key] > 0:
            assert low < high, key


def test_figures_add_up_and_the_share_founded_uses_shown_figures_only():
    referrals = (
        [{"received_month": datetime.date(YEAR, 2, 1), "referrer_type": "police", "age_band": "25+",
          "outcome": StatisticsOutcome.CASE_LEVEL_2, "founded": True, "phenomenon": "right_wing",
          "days_to_screening": 10}] * 6
        + [{"received_month": datetime.date(YEAR, 2, 1), "referrer_type": "police", "age_band": "25+",
            "outcome": StatisticsOutcome.UNFOUNDED, "founded": False, "phenomenon": "",
            "days_to_screening": 3}] * 9
    )
    stats = statistics_from_rows(year=YEAR, min_count=MIN, referrals=referrals, started=[], ended=[], breaches=[])
    pub = stats.publication
    assert pub.display("ref.all.year") == "15"
    assert pub.display("ref.founded.q1") == "6"
    assert pub.display("ref.not_founded.q1") == "9"
    assert pub.display("ref.outcome.case_level_2") == "6"
    assert pub.display("ref.referrer.police") == "15"
    share_row = stats.tables[0].rows[-1]
    assert share_row.note == ["40 %", "–", "–", "–", "40 %"]
    assert stats.median_days == 3
