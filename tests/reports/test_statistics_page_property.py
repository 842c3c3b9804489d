"""Property test through HTTP: random small stores, the page and the CSV as served.

Read like an attacker who has only the rendered page: every cell is 0, at least 5, or
a mark; and along every row with a shown total, and every column under a shown total
row, the total minus the shown cells is 0 or at least 5 and never the value of one
hidden cell. The CSV carries exactly the page's cells."""

import csv
import datetime
import io
from html import unescape
from html.parser import HTMLParser

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from caseflow.reports.models import AgeBand, InterventionStatistic, ReferralStatistic, StatisticsOutcome
from tests.factories import UserFactory

YEAR = timezone.localdate().year
MIN = 5

referral = st.fixed_dictionaries({
    "month": st.integers(min_value=1, max_value=12),
    "referrer_type": st.sampled_from(["primary_school", "police", "parent_relative"]),
    "age_band": st.sampled_from(AgeBand.values),
    "outcome": st.sampled_from(StatisticsOutcome.values),
    "phenomenon": st.sampled_from(["", "right_wing"]),
    "days": st.one_of(st.none(), st.integers(min_value=0, max_value=70)),
})
intervention = st.fixed_dictionaries({
    "start": st.integers(min_value=1, max_value=12),
    "end": st.one_of(st.none(), st.integers(min_value=1, max_value=12)),
    "kind": st.sampled_from(["mentor", "parent_coach"]),
})


class _Tables(HTMLParser):
    """The count tables of the page: per table, whether its last column is a row total,
    and its rows as (is total row, [cell texts]) for the cells that carry a figure."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell, self._in_head = [], None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "statistics-figures" in (attrs.get("class") or ""):
            self.tables.append({"total_column": False, "rows": []})
        elif not self.tables:
            return
        elif tag == "thead":
            self._in_head = True
        elif tag == "th" and self._in_head and "row-total" in (attrs.get("class") or ""):
            self.tables[-1]["total_column"] = True
        elif tag == "tr" and not self._in_head:
            self._row = {"total": "total" in (attrs.get("class") or ""), "cells": []}
        elif tag == "td" and self._row is not None and "data-key" in attrs:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row["cells"].append(unescape(self._cell.strip()))
            self._cell = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "tr" and self._row is not None:
            if self._row["cells"]:
                self.tables[-1]["rows"].append(self._row)
            self._row = None


def _check_line(cells: list[str], total: str) -> None:
    if not total.isdigit():
        return
    hidden = [c for c in cells if not c.isdigit()]
    if not hidden:
        assert sum(int(c) for c in cells) == int(total)
        return
    difference = int(total) - sum(int(c) for c in cells if c.isdigit())
    assert len(hidden) != 1, (cells, total)
    assert difference == 0 or difference >= MIN, (cells, total)


class StatisticsPagePropertyTests(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(referrals=st.lists(referral, max_size=30), interventions=st.lists(intervention, max_size=10))
    def test_served_page_and_csv_never_show_or_leak_a_count_from_1_to_4(self, referrals, interventions):
        self.client.force_login(UserFactory(roles=["supervisor"]))
        ReferralStatistic.objects.all().delete()
        InterventionStatistic.objects.all().delete()
        now = timezone.now()
        ReferralStatistic.objects.bulk_create(ReferralStatistic(
            key=f"r{index:063x}", received_month=datetime.date(YEAR, row["month"], 1),
            referrer_type=row["referrer_type"], age_band=row["age_band"], outcome=row["outcome"],
            phenomenon=row["phenomenon"], days_to_screening=row["days"], refreshed_at=now,
        ) for index, row in enumerate(referrals))
        InterventionStatistic.objects.bulk_create(InterventionStatistic(
            key=f"i{index:063x}", kind=row["kind"], started_month=datetime.date(YEAR, row["start"], 1),
            ended_month=datetime.date(YEAR, row["end"], 1) if row["end"] else None, refreshed_at=now,
        ) for index, row in enumerate(interventions))

        with self.settings(LANGUAGE_CODE="en"):
            page = self.client.get("/reports/statistics/", {"year": YEAR}, HTTP_ACCEPT_LANGUAGE="en")
            export = self.client.get("/reports/statistics/csv/", {"year": YEAR}, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert export.status_code == 200
        parser = _Tables()
        parser.feed(page.content.decode())
        assert len(parser.tables) >= 10
        page_cells = []
        for table in parser.tables:
            rows = table["rows"]
            for row in rows:
                page_cells.extend(row["cells"])
                for text in row["cells"]:
                    assert not (text.isdigit() and 0 < int(text) < MIN), text
                if table["total_column"]:
                    _check_line(row["cells"][:-1], row["cells"][-1])
            totals = [row for row in rows if row["total"]]
            if totals:
                body = [row["cells"] for row in rows if not row["total"]]
                for column, total in enumerate(totals[-1]["cells"]):
                    _check_line([cells[column] for cells in body], total)
        values = [line[-1] for line in csv.reader(io.StringIO(export.content.decode("utf-8-sig")))][1:]
        counts = [value for value in values if not value.endswith("%") and value != "–"]
        assert sorted(counts) == sorted(page_cells)
