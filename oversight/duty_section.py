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
from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from base.calendar import add_months
from content.models import CongressLevel, ReceptionSchedule, StationPage
from content.reception import occurrences_between
from duties.models import DutyAttendance, DutyParticipant, DutyRecord, DutyScheme, RecordState
from duties.totals import POINT_BANDS, current_stations, may_see_totals, point_band, reported_to_voters, yearly_totals
from oversight.charts import BAR, Cell, Chart
from oversight.dashboard import DISTRICT_LEVEL, MAX_MONTHS, Figure, Scope, month_end, months_between, part_filter
from oversight.models import DutyRollup, Grain
from oversight.models import DutyRollupKind as Kind
from oversight.rollups import _month, _part_names, cached_rows
from oversight.sections import Section, SectionView, register

KEY = "duties"


# --- Counting (the refresh) -------------------------------------------------------------------


def count_duties() -> list[DutyRollup]:
    today = timezone.localdate()
    names = _part_names()
    street_of = dict(StationPage.objects.values_list("pk", "street_id"))
    monthly: dict[tuple, dict[str, int]] = defaultdict(lambda: {"records": 0, "planned": 0, "held": 0})

    def add(month, street_id, station_id, name, value=1):
        for key in ((Grain.STATION, street_id, station_id, month), (Grain.STREET, street_id, None, month)):
            monthly[key][name] += value

    records = (
        DutyRecord.objects.order_by()
        .filter(state=RecordState.VERIFIED)
        .annotate(m=TruncMonth("date"))
        .values("m", "street_id", "station_id")
        .annotate(n=Count("pk"))
    )
    for row in records:
        add(_month(row["m"]), row["street_id"], row["station_id"], "records", row["n"])

    active = {
        (_month(m), street_id, station_id, deputy_id)
        for m, street_id, station_id, deputy_id in DutyParticipant.objects.order_by()
        .filter(record__state=RecordState.VERIFIED)
        .annotate(m=TruncMonth("record__date"))
        .values_list("m", "record__street_id", "record__station_id", "deputy_id")
        .distinct()
    }

    _count_receptions(today, street_of, add)

    rows = [
        DutyRollup(
            kind=Kind.MONTH,
            month=month,
            grain=grain,
            street_id=street_id,
            station_id=station_id,
            label=names(grain, street_id, station_id)[0],
            sort_key=names(grain, street_id, station_id)[1],
            **counts,
        )
        for (grain, street_id, station_id, month), counts in monthly.items()
    ]
    rows += [
        DutyRollup(kind=Kind.ACTIVE, month=month, street_id=street_id, station_id=station_id, deputy_id=deputy_id)
        for month, street_id, station_id, deputy_id in sorted(active, key=str)
    ]
    rows += _count_seats(street_of)
    return rows


def _count_receptions(today: dt.date, street_of: dict, add) -> None:
    """Planned reception days (the rules' dates up to today) and held ones (attended)."""
    first_attended = DutyAttendance.objects.aggregate(first=Min("date"))["first"]
    start = add_months(today.replace(day=1), -(MAX_MONTHS - 1))
    if first_attended and first_attended < start:
        start = first_attended.replace(day=1)
    schedules = list(ReceptionSchedule.objects.all())
    entered = dict(
        ReceptionSchedule.history.model.objects.order_by()
        .values("id")
        .annotate(first=Min("history_date"))
        .values_list("id", "first")
    )
    for occurrence in occurrences_between(schedules, start, today):
        schedule = occurrence.schedule
        since = schedule.valid_from
        if since is None and schedule.pk in entered:
            since = timezone.localtime(entered[schedule.pk]).date()
        if since is not None and occurrence.date < since:
            continue  # before the rule existed: nobody planned it
        add(occurrence.date.replace(day=1), street_of.get(schedule.station_id), schedule.station_id, "planned")
    held = DutyAttendance.objects.order_by().values_list("schedule_id", "date", "schedule__station_id").distinct()
    for _schedule, day, station_id in held:
        add(day.replace(day=1), street_of.get(station_id), station_id, "held")


def _count_seats(street_of: dict) -> list[DutyRollup]:
    """Each scheme year's points band and the voter report of every active deputy, once per
    station they sit in now (once without a station when they sit nowhere)."""
    seats = current_stations()
    rows, covered = [], None
    for year in DutyScheme.objects.order_by("year").values_list("year", flat=True):
        totals = yearly_totals(year)
        if covered is None:
            district = [row.deputy.pk for row in totals if row.deputy.congress_level == CongressLevel.DISTRICT]
            covered = reported_to_voters(district)
        for row in totals:
            district_deputy = row.deputy.congress_level == CongressLevel.DISTRICT
            for station_id in sorted(seats.get(row.deputy.pk, ())) or [None]:
                rows.append(
                    DutyRollup(
                        kind=Kind.SEAT,
                        year=year,
                        deputy_id=row.deputy.pk,
                        station_id=station_id,
                        street_id=street_of.get(station_id),
                        band=point_band(row.total),
                        district_deputy=district_deputy,
                        reported=district_deputy and row.deputy.pk in covered,
                    )
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
    if scope.kind == "street":
        rows = rows.filter(street=scope.street)
    elif scope.kind == "station":
        rows = rows.filter(station__path__startswith=scope.station.path)
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


def build(scope: Scope, start: dt.date, end: dt.date, user) -> SectionView:
    year = end.year
    links = DutyLinks(scope, user)
    months = months_between(start, end)
    part_of = (lambda street_id, station_id: street_id) if scope.kind == "district" else (lambda s, st: st)

    by_month = defaultdict(lambda: defaultdict(int))
    by_part = defaultdict(lambda: defaultdict(int))
    labels: dict = {}
    active_month, active_part, active = defaultdict(set), defaultdict(set), set()
    bands, district_deputies, reported = defaultdict(set), set(), set()
    for kind, month, street_id, station_id, deputy_id, label, sort_key, *counts in cached_rows(
        f"duties:{scope.cache_name}:{start}:{end}:{year}", lambda: list(_rows(scope, start, end, year))
    ):
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
    period = defaultdict(int)
    for totals in by_month.values():
        for name, value in totals.items():
            period[name] += value

    view = SectionView(KEY, "代表履职与接待日")
    held_note = f"{period['held']}/{period['planned']}"
    view.headline = [
        Figure("已核实履职记录", f"{period['records']} 条", links.records_in(start, end), f"{start:%Y年%m月}起"),
        Figure("履职代表", f"{len(active)} 人", links.records_in(start, end), "有已核实履职记录的代表"),
        Figure(
            "向选民报告覆盖率",
            _rate(len(reported), len(district_deputies)),
            links.deputies(year, level=CongressLevel.DISTRICT, reported="true"),
            f"{len(reported)}/{len(district_deputies)}",
        ),
        Figure(
            "区人大代表",
            f"{len(district_deputies)} 人",
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
            [Cell(by_month[month]["records"], href=href), Cell(len(active_month[month]), href=href)],
        )
    view.charts.append(chart)

    chart = Chart("duty_points", f"代表年度积分分布（{year}年）", BAR, ["代表人数"], unit="人")
    for key, label, _lowest, _below in POINT_BANDS:
        chart.add(label, [Cell(len(bands[key]), href=links.deputies(year, band=key))])
    view.charts.append(chart)

    chart = Chart("receptions", "接待日：计划与举行（逐月）", BAR, ["计划", "举行", "举行率"])
    for month in months:
        planned, held = by_month[month]["planned"], by_month[month]["held"]
        chart.add(
            f"{month:%Y-%m}",
            [
                Cell(planned),
                Cell(held, href=links.records_in(month, month, reception="true")),
                Cell(round(100 * held / planned, 1) if planned else None, _rate(held, planned)),
            ],
        )
    view.charts.append(chart)

    parts_label = "街道" if scope.kind == "district" else "站点"
    chart = Chart(
        "duty_parts", f"履职与接待（按{parts_label}）", BAR, ["已核实记录", "履职代表", "计划接待日", "举行接待日"]
    )
    parts = sorted(
        set(by_part) | set(active_part),
        key=lambda pk: (pk is None, labels.get(pk, ("", ""))[1], labels.get(pk, ("", ""))[0]),
    )
    for pk in parts:
        label = DISTRICT_LEVEL if pk is None else labels.get(pk, ("", ""))[0] or "（已删除）"
        href = links.records_in(start, end, **part_filter(scope, pk))
        row = by_part[pk]
        chart.add(
            label,
            [
                Cell(row["records"], href=href),
                Cell(len(active_part[pk]), href=href),
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
