"""一屏统览: the dashboards read the rollup tables; their figures match the rates' definitions
on a fixed data set; every figure's link lists exactly the rows it counts; a street committee
sees its own street only; bad periods are refused with a message; the page stays within its
query budget and never reads the opinions themselves."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base.calendar import WorkdayCalendar
from base.models import AuditEvent
from base.roles import Role, department_group_name, role_group_name
from oversight.dashboard import Scope, opinion_dashboard
from oversight.models import Grain, OpinionMonthly, OpinionStanding, RollupRun
from oversight.rollups import RUN_KEY, refresh
from tests.conftest import new_opinion, replied, role_user, station_user, street_user
from workflows import opinions
from workflows.models import Department, Opinion, OpinionReply
from workflows.stats import loop_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def loop(two_streets, street, settings):
    settings.LIANLUO_RATING_WAIT_DAYS = 0
    department = Department.objects.create(name="区城管局")
    people = {
        "staff": station_user(two_streets["station"]),
        "secretary": street_user(street),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
        "handler": role_user("cgj-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department)),
        "admin": role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN)),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
    }
    return {**two_streets, "street": street, "department": department, **people}


def build_data_set(loop):
    """The fixed data set: 5 opinions in the loop at street A's station, 4 of them closed, 2
    resolved of 4 replied, 3 satisfied of 4 rated rounds (one redone after 不满意), one not yet
    accepted; and one opinion of street B, replied and rated 不满意 then closed."""
    staff, handler, department = loop["staff"], loop["handler"], loop["department"]

    def through(outcome, rating=None):
        opinion = replied(new_opinion(loop["station"]), staff, handler, department, outcome, "答复")
        if rating:
            opinion = opinions.perform(opinion, "evaluate", capacity=opinions.CITIZEN, rating=rating)
        return opinions.perform(opinion, "close", user=staff)

    through("resolved", "satisfied")
    through("explained", "basically")
    through("partly")
    redone = replied(new_opinion(loop["station"], channel="qr"), staff, handler, department, "explained")
    redone = opinions.perform(redone, "evaluate", capacity=opinions.CITIZEN, rating="unsatisfied")
    redone = opinions.perform(redone, "assign", user=staff, department=department)
    redone = opinions.perform(redone, "sign", user=handler)
    redone = opinions.perform(redone, "reply", user=handler, outcome="resolved", text="重新处理。")
    redone = opinions.perform(redone, "evaluate", capacity=opinions.CITIZEN, rating="satisfied")
    opinions.perform(redone, "close", user=staff)
    opinions.perform(new_opinion(loop["point"]), "accept", user=staff)  # in the loop, at the point below
    new_opinion(loop["station"])  # not accepted: outside every denominator

    other_staff = station_user(loop["other_station"], "qingbo-staff")
    other = replied(new_opinion(loop["other_station"]), other_staff, handler, department, "partly")
    opinions.perform(other, "evaluate", capacity=opinions.CITIZEN, rating="unsatisfied")


def district():
    return Scope("district", "全区")


def this_month():
    today = timezone.localdate()
    return today.replace(day=1)


def test_the_rates_match_their_definitions_on_a_fixed_data_set(loop):
    build_data_set(loop)
    refresh()
    month = this_month()
    street_a = Scope("street", "湖滨街道", street=loop["street"])
    board = opinion_dashboard(street_a, month, month)
    closure, resolution, satisfaction = (cells.rate for cells in board.months[-1].rates)
    assert (closure.numerator, closure.denominator) == (4, 5)
    assert (resolution.numerator, resolution.denominator) == (2, 4)
    assert (satisfaction.numerator, satisfaction.denominator) == (3, 4)
    assert board.months[-1].received.value == 6
    # The same as the rates computed from the rows themselves.
    expected = loop_rates(Opinion.objects.filter(street=loop["street"]))
    assert [(r.numerator, r.denominator) for r in expected] == [
        (c.rate.numerator, c.rate.denominator) for c in board.months[-1].rates
    ]
    headline = {figure.label: figure for figure in board.headline}
    assert headline["办结率"].value == "80.0%" and headline["办结率"].note == "4/5"
    assert headline["满意率"].value == "75.0%" and headline["满意率"].note == "3/4"
    assert headline["收到意见"].value == "6 件"
    assert headline["办理中"].value == "2 件"  # accepted, and submitted

    whole = opinion_dashboard(district(), month, month)
    closure, resolution, satisfaction = (cells.rate for cells in whole.months[-1].rates)
    assert (closure.numerator, closure.denominator) == (4, 6)  # street B's item is evaluated, not closed
    assert (satisfaction.numerator, satisfaction.denominator) == (3, 5)
    assert sorted(part.label for part in whole.parts) == ["清波街道", "湖滨街道"]


def test_the_two_grains_agree_and_the_refresh_is_recorded(loop):
    build_data_set(loop)
    result = refresh()
    assert (
        RollupRun.objects.count() == 1
        and result.rows == OpinionMonthly.objects.count() + OpinionStanding.objects.count()
    )
    for grain_total in ("received", "in_loop", "closed", "rated"):
        street_sum = sum(
            OpinionMonthly.objects.filter(grain=Grain.STREET, dimension="").values_list(grain_total, flat=True)
        )
        station_sum = sum(
            OpinionMonthly.objects.filter(grain=Grain.STATION, dimension="").values_list(grain_total, flat=True)
        )
        assert street_sum == station_sum
    assert sum(OpinionMonthly.objects.filter(grain=Grain.STREET, dimension="").values_list("received", flat=True)) == 7
    # A second refresh replaces the figures: nothing is counted twice.
    refresh()
    assert sum(OpinionMonthly.objects.filter(grain=Grain.STREET, dimension="").values_list("received", flat=True)) == 7


def test_average_reply_time_counts_working_days_from_assignment_to_reply(loop, fixed_today):
    fixed_today(dt.date(2026, 9, 28))  # a Monday
    staff, handler, department = loop["staff"], loop["handler"], loop["department"]
    opinion = opinions.perform(new_opinion(loop["station"]), "accept", user=staff)
    opinion = opinions.perform(opinion, "assign", user=staff, department=department)
    opinion = opinions.perform(opinion, "sign", user=handler)
    fixed_today(dt.date(2026, 10, 9))  # the National Day holiday (10-01..10-08) lies between
    opinions.perform(opinion, "reply", user=handler, outcome="resolved", text="已处理。")
    refresh()
    board = opinion_dashboard(district(), dt.date(2026, 9, 1), dt.date(2026, 9, 1))
    # The working days after the assignment day up to the reply, the National Day week not among them.
    expected = WorkdayCalendar.load(dt.date(2026, 9, 1), dt.date(2026, 10, 31)).count_workdays(
        dt.date(2026, 9, 28), dt.date(2026, 10, 9)
    )
    assert expected < 6
    assert board.months[0].reply_days == f"{expected:.1f}"


def listed(client, href) -> int:
    """How many rows the listing behind a figure's link shows."""
    response = client.get(href)
    assert response.status_code == 200, href
    if "page_obj" in response.context and response.context["page_obj"] is not None:
        return response.context["page_obj"].paginator.count
    return response.context["count"]


def every_link(board):
    for figure in board.headline:
        if figure.href and figure.label not in ("平均答复用时",):
            yield figure.label, _count_of_figure(figure), figure.href
    for chart in board.charts:
        for label, cells in chart.rows:
            for column, cell in zip(chart.columns, cells, strict=True):
                if cell.href and chart.key != "rates":
                    yield f"{chart.key} {label} {column}", cell.value, cell.href
    for row in [*board.months, *board.parts]:
        yield f"{row.label} 收到", row.received.value, row.received.href
        for cells in row.rates:
            yield f"{row.label} {cells.rate.label} 分子", cells.rate.numerator, cells.numerator_href
            yield f"{row.label} {cells.rate.label} 分母", cells.rate.denominator, cells.denominator_href


def _count_of_figure(figure) -> int:
    if figure.note and "/" in figure.note:
        return int(figure.note.split("/")[0])
    return int(re.match(r"\d+", figure.value).group())


@pytest.mark.parametrize("who", ["admin", "secretary", "staff"])
def test_each_figures_link_lists_exactly_the_rows_it_counts(client, loop, who):
    build_data_set(loop)
    refresh()
    client.force_login(loop[who])
    response = client.get(reverse("oversight_dashboard:index"))
    assert response.status_code == 200
    board = response.context["board"]
    links = list(every_link(board))
    assert len(links) > 30
    for name, count, href in links:
        assert listed(client, href) == count, name


def test_a_street_committee_sees_only_its_own_street(client, loop):
    build_data_set(loop)
    refresh()
    client.force_login(loop["outsider"])  # street B's committee
    response = client.get(reverse("oversight_dashboard:index"))
    board = response.context["board"]
    assert board.scope.label == "清波街道"
    assert {figure.label: figure.value for figure in board.headline}["收到意见"] == "1 件"
    assert [part.label for part in board.parts] == ["清波联络站"]
    assert "东平巷" not in response.content.decode()
    # Street A, or a station of street A, asked for by id: nothing about them.
    url = reverse("oversight_dashboard:index")
    assert client.get(url, {"street": loop["street"].pk}).status_code == 404
    assert client.get(url, {"station": loop["station"].pk}).status_code == 404
    assert client.get(reverse("oversight_dashboard:screen"), {"street": loop["street"].pk}).status_code == 404
    assert client.get(url, {"street": "abc"}).status_code == 404


def test_people_without_a_scope_have_no_dashboard(client, loop):
    client.force_login(loop["handler"])
    assert client.get(reverse("oversight_dashboard:index")).status_code == 404
    assert client.get(reverse("oversight_replies:index")).status_code == 404
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "一屏统览" not in home


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-06", "end": "2026-01"}, "结束月份不能早于起始月份。"),
        ({"start": "2026-13", "end": "2026-01"}, "请按“年-月”填写月份"),
        ({"start": "2020-01", "end": "2026-01"}, "一次最多统计 36 个月"),
    ],
)
def test_a_bad_period_is_refused_with_a_message(client, loop, query, message):
    client.force_login(loop["admin"])
    response = client.get(reverse("oversight_dashboard:index"), query)
    assert response.status_code == 200
    assert message in response.content.decode()
    board = response.context["board"]
    assert len(board.months) == 12  # the default period is shown instead


def test_the_dashboard_reads_rollups_only_within_its_query_budget(client, loop):
    build_data_set(loop)
    refresh()
    client.force_login(loop["admin"])
    url = reverse("oversight_dashboard:index")
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    # The first viewer after a refresh reads each rollup table once: the opinions' two, one
    # for each other section (duties, suggestions, livelihood projects, street tasks), the refresh.
    assert len(first) <= 27, "\n".join(q["sql"][:200] for q in first)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    # The second viewer reads the rollup rows from the cache (oversight.rollups.cached_rows):
    # what remains is the admin's own (session, user, permissions, menu).
    assert len(queries) <= 20, "\n".join(q["sql"][:200] for q in queries)
    touched = " ".join(q["sql"] for q in queries)
    assert '"workflows_opinion"' not in touched and '"workflows_opinionreply"' not in touched
    # A street committee's: its street's grants are read (the menu reads the station grants too).
    client.force_login(loop["secretary"])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert len(queries) <= 20, "\n".join(q["sql"][:200] for q in queries)


def test_the_admin_home_shows_the_rollup_figures_and_when_they_were_counted(client, loop):
    build_data_set(loop)
    client.force_login(loop["secretary"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "统计数据尚未生成" in home
    refresh()
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "一屏统览 · 湖滨街道" in home and "统计时间" in home
    assert "80.0%" in home


def test_a_refresh_on_demand_is_audited_and_the_auditor_may_not_ask(client, loop):
    build_data_set(loop)
    url = reverse("oversight_dashboard:refresh")
    client.force_login(loop["auditor"])
    assert client.post(url).status_code in (403, 404)
    assert not RollupRun.objects.exists()
    client.force_login(loop["secretary"])
    response = client.post(url, {"next": reverse("oversight_dashboard:index")})
    assert response.status_code == 302
    assert RollupRun.objects.get().trigger == RollupRun.Trigger.ON_DEMAND  # immediate backend in tests
    assert AuditEvent.objects.filter(action="rollups_refresh_requested", actor=loop["secretary"]).count() == 1
    # Again at once: not run a second time.
    client.post(url)
    assert RollupRun.objects.count() == 1


def test_the_reply_rounds_listing_is_scoped(client, loop):
    build_data_set(loop)
    url = reverse("oversight_replies:index")
    client.force_login(loop["outsider"])
    response = client.get(url, {"rated": "true"})
    assert response.context["count"] == 1  # street B's one rated round
    client.force_login(loop["admin"])
    assert client.get(url, {"rated": "true"}).context["count"] == 5
    assert client.get(url, {"satisfied": "true"}).context["count"] == 3
    assert OpinionReply.objects.count() == 6


def test_the_big_screen_renders_the_same_figures(client, loop):
    build_data_set(loop)
    refresh()
    client.force_login(loop["admin"])
    response = client.get(reverse("oversight_dashboard:screen"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "全区" in html and "办结率" in html and "80.0%" not in html  # district: 4/6
    assert "66.7%" in html


def test_anonymous_visitors_are_sent_to_log_in(client, loop):
    response = client.get(reverse("oversight_dashboard:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_long_breakdown_lists_the_parts_needing_attention_first_and_links_to_all(client, loop, monkeypatch):
    """Past PART_LIMIT parts the tiles and the table list the most overdue (then the most
    received) with a link to every part; the reports always list every part."""
    build_data_set(loop)
    overdue = new_opinion(loop["other_station"])  # street B: fewer opinions, one overdue
    Opinion.objects.filter(pk=overdue.pk).update(state="assigned", deadline=timezone.localdate() - dt.timedelta(days=3))
    refresh()
    monkeypatch.setattr("oversight.dashboard.PART_LIMIT", 1)
    client.force_login(loop["admin"])
    url = reverse("oversight_dashboard:index")
    response = client.get(url)
    board = response.context["board"]
    assert [part.label for part in board.parts] == ["清波街道"]  # 1 overdue beats 6 received
    tiles = next(chart for chart in board.charts if chart.key == "overdue")
    assert [label for label, _cells in tiles.rows] == ["清波街道"]
    html = response.content.decode()
    assert html.count("只列出超期最多（其次收到最多）的 1 个街道（共 2 个）") == 2  # the tiles and the table
    link = re.search(r'href="(\?[^"]*parts=all[^"]*)"', html).group(1).replace("&amp;", "&")
    everything = client.get(url + link.split("#")[0]).context["board"]
    assert sorted(part.label for part in everything.parts) == ["清波街道", "湖滨街道"]
    assert everything.parts_more is None
    # Without an overdue opinion, the most received comes first.
    Opinion.objects.filter(pk=overdue.pk).update(deadline=timezone.localdate() + dt.timedelta(days=3))
    refresh()
    cache.delete(RUN_KEY)  # the refresh's commit does (this test runs inside one transaction)
    assert [part.label for part in client.get(url).context["board"].parts] == ["湖滨街道"]
    # The reports list every street.
    month = this_month()
    report = client.get(reverse("oversight_dashboard:report_monthly"), {"month": f"{month:%Y-%m}"})
    assert report.status_code == 200
    assert "清波街道" in report.content.decode() and "湖滨街道" in report.content.decode()


def test_the_refresh_replaces_each_table_whole_and_refuses_rows_of_undeclared_tables(loop, monkeypatch):
    from oversight import sections
    from oversight.models import DutyRollup
    from oversight.rollups import replace

    build_data_set(loop)
    refresh()
    counted = {model: model.objects.count() for model in (OpinionMonthly, OpinionStanding)}
    refresh()
    assert {model: model.objects.count() for model in counted} == counted  # replaced, not added to
    # A dict may leave out columns: they get the field's default, as an unsaved instance would.
    replace(DutyRollup, [{"kind": "seat", "year": 2026, "band": "zero"}, DutyRollup(kind="seat", year=2025)])
    rows = list(DutyRollup.objects.order_by("year").values_list("year", "band", "records", "label", "reported"))
    assert rows == [(2025, "", 0, "", False), (2026, "zero", 0, "", False)]
    # A section counting rows of a table it did not declare stops the refresh: nothing is replaced.
    bogus = sections.Section("bogus", "错误", (), lambda: {DutyRollup: []}, lambda *args: None)
    monkeypatch.setitem(sections.SECTIONS, "bogus", bogus)
    runs = RollupRun.objects.count()
    with pytest.raises(ValueError, match="bogus"):
        refresh()
    assert RollupRun.objects.count() == runs and DutyRollup.objects.count() == 2
