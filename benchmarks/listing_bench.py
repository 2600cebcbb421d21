"""Time the staff opinion listing (/admin/opinions/) at 100,000 opinions, in-process.

The question (issue 16, part 6): how long does a street committee wait for the first page of
its opinion queue when the district holds 100,000 opinions, on SQLite and on PostgreSQL, and
how many SQL queries does it take? It
  1. prepares a database: a SQLite file of its own, var/bench/listing.sqlite3 (default), or the
     PostgreSQL database named by --database-url (created if missing; never the development
     database); migrates it and, unless it already holds --opinions opinions, builds the demo
     district with `manage.py build_demo --seed 1 --opinions N` (bulk opinions spread over
     the 220 stations of 14 streets) and `sync_roles`; collects the static files once into
     var/bench/listing_static (the admin page needs the manifest);
  2. signs in, with a session made in-process (two-factor mark included, as serve_bench.py
     does), the committee of the street with the most opinions, and optionally a district
     admin and a station's staff (--who);
  3. renders /admin/opinions/ through Django's test client with config.settings.bench
     (production settings over loopback): --warmup requests unmeasured, then --requests
     measured; prints p50 / p95 / max in ms, the number of SQL queries and the time spent in
     SQL (the last request's), the slowest queries, and with --explain the query plans of
     the listing's count and page queries (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on
     PostgreSQL).

No server and no concurrency: the figure is one request's own cost (serve_bench.py's
`staff_listing` target measures the page under load with gunicorn). The tests never assert
wall-clock time; they hold the query count (tests/test_opinion_listing_scale.py).

Usage (from the repository root):
  .venv/bin/python benchmarks/listing_bench.py                      # SQLite, 100,000 opinions
  .venv/bin/python benchmarks/listing_bench.py --explain --who street,station,district
  .venv/bin/python benchmarks/listing_bench.py \\
      --database-url postgresql://postgres@127.0.0.1:5432/lianluo_listing_bench --explain
Caveat: on a shared machine the figures move with the load of other processes; the load
average is printed with them, and a run is worth repeating.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from serve_bench import BENCH_DIR, configure_environment, ensure_postgres_database, manage, signed_in_cookie

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = BENCH_DIR / "listing.sqlite3"
STATIC_ROOT = BENCH_DIR / "listing_static"
LISTING = "/admin/opinions/"
HOST = "127.0.0.1"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time a street committee's first page of /admin/opinions/ at 100,000 opinions.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--database-url", help="PostgreSQL URL instead of the benchmark's SQLite file")
    parser.add_argument("--sqlite-path", type=Path, default=DEFAULT_SQLITE, help="SQLite file to build and read")
    parser.add_argument("--opinions", type=int, default=100_000, help="opinions in the district")
    parser.add_argument("--seed", type=int, default=1, help="build_demo --seed")
    parser.add_argument("--rebuild", action="store_true", help="build the district again even if it is there")
    parser.add_argument("--requests", type=int, default=50, help="measured requests per role")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests per role first")
    parser.add_argument(
        "--who",
        default="street",
        help="comma-separated roles to time: street (the busiest street's committee), station "
        "(the busiest liaison station's staff), district (a district admin)",
    )
    parser.add_argument("--path", default=LISTING, help="the page to time (e.g. with filters: /admin/opinions/?p=2)")
    parser.add_argument("--explain", action="store_true", help="print the plans of the listing's opinion queries")
    parser.add_argument("--show-queries", action="store_true", help="print every query of one request")
    args = parser.parse_args(argv)
    args.sqlite_path = args.sqlite_path.resolve()
    args.who = [name.strip() for name in args.who.split(",") if name.strip()]
    unknown = set(args.who) - {"street", "station", "district"}
    if unknown:
        parser.error(f"unknown --who {sorted(unknown)}")
    return args


def prepare_database(args) -> None:
    """Migrate; build the district unless it already holds the opinions asked for."""
    from django.db import connection, connections

    if connection.vendor == "postgresql":
        ensure_postgres_database()
        if "bench" not in connection.settings_dict["NAME"]:
            raise SystemExit("Refusing a PostgreSQL database whose name does not contain 'bench'.")
    else:
        args.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    connections.close_all()
    manage("migrate", "--noinput", "--verbosity", "0")
    from content.models import StationPage
    from workflows.models import Opinion

    stations, opinions = StationPage.objects.count(), Opinion.objects.count()
    connections.close_all()
    scale = getattr(args, "scale", None)  # dashboard_bench.py: a district of that many stations
    if stations and opinions >= args.opinions and not args.rebuild and (not scale or stations >= scale * 0.9):
        print(f"Reusing the district: {stations} station pages, {opinions} opinions")
    else:
        build = ["build_demo", "--seed", str(args.seed), "--opinions", str(args.opinions), "--force"]
        if scale:
            build += ["--scale", str(scale)]
        if stations:
            build.append("--reset")
        print(f"Building: manage.py {' '.join(build)}")
        started = time.perf_counter()
        manage(*build, capture=False)
        manage("sync_roles", "--verbosity", "0")
        print(f"Built in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Statistics and the visibility map as autovacuum keeps them on a table that has
            # taken 100,000 inserts (a count can then read an index alone).
            cursor.execute("VACUUM ANALYZE workflows_opinion")
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")
    connections.close_all()
    if not (STATIC_ROOT / "staticfiles.json").exists():
        print(f"Collecting static files into {STATIC_ROOT}")
        manage("collectstatic", "--noinput", "--verbosity", "0")
        from django.contrib.staticfiles.storage import staticfiles_storage

        # The manifest storage read (an absent) staticfiles.json when it was first used.
        staticfiles_storage.hashed_files = staticfiles_storage.load_manifest()


# --------------------------------------------------------------------------------------------
# Who looks at the listing
# --------------------------------------------------------------------------------------------


def viewers(names: list[str]) -> list[tuple[str, object, str]]:
    """(role, user, what they see) for each role asked for."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count

    from base.roles import Role, role_group_name, street_group_name
    from content.models import LiaisonStationPage, Street
    from permissions.models import StationAssignment
    from workflows.models import Opinion

    User = get_user_model()
    found = []
    for name in names:
        if name == "street":
            busiest = Opinion.objects.values("street").annotate(n=Count("pk")).order_by("-n", "street").first()
            street = Street.objects.get(pk=busiest["street"])
            user, _ = User.objects.get_or_create(username="bench-listing-street", defaults={"display_name": "基准测试"})
            user.groups.add(
                *Group.objects.filter(name__in=[role_group_name(Role.STREET_COMMITTEE), street_group_name(street)])
            )
            found.append((name, user, f"街道工委 of {street.name}"))
        elif name == "station":
            busiest = (
                Opinion.objects.filter(station__in=LiaisonStationPage.objects.values("pk"))
                .values("station")
                .annotate(n=Count("pk"))
                .order_by("-n", "station")
                .first()
            )
            station = LiaisonStationPage.objects.get(pk=busiest["station"])
            user, _ = User.objects.get_or_create(
                username="bench-listing-station", defaults={"display_name": "基准测试"}
            )
            user.groups.add(*Group.objects.filter(name=role_group_name(Role.STATION_STAFF)))
            StationAssignment.objects.get_or_create(user=user, station_id=station.pk)
            found.append((name, user, f"站点工作人员 of {station.title} and its contact points"))
        else:
            user, _ = User.objects.get_or_create(
                username="bench-listing-district", defaults={"display_name": "基准测试"}
            )
            user.groups.add(*Group.objects.filter(name=role_group_name(Role.DISTRICT_ADMIN)))
            found.append((name, user, "区管理员, the whole district"))
    return found


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


class QueryRecorder:
    """Every SQL statement of a block, with its parameters and duration."""

    def __init__(self, connection):
        self.connection = connection
        self.queries: list[tuple[str, tuple, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, params, time.perf_counter() - started))

    def __enter__(self):
        self._wrapper = self.connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: a time some request actually took."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def explain(sql: str, params) -> str:
    from django.db import connection

    prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return "\n".join(row[0] for row in rows)
    # SQLite: (id, parent, notused, detail); indent children under their parents.
    depth = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


def backend_cpu_seconds() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (None on SQLite, or when
    the server's /proc is not this machine's)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def time_listing(args, role: str, user, label: str) -> dict:
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST=HOST, HTTP_COOKIE=signed_in_cookie(user), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    response = client.get(args.path)
    if response.status_code != 200:
        raise SystemExit(f"{role}: GET {args.path} answered {response.status_code}")
    for _ in range(args.warmup):
        client.get(args.path)
    elapsed, cpu = [], []
    backend_before = backend_cpu_seconds()
    for _ in range(args.requests):
        with QueryRecorder(connection) as recorder:
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(args.path)
            elapsed.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    backend = backend_cpu_seconds()
    backend_ms = (backend - backend_before) * 1000 / args.requests if backend is not None else None
    queries = recorder.queries
    opinion_queries = [q for q in queries if '"workflows_opinion"' in q[0].split(" WHERE ")[0]]
    figures = {
        "role": role,
        "label": label,
        "p50": statistics.median(elapsed) * 1000,
        "p95": percentile(elapsed, 95) * 1000,
        "max": max(elapsed) * 1000,
        # CPU time, which a busy machine inflates far less than wall time: this process's
        # (Django, and SQLite's work, which runs in it) and PostgreSQL's backend's.
        "cpu_p50": statistics.median(cpu) * 1000,
        "cpu_p95": percentile(cpu, 95) * 1000,
        "backend_ms": backend_ms,
        "queries": len(queries),
        "sql_ms": sum(seconds for _, _, seconds in queries) * 1000,
        "opinion_queries": opinion_queries,
        "all_queries": queries,
    }
    return figures


def report(args, figures: dict) -> None:
    backend = figures["backend_ms"]
    print(
        f"\n{figures['role']:8s} {figures['label']}\n"
        f"  p50 {figures['p50']:7.1f} ms   p95 {figures['p95']:7.1f} ms   max {figures['max']:7.1f} ms   "
        f"{figures['queries']} queries, {figures['sql_ms']:.1f} ms in SQL\n"
        f"  CPU: this process p50 {figures['cpu_p50']:.1f} ms, p95 {figures['cpu_p95']:.1f} ms"
        + (f"; PostgreSQL backend {backend:.1f} ms a request" if backend is not None else "")
    )
    slowest = sorted(figures["all_queries"], key=lambda q: -q[2])[:3]
    for sql, _params, seconds in slowest:
        print(f"    [{seconds * 1000:7.2f} ms] {sql[:160]}")
    if args.show_queries:
        for number, (sql, _params, seconds) in enumerate(figures["all_queries"], 1):
            print(f"  {number:3d} [{seconds * 1000:7.2f} ms] {sql[:400]}")
    if args.explain:
        for sql, params, seconds in figures["opinion_queries"]:
            print(f"\n  -- {seconds * 1000:.2f} ms: {sql[:2000]}")
            print(f"  -- params: {params}")
            print("  " + explain(sql, params).replace("\n", "\n  "))


def main(argv=None) -> int:
    args = parse_args(argv)
    configure_environment(args, STATIC_ROOT)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    prepare_database(args)
    from workflows.models import Opinion

    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    print(
        f"{platform.node()} · {os.cpu_count()} CPUs · load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} · "
        f"Python {platform.python_version()} · Django {django.get_version()} · {connection.vendor} "
        f"{connection.settings_dict['NAME']} · {Opinion.objects.count()} opinions · "
        f"{args.requests} requests after {args.warmup} warm-up, in-process"
    )
    for role, user, label in viewers(args.who):
        report(args, time_listing(args, role, user, label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
