"""Time the yearly points and the yearly totals report at district scale.

The question: does the 年度履职积分 report stay well under 2 s, in a fixed number of queries,
for a district of 600 deputies with 60,000 verified records in a year? It
  1. creates a throwaway database: a temporary SQLite file (default), or the PostgreSQL
     database named by --database-url (created if missing, dropped and created afresh
     with --reset; never the development database);
  2. migrates it and bulk-creates one street, 30 liaison stations, 600 district deputies (20
     sitting in each station) and 60,000 verified records of 2026, each with 1–3 deputies of
     its station, spread over the year's 23 duty items and over 2026-01-01 … 2026-11-30;
  3. times `duties.points.yearly_points(2026)`, `duties.totals.yearly_totals(2026)` and the
     voter-report coverage over several runs (min / median / max in ms), then one more run of
     each under tracemalloc for the peak memory, and counts their SQL queries;
  4. prints the figures.

Usage (from the repository root):
  .venv/bin/python benchmarks/duty_points_bench.py
  .venv/bin/python benchmarks/duty_points_bench.py --runs 7 --records 60000 --deputies 600
  .venv/bin/python benchmarks/duty_points_bench.py \\
      --database-url postgresql://postgres@127.0.0.1:5432/lianluo_duty_bench --reset
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from points_district import add_deputies, add_records

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
YEAR = 2026
LAST_DAY = dt.date(YEAR, 11, 30)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL instead of a temporary SQLite file")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the PostgreSQL database first")
    parser.add_argument("--deputies", type=int, default=600)
    parser.add_argument("--stations", type=int, default=30)
    parser.add_argument("--records", type=int, default=60_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def prepare_postgres(url: str, reset: bool) -> None:
    """Create the benchmark database (through the server's maintenance database)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        sys.exit("--database-url must name a database of its own for the benchmark, not postgres.")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def configure(args) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ.pop("REDIS_URL", None)  # a local-memory cache: nothing shared with other runs
    if args.database_url:
        prepare_postgres(args.database_url, args.reset)
        os.environ["DATABASE_URL"] = args.database_url
        return args.database_url
    os.environ.pop("DATABASE_URL", None)
    path = Path(tempfile.mkdtemp(prefix="duty-bench-")) / "bench.sqlite3"
    os.environ["SQLITE_PATH"] = str(path)
    return f"sqlite:///{path}"


def build(args) -> None:
    """The district, in bulk (points_district): no history rows, revisions or search index."""
    from content.models import CentreStationPage, GeneralStationPage, LiaisonStationPage, Street
    from content.tree import add_station, district_home
    from duties.models import DutyRecord

    if DutyRecord.objects.exists():
        sys.exit("The database already holds duty records: use a fresh one (--reset for PostgreSQL).")
    street = Street.objects.create(name="基准街道", slug="bench")
    general = add_station(district_home(), GeneralStationPage(title="基准联络总站", slug="bench-general"))
    centre = add_station(general, CentreStationPage(title="基准街道中心站", slug="bench-centre", street=street))
    stations = [
        add_station(centre, LiaisonStationPage(title=f"基准联络站{n:02d}", slug=f"bench-{n:02d}"))
        for n in range(args.stations)
    ]
    by_station = add_deputies(stations, args.deputies)
    add_records(by_station, args.records, YEAR, LAST_DAY, seed=args.seed)


def measure(name, function, runs):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    function()  # warm up: imports, the first connection
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        function()
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{name:<28} min {min(times):8.1f} ms   median {statistics.median(times):8.1f} ms   "
        f"max {max(times):8.1f} ms   peak {peak / 2**20:6.1f} MiB   {len(queries)} queries"
    )
    return result


def main() -> int:
    args = parse_args()
    database = configure(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from duties.models import DutyParticipant, DutyRecord
    from duties.points import yearly_points
    from duties.totals import voter_report_coverage, yearly_totals

    print(f"数据库 database: {connection.vendor} ({database})")
    print(f"Python {platform.python_version()} · {platform.machine()} · {os.cpu_count()} CPUs")
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    build(args)
    built = time.perf_counter()
    print(
        f"迁移 migrate {migrated - start:.1f} s · 生成 build {built - migrated:.1f} s: "
        f"{args.stations} stations, {args.deputies} deputies, {DutyRecord.objects.count()} records, "
        f"{DutyParticipant.objects.count()} participations"
    )
    points = measure(f"yearly_points({YEAR})", lambda: yearly_points(YEAR), args.runs)
    rows = measure(f"yearly_totals({YEAR})", lambda: yearly_totals(YEAR), args.runs)
    coverage = measure("voter_report_coverage", lambda: voter_report_coverage(rows=rows), args.runs)
    totals = sorted((row.total for row in rows), reverse=True)
    print(
        f"代表 deputies with points: {len(points)} · rows: {len(rows)} · highest {totals[0]} · "
        f"median {statistics.median(totals)} · lowest {totals[-1]} · "
        f"voter-report coverage {coverage.district.covered}/{coverage.district.total} ({coverage.district.share_text})"
    )
    if not args.database_url:
        connection.close()
        Path(os.environ["SQLITE_PATH"]).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
