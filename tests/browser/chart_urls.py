"""Test-only URLs for tests/browser/test_charts.py: the product's big-screen template and the
chart include rendered from fixed figures, before the dashboard views exist. The project's own
URLs follow, so the public layout (base.html: navigation, elder-mode switch, footer) works."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.shortcuts import render
from django.template import engines
from django.urls import path

from config import urls as project_urls
from oversight.charts import Cell, Chart, Headline

MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
RECEIVED = [120, 95, 143, 0, 88, 131]
CLOSED = [101, 90, 128, 0, 80, 97]
STREETS = [
    ("湖滨街道", 96.5, (1, 2)),
    ("清波街道", 81.0, (1, 3)),
    ("小营街道", 64.2, (2, 1)),
    ("南星街道", None, (2, 2)),
]
STREETS += [("望江街道", 12.5, (2, 3)), ("紫阳街道", 0, (3, 2))]
COMPUTED_AT = datetime(2026, 12, 6, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def rows_href(**query) -> str:
    """The listing a figure counts (here a stand-in page that echoes its query)."""
    return "/test-charts/rows/?" + "&".join(f"{key}={value}" for key, value in query.items())


def sample_charts() -> list[Chart]:
    bar = Chart("received", "每月受理意见", "bar", ["受理"], unit="件", note="按受理日期统计")
    line = Chart("closing", "每月受理与办结", "line", ["受理", "办结"], unit="件")
    stacked = Chart("standing", "各街道在办意见", "stacked", ["按期", "超期"], unit="件")
    for month, received, closed in zip(MONTHS, RECEIVED, CLOSED, strict=True):
        bar.add(month, [Cell(received, href=rows_href(month=month))])
        line.add(
            month, [Cell(received, href=rows_href(month=month)), Cell(closed, href=rows_href(month=month, closed=1))]
        )
    for number, (street, _rate, _place) in enumerate(STREETS):
        stacked.add(
            street,
            [Cell(10 + number, href=rows_href(street=number)), Cell(number, href=rows_href(street=number, overdue=1))],
        )
    tiles = Chart("rates", "各街道办结率", "tiles", ["办结率"], unit="%", places={s: p for s, _r, p in STREETS})
    for number, (street, rate, _place) in enumerate(STREETS):
        shown = "" if rate is None else f"{rate}%"
        tiles.add(street, [Cell(rate, text=shown, href=rows_href(street=number, closed=1) if rate is not None else "")])
    return [bar, line, stacked, tiles]


def big_screen(request):
    return render(
        request,
        "oversight/big_screen.html",
        {
            "title": "群众意见办理监测",
            "scope_label": "全区",
            "computed_at": None if request.GET.get("never") else COMPUTED_AT,
            "headline": [
                Headline("办结率", "92.1%", rows_href(closed=1), "(1234/1340)"),
                Headline("满意率", "97.0%", rows_href(satisfied=1), "(970/1000)"),
                Headline("超期件数", "15", rows_href(overdue=1)),
                Headline("本月受理", "131"),
            ],
            "charts": sample_charts(),
            "refresh_seconds": int(request.GET.get("refresh", 300)),
        },
    )


PUBLIC_PAGE = engines["django"].from_string(
    """{% extends "base.html" %}
{% block title %}办理情况图表{% endblock %}
{% block extra_head %}{% include "oversight/includes/chart_assets.html" %}{% endblock %}
{% block content %}<h1>办理情况图表</h1>
{% include "oversight/includes/headline.html" %}
{% for chart in charts %}{% include "oversight/includes/chart.html" %}{% endfor %}{% endblock %}"""
)


def public_page(request):
    return HttpResponse(PUBLIC_PAGE.render({"charts": sample_charts(), "headline": []}, request))


def rows(request):
    return HttpResponse(
        f'<!DOCTYPE html><html lang="zh-Hans"><title>明细</title><h1>明细 {request.GET.urlencode()}</h1></html>'
    )


urlpatterns = [
    path("test-charts/big-screen/", big_screen),
    path("test-charts/public/", public_page),
    path("test-charts/rows/", rows),
    *project_urls.urlpatterns,
]
