"""The dashboard's section on deputies' duties and reception days (代表履职与接待日).

Counted by the refresh into `oversight.models.DutyRollup`, read by the dashboard in one query.
The definitions (the README repeats them):

- 已核实履职记录: duty records in state 已核实 dated in the month, at the record's station and
  street (the columns the records listing filters by).
- 履职代表: distinct deputies taking part (lead or co-participant) in those records; over a
  period or a station with the points below it, each deputy once.
- 年度积分分布: the yearly totals of `duties.totals.yearly_totals` for the period's end year,
  every active deputy in bands (`duties.totals.POINT_BANDS`), among the deputies sitting now
  in the scope's stations (the district: every active deputy, with or without a seat).
- 向选民报告覆盖率: active district deputies (区人大代表) of the scope who have a verified voter
  report this term (`duties.totals.reported_to_voters`) ÷ those deputies.
- 接待日计划 / 举行: planned are the dates the station's reception rules give in the month
  (`content.reception.occurrences_between`, holidays applied), up to the day of the refresh and
  not before the rule was entered (its 生效日期, else its first history row); held are the
  distinct (rule, date) with at least one confirmed attendance (`DutyAttendance`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from base.calendar import add_months
from content.models import CongressLevel, ReceptionSchedule, StationPage
from content.reception import holiday_calendar, landing_dates
from duties.models import DutyAttendance, DutyParticipant, DutyRecord, DutyScheme, RecordState
from duties.totals import POINT_BANDS, current_stations, may_see_totals, point_band, reported_to_voters, yearly_totals
from oversight.charts import BAR, Cell, Chart, Partial
from oversight.dashboard import (
    DISTRICT_LEVEL,
    MAX_MONTHS,
    Figure,
    Scope,
    all_parts_link,
    month_end,
    months_between,
    part_filter,
    shown_parts,
)
from oversight.models import DutyRollup, Grain
from oversight.models import DutyRollupKind as Kind
from oversight.rollups import _month, _part_names, cached_rows
from oversight.sections import Section, SectionView, register

KEY = "duties"


# --- Counting (the refresh) -------------------------------------------------------------------


def count_duties() -> dict[type, list[dict]]:
    """The section's rows (dicts of DutyRollup's columns: at 20,000 stations there are a
    million of them, mostly the planned reception days of each station and month)."""
    today = timezone.localdate()
    names = _part_names()
    street_of = dict(StationPage.objects.values_list("pk", "street_id"))
    # (street, station, month) → [records, planned, held]; each street's sums are added at the end.
    monthly: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])

    records = (
        DutyRecord.objects.order_by()
        .filter(state=RecordState.VERIFIED)
        .annotate(m=TruncMonth("date"))
        .values_list("m", "street_id", "station_id")
        .annotate(n=Count("pk"))
    )
    for month, street_id, station_id, count in records:
        monthly[(street_id, station_id, _month(month))][0] += count
    for (station_id, month), (planned, held) in _count_receptions(today).items():
        counts = monthly[(street_of.get(station_id), station_id, month)]
        counts[1] += planned
        counts[2] += held

    by_street: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (street_id, _station_id, month), counts in monthly.items():
        total = by_street[(street_id, month)]
        for i, value in enumerate(counts):
            total[i] += value

    def month_row(grain, street_id, station_id, month, counts) -> dict:
        label, sort_key = names(grain, street_id, station_id)
        records, planned, held = counts
        return {
            "kind": Kind.MONTH,
            "month": month,
            "grain": grain,
            "street_id": street_id,
            "station_id": station_id,
            "label": label,
            "sort_key": sort_key,
            "records": records,
            "planned": planned,
            "held": held,
        }

    rows = [
        month_row(Grain.STATION, street_id, station_id, month, counts)
        for (street_id, station_id, month), counts in monthly.items()
    ]
    rows += [
        month_row(Grain.STREET, street_id, None, month, counts) for (street_id, month), counts in by_street.items()
    ]
    active = (
        DutyParticipant.objects.order_by()
        .filter(record__state=RecordState.VERIFIED)
        .annotate(m=TruncMonth("record__date"))
        .values_list("m", "record__street_id", "record__station_id", "deputy_id")
        .distinct()
    )
    rows += [
        {"kind": Kind.ACTIVE, "month": _month(m), "street_id": street_id, "station_id": station_id, "deputy_id": deputy}
        for m, street_id, station_id, deputy in active
    ]
    rows += _count_seats(street_of)
    # In the order of the street index (written in order, a million rows go in much the quicker).
    rows.sort(key=lambda row: (row["street_id"] or 0, row["station_id"] or 0))
    return {DutyRollup: rows}


# What a reception rule's dates depend on (content.reception.nominal_dates, apply_holiday_rule).
RULE_FIELDS = ("recurrence", "date", "weekday", "week_of_month", "valid_from", "valid_until", "holiday_rule")


def _count_receptions(today: dt.date) -> dict[tuple, list[int]]:
    """(station, month) → [planned, held]: the reception days the rules give up to today, and
    those with an attendance."""
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    first_attended = DutyAttendance.objects.aggregate(first=Min("date"))["first"]
    start = add_months(today.replace(day=1), -(MAX_MONTHS - 1))
    if first_attended and first_attended < start:
        start = first_attended.replace(day=1)
    entered = dict(
        ReceptionSchedule.history.model.objects.order_by()
        .values("id")
        .annotate(first=Min("history_date"))
        .values_list("id", "first")
    )
    workdays = holiday_calendar(start, today)
    # Rules alike give the same dates (most stations keep the same few rules): each rule and
    # window is worked out once.
    months_of: dict[tuple, Counter] = {}
    for schedule in ReceptionSchedule.objects.all():
        since = schedule.valid_from  # nobody planned a day before the rule existed
        if since is None and schedule.pk in entered:
            since = timezone.localtime(entered[schedule.pk]).date()
        window = max(start, since or start)
        alike = (*(getattr(schedule, name) for name in RULE_FIELDS), window)
        if alike not in months_of:
            months_of[alike] = Counter(
                dt.date(day.year, day.month, 1) for day, _n, _h in landing_dates(schedule, window, today, workdays)
            )
        for month, count in months_of[alike].items():
            counts[(schedule.station_id, month)][0] += count
    held = DutyAttendance.objects.order_by().values_list("schedule_id", "date", "schedule__station_id").distinct()
    for _schedule, day, station_id in held:
        counts[(station_id, day.replace(day=1))][1] += 1
    return counts


def _count_seats(street_of: dict) -> list[dict]:
    """Each scheme year's points band and the voter report of every active deputy, once per
    station they sit in now (once without a station when they sit nowhere)."""
    seats = current_stations()
    rows, covered = [], reported_to_voters()  # asked of district deputies only, below
    for year in DutyScheme.objects.order_by("year").values_list("year", flat=True):
        for row in yearly_totals(year):
            district_deputy = row.deputy.congress_level == CongressLevel.DISTRICT
            band = point_band(row.total)
            reported = district_deputy and row.deputy.pk in covered
            for station_id in sorted(seats.get(row.deputy.pk, ())) or [None]:
                rows.append(
                    {
                        "kind": Kind.SEAT,
                        "year": year,
                        "deputy_id": row.deputy.pk,
                        "station_id": station_id,
                        "street_id": street_of.get(station_id),
                        "band": band,
                        "district_deputy": district_deputy,
                        "reported": reported,
                    }
                )
    return rows


# --- What the dashboard shows -------------------------------------------------------------------


class DutyLinks:
    """The records listing and the points report, with the scope's filters."""

    def __init__(self, scope: Scope, user):
        self.scope = scope
        self.records = reverse("duty_records:index")
        self.report = reverse("duty_points_report") if may_see_totals(user) else ""

    def records_in(self, start: dt.date, end: dt.date, **filters) -> str:
        query = {
            "state": RecordState.VERIFIED.value,
            "date_after": start.isoformat(),
            "date_before": month_end(end).isoformat(),
            **self.scope.list_filter(),
            **filters,
        }
        return f"{self.records}?{urlencode(query)}"

    def deputies(self, year: int, **filters) -> str:
        """The points report of `year`, the scope's deputies (empty: the person cannot open it)."""
        if not self.report:
            return ""
        scope = self.scope
        where = {"street": scope.street.pk} if scope.kind == "street" else {}
        if scope.kind == "station":
            where = {"station_tree": scope.station.pk}
        return f"{self.report}?{urlencode({'year': year, **where, **filters})}"


def _rows(scope: Scope, start: dt.date, end: dt.date, year: int):
    """The scope's rollup rows of the period (months) and year (points), one query."""
    grain = Grain.STREET if scope.kind == "district" else Grain.STATION
    in_period = Q(month__gte=start, month__lte=end)
    rows = DutyRollup.objects.filter(
        Q(kind=Kind.MONTH, grain=grain) & in_period | Q(kind=Kind.ACTIVE) & in_period | Q(kind=Kind.SEAT, year=year)
    )
    if scope.kind == "district":
        rows = rows.exclude(grain=Grain.STATION)  # the district's index (DutyRollup.Meta)
    elif scope.kind == "street":
        rows = rows.filter(street=scope.street)
    elif scope.kind == "station":
        rows = scope.subtree(rows)
    return rows.values_list(
        "kind",
        "month",
        "street_id",
        "station_id",
        "deputy_id",
        "label",
        "sort_key",
        "records",
        "planned",
        "held",
        "band",
        "district_deputy",
        "reported",
    )


def _rate(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.1f}%" if denominator else "—"


NONE = {"records": 0, "planned": 0, "held": 0}


@dataclass
class DutyFigures:
    """A scope's figures for a period and year, counted from its rollup rows: what the cache
    keeps (a few numbers per month and part, not the rows: at 20,000 stations the district's
    rows are a quarter of a million deputies' seats and months)."""

    by_month: dict = field(default_factory=dict)  # month → {"records", "planned", "held"}
    by_part: dict = field(default_factory=dict)  # street or station → the same
    labels: dict = field(default_factory=dict)  # part → (its name, its sort key)
    active_month: dict = field(default_factory=dict)  # month → distinct deputies
    active_part: dict = field(default_factory=dict)  # part → distinct deputies
    active: int = 0
    bands: dict = field(default_factory=dict)  # points band → distinct deputies
    district_deputies: int = 0
    reported: int = 0

    def month(self, month: dt.date) -> dict:
        return self.by_month.get(month, NONE)

    def part(self, pk) -> dict:
        return self.by_part.get(pk, NONE)

    @property
    def period(self) -> dict:
        return {name: sum(counts[name] for counts in self.by_month.values()) for name in NONE}


def _figures(scope: Scope, start: dt.date, end: dt.date, year: int) -> DutyFigures:
    part_of = (lambda street_id, station_id: street_id) if scope.kind == "district" else (lambda s, st: st)
    by_month = defaultdict(lambda: dict(NONE))
    by_part = defaultdict(lambda: dict(NONE))
    labels: dict = {}
    active_month, active_part, active = defaultdict(set), defaultdict(set), set()
    bands, district_deputies, reported = defaultdict(set), set(), set()
    for kind, month, street_id, station_id, deputy_id, label, sort_key, *counts in _rows(scope, start, end, year):
        records, planned, held, band, district_deputy, has_reported = counts
        part = part_of(street_id, station_id)
        if kind == Kind.MONTH:
            labels[part] = (label, sort_key)
            for name, value in (("records", records), ("planned", planned), ("held", held)):
                by_month[month][name] += value
                by_part[part][name] += value
        elif kind == Kind.ACTIVE:
            active_month[month].add(deputy_id)
            active_part[part].add(deputy_id)
            active.add(deputy_id)
        else:
            bands[band].add(deputy_id)
            if district_deputy:
                district_deputies.add(deputy_id)
            if has_reported:
                reported.add(deputy_id)
    return DutyFigures(
        by_month=dict(by_month),
        by_part=dict(by_part),
        labels=labels,
        active_month={month: len(ids) for month, ids in active_month.items()},
        active_part={part: len(ids) for part, ids in active_part.items()},
        active=len(active),
        bands={band: len(ids) for band, ids in bands.items()},
        district_deputies=len(district_deputies),
        reported=len(reported),
    )


def build(scope: Scope, start: dt.date, end: dt.date, user) -> SectionView:
    year = end.year
    links = DutyLinks(scope, user)
    months = months_between(start, end)
    counted = cached_rows(f"duties:{scope.cache_name}:{start}:{end}:{year}", lambda: _figures(scope, start, end, year))
    period, labels = counted.period, counted.labels

    view = SectionView(KEY, "代表履职与接待日")
    held_note = f"{period['held']}/{period['planned']}"
    view.headline = [
        Figure("已核实履职记录", f"{period['records']} 条", links.records_in(start, end), f"{start:%Y年%m月}起"),
        Figure("履职代表", f"{counted.active} 人", links.records_in(start, end), "有已核实履职记录的代表"),
        Figure(
            "向选民报告覆盖率",
            _rate(counted.reported, counted.district_deputies),
            links.deputies(year, level=CongressLevel.DISTRICT, reported="true"),
            f"{counted.reported}/{counted.district_deputies}",
        ),
        Figure(
            "区人大代表",
            f"{counted.district_deputies} 人",
            links.deputies(year, level=CongressLevel.DISTRICT),
            "覆盖率的分母",
        ),
        Figure(
            "接待日举行率",
            _rate(period["held"], period["planned"]),
            links.records_in(start, end, reception="true"),
            held_note,
        ),
    ]

    chart = Chart("duty_activity", "履职记录与履职代表（逐月）", BAR, ["已核实记录", "履职代表"])
    for month in months:
        href = links.records_in(month, month)
        chart.add(
            f"{month:%Y-%m}",
            [Cell(counted.month(month)["records"], href=href), Cell(counted.active_month.get(month, 0), href=href)],
        )
    view.charts.append(chart)

    chart = Chart("duty_points", f"代表年度积分分布（{year}年）", BAR, ["代表人数"], unit="人")
    for key, label, _lowest, _below in POINT_BANDS:
        chart.add(label, [Cell(counted.bands.get(key, 0), href=links.deputies(year, band=key))])
    view.charts.append(chart)

    chart = Chart("receptions", "接待日：计划与举行（逐月）", BAR, ["计划", "举行", "举行率"])
    for month in months:
        planned, held = counted.month(month)["planned"], counted.month(month)["held"]
        chart.add(
            f"{month:%Y-%m}",
            [
                Cell(planned),
                Cell(held, href=links.records_in(month, month, reception="true")),
                Cell(round(100 * held / planned, 1) if planned else None, _rate(held, planned)),
            ],
        )
    view.charts.append(chart)

    chart = Chart(
        "duty_parts",
        f"履职与接待（按{scope.parts_label}）",
        BAR,
        ["已核实记录", "履职代表", "计划接待日", "举行接待日"],
    )
    parts = sorted(
        set(counted.by_part) | set(counted.active_part),
        key=lambda pk: (pk is None, labels.get(pk, ("", ""))[1], labels.get(pk, ("", ""))[0]),
    )
    parts, left_out = shown_parts(scope, parts, lambda pk: (counted.part(pk)["records"], counted.part(pk)["planned"]))
    if left_out:
        chart.more = Partial(
            len(parts),
            len(parts) + left_out,
            scope.parts_label,
            "已核实记录最多（其次计划接待日最多）的",
            all_parts_link(scope, start, end, "chart-duty_parts"),
        )
    for pk in parts:
        label = DISTRICT_LEVEL if pk is None else labels.get(pk, ("", ""))[0] or "（已删除）"
        href = links.records_in(start, end, **part_filter(scope, pk))
        row = counted.part(pk)
        chart.add(
            label,
            [
                Cell(row["records"], href=href),
                Cell(counted.active_part.get(pk, 0), href=href),
                Cell(row["planned"]),
                Cell(row["held"], href=links.records_in(start, end, reception="true", **part_filter(scope, pk))),
            ],
        )
    view.charts.append(chart)

    notes = [
        "“履职代表”链接到这些代表的已核实履职记录（一位代表可有多条）。",
        "“举行”按场次计（一个接待安排的一天算一场）；链接列出的是接待日到岗自动登记的履职记录，"
        "每位到岗代表一条，所以条数可能多于场次。“计划”由接待日规则算出，没有对应的列表。",
        f"积分分布与覆盖率按代表现在驻站的站点计入（{year}年积分；覆盖率为本届，只计区人大代表）。",
    ]
    if not links.report:
        notes.append("年度履职积分表仅区级角色和街道人大工委可查看，这里的积分数字不带链接。")
    view.note = "".join(notes)
    return view


register(
    Section(
        key=KEY,
        title="代表履职与接待日",
        tables=(DutyRollup,),
        count=count_duties,
        build=build,
        order=10,
    )
)
