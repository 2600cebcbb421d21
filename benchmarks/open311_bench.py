"""Time Open311's GET /open311/v2/requests.json returning 1,000 service requests, in-process.

The question (issue 16): how long does another system wait for a page of 1,000 requests
(target: p95 ≤ 200 ms), on SQLite and on PostgreSQL, and how many SQL queries does it take?
It
  1. prepares a database of its own: var/bench/open311.sqlite3 (default), or the PostgreSQL
     database named by --database-url (created if missing; its name must contain "bench");
     migrates it and, unless it already holds --opinions opinions, adds a small district (two
     streets, six stations with coordinates, a department) and the opinions, bulk-inserted
     over the last 60 days in every state (a third assigned with a deadline, a fifth
     published with a public summary);
  2. requests /open311/v2/requests.json (and .xml) with config.settings.bench (production
     settings over loopback) through Django's test client: --warmup requests unmeasured, then
     --requests measured; prints p50 / p95 / max in ms, the rows returned and the number of
     SQL queries of one request.

No server and no concurrency: the figure is one request's own cost. The tests never assert
wall-clock time; they hold the query count (tests/test_open311.py).

Usage (from the repository root):
  .venv/bin/python benchmarks/open311_bench.py
  .venv/bin/python benchmarks/open311_bench.py \\
      --database-url postgresql://postgres@127.0.0.1:5432/lianluo_open311_bench
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from serve_bench import BENCH_DIR, configure_environment, ensure_postgres_database, manage

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = BENCH_DIR / "open311.sqlite3"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time GET /open311/v2/requests.json returning 1,000 requests.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--database-url", help="PostgreSQL URL instead of the benchmark's SQLite file")
    parser.add_argument("--sqlite-path", type=Path, default=DEFAULT_SQLITE)
    parser.add_argument("--opinions", type=int, default=1500, help="opinions in the district (at least 1,000)")
    parser.add_argument("--requests", type=int, default=30, help="measured requests per format")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests per format first")
    args = parser.parse_args(argv)
    args.sqlite_path = args.sqlite_path.resolve()
    return args


def build_district(count: int) -> None:
    """A small district and `count` opinions, inserted in bulk (the intake's own checks are
    not what is measured here)."""
    import datetime as dt
    import random
    from decimal import Decimal

    from django.utils import timezone

    from content.models import CentreStationPage, GeneralStationPage, LiaisonStationPage, Street
    from content.tree import add_station, district_home
    from workflows.models import Category, Department, Opinion, OpinionState, Outcome, Publication

    rng = random.Random(311)
    stations = list(LiaisonStationPage.objects.all())
    if not stations:
        home = district_home()
        general = add_station(home, GeneralStationPage(title="区人大代表联络总站", slug="bench-zongzhan"))
        for number, name in enumerate(("湖滨", "清波"), 1):
            street = Street.objects.create(name=f"{name}街道", slug=f"bench-street-{number}")
            centre = add_station(
                general, CentreStationPage(title=f"{name}街道中心站", slug=f"bench-centre-{number}", street=street)
            )
            for index in range(3):
                stations.append(
                    add_station(
                        centre,
                        LiaisonStationPage(
                            title=f"{name}第{index + 1}联络站",
                            slug=f"bench-station-{number}-{index}",
                            latitude=Decimal("30.25") + Decimal(index) / 100,
                            longitude=Decimal("120.16") + Decimal(number) / 100,
                        ),
                    )
                )
    department, _ = Department.objects.get_or_create(name="区城管局")
    categories = list(Category.objects.all())
    states = list(OpinionState)
    now = timezone.now()
    existing = Opinion.objects.count()
    rows = []
    for index in range(existing, count):
        station = rng.choice(stations)
        state = rng.choice(states)
        assigned = index % 3 == 0
        published = index % 5 == 0
        rows.append(
            Opinion(
                receipt_no=f"YJB{index:011d}",
                origin_station_id=station.pk,
                station_id=station.pk,
                street_id=station.street_id,
                category=rng.choice(categories),
                title="基准测试意见",
                content="基准测试的意见内容，不含个人信息。",
                citizen_name="测试",
                citizen_phone="13800000000",
                phone_last4="0000",
                state=state,
                outcome=Outcome.RESOLVED if state == OpinionState.CLOSED else "",
                department=department if assigned else None,
                deadline=(now + dt.timedelta(days=rng.randint(1, 30))).date() if assigned else None,
                publication=Publication.APPROVED if published else Publication.NONE,
                public_summary="已公开的办理结果摘要" if published else "",
            )
        )
    Opinion.objects.bulk_create(rows, batch_size=500)
    # Spread over the last 60 days (auto_now_add set them all to now).
    opinions = list(Opinion.objects.filter(receipt_no__startswith="YJB").only("pk"))
    for opinion in opinions:
        opinion.created_at = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 60))
    Opinion.objects.bulk_update(opinions, ["created_at"], batch_size=500)


def prepare_database(args) -> None:
    from django.db import connection, connections

    if connection.vendor == "postgresql":
        if "bench" not in connection.settings_dict["NAME"]:
            raise SystemExit("Refusing a PostgreSQL database whose name does not contain 'bench'.")
        ensure_postgres_database()
    else:
        args.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    connections.close_all()
    manage("migrate", "--noinput", "--verbosity", "0")
    from workflows.models import Opinion

    have = Opinion.objects.count()
    if have < args.opinions:
        print(f"Adding {args.opinions - have} opinions")
        build_district(args.opinions)
    else:
        print(f"Reusing the district: {have} opinions")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "PRAGMA optimize")


class QueryCounter:
    def __init__(self, connection):
        self.connection = connection
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = self.connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def measure(args) -> None:
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    print(
        f"{connection.vendor}, Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    for fmt in ("json", "xml"):
        url = f"/open311/v2/requests.{fmt}?status=open,closed"
        for _ in range(args.warmup):
            client.get(url)
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:300]
        with QueryCounter(connection) as counter:
            response = client.get(url)
        rows = len(response.json()) if fmt == "json" else response.content.count(b"<request>")
        print(
            f"GET {url}: {rows} requests, {len(response.content) / 1024:.0f} KiB, "
            f"p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 95):.1f} ms, "
            f"max {max(timings):.1f} ms, {counter.count} queries "
            f"(target p95 <= 200 ms)"
        )


def main(argv=None) -> None:
    args = parse_args(argv)
    static_root = BENCH_DIR / "open311_static"  # no static files are served: an empty folder
    static_root.mkdir(parents=True, exist_ok=True)
    configure_environment(args, static_root)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    prepare_database(args)
    measure(args)


if __name__ == "__main__":
    main()
