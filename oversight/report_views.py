"""Staff pages of the reports (统计报表): the page choosing a monthly or yearly report, and the
reports themselves as a printable page or an Excel workbook.

Whose report is the dashboard's scope (`DashboardMixin`): district-wide roles the district or
any street, a street committee its own street(s), station staff their own station (the
figures their dashboard already shows them, so the report is the same figures on paper). A
street or station the person may not see answers 404. Every report delivered, printable or
Excel, is audited; a refused choice (bad month or year, future, no data) is answered on the
choosing page with its message, and nothing is delivered or recorded.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from base import audit
from base.calendar import add_months
from base.roles import roles_of
from oversight.dashboard import month_start
from oversight.models import OversightAction
from oversight.reports import (
    HTML,
    MONTHLY,
    XLSX,
    YEARLY,
    MonthlyReportForm,
    YearlyReportForm,
    opinion_report,
    report_filename,
    report_workbook,
)
from oversight.views import DashboardMixin, ScopeForm

FORMATS = {HTML: "打印版", XLSX: "Excel"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportsView(DashboardMixin, WagtailAdminTemplateMixin, TemplateView):
    """统计报表: choose a month or a year (and, district-wide, a street), then the format."""

    template_name = "oversight/reports/index.html"
    page_title = "统计报表"
    header_icon = "doc-full"

    def get_page_subtitle(self):
        return self.scope.label

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        last_month = add_months(month_start(today), -1)
        monthly = kwargs.get("monthly_form") or MonthlyReportForm(initial={"month": last_month})
        yearly = kwargs.get("yearly_form") or YearlyReportForm(initial={"year": today.year}, scope=self.scope)
        context.update(monthly_form=monthly, yearly_form=yearly, formats=FORMATS, scope=self.scope)
        if self.street_choices:
            initial = {"street": self.scope.street.pk if self.scope.street else ""}
            district_wide = roles_of(self.request.user).district_wide
            for kind in (MONTHLY, YEARLY):
                context[f"{kind}_scope_form"] = ScopeForm(
                    initial=initial, choices=self.street_choices, district_wide=district_wide, auto_id=f"{kind}_%s"
                )
        if self.scope.kind == "station":
            context["station_id"] = self.scope.station.pk
        context["dashboard_url"] = reverse("oversight_dashboard:index")
        return context


class ReportView(ReportsView):
    """One report: `?month=YYYY-MM` (monthly) or `?year=YYYY` (yearly), `format=html|xlsx`."""

    kind = MONTHLY

    def get(self, request, *args, **kwargs):
        scope = self.scope  # first: a scope the person may not see is a 404, whatever else is asked
        if self.kind == MONTHLY:
            form, field_name = MonthlyReportForm(request.GET), "month"
        else:
            form, field_name = YearlyReportForm(request.GET, scope=scope), "year"
        if field_name not in request.GET:  # nothing chosen yet: the choosing page
            query = urlencode(scope.query())
            return redirect(f"{reverse('oversight_dashboard:reports')}{'?' + query if query else ''}")
        output = request.GET.get("format") or HTML
        format_error = [] if output in FORMATS else ["请选择“打印版”或“Excel”。"]
        if format_error or not form.is_valid():
            context = self.get_context_data(**{f"{self.kind}_form": form})
            context["errors"] = format_error + [error for errors in form.errors.values() for error in errors]
            return self.render_to_response(context, status=400)

        start, end, period_label, period = form.period()
        report = opinion_report(self.kind, scope, start, end, period_label, request.user)
        audit.record(
            OversightAction.REPORT_EXPORTED,
            request=request,
            kind=self.kind,
            format=output,
            scope={"kind": scope.kind, "id": _scope_id(scope), "label": scope.label},
            period=period,
        )
        if output == XLSX:
            response = HttpResponse(report_workbook(report), content_type=XLSX_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{report_filename(report, period)}"'
            return response
        query = request.GET.copy()
        query["format"] = XLSX
        return TemplateResponse(
            request,
            "oversight/reports/print.html",
            {
                "report": report,
                "xlsx_query": query.urlencode(),
                "reports_url": reverse("oversight_dashboard:reports"),
                "printed_at": timezone.localtime(),
            },
        )


def _scope_id(scope) -> int | None:
    if scope.kind == "street":
        return scope.street.pk
    if scope.kind == "station":
        return scope.station.pk
    return None


class MonthlyReportView(ReportView):
    kind = MONTHLY


class YearlyReportView(ReportView):
    kind = YEARLY
