"""视窗晾晒, the public window: its figures are the rollups' (and the rates' definitions) on a
fixed data set, written with their numerators and denominators; nothing personal and no
unpublished result is shown; a year without figures says so; the pages read the rollup
tables only, within a query budget, under the strict CSP, and go through the page cache."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from oversight.models import Grain, OpinionMonthly
from oversight.public_views import rates_of
from oversight.rollups import refresh
from tests.conftest import new_opinion
from tests.test_dashboards import build_data_set
from tests.test_dashboards import loop as loop  # noqa: F401  (the fixture: people and a department)
from workflows.models import Opinion, Publication
from workflows.stats import loop_rates

pytestmark = pytest.mark.django_db

CITIZEN_NAME, CITIZEN_PHONE = "张三丰", "13812345678"  # tests.conftest.new_opinion's


@pytest.fixture
def no_page_cache(settings):
    settings.LIANLUO_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def figures(loop, no_page_cache):
    build_data_set(loop)
    refresh()
    return loop


def street_url(street) -> str:
    return reverse("window_street", args=[street.slug])


def text(response) -> str:
    return response.content.decode()


def fractions(rates) -> list[tuple[int, int]]:
    return [(rate.numerator, rate.denominator) for rate in rates]


def rollup_sums(**filters) -> dict:
    this_year = timezone.localdate().replace(month=1, day=1)
    rows = OpinionMonthly.objects.filter(dimension="", month__gte=this_year, **filters)
    return rows.aggregate(**{name: Sum(name) for name in ("received", "closed", "in_loop", "satisfied", "rated")})


def test_the_district_shows_each_streets_rates_as_the_rollups_count_them(client, figures):
    response = client.get(reverse("window_district"))
    assert response.status_code == 200
    rows = {row.label: row for row in response.context["rows"]}
    hubin, qingbo = rows["湖滨街道"], rows["清波街道"]
    assert fractions(hubin.rates) == [(4, 5), (2, 4), (3, 4)] and hubin.received == 6
    assert fractions(qingbo.rates) == [(0, 1), (0, 0), (0, 1)] and qingbo.received == 1  # sent back: no reply now
    assert fractions(qingbo.rates) == fractions(loop_rates(Opinion.objects.filter(street=figures["other_street"])))
    # The same as the rollups, and as the rates computed from the opinions themselves.
    sums = rollup_sums(grain=Grain.STREET, street=figures["street"])
    assert (hubin.counts["closed"], hubin.counts["in_loop"], hubin.received) == (
        sums["closed"],
        sums["in_loop"],
        sums["received"],
    )
    assert fractions(hubin.rates) == fractions(loop_rates(Opinion.objects.filter(street=figures["street"])))
    headline = {figure.label: figure for figure in response.context["headline"]}
    assert headline["收到意见"].value == "7 件"
    assert headline["办结率"].value == "66.7%" and headline["办结率"].note == "已办结 4 / 进入办理 6"
    assert headline["满意率"].note == "满意轮次 3 / 评价轮次 5"
    html = text(response)
    assert "80.0%" in html and "（4/5）" in html and "（3/4）" in html
    assert "统计时间：" in html and "每日更新" in html and "统计口径" in html
    # Each street links to its own window page; nothing links to a staff listing.
    assert f'href="{street_url(figures["street"])}"' in html
    assert f'href="{street_url(figures["other_street"])}"' in html
    assert "/admin/" not in html
    chart = next(chart for chart in response.context["charts"] if chart.key == "rates")
    this_month = f"{timezone.localdate():%Y-%m}"
    assert dict(chart.rows)[this_month][0].value == 66.7 and chart.kind == "line"


def test_a_street_lists_its_stations_with_links_to_their_public_pages(client, figures):
    response = client.get(street_url(figures["street"]))
    assert response.status_code == 200
    rows = response.context["rows"]
    for row in rows:
        sums = OpinionMonthly.objects.filter(grain=Grain.STATION, dimension="", label=row.label).aggregate(
            n=Sum("received"), d=Sum("in_loop"), c=Sum("closed")
        )
        assert (row.received, row.counts["in_loop"], row.counts["closed"]) == (sums["n"], sums["d"], sums["c"])
    assert sum(row.received for row in rows) == 6
    html = text(response)
    assert f'href="{figures["station"].url}"' in html
    assert fractions(_street_rates(response)) == [(4, 5), (2, 4), (3, 4)]
    headline = {figure.label: figure for figure in response.context["headline"]}
    assert headline["办结率"].value == "80.0%" and headline["解决率"].note == "已解决 2 / 已答复 4"
    assert "清波联络站" not in html  # the other street's station
    # By id as well as by slug; an unknown street is a 404.
    assert client.get(reverse("window_street", args=[figures["street"].pk])).status_code == 200
    assert client.get(reverse("window_street", args=["nowhere"])).status_code == 404


def _street_rates(response):
    """The street's rates from its stations' rows: the two grains agree."""
    rows = response.context["rows"]
    total = {name: sum(row.counts[name] for row in rows) for name in rows[0].counts}
    return rates_of(total)


def test_only_published_results_and_nothing_personal(client, figures):
    published, pending = Opinion.objects.filter(street=figures["street"], outcome="resolved")[:2]
    Opinion.objects.filter(pk=published.pk).update(
        publication=Publication.APPROVED,
        public_summary="东平巷夜间增设临时车位",
        public_reply="已在东平巷口施划临时车位二十个。",
        published_at=timezone.now(),
    )
    Opinion.objects.filter(pk=pending.pk).update(publication=Publication.PENDING, public_summary="尚待审核的摘要")
    html = text(client.get(street_url(figures["street"])))
    assert "东平巷夜间增设临时车位" in html and "已在东平巷口施划临时车位二十个。" in html
    assert "尚待审核的摘要" not in html
    assert f"{reverse('opinion_results')}?street={figures['street'].pk}" in html
    # The other street's page does not show it.
    assert "东平巷夜间增设临时车位" not in text(client.get(street_url(figures["other_street"])))
    for url in (reverse("window_district"), street_url(figures["street"])):
        html = text(client.get(url))
        assert CITIZEN_NAME not in html and CITIZEN_PHONE not in html and CITIZEN_PHONE[-4:] not in html
        assert published.receipt_no not in html


@pytest.mark.parametrize("year", ["1999", "abc", "99999999999999999999999"])
def test_a_year_without_figures_says_so(client, figures, year):
    for url in (reverse("window_district"), street_url(figures["street"])):
        response = client.get(url, {"year": year})
        assert response.status_code == 200
        html = text(response)
        assert "没有所选年份的统计数据" in html
        this_year = timezone.localdate().year
        assert f'href="{url}?year={this_year}"' in html and "（4/5）" not in html


def test_an_earlier_year_is_shown_when_asked_and_this_year_says_it_has_none(client, loop, no_page_cache, fixed_today):
    fixed_today(dt.date(2025, 6, 10))
    new_opinion(loop["station"])
    fixed_today(dt.date(2026, 2, 3))
    refresh()
    html = text(client.get(reverse("window_district")))
    assert "2026年暂无统计数据" in html and 'href="/window/?year=2025"' in html
    response = client.get(reverse("window_district"), {"year": "2025"})
    assert response.context["period"].label == "2025年1月至12月"
    assert {figure.label: figure.value for figure in response.context["headline"]}["收到意见"] == "1 件"
    # A street's link keeps the year.
    assert f'href="{street_url(loop["street"])}?year=2025"' in text(response)


def test_the_pages_read_the_rollups_only_within_their_query_budget(client, figures):
    Opinion.objects.filter(street=figures["street"]).update(
        publication=Publication.APPROVED, public_summary="公开摘要", published_at=timezone.now()
    )
    pages = ((reverse("window_district"), 6, 0), (street_url(figures["street"]), 9, 1))
    for url, budget, result_reads in pages:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert len(queries) <= budget, url + "\n" + "\n".join(q["sql"][:200] for q in queries)
        counted = [q["sql"] for q in queries if '"workflows_opinionreply"' in q["sql"]]
        assert counted == [], url
        opinion_reads = [q["sql"] for q in queries if 'FROM "workflows_opinion"' in q["sql"]]
        # The street's page reads its published results (one query, LIMIT 10), never counts.
        assert len(opinion_reads) == result_reads, url
        assert all("LIMIT" in sql and "COUNT(" not in sql.upper() for sql in opinion_reads)


def test_strict_csp_and_no_inline_script_or_style(client, figures):
    for url in (reverse("window_district"), street_url(figures["street"])):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        html = text(response)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and not re.search(r"\sstyle=", html), url
        assert re.search(r"\son[a-z]+=", html) is None, url


def test_anonymous_visits_are_served_from_the_page_cache(client, loop, settings):
    build_data_set(loop)
    refresh()
    url = reverse("window_district")
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"
    assert "X-Page-Cache" not in client.get(url, {"year": timezone.localdate().year})
