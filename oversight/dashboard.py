"""The dashboards' figures (一屏统览), read from the rollup tables for one scope and period.

A scope is the district, one street or one station (with the contact points below it), among
those the person may see: district-wide roles any of them, a street committee its streets and
their stations, station staff their stations. Every figure carries the link to the staff
listing with the filters that select exactly the rows it counts (the listing is scoped to
the person as well), so a number can be checked row by row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from base.calendar import add_months
from base.roles import MANAGE_STATION, MANAGE_STREET, roles_of
from content.models import StationPage, Street
from content.scoping import staffed_stations_for, stations_for, streets_for
from oversight.charts import BAR, LINE, STACKED, TILES, Cell, Chart, Partial, escape
from oversight.charts import Headline as Figure  # the dashboard's own name for a headline figure
from oversight.models import Dimension, Grain, OpinionMonthly, OpinionStanding
from oversight.rollups import cached_rows
from workflows.models import Channel, OpinionState
from workflows.stats import Rate

MAX_MONTHS = 36
# A breakdown (per street for the district, per station below) lists at most this many parts
# unless the reader asks for all of them (`Scope.all_parts`): the ones that need attention first.
PART_LIMIT = 30
DISTRICT_LEVEL = "区级（总站）"
OPEN_STATES = [s for s in OpinionState if s not in (OpinionState.CLOSED, OpinionState.REJECTED, OpinionState.DUPLICATE)]


# --- Scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose figures: the district, one street, or one station with the points below it."""

    kind: str  # "district", "street" or "station"
    label: str
    street: Street | None = None
    station: StationPage | None = None
    all_parts: bool = False  # the breakdowns list every part, not the first PART_LIMIT

    def rows(self, queryset):
        """The rollup rows of this scope: street-grain rows for the district and a street,
        station-grain rows of the station's subtree for a station."""
        if self.kind == "district":
            return queryset.filter(grain=Grain.STREET)
        if self.kind == "street":
            return queryset.filter(grain=Grain.STREET, street=self.street)
        return self.subtree(queryset.filter(grain=Grain.STATION))

    def subtree(self, queryset):
        """The rows of the station and the pages below it, found through their street's index
        (every page below a station is in its street; the 总站's subtree is the district)."""
        rows = queryset.filter(station__path__startswith=self.station.path)
        return rows.filter(street_id=self.station.street_id) if self.station.street_id else rows

    def parts(self, queryset):
        """The rows of the breakdown table: per street for the district, per station below."""
        if self.kind == "district":
            return queryset.filter(grain=Grain.STREET)
        if self.kind == "street":
            return queryset.filter(grain=Grain.STATION, street=self.street)
        return self.subtree(queryset.filter(grain=Grain.STATION))

    @property
    def part_field(self) -> str:
        return "street_id" if self.kind == "district" else "station_id"

    def list_filter(self) -> dict:
        """The staff listing's filters selecting this scope's opinions."""
        if self.kind == "street":
            return {"street": self.street.pk}
        if self.kind == "station":
            return {"station_tree": self.station.pk}
        return {}

    @property
    def cache_name(self) -> str:
        """What the cached rollup rows of this scope are kept under."""
        return f"{self.kind}:{self.street.pk if self.street else ''}:{self.station.pk if self.station else ''}"

    def query(self) -> dict:
        """This scope as the dashboard's own parameters."""
        if self.kind == "street":
            return {"street": self.street.pk}
        if self.kind == "station":
            return {"station": self.station.pk}
        return {}

    @property
    def parts_label(self) -> str:
        return "街道" if self.kind == "district" else "站点"


def shown_parts(scope: Scope, parts: list, weight) -> tuple[list, int]:
    """The parts a breakdown lists and how many it leaves out: all of them, in their own order,
    when there are at most PART_LIMIT or the reader asked for all; else the PART_LIMIT that
    weigh most (`weight(part)`, largest first; ties in their own order)."""
    if scope.all_parts or len(parts) <= PART_LIMIT:
        return parts, 0
    return sorted(parts, key=weight, reverse=True)[:PART_LIMIT], len(parts) - PART_LIMIT


def all_parts_link(scope: Scope, start: dt.date, end: dt.date, anchor: str) -> str:
    """This dashboard with every part listed (the query string, and where on the page)."""
    query = {**scope.query(), "start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}", "parts": "all"}
    return f"?{urlencode(query)}#{anchor}"


class NoDashboard(Exception):
    """The person has no dashboard (no district-wide role, street or station)."""


def _granted(roles, permission: str, model) -> list:
    return [] if roles.superuser else roles.granted_ids(permission, model)


def may_see_dashboard(user) -> bool:
    """District-wide roles, street committees and station staff have a dashboard (no query
    once the person's grants are read)."""
    roles = roles_of(user)
    if not roles.active:
        return False
    return (
        roles.district_wide
        or bool(_granted(roles, MANAGE_STREET, Street))
        or bool(_granted(roles, MANAGE_STATION, StationPage))
    )


def street_choices(user) -> list[tuple[int, str]]:
    """The streets the person may choose among (one query), [] when there is no choice: a
    street committee of one street, station staff."""
    roles = roles_of(user)
    if roles.district_wide or len(_granted(roles, MANAGE_STREET, Street)) > 1:
        return list(streets_for(roles).order_by("sort_order", "name").values_list("pk", "name"))
    return []


def scope_for(user, street_id=None, station_id=None, choices=None) -> Scope | None:
    """The scope asked for, if the person may see it (None otherwise: the view answers 404);
    `choices`, the person's `street_choices` when already read, saves the street's query."""
    roles = roles_of(user)
    if station_id:
        station = stations_for(roles).filter(pk=station_id).only("pk", "title", "path", "depth", "street").first()
        return Scope("station", station.title, station=station) if station else None
    named = dict(choices or ())
    if street_id:
        if street_id in named:
            return Scope("street", named[street_id], street=Street(pk=street_id, name=named[street_id]))
        street = streets_for(roles).filter(pk=street_id).first()
        return Scope("street", street.name, street=street) if street else None
    if roles.district_wide:
        return Scope("district", "全区")
    street_ids = _granted(roles, MANAGE_STREET, Street)
    if street_ids:
        street = Street.objects.filter(pk__in=street_ids).order_by("sort_order", "name").first()
        return Scope("street", street.name, street=street) if street else None
    station = staffed_stations_for(roles).order_by("path").only("pk", "title", "path", "depth", "street").first()
    if station is not None:
        return Scope("station", station.title, station=station)
    raise NoDashboard


def default_scope(user) -> Scope:
    return scope_for(user)


# --- Period -------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


class MonthField(forms.DateField):
    """A month as YYYY-MM (the browsers' month input), kept as its first day."""

    input_formats = ["%Y-%m"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    default_error_messages = {"invalid": "请按“年-月”填写月份，例如 2026-01。"}


class PeriodForm(forms.Form):
    start = MonthField(label="起始月份", required=False)
    end = MonthField(label="结束月份", required=False)

    def clean(self):
        data = super().clean()
        this_month = month_start(timezone.localdate())
        end = data.get("end") or this_month
        start = data.get("start") or add_months(end, -11)
        if "start" in self.errors or "end" in self.errors:
            return data
        if end < start:
            raise forms.ValidationError("结束月份不能早于起始月份。")
        if len(months_between(start, end)) > MAX_MONTHS:
            raise forms.ValidationError(f"一次最多统计 {MAX_MONTHS} 个月，请缩短时间范围。")
        data["start"], data["end"] = start, end
        return data


def default_period() -> tuple[dt.date, dt.date]:
    end = month_start(timezone.localdate())
    return add_months(end, -11), end


# --- Figures ------------------------------------------------------------------------------------


@dataclass
class RateCells:
    """A rate with links to its numerator's and denominator's rows."""

    rate: Rate
    numerator_href: str
    denominator_href: str

    @property
    def shown(self) -> str:
        return "—" if self.rate.percent is None else f"{self.rate.percent}%"


@dataclass
class PeriodRow:
    label: str
    received: Cell
    rates: list[RateCells]
    reply_days: str
    dashboard: str = ""  # a part's own dashboard (its query string, with the period)

    @property
    def tr(self) -> SafeString:
        """The row of a rates table (oversight/includes/rate_table.html), written without the
        template engine: each rate with its numerator and denominator as links."""
        name = escape(self.label)
        label = f'<a href="{escape(self.dashboard)}">{name}</a>' if self.dashboard else name
        cells = []
        for c in self.rates:
            rate, n, d = escape(c.rate.label), c.rate.numerator, c.rate.denominator
            numerator = f'<a href="{escape(c.numerator_href)}" aria-label="{name}{rate}分子 {n}">{n}</a>'
            denominator = f'<a href="{escape(c.denominator_href)}" aria-label="{name}{rate}分母 {d}">{d}</a>'
            cells.append(f"<td>{escape(c.shown)}（{numerator}/{denominator}）</td>")
        received = f'<a href="{escape(self.received.href)}">{escape(self.received.shown)}</a>'
        days = escape(self.reply_days)
        return mark_safe(f'<tr><th scope="row">{label}</th><td>{received}</td>{"".join(cells)}<td>{days}</td></tr>')  # noqa: S308 - every value above is escaped


@dataclass
class OpinionDashboard:
    scope: Scope
    start: dt.date
    end: dt.date
    headline: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    months: list[PeriodRow] = field(default_factory=list)
    parts: list[PeriodRow] = field(default_factory=list)
    parts_more: Partial | None = None  # when `parts` lists only some parts
    # The plain numbers behind the headline (reports read these, not the headline's text).
    period: dict = field(default_factory=dict)  # the period's sums of the rollup counters
    open_now: int = 0
    overdue_now: int = 0

    @property
    def parts_label(self) -> str:
        return self.scope.parts_label

    @property
    def reply_days(self) -> float | None:
        replied = self.period.get("replied") or 0
        return round((self.period.get("reply_workdays") or 0) / replied, 1) if replied else None


class Links:
    """Links to the staff listings, with the scope's filters and the period's dates."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.opinions = reverse("opinions:list")
        self.replies = reverse("oversight_replies:index")

    def _href(self, base, *filters: dict) -> str:
        query = {}
        for part in (self.scope.list_filter(), *filters):
            query.update(part)
        return f"{base}?{urlencode(query)}" if query else base

    def opinions_in(self, start: dt.date, end: dt.date, **filters) -> str:
        period = {"created_at_after": start.isoformat(), "created_at_before": month_end(end).isoformat()}
        return self._href(self.opinions, period, filters)

    def replies_in(self, start: dt.date, end: dt.date, **filters) -> str:
        period = {"created_at_after": start.isoformat(), "created_at_before": month_end(end).isoformat()}
        return self._href(self.replies, period, filters)

    def opinions_now(self, **filters) -> str:
        return self._href(self.opinions, filters)


def part_filter(scope: Scope, part_id) -> dict:
    """The listing filter selecting one part's rows: a street (or 区级) of the district, a
    station below. The records listing of duties names its filters the same."""
    if scope.kind == "district":
        return {"street": part_id} if part_id else {"district_level": "true"}
    return {"station": part_id}


COUNTERS = ("received", "in_loop", "closed", "replied", "resolved", "rated", "satisfied", "reply_workdays")


def _sums(queryset, *group_by) -> list[dict]:
    return list(queryset.values(*group_by).annotate(**{name: Sum(name) for name in COUNTERS}).order_by(*group_by))


def _add(total: dict, row: dict) -> None:
    for name in COUNTERS:
        total[name] += row.get(name) or 0


def _rates(row: dict, links: Links, start, end, extra: dict) -> list[RateCells]:
    row = defaultdict(int, {k: v or 0 for k, v in row.items()})
    return [
        RateCells(
            Rate("办结率", row["closed"], row["in_loop"]),
            links.opinions_in(start, end, state=OpinionState.CLOSED, **extra),
            links.opinions_in(start, end, in_loop="true", **extra),
        ),
        RateCells(
            Rate("解决率", row["resolved"], row["replied"]),
            links.opinions_in(start, end, outcome="resolved", **extra),
            links.opinions_in(start, end, replied="true", **extra),
        ),
        RateCells(
            Rate("满意率", row["satisfied"], row["rated"]),
            links.replies_in(start, end, satisfied="true", **extra),
            links.replies_in(start, end, rated="true", **extra),
        ),
    ]


def _reply_days(row: dict) -> str:
    replied, days = row.get("replied") or 0, row.get("reply_workdays") or 0
    return f"{days / replied:.1f}" if replied else "—"


@dataclass
class OpinionFigures:
    """A scope's opinion figures for a period, summed from its rollup rows: what the cache
    keeps (a few numbers per month and part, not the rows: at 20,000 stations the district's
    rows are tens of thousands of streets' months, channels and categories)."""

    by_month: dict = field(default_factory=dict)  # month → the counters (COUNTERS)
    by_part: dict = field(default_factory=dict)  # street or station → the counters
    period: dict = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    labels: dict = field(default_factory=dict)  # part → (its name, its sort key) as of the refresh
    received: dict = field(default_factory=dict)  # (month, channel) → received
    categories: dict = field(default_factory=dict)  # category → received in the period
    category_names: dict = field(default_factory=dict)
    standing: dict = field(default_factory=dict)  # state → opinions in it now
    overdue_by_part: dict = field(default_factory=dict)  # part → overdue now


def _opinion_figures(scope: Scope, start: dt.date, end: dt.date, headline_only: bool) -> OpinionFigures:
    """Two queries: the parts' rows of the period's months (with the counts by channel and
    category: the parts' rows sum to the scope's, as the refresh adds every count to both
    grains), and where the parts' opinions stand now."""
    figures, part = OpinionFigures(), scope.part_field
    by_month, by_part = defaultdict(lambda: defaultdict(int)), defaultdict(lambda: defaultdict(int))
    received, categories = defaultdict(int), defaultdict(int)
    parts_rows = scope.parts(OpinionMonthly.objects.filter(month__gte=start, month__lte=end))
    if headline_only:
        parts_rows = parts_rows.filter(dimension=Dimension.TOTAL)
    for row in _sums(parts_rows, "month", part, "label", "sort_key", "dimension", "key"):
        if row["dimension"] == Dimension.CHANNEL:
            received[(row["month"], row["key"])] += row["received"] or 0
            continue
        if row["dimension"] == Dimension.CATEGORY:
            categories[row["key"]] += row["received"] or 0
            figures.category_names.setdefault(row["key"], row["label"])
            continue
        figures.labels[row[part]] = (row["label"], row["sort_key"])
        _add(by_month[row["month"]], row)
        _add(by_part[row[part]], row)
        _add(figures.period, row)
    standing, overdue = defaultdict(int), defaultdict(int)
    standing_rows = (
        scope.parts(OpinionStanding.objects.all())
        .values(part, "label", "sort_key", "state")
        .annotate(count=Sum("count"), overdue=Sum("overdue"))
        .order_by()
    )
    for row in standing_rows:
        figures.labels.setdefault(row[part], (row["label"], row["sort_key"]))
        standing[row["state"]] += row["count"] or 0
        overdue[row[part]] += row["overdue"] or 0
    figures.by_month = {month: dict(counts) for month, counts in by_month.items()}
    figures.by_part = {pk: dict(counts) for pk, counts in by_part.items()}
    figures.received, figures.categories = dict(received), dict(categories)
    figures.standing, figures.overdue_by_part = dict(standing), dict(overdue)
    return figures


def opinion_dashboard(scope: Scope, start: dt.date, end: dt.date, headline_only=False) -> OpinionDashboard:
    """The opinions' figures of `scope` for the months from `start` to `end` (inclusive), in
    two queries of the rollup tables; `headline_only`: the headline figures alone (the
    admin home's panel, two queries).

    The scope's totals are the sums of its parts (streets for the district, stations below),
    which the refresh counts from the same rows, so each table is read once."""
    board = OpinionDashboard(scope, start, end)
    links = Links(scope)
    months = months_between(start, end)

    counted = cached_rows(
        f"opinions:{scope.cache_name}:{start}:{end}:{headline_only}",
        lambda: _opinion_figures(scope, start, end, headline_only),
    )
    by_month, by_part, period, labels = counted.by_month, counted.by_part, counted.period, counted.labels
    received, categories, category_names = counted.received, counted.categories, counted.category_names
    standing, overdue_by_part = counted.standing, counted.overdue_by_part
    open_now = sum(standing.get(state, 0) for state in OPEN_STATES)
    overdue_now = sum(overdue_by_part.values())
    board.period, board.open_now, board.overdue_now = dict(period), open_now, overdue_now

    period_rates = _rates(period, links, start, end, {})
    board.headline = [
        Figure("收到意见", f"{period['received']} 件", links.opinions_in(start, end), f"{start:%Y年%m月}起"),
        Figure("办理中", f"{open_now} 件", links.opinions_now(is_open="true"), "当前未办结"),
        Figure("超期", f"{overdue_now} 件", links.opinions_now(overdue="true"), "已过答复期限"),
        *(
            Figure(c.rate.label, c.shown, c.numerator_href, f"{c.rate.numerator}/{c.rate.denominator}")
            for c in period_rates
        ),
        Figure(
            "平均答复用时",
            f"{_reply_days(period)} 个工作日" if period["replied"] else "—",
            links.opinions_in(start, end, replied="true"),
            f"{period['replied']} 件已答复",
        ),
    ]
    if headline_only:
        return board

    for month in months:
        row = by_month.get(month, {})
        board.months.append(
            PeriodRow(
                f"{month:%Y年%m月}",
                Cell(row.get("received") or 0, href=links.opinions_in(month, month)),
                _rates(row, links, month, month, {}),
                _reply_days(row),
            )
        )

    # Received by channel month by month, and by category over the period (read above).
    channels = [c for c in Channel if any(key == c.value for _month, key in received)]
    chart = Chart("channel", "收到意见（按渠道，逐月）", STACKED, [c.label for c in channels], unit="件")
    for month in months:
        chart.add(
            f"{month:%Y-%m}",
            [
                Cell(received.get((month, c.value), 0), href=links.opinions_in(month, month, channel=c.value))
                for c in channels
            ],
        )
    board.charts.append(chart)
    chart = Chart("category", "收到意见（按分类）", BAR, ["件数"], unit="件")
    for key, count in sorted(categories.items(), key=lambda item: (-item[1], category_names[item[0]])):
        chart.add(category_names[key], [Cell(count, href=links.opinions_in(start, end, category=key))])
    board.charts.append(chart)

    # The three rates, month by month.
    chart = Chart("rates", "三率（逐月）", LINE, ["办结率", "解决率", "满意率"], unit="%")
    for month_row in board.months:
        chart.add(
            month_row.label,
            [Cell(cells.rate.percent, cells.shown, cells.numerator_href) for cells in month_row.rates],
        )
    board.charts.append(chart)

    # Open by state.
    chart = Chart("states", "办理中的意见（按状态）", BAR, ["件数"], unit="件")
    for state in OPEN_STATES:
        chart.add(state.label, [Cell(standing.get(state, 0), href=links.opinions_now(state=state.value))])
    board.charts.append(chart)

    _add_parts(board, links, by_part, overdue_by_part, labels)
    return board


def _add_parts(board: OpinionDashboard, links: Links, totals: dict, overdue: dict, labels: dict) -> None:
    """The breakdown: per street (district) or per station (street, station), with its overdue
    count now as tiles and its figures over the period as a table; each part's name leads to
    its own dashboard. The parts' names and order come with the rollup rows. Past PART_LIMIT
    parts, the most overdue (then the most received) are listed, with a link to all of them."""
    scope, start, end = board.scope, board.start, board.end
    parts = sorted(
        set(totals) | set(overdue),
        key=lambda pk: (pk is None, labels.get(pk, ("", ""))[1], labels.get(pk, ("", ""))[0]),
    )
    parts, left_out = shown_parts(
        scope, parts, lambda pk: (overdue.get(pk, 0), (totals.get(pk) or {}).get("received") or 0)
    )
    tiles = Chart("overdue", f"超期意见（按{board.parts_label}）", TILES, ["超期件数"], unit="件")
    if left_out:
        board.parts_more = tiles.more = Partial(
            len(parts),
            len(parts) + left_out,
            board.parts_label,
            "超期最多（其次收到最多）的",
            all_parts_link(scope, start, end, "chart-overdue"),
        )
    for pk in parts:
        if pk is None:
            label, own = DISTRICT_LEVEL, None
        else:
            label = labels.get(pk, ("", ""))[0] or "（已删除）"
            own = {"street": pk} if scope.kind == "district" else {"station": pk}
        extra = part_filter(scope, pk)
        row = totals.get(pk, {})
        tiles.add(label, [Cell(overdue.get(pk, 0), href=links.opinions_now(overdue="true", **extra))])
        board.parts.append(
            PeriodRow(
                label,
                Cell(row.get("received") or 0, href=links.opinions_in(start, end, **extra)),
                _rates(row, links, start, end, extra),
                _reply_days(row),
                f"?{urlencode({**own, 'start': f'{start:%Y-%m}', 'end': f'{end:%Y-%m}'})}" if own else "",
            )
        )
    board.charts.append(tiles)
