"""Admin reports of one year (the points report, the suggestions' year-end report): the year
chosen among those with data, this year by default, as radio buttons above the list; the
rows are plain lists worked out in Python, so the filter set only reads the choice."""

from __future__ import annotations

import django_filters

from django import forms
from django.utils import timezone
from django.utils.functional import cached_property

from wagtail.admin.filters import WagtailFilterSet


def default_year(years: list[int]) -> int:
    """This year when it has data, else the latest year before it that has, else the first."""
    this_year = timezone.localdate().year
    if this_year in years or not years:
        return this_year
    past = [year for year in years if year <= this_year]
    return max(past) if past else min(years)


class YearFilterSet(WagtailFilterSet):
    year = django_filters.ChoiceFilter(label="年度", empty_label=None, widget=forms.RadioSelect, method="keep")

    def __init__(self, *args, years=(), year=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = [(str(y), f"{y}年") for y in years]
        self.form.fields["year"].initial = str(year)

    def keep(self, rows, name, value):
        return rows  # the view reads the values itself: the rows are a list, not a queryset


class YearlyReportMixin:
    """For a Wagtail ReportView whose rows are one year's: `get_years()` names the years to
    offer; `self.year` is the one asked for (an unknown year falls back to the default)."""

    filterset_class = YearFilterSet
    export_filename = "report"

    def get_years(self) -> list[int]:
        raise NotImplementedError

    @cached_property
    def years(self) -> list[int]:
        return self.get_years()

    def get_filterset_kwargs(self):
        data = self.request.GET.copy()
        if data.get("year") not in {str(year) for year in self.years}:
            data["year"] = str(default_year(self.years))
        return {**super().get_filterset_kwargs(), "data": data, "years": self.years, "year": default_year(self.years)}

    @cached_property
    def year(self) -> int:
        if self.filters and self.filters.is_valid() and self.filters.form.cleaned_data.get("year"):
            return int(self.filters.form.cleaned_data["year"])
        return default_year(self.years)

    def filter_queryset(self, queryset):
        return queryset  # the rows are chosen in get_queryset

    def get_filename(self):
        return f"{self.export_filename}-{self.year}"

    def get_page_subtitle(self):
        return f"{self.year}年"
