"""一屏统览 · 代表履职与接待日: the section's figures against a fixed, hand-counted data set; the
refresh fills its rollup table; a street committee counts its own street only; each figure's
link lists the rows it counts (or, where a listing lists something else, what it lists is
checked for what it is); the dashboard page reads no duty or attendance table."""

from __future__ import annotations

import datetime as dt

import pytest

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from base.roles import Role, role_group_name
from content.models import Membership, ReceptionSchedule
from duties.automatic import confirm_attendance
from duties.models import DutyItem, DutyParticipant, DutyRecord, RecordState
from duties.records import Entry, record_by_staff
from oversight.dashboard import Scope
from oversight.duty_section import build
from oversight.models import DutyRollup, DutyRollupKind
from oversight.rollups import refresh
from tests.conftest import make_deputy, role_user, station_user, street_user

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)
START, END = dt.date(2026, 8, 1), dt.date(2026, 11, 1)
RESEARCH, INSPECTION, VOTER_REPORT = 9, 10, 12  # 3 then 2 (co ×0.5); 3 then 2; 5 then 2


def seat(deputy, *stations):
    for station in stations:
        Membership.objects.create(station=station, deputy=deputy)
    return deputy


@pytest.fixture
def duties(two_streets, street, fixed_today):
    """湖滨 (东平巷 station and the point below it) and 清波, Aug–Nov 2026:

    - reception rules entered on 3 Aug: 东平巷 the first Friday (7 Aug, 4 Sep, 2 Oct → 9 Oct for
      National Day, 6 Nov: 4 planned), 王芳 and 李强 on duty, held 4 Sep (both) and 6 Nov (王芳);
      清波 the third Tuesday (18 Aug, 15 Sep, 20 Oct, 17 Nov: 4 planned), 郑宇, held 20 Oct.
    - records by staff: 王芳 leads 调研 with 李强 (10 Sep); 赵敏 reports to her voters (12 Oct)
      and leads 调研 (13 Oct) and 视察 (14 Oct); 孙丽 leads 调研 at the point (15 Oct); 郑宇
      leads 调研 in 清波 (2 Nov); one more at 东平巷 (20 Oct), voided: it does not count.
    - 2026 points: 王芳 2+2+3 = 7, 李强 2+1.5 = 3.5, 赵敏 5+3+3 = 11, 孙丽 3, 郑宇 2+3 = 5;
      周杰 (city), 吴刚 (seated in both streets) and 钱进 (no seat) 0.
    """
    fixed_today(dt.date(2026, 8, 3))
    station, point, other = two_streets["station"], two_streets["point"], two_streets["other_station"]
    people = {name: seat(make_deputy(name), station) for name in ("王芳", "李强", "赵敏")}
    people["孙丽"] = seat(make_deputy("孙丽"), point)
    people["周杰"] = seat(make_deputy("周杰", level="city"), station)
    people["吴刚"] = seat(make_deputy("吴刚"), station, other)
    people["郑宇"] = seat(make_deputy("郑宇"), other)
    people["钱进"] = make_deputy("钱进")
    hubin_rule = ReceptionSchedule.objects.create(station=station, recurrence="monthly", week_of_month=1, weekday=4)
    hubin_rule.duty_deputies.set([people["王芳"], people["李强"]])
    qingbo_rule = ReceptionSchedule.objects.create(station=other, recurrence="monthly", week_of_month=3, weekday=1)
    qingbo_rule.duty_deputies.set([people["郑宇"]])

    fixed_today(TODAY)
    admin = role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))
    for deputy, day in (("王芳", (9, 4)), ("李强", (9, 4)), ("王芳", (11, 6))):
        confirm_attendance(hubin_rule, dt.date(2026, *day), people[deputy], admin)
    confirm_attendance(qingbo_rule, dt.date(2026, 10, 20), people["郑宇"], admin)

    def record(at, number, day, lead, *others):
        item = DutyItem.objects.get(scheme__year=2026, number=number)
        return record_by_staff(Entry(item, dt.date(2026, *day), at, "走访东平巷停车难", lead, others), admin)

    record(station, RESEARCH, (9, 10), people["王芳"], people["李强"])
    record(station, VOTER_REPORT, (10, 12), people["赵敏"])
    record(station, RESEARCH, (10, 13), people["赵敏"])
    record(station, INSPECTION, (10, 14), people["赵敏"])
    record(point, RESEARCH, (10, 15), people["孙丽"])
    record(other, RESEARCH, (11, 2), people["郑宇"])
    voided = record(station, RESEARCH, (10, 20), people["周杰"])
    DutyRecord.objects.filter(pk=voided.pk).update(state=RecordState.VOID)
    return {
        **two_streets,
        **people,
        "street": street,
        "admin": admin,
        "secretary": street_user(street),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
        "staff": station_user(station),
    }


def figures(view) -> dict:
    return {figure.label: figure for figure in view.headline}


def chart(view, key):
    return next(chart for chart in view.charts if chart.key == key)


def column(view, key, name) -> dict:
    found = chart(view, key)
    index = found.columns.index(name)
    return {label: cells[index].value for label, cells in found.rows}


def test_the_section_matches_a_hand_counted_data_set(duties):
    refresh()
    view = build(Scope("district", "全区"), START, END, duties["admin"])
    shown = {label: (figure.value, figure.note) for label, figure in figures(view).items()}
    assert shown["已核实履职记录"][0] == "10 条"  # 3 reception records + 7 by staff, less the voided one
    assert shown["履职代表"][0] == "5 人"  # 王芳 李强 赵敏 孙丽 郑宇
    assert shown["向选民报告覆盖率"] == ("14.3%", "1/7")  # 赵敏 of the 7 active district deputies
    assert shown["区人大代表"][0] == "7 人"
    assert shown["接待日举行率"] == ("37.5%", "3/8")
    assert column(view, "duty_activity", "已核实记录") == {"2026-08": 0, "2026-09": 3, "2026-10": 5, "2026-11": 2}
    assert column(view, "duty_activity", "履职代表") == {"2026-08": 0, "2026-09": 2, "2026-10": 3, "2026-11": 2}
    assert column(view, "duty_points", "代表人数") == {
        "0 分": 3,  # 周杰, 吴刚, 钱进
        "10 分以下（不含 0）": 4,  # 王芳 7, 李强 3.5, 孙丽 3, 郑宇 5
        "10–19.9 分": 1,  # 赵敏 11
        "20–49.9 分": 0,
        "50 分及以上": 0,
    }
    assert column(view, "receptions", "计划") == {"2026-08": 2, "2026-09": 2, "2026-10": 2, "2026-11": 2}
    assert column(view, "receptions", "举行") == {"2026-08": 0, "2026-09": 1, "2026-10": 1, "2026-11": 1}
    assert column(view, "duty_parts", "已核实记录") == {"湖滨街道": 8, "清波街道": 2}
    assert column(view, "duty_parts", "履职代表") == {"湖滨街道": 4, "清波街道": 1}
    assert column(view, "duty_parts", "计划接待日") == {"湖滨街道": 4, "清波街道": 4}
    assert column(view, "duty_parts", "举行接待日") == {"湖滨街道": 2, "清波街道": 1}

    hubin = build(Scope("street", "湖滨街道", street=duties["street"]), START, END, duties["admin"])
    shown = {label: (figure.value, figure.note) for label, figure in figures(hubin).items()}
    assert shown["已核实履职记录"][0] == "8 条" and shown["履职代表"][0] == "4 人"
    assert shown["向选民报告覆盖率"] == ("20.0%", "1/5")  # 王芳 李强 赵敏 孙丽 吴刚
    assert shown["接待日举行率"] == ("50.0%", "2/4")
    assert column(hubin, "duty_points", "代表人数")["0 分"] == 2  # 周杰, 吴刚 (钱进 sits nowhere)
    assert column(hubin, "duty_parts", "已核实记录") == {"东平巷代表联络站": 7, "东平巷网格联络点": 1}

    # A station with the point below it: each deputy once, though 孙丽 sits at the point.
    dongping = build(Scope("station", "东平巷", station=duties["station"]), START, END, duties["admin"])
    assert figures(dongping)["履职代表"].value == "4 人"
    assert figures(dongping)["向选民报告覆盖率"].note == "1/5"


def test_a_street_committee_counts_its_own_street_only(client, duties):
    refresh()
    client.force_login(duties["outsider"])  # 清波's committee
    response = client.get(reverse("oversight_dashboard:index"), {"start": "2026-08", "end": "2026-11"})
    assert response.status_code == 200
    view = next(section for section in response.context["sections"] if section.key == "duties")
    shown = {label: (figure.value, figure.note) for label, figure in figures(view).items()}
    assert shown["已核实履职记录"][0] == "2 条" and shown["履职代表"][0] == "1 人"
    assert shown["向选民报告覆盖率"] == ("0.0%", "0/2")  # 郑宇, 吴刚
    assert shown["接待日举行率"] == ("25.0%", "1/4")
    assert list(column(view, "duty_parts", "已核实记录")) == ["清波联络站"]
    assert "东平巷" not in response.content.decode()


def test_the_refresh_fills_the_table_and_replaces_it(duties):
    first = refresh()
    kinds = {kind: DutyRollup.objects.filter(kind=kind).count() for kind in DutyRollupKind.values}
    assert all(kinds.values()), kinds
    # 吴刚 sits in two stations: one row each per scheme year (2026, 2027); 钱进 one without a station.
    assert DutyRollup.objects.filter(kind="seat", year=2026, deputy=duties["吴刚"]).count() == 2
    assert DutyRollup.objects.get(kind="seat", year=2026, deputy=duties["钱进"]).station_id is None
    refresh()
    assert {kind: DutyRollup.objects.filter(kind=kind).count() for kind in DutyRollupKind.values} == kinds
    assert first.rows >= sum(kinds.values())


def listing(client, href):
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context


def rows_listed(context) -> list:
    paginator = context["page_obj"].paginator
    assert paginator.num_pages == 1
    return list(paginator.page(1).object_list)


@pytest.mark.parametrize(("who", "at"), [("admin", None), ("admin", "station"), ("secretary", None), ("staff", None)])
def test_each_figures_link_lists_the_rows_it_counts(client, duties, who, at):
    refresh()
    client.force_login(duties[who])
    query = {"start": "2026-08", "end": "2026-11", **({"station": duties[at].pk} if at else {})}
    response = client.get(reverse("oversight_dashboard:index"), query)
    view = next(section for section in response.context["sections"] if section.key == "duties")
    checked = 0
    for figure in view.headline:
        if not figure.href:
            assert who == "staff" and figure.label in ("向选民报告覆盖率", "区人大代表")  # no points report
            continue
        rows = rows_listed(listing(client, figure.href))
        if figure.label == "已核实履职记录":
            assert len(rows) == int(figure.value.split()[0])
        elif figure.label == "履职代表":  # the listing lists their records: as many deputies in them
            deputies = DutyParticipant.objects.filter(record__in=[row.pk for row in rows]).values("deputy").distinct()
            assert deputies.count() == int(figure.value.split()[0])
        elif figure.label == "接待日举行率":  # one record per deputy present: as many days as held
            assert len({(row.station_id, row.date) for row in rows}) == int(figure.note.split("/")[0])
        else:  # the points report: the deputies themselves
            assert len(rows) == int(figure.note.split("/")[0] if "/" in figure.note else figure.value.split()[0])
        checked += 1
    for chart in view.charts:
        for label, cells in chart.rows:
            for name, cell in zip(chart.columns, cells, strict=True):
                if not cell.href:
                    continue
                rows = rows_listed(listing(client, cell.href))
                if name == "履职代表":
                    participants = DutyParticipant.objects.filter(record__in=[row.pk for row in rows])
                    assert participants.values("deputy").distinct().count() == cell.value, (chart.key, label)
                elif name in ("举行", "举行接待日"):
                    assert len({(row.station_id, row.date) for row in rows}) == cell.value, (chart.key, label)
                else:
                    assert len(rows) == cell.value, (chart.key, label, name)
                checked += 1
    assert checked > (10 if who == "staff" else 15)
    if who == "staff":
        assert all(not cell.href for _label, cells in chart_rows(view, "duty_points") for cell in cells)


def chart_rows(view, key):
    return chart(view, key).rows


def test_the_dashboard_page_reads_no_duty_or_attendance_table(client, duties):
    refresh()
    client.force_login(duties["admin"])
    url = reverse("oversight_dashboard:index")
    client.get(url)
    cache.clear()  # the first viewer after a refresh: the rollup rows are not cached yet
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    touched = " ".join(query["sql"] for query in queries)
    for table in ('"duties_', '"content_receptionschedule"', '"content_historicalreceptionschedule"'):
        assert table not in touched
    duty_reads = [query["sql"] for query in queries if '"oversight_dutyrollup"' in query["sql"]]
    assert len(duty_reads) == 1  # the whole section in one query


def test_a_long_breakdown_lists_the_busiest_parts_and_links_to_all(duties, monkeypatch):
    refresh()
    monkeypatch.setattr("oversight.dashboard.PART_LIMIT", 1)
    view = build(Scope("district", "全区"), START, END, duties["admin"])
    parts = chart(view, "duty_parts")
    assert column(view, "duty_parts", "已核实记录") == {"湖滨街道": 8}  # 8 records beat 清波's 2
    assert (parts.more.shown, parts.more.total, parts.more.noun) == (1, 2, "街道")
    assert "parts=all" in parts.more.href and parts.more.href.endswith("#chart-duty_parts")
    everything = build(Scope("district", "全区", all_parts=True), START, END, duties["admin"])
    assert column(everything, "duty_parts", "已核实记录") == {"湖滨街道": 8, "清波街道": 2}
    assert chart(everything, "duty_parts").more is None
