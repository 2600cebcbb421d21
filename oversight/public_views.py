"""The public window (视窗晾晒): per street and station, the three rates with their numerators
and denominators, the opinions received, and the latest published results. Nothing personal.

Every figure is read from the rollup tables (oversight.models), counted by the refresh; a page
view never scans the opinions it counts. The published results are those the public results
listing shows (`workflows.public_views.published_opinions`), with the same fields. No figure
links to a staff listing: a street leads to its own window page, a station to its public page.

A period is a calendar year of submissions (the current year so far by default; `?year=` among
the years with figures). A year without figures answers 200 with a message naming the years
that have some. Anonymous views without a query string go through the page cache
(LIANLUO_PAGE_CACHE_VIEWS); the figures change with each refresh and the page says they may be
up to a day old, so the refresh purges nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from base.ids import parse_id
from content.models import StationPage, Street
from oversight.charts import LINE, TILES, Cell, Chart, Headline
from oversight.dashboard import DISTRICT_LEVEL, months_between
from oversight.models import Dimension, Grain, OpinionMonthly, RollupRun
from workflows.public_views import published_opinions
from workflows.stats import Rate

COUNTERS = ("received", "in_loop", "closed", "replied", "resolved", "rated", "satisfied")
RESULTS_SHOWN = 10


@dataclass
class Row:
    """One line of a window table: a street or a station, its figures over the period."""

    label: str
    href: str = ""
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))

    @property
    def received(self) -> int:
        return self.counts["received"]

    @property
    def rates(self) -> list[Rate]:
        return rates_of(self.counts)


def rates_of(counts: dict) -> list[Rate]:
    return [
        Rate("办结率", counts["closed"], counts["in_loop"]),
        Rate("解决率", counts["resolved"], counts["replied"]),
        Rate("满意率", counts["satisfied"], counts["rated"]),
    ]


def shown(rate: Rate) -> str:
    return "—" if rate.percent is None else f"{rate.percent}%"


# What each rate's numerator and denominator are called on the page.
TERMS = {"办结率": ("已办结", "进入办理"), "解决率": ("已解决", "已答复"), "满意率": ("满意轮次", "评价轮次")}


def _add(counts: dict, row: dict) -> None:
    for name in COUNTERS:
        counts[name] += row.get(name) or 0


def _totals(queryset, *group_by):
    return (
        queryset.filter(dimension=Dimension.TOTAL)
        .values(*group_by)
        .annotate(**{name: Sum(name) for name in COUNTERS})
        .order_by(*group_by)
    )


def _years() -> list[int]:
    """The years with figures, newest first (one query)."""
    months = OpinionMonthly.objects.filter(grain=Grain.STREET, dimension=Dimension.TOTAL).dates("month", "year")
    return sorted({month.year for month in months}, reverse=True)


@dataclass
class Period:
    year: int
    start: dt.date
    end: dt.date
    years: list[int]
    asked: str = ""  # the ?year= given, when it names no year with figures

    @property
    def has_data(self) -> bool:
        return not self.asked and self.year in self.years

    @property
    def label(self) -> str:
        return f"{self.year}年{self.start.month}月至{self.end.month}月"


def _period(request) -> Period:
    this_month = timezone.localdate().replace(day=1)
    years = _years()
    asked = request.GET.get("year", "").strip()
    year = this_month.year
    if asked and parse_id(asked) in years:
        year, asked = int(asked), ""
    end = this_month if year == this_month.year else dt.date(year, 12, 1)
    return Period(year, dt.date(year, 1, 1), end, years, asked)


def _headline(counts: dict, period: Period) -> list[Headline]:
    figures = [Headline("收到意见", f"{counts['received']} 件", note=period.label)]
    for rate in rates_of(counts):
        numerator, denominator = TERMS[rate.label]
        figures.append(
            Headline(rate.label, shown(rate), note=f"{numerator} {rate.numerator} / {denominator} {rate.denominator}")
        )
    return figures


def _rates_chart(by_month: dict, period: Period) -> Chart:
    chart = Chart("rates", "三率逐月", LINE, ["办结率", "解决率", "满意率"], unit="%", note="按意见提交月份")
    for month in months_between(period.start, period.end):
        counts = by_month.get(month) or dict.fromkeys(COUNTERS, 0)
        chart.add(f"{month:%Y-%m}", [Cell(rate.percent, shown(rate)) for rate in rates_of(counts)])
    return chart


def _context(request, period: Period, **extra) -> dict:
    return {
        "period": period,
        "computed": RollupRun.objects.order_by("-finished_at").only("finished_at").first(),
        "year_links": [(year, f"{request.path}?year={year}") for year in period.years],
        **extra,
    }


@require_safe
def district(request):
    """The district: its three rates, month by month, and each street's."""
    period = _period(request)
    if not period.has_data:
        return render(request, "oversight/public/district.html", _context(request, period))
    rows = _totals(
        OpinionMonthly.objects.filter(grain=Grain.STREET, month__gte=period.start, month__lte=period.end),
        "month",
        "street_id",
    )
    total, by_month, by_street = dict.fromkeys(COUNTERS, 0), {}, defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for row in rows:
        _add(total, row)
        _add(by_month.setdefault(row["month"], dict.fromkeys(COUNTERS, 0)), row)
        _add(by_street[row["street_id"]], row)
    query = "" if period.year == timezone.localdate().year else f"?year={period.year}"
    streets = []
    for street in Street.objects.order_by("sort_order", "name").only("pk", "name", "slug"):
        href = reverse("window_street", args=[street.slug]) + query
        streets.append(Row(street.name, href, by_street.get(street.pk) or dict.fromkeys(COUNTERS, 0)))
    if None in by_street:
        streets.append(Row(DISTRICT_LEVEL, "", by_street[None]))
    tiles = Chart("streets", "各街道办结率", TILES, ["办结率"], unit="%", note="点击街道查看详情")
    for row in streets:
        closure = row.rates[0]
        tiles.add(row.label, [Cell(closure.percent, shown(closure) if closure.denominator else "", row.href)])
    return render(
        request,
        "oversight/public/district.html",
        _context(
            request,
            period,
            headline=_headline(total, period),
            charts=[_rates_chart(by_month, period), tiles],
            rows=streets,
        ),
    )


def _street(key: str) -> Street:
    streets = Street.objects.only("pk", "name", "slug")
    pk = parse_id(key)
    street = streets.filter(pk=pk).first() if pk is not None else None
    street = street or streets.filter(slug=key).first()
    if street is None:
        raise Http404("没有这个街道。")
    return street


@require_safe
def street(request, key: str):
    """A street: its three rates, its stations' and its latest published results."""
    street = _street(key)
    period = _period(request)
    results = list(published_opinions().filter(street=street)[:RESULTS_SHOWN])
    context = {
        "street": street,
        "results": results,
        "results_href": f"{reverse('opinion_results')}?street={street.pk}",
    }
    if not period.has_data:
        return render(request, "oversight/public/street.html", _context(request, period, **context))
    monthly = OpinionMonthly.objects.filter(street=street, month__gte=period.start, month__lte=period.end)
    total, by_month = dict.fromkeys(COUNTERS, 0), {}
    for row in _totals(monthly.filter(grain=Grain.STREET), "month"):
        _add(total, row)
        _add(by_month.setdefault(row["month"], dict.fromkeys(COUNTERS, 0)), row)
    by_station, labels = defaultdict(lambda: dict.fromkeys(COUNTERS, 0)), {}
    for row in _totals(monthly.filter(grain=Grain.STATION), "station_id", "label", "sort_key"):
        _add(by_station[row["station_id"]], row)
        labels[row["station_id"]] = (row["sort_key"], row["label"])
    pages = {
        page.pk: page
        for page in StationPage.objects.live()
        .filter(pk__in=[pk for pk in by_station if pk])
        .only("pk", "title", "url_path", "path", "depth", "content_type_id")
    }
    stations = []
    for pk in sorted(by_station, key=lambda pk: (pk is None, labels[pk])):
        page = pages.get(pk)
        if page is not None:
            stations.append(Row(page.title, page.get_url(request) or "", by_station[pk]))
        else:  # not (or no longer) published, or straight to the street: its counts, no link
            stations.append(Row(labels[pk][1] or "街道直接受理", "", by_station[pk]))
    return render(
        request,
        "oversight/public/street.html",
        _context(
            request,
            period,
            headline=_headline(total, period),
            charts=[_rates_chart(by_month, period)],
            rows=stations,
            **context,
        ),
    )
