"""The management statistics of one calendar year, built from the store only.

Every figure of the page and of its CSV is one figure of a :class:`Publication`, with
the relations a reader can use (rows, columns, totals, and the same population cut
two ways), so that suppression protects them together (see ``suppression``).

Periods are fixed and never overlap: a calendar year, split into its four quarters.
There is no free date range, so two different choices can never be subtracted from each
other to isolate a small group (a year is not a sub-period of another year, and the
quarters are published inside the year's own suppression). Referrals count in the
year and quarter they were **received** (a cohort): their outcome, level, phenomenon
and time to screening belong to that cohort. Interventions count in the quarter they
started or ended, deadline breaches in the quarter they happened.
"""

from __future__ import annotations

import datetime
import statistics as pystatistics
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from caseflow.cases.models import Case
from caseflow.interventions.models import Intervention
from caseflow.referrals.models import Referral

from .models import (
    AgeBand,
    DeadlineBreachStatistic,
    InterventionStatistic,
    ReferralStatistic,
    StatisticsOutcome,
)
from .suppression import PRIMARY, SECONDARY, SHOWN, Publication

QUARTERS = (1, 2, 3, 4)
QUARTER_LABELS = {1: _("Q1"), 2: _("Q2"), 3: _("Q3"), 4: _("Q4")}
NOT_RECORDED = "not_recorded"

SCREENED_OUTCOMES = (
    StatisticsOutcome.UNFOUNDED, StatisticsOutcome.ADVICE_TO_REFERRER, StatisticsOutcome.REFERRED_ELSEWHERE,
    StatisticsOutcome.POLICE_HANDLING, StatisticsOutcome.CASE_LEVEL_2, StatisticsOutcome.CASE_LEVEL_3,
)
FOUNDED_OUTCOMES = (StatisticsOutcome.CASE_LEVEL_2, StatisticsOutcome.CASE_LEVEL_3)
NOT_FOUNDED_OUTCOMES = (
    StatisticsOutcome.UNFOUNDED, StatisticsOutcome.ADVICE_TO_REFERRER, StatisticsOutcome.REFERRED_ELSEWHERE,
    StatisticsOutcome.POLICE_HANDLING, StatisticsOutcome.SHELVED, StatisticsOutcome.TRANSFERRED,
)

#: Days from receipt to the screening decision (calendar days), and their labels.
DAY_BANDS = (
    ("0-7", 0, 7, _("0–7 days")),
    ("8-14", 8, 14, _("8–14 days")),
    ("15-30", 15, 30, _("15–30 days")),
    ("31-60", 31, 60, _("31–60 days")),
    ("61+", 61, None, _("More than 60 days")),
)

DEADLINE_LABELS = {
    "acute_triage": _("Acute triage"),
    "initial_assessment": _("Initial assessment"),
    "screening": _("Screening"),
    "co_signature": _("Co-signature"),
    "approval": _("Approval"),
    "clarification": _("Clarification"),
    "plan": _("Plan"),
    "review": _("Progress review"),
    "follow_up": _("Follow-up"),
    "provider_answer": _("Provider's answer"),
    "matching": _("Matching"),
    "bbu_report": _("BBU's assessment of a report"),
    "unstaffed": _("Intervention without a provider"),
}


def quarter_of(month: datetime.date) -> int:
    return (month.month - 1) // 3 + 1


def day_band(days: int | None) -> str:
    if days is None:
        return NOT_RECORDED
    for code, low, high, _label in DAY_BANDS:
        if days >= low and (high is None or days <= high):
            return code
    return NOT_RECORDED


@dataclass
class Row:
    label: str
    keys: list[str]
    total: str | None = None
    is_total: bool = False
    cells: list[dict] = field(default_factory=list)
    total_cell: dict | None = None
    note: list[str] | None = None  # a derived, non-count row (the share founded)


@dataclass
class Chart:
    """A horizontal bar chart drawn as inline SVG (geometry computed here)."""

    bars: list[dict]
    width: int = 560
    label_width: int = 210
    bar_height: int = 18
    gap: int = 8

    @property
    def height(self) -> int:
        return len(self.bars) * (self.bar_height + self.gap) + self.gap


@dataclass
class Table:
    slug: str
    title: str
    description: str
    columns: list[str]
    rows: list[Row]
    total_column: bool
    chart_items: list[tuple[str, str]]
    chart: Chart | None = None


@dataclass
class YearStatistics:
    year: int
    min_count: int
    tables: list[Table]
    publication: Publication
    median_days: float | None
    screened_with_days: int


def _months(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 1)


def statistics_years() -> list[int]:
    """The years that can be chosen: from the oldest year in the store to this year."""
    this_year = timezone.localdate().year
    firsts = [
        model.objects.order_by(field_name).values_list(field_name, flat=True).first()
        for model, field_name in ((ReferralStatistic, "received_month"), (InterventionStatistic, "started_month"),
                                  (DeadlineBreachStatistic, "breached_month"))
    ]
    oldest = min([d.year for d in firsts if d is not None] + [this_year])
    return list(range(this_year, oldest - 1, -1))


class _Builder:
    def __init__(self, min_count: int):
        self.pub = Publication(min_count=min_count)
        self.tables: list[Table] = []

    def one_way(self, prefix: str, counts: Counter, codes, total_key: str) -> list[str]:
        """Figures ``prefix.<code>`` for each code, related to ``total_key``."""
        keys = [self.pub.add(f"{prefix}.{code}", counts.get(code, 0)) for code in codes]
        self.pub.relate(total_key, keys)
        return keys

    def one_way_table(self, slug, title, description, prefix, counts, choices, total_key, total_label=None):
        codes = [code for code, _label in choices]
        keys = self.one_way(prefix, counts, codes, total_key)
        rows = [Row(label=label, keys=[key]) for (_code, label), key in zip(choices, keys, strict=True)]
        rows.append(Row(label=total_label or _("Total"), keys=[total_key], is_total=True))
        self.tables.append(Table(slug=slug, title=title, description=description, columns=[_("Count")],
                                 rows=rows, total_column=False,
                                 chart_items=[(row.label, row.keys[0]) for row in rows[:-1]]))


def statistics_build(*, year: int, min_count: int | None = None) -> YearStatistics:
    """All figures of ``year``, suppressed. Reads the store only."""
    min_count = settings.CASEFLOW_STATISTICS_MIN_CELL if min_count is None else min_count
    first, last = _months(year)
    referrals = list(ReferralStatistic.objects.filter(received_month__range=(first, last)).values(
        "received_month", "referrer_type", "age_band", "outcome", "founded", "phenomenon", "days_to_screening"))
    started = list(InterventionStatistic.objects.filter(started_month__range=(first, last))
                   .values("started_month", "kind"))
    ended = list(InterventionStatistic.objects.filter(ended_month__range=(first, last))
                 .values("ended_month", "end_reason"))
    breaches = list(DeadlineBreachStatistic.objects.filter(breached_month__range=(first, last))
                    .values("breached_month", "deadline"))
    return statistics_from_rows(year=year, min_count=min_count, referrals=referrals, started=started, ended=ended,
                                breaches=breaches)


def _group(row) -> str:
    if row["outcome"] == StatisticsOutcome.PENDING:
        return "pending"
    return "founded" if row["outcome"] in FOUNDED_OUTCOMES else "not_founded"


def statistics_from_rows(*, year, min_count, referrals, started, ended, breaches) -> YearStatistics:
    """The publication and its tables from plain store rows (dicts)."""
    b = _Builder(min_count)
    pub = b.pub

    # 1. Referrals per quarter: founded / not founded / not decided, with all margins.
    groups = (("founded", _("Founded concern")), ("not_founded", _("Not founded")),
              ("pending", _("Not decided yet")))
    by_cell = Counter((_group(r), quarter_of(r["received_month"])) for r in referrals)
    all_year = pub.add("ref.all.year", len(referrals))
    quarter_totals = [pub.add(f"ref.all.q{q}", sum(by_cell[(g, q)] for g, _l in groups)) for q in QUARTERS]
    rows, group_totals = [], []
    for code, label in groups:
        keys = [pub.add(f"ref.{code}.q{q}", by_cell[(code, q)]) for q in QUARTERS]
        total = pub.add(f"ref.{code}.year", sum(by_cell[(code, q)] for q in QUARTERS))
        pub.relate(total, keys)
        group_totals.append(total)
        rows.append(Row(label=label, keys=keys, total=total))
    for q, key in zip(QUARTERS, quarter_totals, strict=True):
        pub.relate(key, [f"ref.{code}.q{q}" for code, _l in groups])
    pub.relate(all_year, group_totals)
    pub.relate(all_year, quarter_totals)
    rows.append(Row(label=_("All referrals"), keys=quarter_totals, total=all_year, is_total=True))
    b.tables.append(Table(
        slug="referrals", title=_("Referrals per quarter"),
        description=_("Referrals received in the quarter, by what came of them."),
        columns=[QUARTER_LABELS[q] for q in QUARTERS], rows=rows, total_column=True,
        chart_items=[(QUARTER_LABELS[q], key) for q, key in zip(QUARTERS, quarter_totals, strict=True)],
    ))

    # 2. Outcome of the screening; founded and not founded are sums of outcomes.
    outcomes = Counter(r["outcome"] for r in referrals)
    b.one_way_table("outcomes", _("Outcome"), _("What came of the year's referrals."), "ref.outcome", outcomes,
                    StatisticsOutcome.choices, all_year)
    pub.relate("ref.founded.year", [f"ref.outcome.{code}" for code in FOUNDED_OUTCOMES])
    pub.relate("ref.not_founded.year", [f"ref.outcome.{code}" for code in NOT_FOUNDED_OUTCOMES])
    pub.relate("ref.pending.year", [f"ref.outcome.{StatisticsOutcome.PENDING}"])
    screened = pub.add("ref.screened.year", sum(outcomes.get(code, 0) for code in SCREENED_OUTCOMES))
    pub.relate(screened, [f"ref.outcome.{code}" for code in SCREENED_OUTCOMES])

    # 3. Level of the founded concerns (the same figures as the two case outcomes).
    level_rows = [Row(label=Case.Level(2).label, keys=[f"ref.outcome.{StatisticsOutcome.CASE_LEVEL_2}"]),
                  Row(label=Case.Level(3).label, keys=[f"ref.outcome.{StatisticsOutcome.CASE_LEVEL_3}"]),
                  Row(label=_("Founded concerns"), keys=["ref.founded.year"], is_total=True)]
    b.tables.append(Table(slug="levels", title=_("Level of the founded concerns"),
                          description=_("The level of the prevention triangle the case was opened at."),
                          columns=[_("Count")], rows=level_rows, total_column=False,
                          chart_items=[(row.label, row.keys[0]) for row in level_rows[:2]]))

    # 4. Phenomenon of the founded concerns.
    founded_rows = [r for r in referrals if r["outcome"] in FOUNDED_OUTCOMES]
    phenomena = Counter(r["phenomenon"] or NOT_RECORDED for r in founded_rows)
    b.one_way_table("phenomena", _("Phenomenon"), _("The phenomenon recorded on the case of a founded concern."),
                    "ref.phenomenon", phenomena, [*Case.Phenomenon.choices, (NOT_RECORDED, _("Not recorded"))],
                    "ref.founded.year", _("Founded concerns"))

    # 5. Referrer type and 6. age band at registration.
    known_types = dict(Referral.ReferrerType.choices)
    types = Counter(r["referrer_type"] if r["referrer_type"] in known_types else NOT_RECORDED for r in referrals)
    b.one_way_table("referrers", _("Referrer type"), _("Who made the year's referrals."), "ref.referrer", types,
                    [*Referral.ReferrerType.choices, (NOT_RECORDED, _("Not recorded"))], all_year)
    ages = Counter(r["age_band"] for r in referrals)
    b.one_way_table("ages", _("Age at registration"), _("The age of the person when the referral was received."),
                    "ref.age", ages, AgeBand.choices, all_year)

    # 7. Time to screening of the screened referrals.
    days = [r["days_to_screening"] for r in referrals if r["outcome"] in SCREENED_OUTCOMES]
    bands = Counter(day_band(d) for d in days)
    b.one_way_table("screening_time", _("Time to screening"),
                    _("Calendar days from receipt to the screening decision, for the screened referrals."),
                    "ref.days", bands, [(code, label) for code, _lo, _hi, label in DAY_BANDS]
                    + [(NOT_RECORDED, _("Not recorded"))], screened, _("Screened referrals"))
    known_days = [d for d in days if d is not None]
    median = pystatistics.median(known_days) if len(known_days) >= min_count else None

    # 8. Interventions started and ended per quarter, 9. by kind, 10. by end reason.
    started_by_q = Counter(quarter_of(r["started_month"]) for r in started)
    ended_by_q = Counter(quarter_of(r["ended_month"]) for r in ended)
    int_rows = []
    for code, label, counts in (("started", _("Started"), started_by_q), ("ended", _("Ended"), ended_by_q)):
        keys = [pub.add(f"int.{code}.q{q}", counts[q]) for q in QUARTERS]
        total = pub.add(f"int.{code}.year", sum(counts.values()))
        pub.relate(total, keys)
        int_rows.append(Row(label=label, keys=keys, total=total))
    b.tables.append(Table(
        slug="interventions", title=_("Interventions started and ended"),
        description=_("Interventions that started or ended in the quarter."),
        columns=[QUARTER_LABELS[q] for q in QUARTERS], rows=int_rows, total_column=True,
        chart_items=[(f"{row.label} {QUARTER_LABELS[q]}", key) for row in int_rows
                     for q, key in zip(QUARTERS, row.keys, strict=True)],
    ))
    kinds = Counter(r["kind"] for r in started)
    b.one_way_table("intervention_kinds", _("Interventions started, by kind"), _("The kind of each intervention "
                    "that started in the year."), "int.kind", kinds, Intervention.Kind.choices,
                    "int.started.year", _("Started"))
    reasons = Counter(r["end_reason"] or NOT_RECORDED for r in ended)
    b.one_way_table("intervention_ends", _("Interventions ended, by reason"), _("Why the interventions that "
                    "ended in the year ended."), "int.reason", reasons,
                    [*Intervention.EndReason.choices, (NOT_RECORDED, _("Not recorded"))], "int.ended.year",
                    _("Ended"))

    # 11. Deadline breaches per quarter and 12. by deadline.
    breach_q = Counter(quarter_of(r["breached_month"]) for r in breaches)
    breach_keys = [pub.add(f"breach.q{q}", breach_q[q]) for q in QUARTERS]
    breach_total = pub.add("breach.year", len(breaches))
    pub.relate(breach_total, breach_keys)
    b.tables.append(Table(
        slug="breaches", title=_("Deadline breaches per quarter"),
        description=_("Tasks whose deadline passed before they were done."),
        columns=[QUARTER_LABELS[q] for q in QUARTERS],
        rows=[Row(label=_("Deadline breaches"), keys=breach_keys, total=breach_total)], total_column=True,
        chart_items=[(QUARTER_LABELS[q], key) for q, key in zip(QUARTERS, breach_keys, strict=True)],
    ))
    names = Counter(r["deadline"] if r["deadline"] in DEADLINE_LABELS else NOT_RECORDED for r in breaches)
    b.one_way_table("breach_deadlines", _("Deadline breaches, by deadline"), _("Which deadline was breached."),
                    "breach.deadline", names, [*DEADLINE_LABELS.items(), (NOT_RECORDED, _("Other"))],
                    breach_total)

    pub.suppress()
    for table in b.tables:
        _fill(table, pub)
    _share_founded(b.tables[0], pub)
    return YearStatistics(year=year, min_count=min_count, tables=b.tables, publication=pub,
                          median_days=median, screened_with_days=len(known_days))


def _cell(pub: Publication, key: str) -> dict:
    state = pub.state(key)
    return {"key": key, "text": pub.display(key), "value": pub.visible(key), "state": state,
            "suppressed": state != SHOWN}


def _fill(table: Table, pub: Publication) -> None:
    for row in table.rows:
        row.cells = [_cell(pub, key) for key in row.keys]
        row.total_cell = _cell(pub, row.total) if row.total else None
    table.chart = _chart(table, pub)


def _share_founded(table: Table, pub: Publication) -> None:
    """The share founded of the screened (decided) referrals, per quarter and for the
    year: shown only where both counts it is made of are shown."""
    shares = []
    for suffix in [f"q{q}" for q in QUARTERS] + ["year"]:
        founded = pub.visible(f"ref.founded.{suffix}")
        not_founded = pub.visible(f"ref.not_founded.{suffix}")
        if founded is None or not_founded is None or founded + not_founded == 0:
            shares.append("–")
        else:
            shares.append(f"{round(100 * founded / (founded + not_founded))} %")
    table.rows.append(Row(label=pgettext_lazy("statistics", "Share founded of the decided"), keys=[],
                          note=shares))


def _chart(table: Table, pub: Publication) -> Chart:
    chart = Chart(bars=[])
    values = [pub.visible(key) for _label, key in table.chart_items]
    top = max([v for v in values if v] + [1])
    plot = chart.width - chart.label_width - 60
    for index, ((label, key), value) in enumerate(zip(table.chart_items, values, strict=True)):
        y = chart.gap + index * (chart.bar_height + chart.gap)
        length = 0 if not value else max(1, round(plot * value / top))
        chart.bars.append({
            "label": label, "text": pub.display(key), "y": y, "text_y": y + chart.bar_height - 4,
            "length": length, "value_x": chart.label_width + length + 6,
            "suppressed": pub.state(key) in (PRIMARY, SECONDARY),
        })
    return chart


def statistics_csv_rows(stats: YearStatistics):
    """The CSV: one line per shown cell, with the same marks as the page."""
    yield ["year", "table", "row", "column", "value"]
    for table in stats.tables:
        for row in table.rows:
            if row.note is not None:
                for column, text in zip([*table.columns, _("Total")], row.note, strict=True):
                    yield [str(stats.year), str(table.title), str(row.label), str(column), text]
                continue
            for column, cell in zip(table.columns, row.cells, strict=True):
                yield [str(stats.year), str(table.title), str(row.label), str(column), cell["text"]]
            if row.total_cell is not None:
                yield [str(stats.year), str(table.title), str(row.label), str(_("Total")), row.total_cell["text"]]
