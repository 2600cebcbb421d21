"""The year-end report of deputy suggestions in the admin's reports menu (代表建议办理年度统计),
with Excel and CSV exports, for the liaison office and the auditor (every department) and for
department handlers (the district's line and their own department's). Anyone else finds no
menu item, and the URL answers 403. The figures and their definitions: `suggestions.statistics`.
"""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.functional import cached_property

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from base.reports import YearFilterSet, YearlyReportMixin
from base.viewsets import AuditedExportMixin
from suggestions.models import Suggestion
from suggestions.statistics import may_see_report, report_years, scope_report, yearly_report

URL_NAME = "suggestion_year_report"
RESULTS_URL_NAME = "suggestion_year_report_results"
SHARES = [
    ("on_time", "按期答复"),
    ("overdue", "逾期未答复"),
    ("category_a", "A类"),
    ("category_b", "B类"),
    ("category_c", "C类"),
    ("satisfied", "满意（含基本满意）"),
    ("reopened", "不满意重新办理"),
]


def share_exports() -> tuple[list[str], dict[str, str]]:
    """Each share as three spreadsheet columns: the count, what it is counted of, the percentage."""
    fields, headings = [], {}
    for name, label in SHARES:
        for part, suffix in (("count", "（件）"), ("of", "（基数）"), ("percent", "（%）")):
            fields.append(f"{name}.{part}")
            headings[f"{name}.{part}"] = label + suffix
    return fields, headings


SHARE_FIELDS, SHARE_HEADINGS = share_exports()


class SuggestionReportFilterSet(YearFilterSet):
    class Meta:
        model = Suggestion
        fields = []


class SuggestionReportView(YearlyReportMixin, AuditedExportMixin, ReportView):
    """代表建议办理年度统计: the district's line, then one line per lead department."""

    model = Suggestion  # what the rows are about: named so in the audit record of an export
    page_title = "代表建议办理年度统计"
    header_icon = "doc-full"
    template_name = "suggestions/admin/year_report.html"
    results_template_name = "suggestions/admin/year_report_results.html"
    index_url_name = URL_NAME
    index_results_url_name = RESULTS_URL_NAME
    filterset_class = SuggestionReportFilterSet
    permission_required = "view"
    paginate_by = 100
    columns = [
        Column("name", label="承办单位（主办）"),
        Column("filed", label="立案（主办件数）"),
        Column("co_handled", label="协办件数"),
        *[Column(name, label=label) for name, label in SHARES],
    ]
    list_export = ["name", "filed", "co_handled", *SHARE_FIELDS]
    export_headings = {**{column.name: column.label for column in columns[:3]}, **SHARE_HEADINGS}
    export_filename = "suggestions-year-report"
    verbose_name_plural = "承办单位"

    def user_has_permission(self, permission):
        return may_see_report(self.request.user)

    def get_years(self) -> list[int]:
        return report_years()

    @cached_property
    def all_rows(self):
        return yearly_report(self.year)

    def get_queryset(self):
        return scope_report(self.all_rows, self.request.user)

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["year"] = self.year
        return context


class SuggestionReportMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_report(request.user)


@hooks.register("register_admin_urls")
def register_suggestion_report_urls():
    return [
        path("reports/suggestions/", SuggestionReportView.as_view(), name=URL_NAME),
        path("reports/suggestions/results/", SuggestionReportView.as_view(results_only=True), name=RESULTS_URL_NAME),
    ]


@hooks.register("register_reports_menu_item")
def register_suggestion_report_menu_item():
    return SuggestionReportMenuItem(
        "代表建议办理统计", reverse(URL_NAME), name="suggestion-year-report", icon_name="doc-full", order=1210
    )
