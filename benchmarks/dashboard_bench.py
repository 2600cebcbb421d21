"""Time the dashboards (一屏统览) and the rollup refresh at 100,000 opinions, in-process.

The question (issue 17, part 6): how long does the rollup refresh take over a district of
100,000 opinions and 60,000 duty records, and how long do the district's and a street's dashboards take to render
from the rollup tables (targets: refresh ≤ 60 s; district p95 ≤ 300 ms and ≤ 20 queries; a
street's ≤ 200 ms)? It reuses listing_bench.py's database (the demo district built by
`manage.py build_demo --opinions N`, a SQLite file of its own or the PostgreSQL database
named by --database-url), its sign-in and its timing:
  1. prepares the database (built once, then reused);
  2. refreshes the rollup tables --refreshes times and prints each refresh's time and rows;
  3. renders /admin/oversight/dashboard/ (the district admin's, the busiest street's
     committee's) through Django's test client with production settings: --warmup requests
     unmeasured, then --requests measured; prints p50 / p95 / max, the queries and their time.

No server and no concurrency: one request's own cost. The tests never assert wall-clock time;
they hold the query count (tests/test_dashboards.py).

Usage (from the repository root):
  .venv/bin/python benchmarks/dashboard_bench.py
  .venv/bin/python benchmarks/dashboard_bench.py --scale 20000     # a district of 20,000 stations (own SQLite file)
  --records N: verified duty records in the district (default 60,000, added in bulk once)
  .venv/bin/python benchmarks/dashboard_bench.py --database-url postgresql://postgres@127.0.0.1:5432/lianluo_listing_bench
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

import listing_bench
from listing_bench import ROOT, STATIC_ROOT, prepare_database, report, time_listing, viewers
from serve_bench import configure_environment

DASHBOARD = "/admin/oversight/dashboard/"


def _take(arguments: list[str], name: str) -> str | None:
    """Remove `name VALUE` from the arguments (the options listing_bench.py does not know)."""
    if name not in arguments:
        return None
    at = arguments.index(name)
    value = arguments[at + 1]
    del arguments[at : at + 2]
    return value


def add_activity(wanted: int) -> None:
    """Verified duty records of this year (points_district.add_records: bulk, 1–3 of the
    station's seated deputies each) until the district holds `wanted` of them."""
    import datetime as dt

    from points_district import add_records

    from django.utils import timezone

    from content.models import Membership
    from duties.models import DutyRecord

    missing = wanted - DutyRecord.objects.count()
    if missing <= 0:
        return
    by_station = {}
    for membership in Membership.objects.select_related("station", "deputy"):
        by_station.setdefault(membership.station, []).append(membership.deputy)
    today = timezone.localdate()
    started = time.perf_counter()
    add_records(by_station, missing, today.year, min(today, dt.date(today.year, 12, 31)))
    print(f"Added {missing} verified duty records in {time.perf_counter() - started:.0f} s")


def first_viewer(args, user, label: str) -> None:
    """The first viewer after a refresh reads the rollup tables (later ones the cache): timed
    over --requests requests, each after emptying the cache."""
    from serve_bench import signed_in_cookie

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=listing_bench.HOST, HTTP_COOKIE=signed_in_cookie(user))
    client.get(args.path)
    elapsed = []
    for _ in range(args.requests):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            client.get(args.path)
            elapsed.append(time.perf_counter() - started)
    print(
        f"\nfirst viewer after a refresh, {label}: p50 {statistics.median(elapsed) * 1000:.1f} ms, "
        f"p95 {listing_bench.percentile(elapsed, 95) * 1000:.1f} ms, {len(queries)} queries (cache emptied)"
    )


def main(argv=None) -> int:
    parser_args = list(argv if argv is not None else sys.argv[1:])
    refreshes = int(_take(parser_args, "--refreshes") or 3)
    records = int(_take(parser_args, "--records") or 60_000)
    scale = _take(parser_args, "--scale")
    if "--path" not in parser_args:
        parser_args += ["--path", DASHBOARD]
    if "--who" not in parser_args:
        parser_args += ["--who", "district,street"]
    args = listing_bench.parse_args(parser_args)
    args.scale = int(scale) if scale else None
    if args.scale and "--sqlite-path" not in parser_args:
        args.sqlite_path = listing_bench.BENCH_DIR / f"dashboard-{args.scale}.sqlite3"
    configure_environment(args, STATIC_ROOT)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    prepare_database(args)
    if args.scale:  # the role groups of a district built before the last migrations
        listing_bench.manage("sync_roles", "--verbosity", "0")
    add_activity(records)
    from duties.models import DutyRecord
    from oversight.models import OpinionMonthly, OpinionStanding, RollupRun
    from oversight.rollups import refresh
    from workflows.models import Opinion, OpinionReply

    load = os.getloadavg()
    print(
        f"{platform.node()} · {os.cpu_count()} CPUs · load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} · "
        f"Python {platform.python_version()} · Django {django.get_version()} · {connection.vendor} · "
        f"{Opinion.objects.count()} opinions, {OpinionReply.objects.count()} reply rounds, "
        f"{DutyRecord.objects.count()} duty records"
    )
    for number in range(1, refreshes + 1):
        started, cpu = time.perf_counter(), time.process_time()
        refreshed = refresh(RollupRun.Trigger.COMMAND)
        print(
            f"refresh {number}: {time.perf_counter() - started:.2f} s wall, {time.process_time() - cpu:.2f} s CPU "
            f"in this process; {refreshed.rows} rows "
            f"({OpinionMonthly.objects.count()} monthly, {OpinionStanding.objects.count()} standing)"
        )
    print(f"Timing {args.path}: {args.requests} requests after {args.warmup} warm-up, in-process")
    for role, user, label in viewers(args.who):
        first_viewer(args, user, label)
        report(args, time_listing(args, role, user, label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
