"""The search results page: real totals, filters, pages, ranking, highlighted snippets, and
only what the public may see — on SQLite and PostgreSQL alike."""

import datetime as dt
import importlib
import re

import pytest

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from wagtail.models import PageViewRestriction

from content.models import ActivityPage, CentreStationPage, LiaisonStationPage, Membership, Street
from content.search import kind_index_predicate
from content.search_query import SiteSearch
from content.tree import add_station
from tests.conftest import make_deputy
from tests.shared_base import shared_fixture

pytestmark = pytest.mark.django_db


def get(client, q, **params):
    response = client.get(reverse("search"), {"q": q, **params})
    assert response.status_code == 200
    return response


def text(client, q, **params):
    """What a visitor reads (tags removed: a match is split by <mark>)."""
    return " ".join(strip_tags(get(client, q, **params).content.decode()).split())


def hit_titles(client, q, **params):
    html = get(client, q, **params).content.decode()
    titles = re.findall(r'<p class="search-hit-title">.*?<a href="[^"]*">(.*?)</a></p>', html, re.S)
    return [strip_tags(title) for title in titles]


def add_activity(station, title, summary="", day=None):
    activity = ActivityPage(
        title=title, slug=f"act-{ActivityPage.objects.count()}", summary=summary, date=day or dt.date(2026, 5, 1)
    )
    station.add_child(instance=activity)
    activity.save_revision().publish()
    return activity


@shared_fixture(base="tree")
def parking(tree):
    """25 activities about parking (more than a page), plus a station and a deputy that mention it."""
    station = tree["station"]
    for i in range(25):
        add_activity(station, f"第{i + 1}次议事会", summary=f"居民反映夜间停车难，第{i + 1}轮协商")
    deputy = make_deputy("林晓峰", biography="长期关注老旧小区停车问题")
    Membership.objects.create(station=station, deputy=deputy, role="head")
    return {**tree, "deputy": deputy}


def test_totals_are_real_per_kind_and_not_capped(client, parking):
    page = text(client, "停车")
    # 25 activities + 东平巷代表联络站 (intro "小区停车难") + one deputy: no silent cap at 20.
    assert "共找到 27 条结果：站点 1 个，代表 1 名，活动 25 个" in page
    assert "第 1–20 条" in page


def test_counts_stop_at_the_cap_and_say_so(client, parking, monkeypatch):
    """Beyond COUNT_CAP hits a kind reads "10+" (here the cap is 10), lists its first ten, and the
    visitor is told how to narrow the search; the kinds under the cap keep their exact counts."""
    monkeypatch.setattr("content.search_query.COUNT_CAP", 10)
    monkeypatch.setattr("content.views.SEARCH_COUNT_CAP", 10)
    page = text(client, "停车")
    assert "共找到 12+ 条结果：站点 1 个，代表 1 名，活动 10+ 个" in page
    assert "结果较多，每类只列出前 10 条" in page
    assert len(hit_titles(client, "停车")) == 12
    assert len(hit_titles(client, "停车", kind="activity")) == 10
    only_activities = text(client, "停车", kind="activity")
    assert "第 1–10 条" in only_activities and "下一页" not in only_activities
    # Under the cap nothing changes.
    assert "结果较多" not in text(client, "林晓峰")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partial GIN indexes are PostgreSQL's")
@pytest.mark.parametrize("kind", ["station", "deputy", "activity"])
def test_each_kind_is_looked_up_in_its_own_partial_index(parking, kind):
    """A kind's count and page repeat its partial index's predicate word for word (migration
    content 0008), so PostgreSQL can answer them from that index: with sequential scans off,
    the plan names it."""
    migration = importlib.import_module("content.migrations.0008_search_kind_indexes")
    assert migration.predicate(kind) == kind_index_predicate(kind)
    where, params = SiteSearch("停车", kind=kind)._pg_where(kind, None)
    with connection.cursor() as cursor:
        # Wagtail's own GIN index on body would answer too (a tie on an almost empty table):
        # dropped inside the test's transaction (rolled back after it), so the plan can only
        # use the kind's partial index, and only if the query implies its predicate.
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'wagtailsearch_indexentry' "
            "AND indexdef LIKE '%%gin (body)%%' AND indexdef NOT LIKE '%%WHERE%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT 1 FROM wagtailsearch_indexentry WHERE {where}", params)  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"lianluo_search_{kind}" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_counting_leaves_the_planner_as_it_found_it(parking):
    """Counts are planned without sequential scans; a search inside a longer transaction (a
    test, a management command) gives the setting back for whatever runs after it."""
    assert SiteSearch("停车").counts["activity"] == 25
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


def test_pages_go_on_past_the_first_twenty(client, parking):
    first = hit_titles(client, "停车")
    second = hit_titles(client, "停车", page="2")
    assert len(first) == 20 and len(second) == 7
    assert not set(first) & set(second)
    assert "第 21–27 条" in text(client, "停车", page="2")


@pytest.mark.parametrize("bad", ["abc", "²", "0", "-3", "99999999999999999999999999", "9" * 5000, "1.5"])
def test_bad_page_numbers_still_answer(client, parking, bad):
    response = get(client, "停车", page=bad)
    assert "共找到 27 条结果" in strip_tags(response.content.decode())


def test_page_links_keep_the_query_and_filters(client, parking, street):
    html = get(client, "停车", kind="activity", street=str(street.pk)).content.decode()
    assert f'href="?q=%E5%81%9C%E8%BD%A6&amp;kind=activity&amp;street={street.pk}&amp;page=2"' in html


def test_kind_filter_shows_one_kind_and_keeps_every_count(client, parking):
    titles = hit_titles(client, "停车", kind="deputy")
    assert titles == ["林晓峰"]
    page = text(client, "停车", kind="deputy")
    assert "代表 1" in page and "活动 25" in page and "站点 1" in page


@pytest.mark.parametrize("kind", ["nothing", "²", "", "station'--"])
def test_an_unknown_kind_means_all_kinds(client, parking, kind):
    assert len(hit_titles(client, "停车", kind=kind)) == 20


@shared_fixture(base="tree")
def two_streets_with_parking(tree, street):
    other = Street.objects.create(name="清波街道", slug="qingbo")
    centre = add_station(tree["general"], CentreStationPage(title="清波街道中心站", slug="qingbo", street=other))
    station = add_station(centre, LiaisonStationPage(title="清波联络站", slug="qingbo-station", intro="错时停车共享"))
    add_activity(station, "清波停车协商会")
    deputy = make_deputy("周海燕", biography="推动停车泊位改造")
    Membership.objects.create(station=station, deputy=deputy, role="resident")
    return {**tree, "other": other, "other_station": station}


def test_street_filter_keeps_stations_activities_and_deputies_of_that_street(client, two_streets_with_parking, street):
    other = two_streets_with_parking["other"]
    assert sorted(hit_titles(client, "停车", street=str(other.pk))) == ["周海燕", "清波停车协商会", "清波联络站"]
    assert hit_titles(client, "停车", street=str(street.pk)) == ["东平巷代表联络站"]
    # The filter lists the streets of the station tree.
    html = get(client, "停车").content.decode()
    assert f'<option value="{other.pk}">清波街道</option>' in html


@pytest.mark.parametrize("bad", ["²", "abc", "99999999999999999999999999", "-1", "1e3", "0"])
def test_bad_street_values_mean_all_streets(client, two_streets_with_parking, bad):
    assert len(hit_titles(client, "停车", street=bad)) == 4


def test_title_matches_come_first(client, tree):
    station = tree["station"]  # its intro says 停车; its title does not
    add_activity(station, "社区议事会", summary="讨论停车收费")
    add_activity(station, "停车难问题专题座谈会")
    make_deputy("陈停车")  # a name holding the word
    titles = hit_titles(client, "停车")
    assert set(titles[:2]) == {"停车难问题专题座谈会", "陈停车"}
    assert set(titles[2:]) == {"东平巷代表联络站", "社区议事会"}


def test_snippet_shows_the_match_highlighted_and_escapes_what_editors_wrote(client, tree):
    station = tree["station"]
    add_activity(station, "议事会", summary='<b onclick="x()">夜间停车</b>难 & 收费贵')
    html = get(client, "停车").content.decode()
    assert "&lt;b onclick=&quot;x()&quot;&gt;夜间<mark>停车</mark>&lt;/b&gt;难 &amp; 收费贵" in html
    assert '<b onclick="x()">' not in html


def test_the_query_is_escaped_everywhere_it_is_shown(client, parking):
    html = get(client, '停车<img src=x onerror="alert(1)">').content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def test_a_single_character_finds_titles(client, tree):
    add_activity(tree["station"], "车棚改造")
    titles = hit_titles(client, "棚")
    assert titles == ["车棚改造"]


def test_no_query_and_no_result_explain_what_to_do(client, tree):
    assert "输入站点名称、地址、代表姓名" in text(client, "")
    page = text(client, "游泳馆")
    assert "共找到 0 条结果" in page and "没有找到与“游泳馆”相关的站点、代表或活动" in page
    assert "没有可以搜索的文字" in text(client, "！？")


# --- only what the public may see, and right after edits ---------------------------------


def test_an_edit_is_found_once_published_and_the_old_text_is_gone(client, tree):
    station = tree["station"]
    assert "东平巷代表联络站" in hit_titles(client, "停车")
    station.intro = "新建口袋公园一处"
    station.save_revision()  # a draft: the public still sees the old text
    assert "东平巷代表联络站" in hit_titles(client, "停车")
    assert hit_titles(client, "口袋公园") == []
    station.get_latest_revision().publish()
    assert hit_titles(client, "口袋公园") == ["东平巷代表联络站"]
    assert "东平巷代表联络站" not in hit_titles(client, "停车")


def test_unpublished_pages_and_former_deputies_are_not_found_or_counted(client, parking):
    station = parking["station"]
    station.unpublish()
    deputy = parking["deputy"]
    deputy.is_active = False
    deputy.save()
    page = text(client, "停车")
    assert "站点 0 个，代表 0 名，活动 25 个" in page
    assert "东平巷代表联络站" not in hit_titles(client, "停车", kind="station")
    assert hit_titles(client, "林晓峰") == []


def test_a_page_never_published_is_not_found(client, tree):
    add_station(
        tree["centre"], LiaisonStationPage(title="筹建中联络站", slug="draft", intro="秘密停车规划"), publish=False
    )
    assert hit_titles(client, "秘密停车") == []
    assert "共找到 0 条结果" in text(client, "秘密停车")


def test_private_sections_are_not_found_or_counted(client, tree):
    station = tree["station"]
    add_activity(station, "内部停车调度会")
    restriction = PageViewRestriction.objects.create(page=station, restriction_type=PageViewRestriction.LOGIN)
    titles = hit_titles(client, "停车")
    assert titles == []  # the station and the activity under it
    assert "共找到 0 条结果" in text(client, "停车")
    restriction.delete()
    restriction = PageViewRestriction.objects.create(page=station, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.add(Group.objects.first())
    assert hit_titles(client, "调度会") == []


def test_a_deputy_follows_their_station_to_another_street(client, two_streets_with_parking, street):
    deputy = make_deputy("赵一鸣", biography="关注电动车充电")
    membership = Membership.objects.create(station=two_streets_with_parking["station"], deputy=deputy)
    assert hit_titles(client, "充电", street=str(street.pk)) == ["赵一鸣"]
    membership.station = two_streets_with_parking["other_station"]
    membership.save()
    assert hit_titles(client, "充电", street=str(street.pk)) == []
    assert hit_titles(client, "充电", street=str(two_streets_with_parking["other"].pk)) == ["赵一鸣"]


# --- cost --------------------------------------------------------------------------------


def count_queries(client, **params):
    get(client, **params)
    with CaptureQueriesContext(connection) as ctx:
        get(client, **params)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_results(client, tree):
    station = tree["station"]  # intro: 小区停车难、加装电梯
    # "电梯": one hit of each kind.
    add_activity(station, "电梯维修回访")
    Membership.objects.create(station=station, deputy=make_deputy("孙立", biography="推动加装电梯"))
    # "停车": a title hit of each kind on page 1, and pages of body hits of each kind.
    add_station(tree["centre"], LiaisonStationPage(title="停车服务联络站", slug="parking"))
    add_activity(station, "停车会")
    make_deputy("毕停车")
    for i in range(22):
        add_activity(station, f"恳谈会{i}", summary="停车")
        Membership.objects.create(station=station, deputy=make_deputy(f"代表{i}", biography="停车"))
    few = count_queries(client, q="电梯")
    many = count_queries(client, q="停车")
    assert many == few
    assert count_queries(client, q="停车", page="2") <= few  # page 2 may lack a kind
    # On PostgreSQL the count sets a planner option for itself: inside the test's transaction that
    # is a savepoint, SET LOCAL, the count, SET LOCAL back and the release (four more statements).
    assert many <= (16 if connection.vendor == "postgresql" else 12)
