"""The management statistics page and its CSV download (thin: the form, one selector)."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.views.generic import TemplateView

from .forms import StatisticsPeriodForm
from .selectors import statistics_export_for, statistics_get_for, statistics_require
from .statistics import statistics_csv_rows, statistics_years

#: A cell starting with one of these is a formula in a spreadsheet (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


class StatisticsView(LoginRequiredMixin, TemplateView):
    template_name = "reports/statistics.html"

    def form(self):
        years = statistics_years()
        data = self.request.GET if "year" in self.request.GET else {"year": years[0]}
        return StatisticsPeriodForm(data, years=years)

    def get(self, request, *args, **kwargs):
        statistics_require(actor=request.user)
        form = self.form()
        stats = None
        if form.is_valid():
            stats = statistics_get_for(actor=request.user, year=form.cleaned_data["year"])
        status = 200 if stats is not None else 400
        return self.render_to_response(self.get_context_data(form=form, stats=stats), status=status)


class StatisticsCsvView(StatisticsView):
    """The same figures and marks as the page, as CSV; one ``statistics.exported``."""

    def get(self, request, *args, **kwargs):
        statistics_require(actor=request.user, what="csv")
        form = self.form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, stats=None), status=400)
        stats = statistics_export_for(actor=request.user, year=form.cleaned_data["year"])
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in statistics_csv_rows(stats):
            writer.writerow([_csv_cell(str(value)) for value in row])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        filename = f"statistics-{stats.year}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response
