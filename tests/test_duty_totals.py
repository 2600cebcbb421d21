"""Yearly totals (年度履职积分汇总): ranks within the congress level and within each street,
voter-report coverage this term (向选民报告履职), who sees which deputies, the admin report with
its audited Excel / CSV exports, and a query count that does not grow with the deputies.
Records are entered through the real code (duties.records.record_by_staff)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from base.audit_actions import PersonalDataAction
from base.models import AuditEvent
from base.roles import Role, department_group_name, role_group_name
from content.models import Membership
from duties.models import DeputyAccount, DutyItem
from duties.records import Entry, record_by_staff
from duties.reports import URL_NAME
from duties.totals import competition_ranks, scope_totals, voter_report_coverage, yearly_totals
from tests.conftest import make_deputy, role_user, street_user
from workflows.models import Department

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 20)
RESEARCH, VOTER_REPORT = 9, 12  # 调研: 3, then 2, co ×0.5; 向选民报告履职情况: 5, then 2
D = Decimal


def item(number, year=2026):
    return DutyItem.objects.get(scheme__year=year, number=number)


def seat(deputy, *stations):
    for station in stations:
        Membership.objects.create(station=station, deputy=deputy)
    return deputy


def record(admin, station, number, lead, *others, day=DAY):
    entry = Entry(item(number, day.year), day, station, "走访东平巷停车难", lead, others)
    return record_by_staff(entry, admin, today=DAY)


@pytest.fixture
def admin(two_streets):
    return role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))


@pytest.fixture
def district(two_streets, street, admin):
    """湖滨: 王芳 5, 李强 5, 赵敏 3, 孙丽 0 (district deputies), 周杰 3 (city); 吴刚 sits in 湖滨
    and 清波 with 1.5; 郑宇 in 清波 only with 3; 钱进 is no longer a deputy."""
    hubin, qingbo = two_streets["station"], two_streets["other_station"]
    people = {name: seat(make_deputy(name), hubin) for name in ("王芳", "李强", "赵敏", "孙丽")}
    people["周杰"] = seat(make_deputy("周杰", level="city"), hubin)
    people["吴刚"] = seat(make_deputy("吴刚"), hubin, qingbo)
    people["郑宇"] = seat(make_deputy("郑宇"), qingbo)
    people["钱进"] = seat(make_deputy("钱进", is_active=False), hubin)
    record(admin, hubin, RESEARCH, people["王芳"], day=dt.date(2026, 3, 2))
    record(admin, hubin, RESEARCH, people["王芳"], people["吴刚"], day=dt.date(2026, 4, 2))  # 吴刚: 3 × 0.5
    record(admin, hubin, VOTER_REPORT, people["李强"], day=dt.date(2026, 5, 2))
    record(admin, hubin, RESEARCH, people["赵敏"], day=dt.date(2026, 6, 2))
    record(admin, hubin, RESEARCH, people["周杰"], day=dt.date(2026, 6, 2))
    record(admin, qingbo, RESEARCH, people["郑宇"], day=dt.date(2026, 6, 2))
    return {**two_streets, "street": street, **people}


def by_name(rows):
    return {row.name: row for row in rows}


def test_competition_ranks_share_a_rank_on_ties_and_skip_the_next():
    assert competition_ranks({"a": D(5), "b": D(5), "c": D(3), "d": D(0)}) == {"a": 1, "b": 1, "c": 3, "d": 4}
    assert competition_ranks({}) == {}


def test_ranks_within_the_level_with_ties_and_zero_point_deputies_listed(district):
    rows = by_name(yearly_totals(2026))
    assert "钱进" not in rows  # not active
    assert {name: (rows[name].total, rows[name].records) for name in ("王芳", "李强", "赵敏", "孙丽")} == {
        "王芳": (D("5.0"), 2),
        "李强": (D("5.0"), 1),
        "赵敏": (D("3.0"), 1),
        "孙丽": (D("0"), 0),
    }
    ranks = {name: row.level_rank for name, row in rows.items()}
    assert ranks == {"王芳": 1, "李强": 1, "赵敏": 3, "郑宇": 3, "吴刚": 5, "孙丽": 6, "周杰": 1}  # 周杰: city
    # Higher levels first (周杰 is a city deputy), then by rank, tied deputies by name
    assert [row.name for row in yearly_totals(2026)][:3] == ["周杰", "李强", "王芳"]
    assert yearly_totals(2027) and all(row.total == 0 and row.level_rank == 1 for row in yearly_totals(2027))


def test_a_deputy_in_two_streets_is_ranked_in_each(district):
    rows = by_name(yearly_totals(2026))
    hubin, qingbo = district["street"].pk, district["other_street"].pk
    wu = rows["吴刚"]
    assert wu.street_names == "清波街道、湖滨街道" or wu.street_names == "湖滨街道、清波街道"
    # 湖滨 (all levels): 王芳 5, 李强 5, 赵敏 3, 周杰 3, 吴刚 1.5, 孙丽 0; 清波: 郑宇 3, 吴刚 1.5
    assert wu.street_ranks == {hubin: 5, qingbo: 2}
    assert rows["周杰"].street_ranks == {hubin: 3}
    assert rows["孙丽"].street_ranks == {hubin: 6}
    assert rows["郑宇"].street_ranks == {qingbo: 1}
    assert "湖滨街道第5名" in wu.street_rank_text and "清波街道第2名" in wu.street_rank_text


def test_coverage_counts_district_deputies_with_a_verified_voter_report_this_term(district):
    coverage = voter_report_coverage()
    # District deputies: 王芳, 李强, 赵敏, 孙丽, 吴刚, 郑宇 (周杰 is a city deputy, 钱进 inactive)
    assert (coverage.district.covered, coverage.district.total) == (1, 6)
    assert coverage.district.share == D("16.7")
    assert {d.name for d in coverage.district.uncovered} == {"王芳", "赵敏", "孙丽", "吴刚", "郑宇"}
    streets = {c.label: c for c in coverage.streets}
    assert (streets["湖滨街道"].covered, streets["湖滨街道"].total) == (1, 5)
    assert (streets["清波街道"].covered, streets["清波街道"].total, streets["清波街道"].share_text) == (0, 2, "0.0%")


def test_records_before_the_start_of_the_term_do_not_count(district, admin, settings):
    hubin = district["station"]
    record(admin, hubin, VOTER_REPORT, district["王芳"], day=dt.date(2026, 3, 10))
    record(admin, hubin, VOTER_REPORT, district["赵敏"], day=dt.date(2026, 3, 10))
    assert {"王芳", "李强", "赵敏"} == {d.name for d in voter_report_coverage().district.deputies} - {
        d.name for d in voter_report_coverage().district.uncovered
    }
    # 王芳 re-elected: her own term starts after her report; 赵敏 follows the district's term.
    district["王芳"].term_start = dt.date(2026, 6, 1)
    district["王芳"].save()
    settings.LIANLUO_TERM_START = dt.date(2026, 4, 1)  # 李强 reported on 2026-05-02: still counts
    covered = {d.name for d in voter_report_coverage().district.deputies} - {
        d.name for d in voter_report_coverage().district.uncovered
    }
    assert covered == {"李强"}
    settings.LIANLUO_TERM_START = dt.date(2022, 1, 1)
    record(admin, hubin, VOTER_REPORT, district["王芳"], day=dt.date(2026, 6, 1))  # on the first day
    assert voter_report_coverage().district.covered == 3


def test_a_street_committee_sees_its_streets_deputies_only(district):
    rows = yearly_totals(2026)
    qingbo = scope_totals(rows, street_user(district["other_street"], "qingbo-secretary"))
    assert {row.name for row in qingbo} == {"吴刚", "郑宇"}  # no 湖滨-only deputy
    assert by_name(qingbo)["吴刚"].level_rank == by_name(rows)["吴刚"].level_rank  # ranks are district-wide
    coverage = voter_report_coverage(street_user(district["other_street"], "qingbo-2"), rows=rows)
    assert coverage.district is None and [c.label for c in coverage.streets] == ["清波街道"]
    auditor = role_user("auditor", role_group_name(Role.AUDITOR))
    assert len(scope_totals(rows, auditor)) == len(rows)


@pytest.fixture
def deputy_and_handler(district):
    deputy_user = role_user("wang-fang", role_group_name(Role.DEPUTY))
    DeputyAccount.objects.create(deputy=district["王芳"], user=deputy_user)
    department = Department.objects.create(name="区交通运输局")
    from django.core.management import call_command

    call_command("sync_roles", verbosity=0)
    handler = role_user("handler", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    return deputy_user, handler


def test_deputies_and_departments_get_no_report_and_no_menu_item(client, district, deputy_and_handler):
    url = reverse(URL_NAME)
    for user in deputy_and_handler:
        assert scope_totals(yearly_totals(2026), user) == []
        client.force_login(user)
        home = client.get(reverse("wagtailadmin_home")).content.decode()
        assert url not in home
        assert client.get(url).status_code in (302, 403, 404)
        assert client.get(url + "?export=xlsx").status_code in (302, 403, 404)


def test_the_report_shows_ranks_and_coverage_to_a_street_committee(client, district):
    client.force_login(street_user(district["other_street"], "qingbo-secretary"))
    assert reverse(URL_NAME) in client.get(reverse("wagtailadmin_home")).content.decode()  # in the reports menu
    page = client.get(reverse(URL_NAME), {"year": 2026}).content.decode()
    assert "郑宇" in page and "吴刚" in page and "王芳" not in page
    assert "向选民报告履职覆盖率" in page and "清波街道" in page


def test_the_excel_export_holds_the_figures_and_is_audited(client, district, admin):
    client.force_login(admin)
    response = client.get(reverse(URL_NAME), {"year": 2026, "export": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0] == ("姓名", "代表层级", "街道", "年度积分", "记录数", "层级内排名", "街道内排名")
    lines = {row[0]: row for row in rows[1:]}
    assert lines["王芳"][1:2] == ("区人大代表",) and float(lines["王芳"][3]) == 5.0 and lines["王芳"][4:6] == (2, 1)
    assert float(lines["孙丽"][3]) == 0 and lines["孙丽"][5] == 6
    assert "钱进" not in lines
    event = AuditEvent.objects.get(action=PersonalDataAction.EXPORTED)
    assert event.detail["format"] == "xlsx" and event.detail["filters"] == {"year": ["2026"]}


def test_the_csv_export_never_starts_a_formula(client, district, admin):
    seat(make_deputy("=HYPERLINK(1)"), district["station"])
    client.force_login(admin)
    response = client.get(reverse(URL_NAME), {"export": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert "'=HYPERLINK(1)" in [line[0] for line in lines]
    assert AuditEvent.objects.filter(action=PersonalDataAction.EXPORTED).count() == 1


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"year": 2026}).status_code == 200
    return len(queries)


def test_the_report_costs_the_same_queries_for_3_and_30_deputies(client, two_streets, admin, fixed_today):
    fixed_today(DAY)
    hubin, qingbo = two_streets["station"], two_streets["other_station"]
    client.force_login(admin)
    url = reverse(URL_NAME)

    def add(count, start):
        for n in range(start, start + count):
            deputy = seat(make_deputy(f"代表{n:02d}"), hubin, *([qingbo] if n % 2 else []))
            record(admin, hubin, RESEARCH if n % 3 else VOTER_REPORT, deputy)

    add(3, 0)
    client.get(url)  # warm what is read once per process
    few = queries_for(client, url)
    add(27, 3)
    assert queries_for(client, url) == few
