"""The refresh of the rollup tables (oversight.models): every figure the dashboards, the public
window and the reports show is counted here, by a few GROUP BY queries over the whole
district, and written in one transaction (the old figures stay readable until the new ones
replace them). Run by the background worker (`refresh_task`), by cron
(`manage.py refresh_rollups`) and on demand from the dashboard.

Definitions (the README repeats them):
- An opinion counts in the month it was submitted (Beijing time), at the station and street
  whose queue holds it now (the same columns the staff listing filters by), whatever happened
  to it since: the month's 办结 are those of its opinions since closed.
- 进入办理, 已办结, 已答复, 已解决 and the rated / satisfied reply rounds are the conditions of
  `workflows.stats`, the same the rates and the listing filters use.
- 答复用时: working days (the platform's calendar) from the current round's assignment (交办)
  to its reply, for the opinions whose current round has been replied.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django_tasks import task

from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from base.calendar import WorkdayCalendar
from content.models import StationPage, Street
from oversight import sections
from oversight.models import Dimension, Grain, OpinionMonthly, OpinionStanding, RollupRun
from workflows.models import OPINION_DEADLINE, Category, Channel, Opinion, OpinionReply
from workflows.stats import CLOSED, IN_LOOP, RATED_ROUND, REPLIED, RESOLVED, SATISFIED_ROUND

BATCH = 5000
# The column types `replace` writes without Django's per-value preparation.
PLAIN_VALUES = (
    "BooleanField",
    "CharField",
    "DateField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
)
COUNTERS = ("received", "in_loop", "closed", "replied", "resolved", "rated", "satisfied", "reply_workdays")


@dataclass
class Refreshed:
    rows: int
    seconds: float
    run: RollupRun


def _month(value) -> dt.date:
    """The first day of the month a value truncated by the database falls in (a date or an
    aware datetime in the current time zone, depending on the backend)."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def _local_month(field: str) -> TruncMonth:
    return TruncMonth(field, tzinfo=timezone.get_current_timezone())


class _Counts:
    """Counters keyed by (grain, street, station, dimension, key, month): each station-level
    count is added to its street's row too, so the two grains always agree."""

    def __init__(self):
        self.rows: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))

    def add(self, month, street_id, station_id, dimension, key, **counts) -> None:
        for grain_key in (
            (Grain.STATION, street_id, station_id, dimension, key, month),
            (Grain.STREET, street_id, None, dimension, key, month),
        ):
            row = self.rows[grain_key]
            for name, value in counts.items():
                row[name] += value or 0


def _workday_counter(first: dt.date, last: dt.date):
    """count(after, until) = working days after `after` up to `until`, from one pass over the
    calendar between the earliest and latest dates asked for."""
    calendar = WorkdayCalendar.load(first, last)
    ordinal, running, day = {}, 0, first
    while day <= last:
        running += calendar.is_workday(day)
        ordinal[day] = running
        day += dt.timedelta(days=1)
    return lambda after, until: max(0, ordinal[until] - ordinal[after])


def count_opinions() -> dict[type[models.Model], list[dict]]:
    counts = _Counts()
    months: dict = {}  # the database's truncated values, a few dozen, each read once

    def month_of(value) -> dt.date:
        if value not in months:
            months[value] = _month(value)
        return months[value]

    # One pass over the opinions, grouped finely enough to give the totals, the channels and
    # the categories (the month is truncated once per row, not once per table).
    grouped = (
        Opinion.objects.order_by()
        .annotate(m=_local_month("created_at"))
        .values("m", "street_id", "station_id", "channel", "category_id")
        .annotate(
            received=Count("pk"),
            in_loop=Count("pk", filter=IN_LOOP),
            closed=Count("pk", filter=CLOSED),
            replied=Count("pk", filter=REPLIED),
            resolved=Count("pk", filter=RESOLVED),
        )
    )
    for row in grouped:
        month, street, station = month_of(row.pop("m")), row.pop("street_id"), row.pop("station_id")
        channel, category = row.pop("channel"), row.pop("category_id")
        counts.add(month, street, station, Dimension.TOTAL, "", **row)
        counts.add(month, street, station, Dimension.CHANNEL, channel, received=row["received"])
        counts.add(month, street, station, Dimension.CATEGORY, str(category), received=row["received"])
    labels = {(Dimension.CHANNEL, c.value): c.label for c in Channel}
    labels |= {(Dimension.CATEGORY, str(pk)): name for pk, name in Category.objects.values_list("pk", "name")}
    replies = (
        OpinionReply.objects.order_by()
        .annotate(m=_local_month("opinion__created_at"))
        .values("m", "opinion__street_id", "opinion__station_id")
        .annotate(rated=Count("pk", filter=RATED_ROUND), satisfied=Count("pk", filter=SATISFIED_ROUND))
    )
    for row in replies:
        counts.add(
            month_of(row["m"]),
            row["opinion__street_id"],
            row["opinion__station_id"],
            Dimension.TOTAL,
            "",
            rated=row["rated"],
            satisfied=row["satisfied"],
        )
    _count_reply_days(counts)
    names = _part_names()
    monthly = [
        {
            "grain": grain,
            "street_id": street,
            "station_id": station,
            "dimension": dimension,
            "key": key,
            "label": labels.get((dimension, key), "") if dimension else names(grain, street, station)[0],
            "sort_key": "" if dimension else names(grain, street, station)[1],
            "month": month,
            **values,
        }
        for (grain, street, station, dimension, key, month), values in counts.rows.items()
    ]
    return {OpinionMonthly: monthly, OpinionStanding: _standing(names)}


def street_names() -> dict[int, tuple[str, str]]:
    """{street id: (its name, its sort key)} as the dashboards list streets (one query)."""
    rows = Street.objects.values_list("pk", "name", "sort_order")
    return {pk: (name, f"{order:010d}{name}") for pk, name, order in rows}


def _part_names():
    """(name, sort key) of a rollup row's street or station, as of the refresh (two queries):
    the dashboards list their parts without reading the streets and stations again."""
    streets = street_names()
    stations = {pk: (title, path) for pk, title, path in StationPage.objects.values_list("pk", "title", "path")}

    def names(grain, street, station):
        if grain == Grain.STATION:
            return stations.get(station, ("", ""))
        return streets.get(street, ("", "")) if street else ("", "")

    return names


def _count_reply_days(counts: _Counts) -> None:
    rows = list(
        Opinion.objects.order_by()
        .filter(REPLIED, assigned_at__isnull=False, replied_at__isnull=False)
        .values_list("created_at", "street_id", "station_id", "assigned_at", "replied_at")
    )
    if not rows:
        return
    zone = timezone.get_current_timezone()  # read once: timezone.localtime() looks it up per call
    spans = [(a.astimezone(zone).date(), r.astimezone(zone).date()) for _c, _s, _st, a, r in rows]
    first = min(min(a, r) for a, r in spans)
    last = max(max(a, r) for a, r in spans)
    workdays = _workday_counter(first, last)
    days: dict[tuple, int] = defaultdict(int)
    for (created, street, station, _a, _r), (assigned, replied) in zip(rows, spans, strict=True):
        days[(created.astimezone(zone).date().replace(day=1), street, station)] += workdays(assigned, replied)
    for (month, street, station), total in days.items():
        counts.add(month, street, station, Dimension.TOTAL, "", reply_workdays=total)


def _standing(names) -> list[dict]:
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    grouped = (
        Opinion.objects.order_by()
        .values("street_id", "station_id", "state")
        .annotate(count=Count("pk"), overdue=Count("pk", filter=OPINION_DEADLINE.overdue_q()))
    )
    for row in grouped:
        for key in (
            (Grain.STATION, row["street_id"], row["station_id"], row["state"]),
            (Grain.STREET, row["street_id"], None, row["state"]),
        ):
            totals[key][0] += row["count"]
            totals[key][1] += row["overdue"]
    return [
        {
            "grain": grain,
            "street_id": street,
            "station_id": station,
            "state": state,
            "count": count,
            "overdue": overdue,
            "label": names(grain, street, station)[0],
            "sort_key": names(grain, street, station)[1],
        }
        for (grain, street, station, state), (count, overdue) in totals.items()
    ]


def replace(model: type[models.Model], rows: list[dict | models.Model]) -> None:
    """Replace a rollup table's rows by `rows` (dicts of column values by attribute name, or
    unsaved instances), in SQL of our own: a refresh of a district of 20,000 stations writes
    a million rows, and the ORM's way took most of its time. Its delete loads every row first
    (a `post_delete` receiver listens to every model), and `bulk_create` prepares each value
    in Python and sends 999-parameter statements. Nothing points at the rollup tables and no
    signal is wanted for them; they hold only integers, booleans, text and dates, which go to
    the driver as they are (dates through the backend's own adaptation, as `bulk_create`
    sends them) in one prepared statement (`executemany`); a column a dict leaves out gets
    the field's default."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    for field in fields:
        if field.get_internal_type() not in PLAIN_VALUES:
            raise TypeError(f"{model.__name__}.{field.name}: a rollup column must be one of {PLAIN_VALUES}")
    names = [field.attname for field in fields]
    defaults = {field.attname: field.get_default() for field in fields}
    dates = [i for i, field in enumerate(fields) if field.get_internal_type() == "DateField"]
    adapt = connection.ops.adapt_datefield_value

    def values(row) -> list:
        if isinstance(row, models.Model):
            line = [getattr(row, name) for name in names]
        else:
            line = [row[name] if name in row else defaults[name] for name in names]
        for i in dates:
            line[i] = adapt(line[i])
        return line

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)  # the model's own table and columns, quoted
    columns = ", ".join(quote(field.column) for field in fields)
    insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        for start in range(0, len(rows), BATCH):
            cursor.executemany(insert, [values(row) for row in rows[start : start + BATCH]])


@contextmanager
def _without_cycle_collection():
    """A refresh builds a million small dicts and lists and no reference cycles: Python's
    cycle collector, which would go over them again and again as they pile up (a fifth of
    the time, and more in a process holding more), waits until the refresh is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def refresh(trigger: str = RollupRun.Trigger.SCHEDULE) -> Refreshed:
    """Count everything again and replace the rollup tables in one transaction."""
    started, clock = timezone.now(), time.perf_counter()
    with _without_cycle_collection():
        tables = count_opinions()
        for section in sections.ordered():  # the other modules' parts (oversight.sections)
            counted = section.count()
            if set(counted) - set(section.tables):
                raise ValueError(f"dashboard section {section.key} counted rows of tables it does not declare")
            for model in section.tables:
                tables[model] = list(counted.get(model, ()))
        with transaction.atomic():
            for model, new_rows in tables.items():
                replace(model, new_rows)
            seconds = time.perf_counter() - clock
            rows = sum(len(new_rows) for new_rows in tables.values())
            run = RollupRun.objects.create(
                started_at=started, finished_at=timezone.now(), trigger=trigger, rows=rows, seconds=round(seconds, 3)
            )
            RollupRun.objects.filter(finished_at__lt=started - dt.timedelta(days=30)).delete()
            transaction.on_commit(lambda: cache.set(RUN_KEY, run, RUN_SECONDS))
    return Refreshed(rows, seconds, run)


def last_run() -> RollupRun | None:
    return RollupRun.objects.order_by("-finished_at").first()


# The pages read the rollup tables through the cache: the figures change only when a refresh
# writes new ones, so each scope's and period's rows are kept under the refresh's name and
# every viewer after the first reads them without a query. Which refresh is current is itself
# cached briefly (a refresh in another process is seen within RUN_SECONDS; with Redis at once).
RUN_KEY = "oversight:run"
RUN_SECONDS = 60
ROWS_SECONDS = 2 * 60 * 60


def current_run() -> RollupRun | None:
    run = cache.get(RUN_KEY)
    if run is None:
        run = last_run()
        if run is not None:
            cache.set(RUN_KEY, run, RUN_SECONDS)
    return run


def cached_rows(name: str, compute: Callable[[], Any]) -> Any:
    """`compute()` (rollup rows, or what a page sums from them: the dashboards keep a few
    numbers per month and part, not the rows, which in a district of 20,000 stations are
    hundreds of thousands), kept in the cache under the current refresh and `name` (which
    says what it reads: the scope, the period)."""
    run = current_run()
    if run is None:
        return compute()
    key = f"oversight:{run.pk}:{run.finished_at.timestamp()}:{name}"
    rows = cache.get(key)
    if rows is None:
        rows = compute()
        cache.set(key, rows, ROWS_SECONDS)
    return rows


@task()
def refresh_task(trigger: str = RollupRun.Trigger.SCHEDULE) -> dict:
    refreshed = refresh(trigger)
    return {"rows": refreshed.rows, "seconds": round(refreshed.seconds, 3)}
