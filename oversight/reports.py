"""Monthly and yearly reports of the opinions' figures (意见办理情况月报 / 年报), per street,
for the district, or for a station: the dashboard's figures for one month or one year, read
from the same rollup tables by `opinion_dashboard`, as rows of plain numbers for the printable
page and the Excel workbook.

The choice of a report is checked here: a month or year in the right form, not in the
future, and counted (a year without rollup rows in the scope has no report).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field, replace

from openpyxl import Workbook
from openpyxl.styles import Font

from django import forms
from django.utils import timezone

from base.spreadsheets import spreadsheet_cell
from oversight import sections
from oversight.dashboard import MonthField, PeriodRow, Scope, month_start, opinion_dashboard
from oversight.models import Dimension, OpinionMonthly, RollupRun
from oversight.rollups import last_run
from oversight.sections import SectionView
from workflows.stats import Rate

MONTHLY, YEARLY = "monthly", "yearly"
HTML, XLSX = "html", "xlsx"
KIND_NAMES = {MONTHLY: "月报", YEARLY: "年报"}

DEFINITIONS = (
    "口径：意见按提交月份统计，计入其当前所在的站点和街道；办结率＝已办结÷进入办理（不含待受理、不予受理、重复）；"
    "解决率＝办理结果为“已解决”÷已答复；满意率按每一轮答复的评价计算＝满意或基本满意÷已评价轮次；"
    "平均答复用时＝本轮交办至答复的工作日数平均；“办理中”“超期”为统计时点的件数。"
)
NO_ROLLUPS = "统计数据尚未生成，请稍后再试。"
NO_DATA_IN_YEAR = "该年度没有统计数据。"

RATE_COLUMNS = [
    ("办结率", "已办结", "进入办理"),
    ("解决率", "已解决", "已答复"),
    ("满意率", "满意轮次", "评价轮次"),
]


# --- The choice of a report ------------------------------------------------------------------


class MonthlyReportForm(forms.Form):
    month = MonthField(label="月份", error_messages={"required": "请选择月份。"})

    def clean_month(self):
        month = self.cleaned_data["month"]
        if month > month_start(timezone.localdate()):
            raise forms.ValidationError("不能选择未来的月份。")
        return month

    def clean(self):
        data = super().clean()
        if not self.errors and last_run() is None:
            raise forms.ValidationError(NO_ROLLUPS)
        return data

    def period(self) -> tuple[dt.date, dt.date, str, str]:
        """(first month, last month, the period as the heading says it, as the audit says it)."""
        month = self.cleaned_data["month"]
        return month, month, f"{month.year}年{month.month}月", f"{month:%Y-%m}"


class YearlyReportForm(forms.Form):
    year = forms.RegexField(
        label="年度",
        regex=r"^[12]\d{3}$",
        error_messages={"required": "请填写年度。", "invalid": "请按四位数字填写年度，例如 2026。"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6, "maxlength": 4}),
    )

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope

    def clean_year(self):
        year = int(self.cleaned_data["year"])
        if year > timezone.localdate().year:
            raise forms.ValidationError("不能选择未来的年度。")
        return year

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if last_run() is None:
            raise forms.ValidationError(NO_ROLLUPS)
        year = data["year"]
        counted = self.scope.rows(OpinionMonthly.objects.filter(dimension=Dimension.TOTAL))
        if not counted.filter(month__gte=dt.date(year, 1, 1), month__lte=dt.date(year, 12, 1)).exists():
            raise forms.ValidationError(NO_DATA_IN_YEAR)
        return data

    def period(self) -> tuple[dt.date, dt.date, str, str]:
        year = self.cleaned_data["year"]
        last = min(dt.date(year, 12, 1), month_start(timezone.localdate()))  # this year: up to this month
        return dt.date(year, 1, 1), last, f"{year}年", str(year)


# --- The report's rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A row of a table: a month, a street or a station, in plain numbers."""

    label: str
    received: int
    rates: list[Rate]
    reply_days: float | None


@dataclass(frozen=True)
class Item:
    """A headline figure in plain numbers: the value, its unit, and for a rate its two counts."""

    label: str
    value: int | float | None
    unit: str
    numerator: int | None = None
    denominator: int | None = None
    note: str = ""


@dataclass
class OpinionReport:
    kind: str
    scope: Scope
    start: dt.date
    end: dt.date
    period_label: str
    computed: RollupRun | None
    summary: list[Item] = field(default_factory=list)
    months: list[Line] = field(default_factory=list)
    parts: list[Line] = field(default_factory=list)
    parts_label: str = ""
    definitions: str = DEFINITIONS
    # The dashboard's other sections (oversight.sections) of the same scope and period, as the
    # person asking sees them: their headline figures and tables.
    sections: list[SectionView] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The heading, e.g. 湖滨街道人大代表联络站意见办理情况月报（2026年11月）; a station's own name."""
        whose = self.scope.label if self.scope.kind == "station" else f"{self.scope.label}人大代表联络站"
        return f"{whose}意见办理情况{KIND_NAMES[self.kind]}（{self.period_label}）"

    @property
    def months_covered(self) -> str:
        if self.start == self.end:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年{self.start.month}月至{self.end.year}年{self.end.month}月"


def _days(text: str) -> float | None:
    """A reply time as the dashboard shows it ("2.5", "2.5 个工作日", "—") as a number."""
    found = re.match(r"\d+(?:\.\d+)?", text)
    return float(found.group()) if found else None


def _line(row: PeriodRow) -> Line:
    return Line(row.label, row.received.value or 0, [cells.rate for cells in row.rates], _days(row.reply_days))


def opinion_report(
    kind: str, scope: Scope, start: dt.date, end: dt.date, period_label: str, user=None
) -> OpinionReport:
    """The report of `scope` for the months from `start` to `end`: the dashboard's figures
    (with its other sections as `user` sees them, when given), every street or station listed."""
    scope = replace(scope, all_parts=True)
    board = opinion_dashboard(scope, start, end)
    report = OpinionReport(kind, scope, start, end, period_label, last_run(), parts_label=board.parts_label)
    report.sections = sections.build_all(scope, start, end, user) if user is not None else []
    report.months = [_line(row) for row in board.months]
    report.parts = [_line(row) for row in board.parts]
    # The period's totals are the sums of its months, as the dashboard's headline counts them.
    received = sum(line.received for line in report.months)
    rates = [
        Rate(
            label,
            sum(line.rates[i].numerator for line in report.months),
            sum(line.rates[i].denominator for line in report.months),
        )
        for i, (label, _n, _d) in enumerate(RATE_COLUMNS)
    ]
    report.summary = [
        Item("收到意见", received, "件", note=f"{report.months_covered}提交"),
        Item("办理中", board.open_now, "件", note="统计时点未办结"),
        Item("超期", board.overdue_now, "件", note="统计时点已过答复期限"),
        *(
            Item(rate.label, rate.percent, "%", rate.numerator, rate.denominator, f"{numerator}÷{denominator}")
            for rate, (_label, numerator, denominator) in zip(rates, RATE_COLUMNS, strict=True)
        ),
        Item("平均答复用时", board.reply_days, "个工作日", note=f"{board.period.get('replied') or 0} 件已答复"),
    ]
    return report


# --- Excel ---------------------------------------------------------------------------------------

BOLD = Font(bold=True)
TABLE_HEADINGS = [
    "收到",
    *(
        heading
        for label, numerator, denominator in RATE_COLUMNS
        for heading in (f"{label}（%）", numerator, denominator)
    ),
    "平均答复用时（工作日）",
]


def _heading_row(sheet, headings: list[str]) -> None:
    sheet.append([spreadsheet_cell(heading) for heading in headings])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD


def _table(sheet, first: str, lines: list[Line]) -> None:
    _heading_row(sheet, [first, *TABLE_HEADINGS])
    for line in lines:
        counts = [value for rate in line.rates for value in (rate.percent, rate.numerator, rate.denominator)]
        sheet.append([spreadsheet_cell(line.label), line.received, *counts, line.reply_days])
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = "B2"


def report_workbook(report: OpinionReport) -> bytes:
    """One workbook: 概况 (the headline figures), 逐月 (month by month), 分街道 or 分站点."""
    book = Workbook()
    summary = book.active
    summary.title = "概况"
    summary.append([spreadsheet_cell(report.title)])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([spreadsheet_cell("统计范围"), spreadsheet_cell(report.scope.label)])
    summary.append([spreadsheet_cell("统计月份"), spreadsheet_cell(report.months_covered)])
    computed = timezone.localtime(report.computed.finished_at) if report.computed else None
    summary.append([spreadsheet_cell("统计时间"), spreadsheet_cell(f"{computed:%Y-%m-%d %H:%M}" if computed else "")])
    summary.append([])
    _heading_row(summary, ["指标", "数值", "单位", "分子", "分母", "说明"])
    for item in report.summary:
        summary.append(
            [
                spreadsheet_cell(item.label),
                item.value,
                spreadsheet_cell(item.unit),
                item.numerator,
                item.denominator,
                spreadsheet_cell(item.note),
            ]
        )
    summary.append([])
    summary.append([spreadsheet_cell(report.definitions)])
    summary.column_dimensions["A"].width = 16
    summary.column_dimensions["B"].width = 24
    summary.column_dimensions["F"].width = 30

    _table(book.create_sheet("逐月"), "月份", report.months)
    _table(book.create_sheet(f"分{report.parts_label}"), report.parts_label, report.parts)
    for section in report.sections:
        _section_sheet(book.create_sheet(_sheet_name(section.title)), section)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_name(title: str) -> str:
    """A worksheet's name: at most 31 characters, none of []:*?/\\."""
    return "".join(" " if char in "[]:*?/\\" else char for char in title)[:31]


def _section_sheet(sheet, section: SectionView) -> None:
    """A dashboard section: its headline figures, then each of its tables (numbers as numbers)."""
    sheet.append([spreadsheet_cell(section.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    if section.headline:
        _heading_row(sheet, ["指标", "数值", "说明"])
        for figure in section.headline:
            sheet.append(
                [spreadsheet_cell(figure.label), spreadsheet_cell(figure.value), spreadsheet_cell(figure.note)]
            )
    for chart in section.charts:
        sheet.append([])
        sheet.append([spreadsheet_cell(chart.title + (f"（单位：{chart.unit}）" if chart.unit else ""))])
        sheet[sheet.max_row][0].font = BOLD
        _heading_row(sheet, ["", *chart.columns])
        for label, cells in chart.rows:
            sheet.append([spreadsheet_cell(label), *(cell.value for cell in cells)])
    if section.note:
        sheet.append([])
        sheet.append([spreadsheet_cell(section.note)])
    sheet.column_dimensions["A"].width = 24


def report_filename(report: OpinionReport, period: str) -> str:
    return f"opinion-{report.kind}-report-{period}.xlsx"
