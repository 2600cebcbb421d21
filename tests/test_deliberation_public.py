"""居民议事 on the public site: a station's page lists its recent meetings; a meeting's page
shows its topic, date, place, how many residents came, the deputies' and departments' names,
the public summary and the resolutions with their progress — never the minutes, the internal
"others" line or anyone's name among the residents — and escapes what staff typed. Both cost a
fixed number of queries however many meetings, resolutions and notes there are."""

from __future__ import annotations

import datetime as dt

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deliberation.meetings import MEETINGS, RESOLUTIONS, Plan, schedule
from deliberation.models import Resolution
from tests.conftest import make_deputy, station_user
from workflows.models import Department

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)
RESIDENT = "欧阳娜娜"  # a resident's name staff wrote where it must stay internal
PHONE = "13912345678"


@pytest.fixture
def world(two_streets, fixed_today):
    fixed_today(TODAY)
    return {
        **two_streets,
        "staff": station_user(two_streets["station"]),
        "department": Department.objects.create(name="区城管局"),
    }


def meeting_with(world, *, resolutions=1, notes=1, deputies=1, title="东平巷夜间停车怎么管", station=None):
    staff = world["staff"]
    meeting = schedule(
        Plan(station or world["station"], title, TODAY - dt.timedelta(days=2), "东平巷社区议事厅", "车位不够怎么办。"),
        user=staff,
    )
    meeting = MEETINGS.perform(
        meeting,
        "hold",
        user=staff,
        residents_count=31,
        deputies=[make_deputy(f"代表{meeting.pk}-{i}") for i in range(deputies)],
        departments=[world["department"]],
        others=f"居民代表{RESIDENT}（电话 {PHONE}）",
        minutes=f"{RESIDENT}发言：晚上十点后车位全满。联系电话 {PHONE}。",
        public_summary="31 位居民参加，议定错时共享车位。",
    )
    for i in range(resolutions):
        MEETINGS.perform(
            meeting.pk,
            "resolve",
            user=staff,
            content=f"议定事项{i}：协调错时共享车位",
            follow_up_by="东平巷社区居委会",
            due_on=TODAY + dt.timedelta(days=30),
        )
        resolution = Resolution.objects.latest("pk")
        for j in range(notes):
            RESOLUTIONS.perform(resolution, "progress", user=staff, date=TODAY, text=f"进展{i}-{j}：已走访。")
    return meeting


def text(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_meeting_page_shows_what_the_public_may_know(client, world):
    meeting = meeting_with(world, deputies=2)
    page = text(client, reverse("deliberation_meeting", args=[meeting.pk]))
    for shown in (
        "东平巷夜间停车怎么管",
        "2026年11月28日",
        "东平巷社区议事厅",
        "31 人",
        f"代表{meeting.pk}-0",
        "区城管局",
        "31 位居民参加，议定错时共享车位。",
        "议定事项0：协调错时共享车位",
        "东平巷社区居委会",
        "进展0-0：已走访。",
        "待落实",
    ):
        assert shown in page, shown
    assert "晚上十点后车位全满" not in page  # the minutes stay internal


def test_no_residents_name_or_phone_appears_on_any_public_page(client, world):
    meeting = meeting_with(world)
    for url in (
        reverse("deliberation_meeting", args=[meeting.pk]),
        reverse("deliberation_meetings"),
        world["station"].url,
    ):
        page = text(client, url)
        assert "东平巷夜间停车怎么管" in page, url
        assert RESIDENT not in page and PHONE not in page, url


def test_what_staff_typed_is_escaped(client, world):
    meeting = meeting_with(world, title="<script>alert(1)</script>停车")
    for url in (
        reverse("deliberation_meeting", args=[meeting.pk]),
        reverse("deliberation_meetings"),
        world["station"].url,
    ):
        page = text(client, url)
        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;停车" in page, url


def test_cancelled_meetings_are_not_public_and_planned_ones_invite_residents(client, world):
    staff = world["staff"]
    planned = schedule(Plan(world["station"], "加装电梯怎么分摊", TODAY + dt.timedelta(days=5), "议事厅"), user=staff)
    cancelled = schedule(Plan(world["station"], "已取消的议事", TODAY + dt.timedelta(days=6), "议事厅"), user=staff)
    MEETINGS.perform(cancelled, "cancel", user=staff, note="台风。")
    assert "欢迎居民到场参加议事" in text(client, reverse("deliberation_meeting", args=[planned.pk]))
    assert client.get(reverse("deliberation_meeting", args=[cancelled.pk])).status_code == 404
    station_page = text(client, world["station"].url)
    assert "加装电梯怎么分摊" in station_page and "已取消的议事" not in station_page


def count_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_meeting_page_costs_the_same_whatever_its_size(client, world):
    small = meeting_with(world, resolutions=1, notes=1, deputies=1)
    large = meeting_with(world, resolutions=6, notes=4, deputies=8, title="大型议事")
    assert count_queries(client, reverse("deliberation_meeting", args=[small.pk])) == count_queries(
        client, reverse("deliberation_meeting", args=[large.pk])
    )


def test_the_station_section_and_index_cost_the_same_with_more_meetings(client, world):
    station, index = world["station"], reverse("deliberation_meetings")
    meeting_with(world, title="东平巷议事")
    one = count_queries(client, station.url), count_queries(client, index)
    for i in range(6):
        meeting_with(world, resolutions=2, title=f"东平巷议事{i}")
    assert (count_queries(client, station.url), count_queries(client, index)) == one
    page = text(client, station.url)
    assert "东平巷议事5" in page and "东平巷议事0" not in page  # the latest five
