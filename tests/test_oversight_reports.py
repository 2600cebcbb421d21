"""统计报表: the monthly and yearly reports carry the dashboard's figures (checked cell by cell
in the Excel workbook on the fixed data set), are scoped like the dashboard, audit every
delivery with its format, refuse bad choices with a Chinese message and record nothing then,
and print as a plain A4 page."""

from __future__ import annotations

import io

import openpyxl
import pytest

from django.urls import reverse
from django.utils import timezone

from base.models import AuditEvent
from content.models import Street
from oversight import sections
from oversight.dashboard import Scope, opinion_dashboard
from oversight.models import OversightAction
from oversight.rollups import refresh
from tests.test_dashboards import build_data_set, loop  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

MONTHLY = "oversight_dashboard:report_monthly"
YEARLY = "oversight_dashboard:report_yearly"


def this_month():
    return timezone.localdate().replace(day=1)


def exported():
    return AuditEvent.objects.filter(action=OversightAction.REPORT_EXPORTED)


def workbook(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def table(sheet) -> dict[str, list]:
    """A table sheet's rows by their first cell (headings row included)."""
    return {row[0]: list(row[1:]) for row in sheet.iter_rows(values_only=True)}


def summary(sheet) -> dict[str, list]:
    return {row[0]: list(row[1:]) for row in sheet.iter_rows(min_row=7, values_only=True) if row[0] and row[1:5]}


def assert_line_matches(cells, row):
    """An Excel row (收到, then rate%, numerator, denominator ×3, reply days) equals a dashboard row."""
    assert cells[0] == row.received.value
    for i, rate_cells in enumerate(row.rates):  # a percentage of 50.0 reads back as 50, which is equal
        rate = rate_cells.rate
        assert cells[1 + 3 * i : 4 + 3 * i] == [rate.percent, rate.numerator, rate.denominator], rate.label
    assert cells[10] == (None if row.reply_days == "—" else float(row.reply_days))


@pytest.fixture
def counted(loop):  # noqa: F811
    build_data_set(loop)
    refresh()
    return loop


def test_the_monthly_workbook_carries_the_dashboards_figures(client, counted):
    client.force_login(counted["admin"])
    month = this_month()
    book = workbook(client.get(reverse(MONTHLY), {"month": f"{month:%Y-%m}", "format": "xlsx"}))
    assert book.sheetnames[:3] == ["概况", "逐月", "分街道"]
    board = opinion_dashboard(Scope("district", "全区"), month, month)

    overview = book["概况"]
    assert overview["A1"].value == f"全区人大代表联络站意见办理情况月报（{month.year}年{month.month}月）"
    assert overview["A1"].font.bold and overview["A6"].font.bold
    figures = summary(overview)
    headline = {figure.label: figure for figure in board.headline}
    assert figures["收到意见"][0] == 7 == int(headline["收到意见"].value.split()[0])
    assert figures["办理中"][0] == int(headline["办理中"].value.split()[0])
    assert figures["超期"][0] == int(headline["超期"].value.split()[0])
    for label in ("办结率", "解决率", "满意率"):
        value, unit, numerator, denominator, _note = figures[label]
        assert f"{numerator}/{denominator}" == headline[label].note
        assert f"{float(value)}%" == headline[label].value and unit == "%"  # 50.0 is stored as 50
        assert isinstance(numerator, int) and isinstance(value, int | float)
    assert (figures["办结率"][2], figures["办结率"][3]) == (4, 6)
    assert f"{float(figures['平均答复用时'][0])} 个工作日" == headline["平均答复用时"].value

    months = table(book["逐月"])
    assert months["月份"][:2] == ["收到", "办结率（%）"]
    assert_line_matches(months[board.months[0].label], board.months[0])
    streets = table(book["分街道"])
    assert sorted(label for label in streets if label != "街道") == ["清波街道", "湖滨街道"]
    for row in board.parts:
        assert_line_matches(streets[row.label], row)
    assert all(cell.font.bold for cell in book["分街道"][1])


def test_the_yearly_workbook_has_every_month_of_the_year_so_far(client, counted):
    client.force_login(counted["secretary"])  # street A's committee: its stations
    month = this_month()
    book = workbook(client.get(reverse(YEARLY), {"year": str(month.year), "format": "xlsx"}))
    assert book.sheetnames[:3] == ["概况", "逐月", "分站点"]
    scope = Scope("street", "湖滨街道", street=counted["street"])
    board = opinion_dashboard(scope, month.replace(month=1), month)
    months = table(book["逐月"])
    assert len(months) == 1 + month.month
    for row in board.months:
        assert_line_matches(months[row.label], row)
    stations = table(book["分站点"])
    for row in board.parts:
        assert_line_matches(stations[row.label], row)
    assert summary(book["概况"])["收到意见"][0] == 6


def test_the_workbook_and_the_printable_page_carry_the_dashboards_other_sections(client, counted):
    """The figures above include each module's part (oversight.sections): one sheet each, its
    tables' numbers as the dashboard shows them to the same person."""
    client.force_login(counted["admin"])
    month = this_month()
    query = {"month": f"{month:%Y-%m}"}
    views = sections.build_all(Scope("district", "全区"), month, month, counted["admin"])
    assert [view.title for view in views][:1] == ["代表履职与接待日"]
    book = workbook(client.get(reverse(MONTHLY), {**query, "format": "xlsx"}))
    assert book.sheetnames[3:] == [view.title for view in views]
    for view in views:
        sheet = [[cell.value for cell in row] for row in book[view.title].iter_rows()]
        width = max(len(row) for row in sheet)
        assert sheet[0][0] == view.title
        for chart in view.charts:
            for label, cells in chart.rows:
                row = [label, *(cell.value for cell in cells)]
                assert row + [None] * (width - len(row)) in sheet, (view.title, chart.title, label)
    page = client.get(reverse(MONTHLY), query).content.decode()
    for view in views:
        assert f">{view.title}</h2>" in page


def test_a_street_committee_gets_its_own_street_only(client, counted):
    client.force_login(counted["outsider"])  # street B's committee
    month = f"{this_month():%Y-%m}"
    for query in ({"street": counted["street"].pk}, {"station": counted["station"].pk}):
        for name in (MONTHLY, YEARLY):
            response = client.get(reverse(name), {"month": month, "year": month[:4], "format": "xlsx", **query})
            assert response.status_code == 404
        assert client.get(reverse("oversight_dashboard:reports"), query).status_code == 404
    assert not exported().exists()

    book = workbook(client.get(reverse(MONTHLY), {"month": month, "format": "xlsx"}))
    assert "清波街道" in book["概况"]["A1"].value
    stations = table(book["分站点"])
    assert [label for label in stations if label != "站点"] == ["清波联络站"]
    assert summary(book["概况"])["收到意见"][0] == 1
    page = client.get(reverse(MONTHLY), {"month": month}).content.decode()
    assert "湖滨" not in page and "东平巷" not in page


def test_station_staff_get_their_stations_report(client, counted):
    client.force_login(counted["staff"])
    response = client.get(reverse(MONTHLY), {"month": f"{this_month():%Y-%m}"})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.scope.kind == "station" and report.scope.station.pk == counted["station"].pk
    assert report.title.startswith(f"{counted['station'].title}意见办理情况月报")
    other = {"month": f"{this_month():%Y-%m}", "street": counted["street"].pk}
    assert client.get(reverse(MONTHLY), other).status_code == 404


def test_every_delivery_is_audited_with_its_format(client, counted):
    client.force_login(counted["secretary"])
    month = f"{this_month():%Y-%m}"
    client.get(reverse(MONTHLY), {"month": month})
    client.get(reverse(MONTHLY), {"month": month, "format": "xlsx"})
    client.get(reverse(YEARLY), {"year": month[:4], "format": "xlsx"})
    events = list(exported().order_by("pk"))
    assert [(e.detail["kind"], e.detail["format"], e.detail["period"]) for e in events] == [
        ("monthly", "html", month),
        ("monthly", "xlsx", month),
        ("yearly", "xlsx", month[:4]),
    ]
    assert all(e.actor == counted["secretary"] for e in events)
    assert events[0].detail["scope"] == {"kind": "street", "id": counted["street"].pk, "label": "湖滨街道"}


def _future_month():
    month = this_month()
    return f"{month.year + 1}-01" if month.month == 12 else f"{month.year}-{month.month + 1:02d}"


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        (MONTHLY, {"month": "2026-13"}, "请按“年-月”填写月份，例如 2026-01。"),
        (MONTHLY, {"month": "十一月"}, "请按“年-月”填写月份"),
        (MONTHLY, {"month": ""}, "请选择月份。"),
        (MONTHLY, {"month": "future"}, "不能选择未来的月份。"),
        (MONTHLY, {"month": "this", "format": "pdf"}, "请选择“打印版”或“Excel”。"),
        (YEARLY, {"year": "26"}, "请按四位数字填写年度，例如 2026。"),
        (YEARLY, {"year": "0000"}, "请按四位数字填写年度，例如 2026。"),
        (YEARLY, {"year": "future"}, "不能选择未来的年度。"),
        (YEARLY, {"year": "2019", "format": "xlsx"}, "该年度没有统计数据。"),
    ],
)
def test_a_bad_choice_is_refused_with_a_message_and_nothing_recorded(client, counted, name, query, message):
    if query.get("month") == "future":
        query["month"] = _future_month()
    if query.get("month") == "this":
        query["month"] = f"{this_month():%Y-%m}"
    if query.get("year") == "future":
        query["year"] = str(timezone.localdate().year + 1)
    client.force_login(counted["admin"])
    response = client.get(reverse(name), query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()
    assert not exported().exists()


def test_a_year_without_data_in_the_scope_is_refused_even_if_others_have_some(client, counted):
    client.force_login(counted["admin"])
    year = str(this_month().year)
    assert client.get(reverse(YEARLY), {"year": year, "street": counted["street"].pk}).status_code == 200
    empty_street = Street.objects.create(name="空街道")
    response = client.get(reverse(YEARLY), {"year": year, "street": empty_street.pk})
    assert response.status_code == 400 and "该年度没有统计数据。" in response.content.decode()
    assert exported().count() == 1


def test_nothing_counted_yet_is_said_so(client, loop):  # noqa: F811
    build_data_set(loop)
    client.force_login(loop["admin"])
    response = client.get(reverse(MONTHLY), {"month": f"{this_month():%Y-%m}"})
    assert response.status_code == 400 and "统计数据尚未生成" in response.content.decode()
    assert not exported().exists()


def test_the_printable_page_has_the_heading_and_tables_without_the_admin(client, counted):
    client.force_login(counted["secretary"])
    month = this_month()
    response = client.get(reverse(YEARLY), {"year": str(month.year)})
    html = response.content.decode()
    assert f"湖滨街道人大代表联络站意见办理情况年报（{month.year}年）" in html
    assert "逐月办理情况" in html and "分站点办理情况" in html and "口径：" in html and "统计时间：" in html
    assert "80.0%（4/5）" in html  # the street's 办结率 with its numerator and denominator
    assert "print-report.css" in html and "data-print" in html
    assert "sidebar" not in html and "wagtail" not in html.lower()

    html = client.get(reverse(MONTHLY), {"month": f"{month:%Y-%m}"}).content.decode()
    assert f"湖滨街道人大代表联络站意见办理情况月报（{month.year}年{month.month}月）" in html
    assert "逐月办理情况" not in html and "分站点办理情况" in html


def test_the_choosing_page_and_the_dashboards_link(client, counted):
    client.force_login(counted["admin"])
    dashboard = client.get(reverse("oversight_dashboard:index")).content.decode()
    assert "月报 / 年报" in dashboard and reverse("oversight_dashboard:reports") in dashboard
    page = client.get(reverse("oversight_dashboard:reports"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "月报" in html and "年报" in html and "清波街道" in html
    # The report's URL without its month: the choosing page, the scope kept.
    response = client.get(reverse(MONTHLY), {"street": counted["street"].pk})
    assert response.status_code == 302 and response["Location"].endswith(f"reports/?street={counted['street'].pk}")
    assert not exported().exists()


def test_people_without_a_dashboard_have_no_reports(client, counted):
    client.force_login(counted["handler"])
    assert client.get(reverse("oversight_dashboard:reports")).status_code == 404
    assert client.get(reverse(MONTHLY), {"month": f"{this_month():%Y-%m}"}).status_code == 404
    client.logout()
    assert client.get(reverse(MONTHLY), {"month": f"{this_month():%Y-%m}"}).status_code == 302
    assert not exported().exists()
