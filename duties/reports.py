"""Yearly points report (年度履职积分): every active deputy's total of a year with their ranks,
and how many district deputies have reported to their voters this term, in the admin's
reports menu, with Excel and CSV exports.

It is a Wagtail report view over the rows of `duties.totals` (a list, not a queryset: ranks
are worked out over all deputies before anything is filtered, so a street committee sees the
same ranks as the district). District-wide roles see every deputy; a street committee sees
the deputies sitting in its streets; nobody else finds the menu item, and the URL answers 403.
Exports are the audited ones of every admin listing (`base.viewsets.AuditedExportMixin`).
"""

from __future__ import annotations

import django_filters

from django.conf import settings
from django.urls import path, reverse
from django.utils.functional import cached_property

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from base.reports import YearFilterSet, YearlyReportMixin
from base.viewsets import AuditedExportMixin
from content.models import CongressLevel, Deputy, StationPage, Street
from content.scoping import stations_for
from duties.models import DutyScheme
from duties.totals import (
    POINT_BANDS,
    may_see_totals,
    point_band,
    reported_to_voters,
    scope_totals,
    seated_in,
    visible_street_ids,
    voter_report_coverage,
    yearly_totals,
)

URL_NAME = "duty_points_report"
RESULTS_URL_NAME = "duty_points_report_results"


def scheme_years() -> list[int]:
    return list(DutyScheme.objects.order_by("-year").values_list("year", flat=True))


class PointsReportFilterSet(YearFilterSet):
    street = django_filters.ModelChoiceFilter(
        label="街道", queryset=Street.objects.none(), empty_label="全部街道", method="keep"
    )
    # The dashboard's figures link here with the filters that select the deputies they count
    # (oversight.duty_section): a band of yearly points, district deputies who have (not)
    # reported to their voters this term, the deputies sitting in a station (or below it).
    band = django_filters.ChoiceFilter(
        label="积分段", choices=[(key, label) for key, label, _low, _below in POINT_BANDS], method="keep"
    )
    level = django_filters.ChoiceFilter(label="代表层级", choices=CongressLevel.choices, method="keep")
    reported = django_filters.BooleanFilter(label="本届已向选民报告履职", method="keep")
    station = django_filters.ModelChoiceFilter(
        label="驻站站点", queryset=lambda request: stations_for(request.user).order_by("path"), method="keep"
    )
    station_tree = django_filters.ModelChoiceFilter(
        label="驻站站点（含下级联络点）",
        queryset=lambda request: stations_for(request.user).order_by("path"),
        method="keep",
    )

    class Meta:
        model = Deputy
        fields = []

    def __init__(self, *args, streets=None, **kwargs):
        super().__init__(*args, **kwargs)
        if streets is None or streets.count() < 2:
            del self.filters["street"]
            self.form.fields.pop("street", None)
        else:
            self.form.fields["street"].queryset = streets.order_by("name")


class PointsReportView(YearlyReportMixin, AuditedExportMixin, ReportView):
    """年度履职积分: one line per active deputy, with the voter-report coverage above the list."""

    model = Deputy  # what the rows are about: named so in the audit record of an export
    page_title = "年度履职积分"
    header_icon = "order"
    template_name = "duties/admin/points_report.html"
    results_template_name = "duties/admin/points_report_results.html"
    index_url_name = URL_NAME
    index_results_url_name = RESULTS_URL_NAME
    filterset_class = PointsReportFilterSet
    permission_required = "view"
    paginate_by = 100
    columns = [
        Column("name", label="姓名"),
        Column("level", label="代表层级"),
        Column("street_names", label="街道"),
        Column("total", label="年度积分"),
        Column("records", label="记录数"),
        Column("level_rank", label="层级内排名"),
        Column("street_rank_text", label="街道内排名"),
    ]
    list_export = ["name", "level", "street_names", "total", "records", "level_rank", "street_rank_text"]
    export_headings = {column.name: column.label for column in columns}
    export_filename = "duty-points"
    verbose_name_plural = "代表"

    def user_has_permission(self, permission):
        return may_see_totals(self.request.user)

    @cached_property
    def visible_streets(self):
        """The streets the person may filter by (None: none to choose from)."""
        visible = visible_street_ids(self.request.user)
        return Street.objects.all() if visible is None else Street.objects.filter(pk__in=sorted(visible))

    def get_years(self) -> list[int]:
        return scheme_years()

    def get_filterset_kwargs(self):
        return {**super().get_filterset_kwargs(), "streets": self.visible_streets}

    @cached_property
    def street(self) -> Street | None:
        if self.filters and self.filters.is_valid():
            return self.filters.form.cleaned_data.get("street")
        return None

    @cached_property
    def chosen(self) -> dict:
        """The valid filters other than the year and street (empty when the form is not)."""
        if self.filters and self.filters.is_valid():
            data = self.filters.form.cleaned_data
            return {name: data.get(name) for name in ("band", "level", "reported", "station", "station_tree")}
        return {}

    @cached_property
    def all_rows(self):
        return yearly_totals(self.year)

    def get_queryset(self):
        rows = scope_totals(self.all_rows, self.request.user)
        if self.street is not None:
            rows = [row for row in rows if self.street.pk in row.street_ids()]
        chosen = self.chosen
        if chosen.get("band"):
            rows = [row for row in rows if point_band(row.total) == chosen["band"]]
        if chosen.get("level"):
            rows = [row for row in rows if row.deputy.congress_level == chosen["level"]]
        for name, tree in (("station", False), ("station_tree", True)):
            station: StationPage | None = chosen.get(name)
            if station is not None:
                seated = seated_in(station, tree=tree)
                rows = [row for row in rows if row.deputy.pk in seated]
        if chosen.get("reported") is not None:
            covered = reported_to_voters(row.deputy.pk for row in rows)
            rows = [row for row in rows if (row.deputy.pk in covered) == chosen["reported"]]
        return rows

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["year"] = self.year
        if not (self.results_only or self.is_export):  # shown above the list, not refreshed with it
            context["coverage"] = voter_report_coverage(self.request.user, rows=self.all_rows)
            context["term_start"] = settings.LIANLUO_TERM_START
        return context


class PointsReportMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_totals(request.user)


@hooks.register("register_admin_urls")
def register_points_report_urls():
    return [
        path("reports/duty-points/", PointsReportView.as_view(), name=URL_NAME),
        path("reports/duty-points/results/", PointsReportView.as_view(results_only=True), name=RESULTS_URL_NAME),
    ]


@hooks.register("register_reports_menu_item")
def register_points_report_menu_item():
    return PointsReportMenuItem("年度履职积分", reverse(URL_NAME), name="duty-points", icon_name="order", order=1200)
