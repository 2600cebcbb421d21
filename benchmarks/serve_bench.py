"""Serve the public site with gunicorn on loopback and measure a station page against /healthz/.

The benchmark answers one question: how much slower is a real public page (a liaison
station with deputies and reception days) than the cheapest Django view served the same
way? /healthz/ goes through the full middleware stack but touches no database and renders
no template, so the station/healthz ratio isolates what the page itself costs, and stays
meaningful on a different machine where absolute figures do not.

What it does, in order:
  1. prepares a database: by default a separate SQLite file, var/bench/bench.sqlite3,
     migrated and filled with `manage.py build_demo --seed 1` (PostgreSQL with
     --database-url; the development database is never touched);
  2. runs collectstatic into a temporary STATIC_ROOT (whitenoise, compressed manifest);
  3. renders each target once in-process to count its SQL queries and time its parts;
  4. starts gunicorn with config.settings.bench (production settings over plain HTTP) on a
     free 127.0.0.1 port and waits for /healthz/;
  5. drives each target with a closed-loop client: N threads, each with its own
     http.client connection (kept alive when the server allows), a warm-up, then a fixed
     number of requests, capped in time; anything but a 200 counts as an error;
  6. prints the environment and a table (req/s, p50/p95/p99 latency, server CPU per
     request) with the station/healthz ratios; --json writes the same figures.
gunicorn is always stopped (its whole process group), even on errors or Ctrl-C.

Usage (from the repository root, with the virtualenv active):
  python benchmarks/serve_bench.py                      # SQLite, the default district
  python benchmarks/serve_bench.py --reuse              # keep the district built last time
  python benchmarks/serve_bench.py --probe-only --show-queries --profile   # no server
  python benchmarks/serve_bench.py --scale 2000 --contact-point --json var/bench/result.json
  python benchmarks/serve_bench.py \\
      --database-url postgresql://postgres@127.0.0.1:5432/lianluo_bench
  python benchmarks/serve_bench.py --scale 20000 --targets search,search2,search3,healthz \\
      --search 停车 --search 游泳池 --search 代表      # the public search at 20,000 stations
  python benchmarks/serve_bench.py --reuse --compare-scale 20000 \\
      --targets station,deputies,search,staff_listing,healthz   # 220 vs 20,000 stations side by side
  python benchmarks/serve_bench.py --reuse --targets portal,healthz   # 代表e站, 300 records
  python benchmarks/serve_bench.py --targets points,points-export,healthz --concurrency 2 \\
      --requests 200 --warmup 10   # 年度履职积分: 600 deputies, 60,000 records of the year
  python benchmarks/serve_bench.py --reuse --targets suggestions-report,suggestions-report-export,healthz \\
      --concurrency 2 --requests 200   # 代表建议办理年度统计: 5,000 suggestions, 20,000 assignments
--scale is build_demo's: the total number of stations (default district: 220). --compare-scale N
runs everything twice, on that district and on one of N stations kept in a sibling database
(bench-N.sqlite3, or the PostgreSQL database name with _N), then prints both side by side with
the large/small ratios of in-process time, req/s and p95 (and of each run's ratio to /healthz/,
which discounts a machine busier during one run); --reuse applies to both. The exit
code is 0 when every request answered 200, 1 when some did not, 2 on a setup failure.
The public search (/search/?q=停车 by default; --search QUERY, repeatable) is a target too:
its detail line shows how many hits each query has; --targets picks which targets run.

Caveats: the client runs on the same machine and competes with gunicorn for CPU; Python
threads share one interpreter, so it tops out at about one core, which matters for
/healthz/ only. The table shows the client's CPU and that of everything else on the
machine ("other cores"): on a shared machine, rerun when that column is near zero. Sync
workers close the connection after every response, so with the default worker class each
request includes a TCP connect on loopback (gthread workers keep connections alive).
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import os
import platform
import pstats
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_SQLITE = BENCH_DIR / "bench.sqlite3"
SETTINGS_MODULE = "config.settings.bench"
HOST = "127.0.0.1"
# A browser-like request: the public site negotiates language, and a page that varied on
# other headers would show it here.
REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
    "User-Agent": "lianluo-serve-bench/1",
}


# sync_roles brings every street's group up to date, about 2 s a street: above this many
# stations the benchmark makes only the groups its staff target signs in with.
FULL_ROLE_SYNC_UP_TO = 2000


class BenchError(Exception):
    """A failure with a message meant for the person running the benchmark."""


# --------------------------------------------------------------------------------------------
# Command line and environment
# --------------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark a station page against /healthz/ under gunicorn on loopback.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    db = parser.add_argument_group("database")
    db.add_argument("--database-url", help="PostgreSQL URL instead of the benchmark SQLite file")
    db.add_argument("--sqlite-path", type=Path, default=DEFAULT_SQLITE, help="SQLite file to build and serve")
    db.add_argument("--reuse", action="store_true", help="skip building the district if the DB has stations")
    db.add_argument("--seed", type=int, default=1, help="build_demo --seed")
    db.add_argument("--scale", type=int, help="build_demo --scale (default: the command's own)")
    db.add_argument("--opinions", type=int, help="build_demo --opinions (default: the command's own)")
    db.add_argument(
        "--compare-scale",
        type=int,
        metavar="N",
        help="run the benchmark twice, on the district of --scale (default 220 stations) and on one of N "
        "stations (its own database: the SQLite file or PostgreSQL database name gets an -N suffix), "
        "and print the two side by side with their ratios",
    )

    server = parser.add_argument_group("server")
    server.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    server.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    server.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only)")

    load = parser.add_argument_group("load")
    load.add_argument("--concurrency", type=int, default=8, help="client threads (closed loop)")
    load.add_argument("--requests", type=int, default=2000, help="measured requests per target")
    load.add_argument("--warmup", type=int, default=100, help="unmeasured requests per target first")
    load.add_argument("--max-seconds", type=float, default=120.0, help="time cap per target (warm-up excluded)")
    load.add_argument("--timeout", type=float, default=30.0, help="per-request socket timeout, seconds")
    load.add_argument("--station-path", help="benchmark this page path instead of the chosen liaison station")
    load.add_argument("--contact-point", action="store_true", help="also benchmark a contact point page")
    load.add_argument(
        "--search",
        action="append",
        metavar="QUERY",
        help="benchmark /search/?q=QUERY (repeatable; default: 停车, the issue's query)",
    )
    load.add_argument(
        "--targets",
        help="comma-separated target names to run, e.g. search,healthz (default: all); "
        "names: station, contact_point, deputies, staff_listing, submit_opinion, search, search2…, healthz, "
        "portal (代表e站, only when named: it writes 300 duty records), "
        "points, points-export (年度履职积分 and its Excel file, only when named: they top the district up "
        "to 600 deputies and 60,000 verified records of the year), "
        "suggestions-report, suggestions-report-export (代表建议办理年度统计 and its Excel file, only when named: "
        "they top the year up to 5,000 filed suggestions with 20,000 department assignments)",
    )

    peer = parser.add_argument_group("a stock Wagtail site for comparison")
    peer.add_argument(
        "--bakerydemo",
        type=Path,
        metavar="PATH",
        help="a checkout of wagtail/bakerydemo with its requirements and gunicorn installed in PATH/.venv "
        "(never part of this repository): its blog page is served by gunicorn with the same settings and "
        "measured interleaved with the uncached station page",
    )
    peer.add_argument("--rounds", type=int, default=4, help="interleaved rounds of station and bakerydemo")

    out = parser.add_argument_group("output")
    out.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    out.add_argument("--profile", action="store_true", help="print a cProfile summary of the station page")
    out.add_argument("--show-queries", action="store_true", help="print every SQL query of the station page")
    out.add_argument("--probe-only", action="store_true", help="stop after the in-process probe (no gunicorn)")
    args = parser.parse_args(argv)
    for name in ("workers", "threads", "concurrency", "requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0 or args.max_seconds <= 0:
        parser.error("--warmup must be >= 0 and --max-seconds > 0")
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL (postgresql://user@host:port/name)")
    args.sqlite_path = args.sqlite_path.resolve()
    args.search = args.search or ["停车"]
    args.targets = {name.strip() for name in args.targets.split(",") if name.strip()} if args.targets else None
    return args


def configure_environment(args, static_root: Path) -> None:
    """Point this process and every child (manage.py, gunicorn) at the benchmark settings.

    Set on os.environ rather than per child so the in-process probe loads exactly the same
    settings as the server does.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["BENCH_STATIC_ROOT"] = str(static_root)
    # A cache server or a database from the shell would make runs incomparable; the
    # benchmark uses the local-memory cache and only the database chosen on the command line.
    os.environ.pop("REDIS_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        os.environ.pop("BENCH_SQLITE_PATH", None)
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["BENCH_SQLITE_PATH"] = str(args.sqlite_path)
    os.environ["PYTHONUNBUFFERED"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The public page cache (base.pagecache) is on, as in production: the station_cached target
    # measures it; the other public targets carry UNCACHED and measure a page rendered per request.
    if os.environ.get("LIANLUO_PAGE_CACHE_SECONDS") == "0":
        print("Warning: LIANLUO_PAGE_CACHE_SECONDS=0 in the shell: station_cached is not cached")


def manage(*command: str, capture: bool = True) -> str:
    """Run a management command in a child process (the server will be a child process too)."""
    cmd = [sys.executable, str(ROOT / "manage.py"), *command]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=capture, text=True, check=False)
    if result.returncode != 0:
        detail = ((result.stdout or "") + (result.stderr or ""))[-4000:] if capture else ""
        raise BenchError(f"`manage.py {' '.join(command)}` failed with exit code {result.returncode}.\n{detail}")
    return result.stdout or ""


# --------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------


def ensure_postgres_database() -> str:
    """Create the benchmark database if it is missing; returns its name."""
    import psycopg
    from psycopg import sql

    from django.db import connection

    params = connection.settings_dict
    name = params["NAME"]
    connect_kwargs = {
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
        "autocommit": True,  # CREATE DATABASE cannot run inside a transaction
    }
    last_error = None
    for maintenance_db in ("postgres", "template1"):
        try:
            with psycopg.connect(dbname=maintenance_db, **connect_kwargs) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
                if not exists:
                    print(f"Creating PostgreSQL database {name!r}")
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                return name
        except psycopg.OperationalError as exc:
            last_error = exc
    raise BenchError(f"Cannot reach PostgreSQL to create database {name!r}: {last_error}")


def content_counts() -> dict:
    from django.db import connections

    from content.models import Deputy, StationPage, Street

    try:
        return {
            "stations": StationPage.objects.count(),
            "deputies": Deputy.objects.count(),
            "streets": Street.objects.count(),
        }
    finally:
        # Never hold a connection across the child processes that rebuild the database.
        connections.close_all()


def prepare_database(args) -> dict:
    """Migrate and, unless --reuse finds stations already, build the demo district."""
    from django.core.management import get_commands
    from django.db import connection

    if "build_demo" not in get_commands():
        raise BenchError(
            "The `build_demo` management command does not exist yet "
            "(expected in content/management/commands/build_demo.py). "
            "The benchmark needs it to build the demo district; try again once it is there."
        )

    is_postgres = connection.vendor == "postgresql"
    if is_postgres:
        db_label = ensure_postgres_database()
    else:
        db_label = str(args.sqlite_path)
        args.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        if not args.reuse and args.sqlite_path.exists() and "bench" not in args.sqlite_path.name:
            raise BenchError(
                f"Refusing to delete {args.sqlite_path}: its name does not contain 'bench'. "
                "Point --sqlite-path at a scratch file or pass --reuse."
            )
        if not args.reuse:
            # A fresh file is the cheapest full reset and does not depend on how build_demo
            # implements --reset; the -wal/-shm companions must go with it.
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{args.sqlite_path}{suffix}").unlink(missing_ok=True)

    print(f"Migrating {connection.vendor} database {db_label}")
    manage("migrate", "--noinput")
    counts = content_counts()
    info = {"built": False, "build_seconds": None}
    if args.reuse and counts["stations"]:
        print(f"Reusing the existing district ({counts['stations']} station pages); --seed/--scale not applied")
        return info

    build = ["build_demo", "--seed", str(args.seed)]
    if args.scale is not None:
        build += ["--scale", str(args.scale)]
    if args.opinions is not None:
        build += ["--opinions", str(args.opinions)]
    if any(counts.values()):
        # Only PostgreSQL (or SQLite with --reuse) gets here with content: a district, or what
        # an interrupted build left behind, which build_demo would refuse to build over.
        # --reset empties the content tables, so refuse on a database that does not look
        # like a scratch one.
        if "bench" not in Path(str(connection.settings_dict["NAME"])).name:
            raise BenchError(
                f"Database {connection.settings_dict['NAME']!r} already has content ({counts}) and "
                "its name does not contain 'bench'; refusing to reset it. Use a dedicated database "
                "(e.g. .../lianluo_bench) or pass --reuse."
            )
        build += ["--reset", "--force"]  # --force: the bench settings run with DEBUG off
    print(f"Building the demo district: manage.py {' '.join(build)}")
    started = time.perf_counter()
    manage(*build, capture=False)  # its progress output is worth seeing
    info.update(built=True, build_seconds=round(time.perf_counter() - started, 1))
    if (args.scale or 0) <= FULL_ROLE_SYNC_UP_TO:
        manage("sync_roles", "--verbosity", "0")  # the staff targets sign in with a street's role
    # (larger districts: choose_targets makes only the groups the staff target needs)
    return info


def district_summary() -> dict:
    from django.db import connection, connections
    from django.db.models import Count

    from content.models import ActivityPage, Deputy, Membership, ReceptionSchedule, StationPage

    try:
        levels = dict(StationPage.objects.values_list("level").annotate(n=Count("pk")).order_by())
        if connection.vendor == "sqlite":
            version = sqlite3.sqlite_version
        else:
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]
        return {
            "db_engine": connection.vendor,
            "db_version": version,
            "db_name": str(connection.settings_dict["NAME"]),
            "stations": sum(levels.values()),
            "stations_by_level": levels,
            "deputies": Deputy.objects.count(),
            "current_memberships": Membership.objects.current().count(),
            "reception_schedules": ReceptionSchedule.objects.count(),
            "activities": ActivityPage.objects.count(),
        }
    finally:
        connections.close_all()


# --------------------------------------------------------------------------------------------
# Targets and the in-process probe
# --------------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    path: str
    detail: dict = field(default_factory=dict)
    probe: dict = field(default_factory=dict)
    method: str = "GET"
    headers: dict = field(default_factory=dict)  # e.g. the session cookie of a staff member
    form: dict | None = None  # POST fields; `unique_field` gets a fresh value per request
    unique_field: str | None = None
    ok_status: int = 200  # what success looks like (a form post answers with a redirect)
    probe_repeats: int | None = None  # warm requests of the in-process probe (None: the default)

    def body(self) -> bytes | None:
        if self.form is None:
            return None
        from urllib.parse import urlencode

        fields = dict(self.form)
        if self.unique_field:
            fields[self.unique_field] = os.urandom(16).hex()
        return urlencode(fields).encode()


def _station_target(name: str, page) -> Target:
    from urllib.parse import urlsplit

    from django.utils.encoding import iri_to_uri

    from content.models import Membership

    # full_url works whether or not several sites exist; only the path is requested, and
    # any non-ASCII slug has to be percent-encoded for the request line.
    path = iri_to_uri(urlsplit(page.get_full_url()).path)
    return Target(
        name=name,
        path=path,
        detail={
            "title": page.title,
            "page_type": type(page).__name__,
            "deputies_on_wall": Membership.objects.current().filter(station=page).count(),
            "reception_schedules": page.reception_schedules.count(),
            "child_pages": page.get_children().count(),
        },
    )


def _busiest(model, *, need_schedules: bool):
    """The live page of `model` with the most current deputies (ties: tree order).

    The biggest wall is the heaviest ordinary page of its kind, so the figure is a
    conservative one; picking by count keeps the choice stable across runs with one seed.
    """
    from django.db.models import Count

    from content.models import Membership, ReceptionSchedule

    current = Membership.objects.current().values("station").annotate(n=Count("pk")).order_by()
    deputies = dict(current.values_list("station", "n"))
    schedules = set(ReceptionSchedule.objects.values_list("station", flat=True))
    candidates = [
        (-deputies.get(pk, 0), path, pk)
        for pk, path in model.objects.live().values_list("pk", "path")
        if deputies.get(pk) and (pk in schedules or not need_schedules)
    ]
    if not candidates:
        return None
    return model.objects.get(pk=min(candidates)[2])


def signed_in_cookie(user) -> str:
    """A session cookie for `user`, made in-process the way a sign-in would (plus the
    two-factor mark where two-factor login is installed), so the load client needs no login."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if "django_otp" in settings.INSTALLED_APPS:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _staff_listing_target() -> Target | None:
    """The opinion queue of the street with the most opinions, as its committee sees it."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count

    from base.roles import Role, role_group_name, street_group_name
    from content.models import Street
    from workflows.models import Opinion
    from workflows.opinions import OPINIONS

    busiest = (
        Opinion.objects.exclude(street=None).values("street").annotate(n=Count("pk")).order_by("-n", "street").first()
    )
    if busiest is None:
        print("No opinions in the database; skipping the staff listing target")
        return None
    street = Street.objects.get(pk=busiest["street"])
    user, _ = get_user_model().objects.get_or_create(username="bench-street", defaults={"display_name": "基准测试"})
    user.groups.add(*Group.objects.filter(name__in=[role_group_name(Role.STREET_COMMITTEE), street_group_name(street)]))
    return Target(
        name="staff_listing",
        path="/admin/opinions/",
        headers={"Cookie": signed_in_cookie(user)},
        detail={
            "street": street.name,
            "opinions_in_scope": OPINIONS.scope(Opinion.objects.all(), user).count(),
            "opinions_in_database": Opinion.objects.count(),
            "rows_per_page": 50,
        },
    )


def _portal_target(records: int = 300) -> Target | None:
    """代表e站's home page for the deputy with the most seats, signed in, with `records` duty
    records of this year (made through the real code the first time) and a reception duty."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.utils import timezone

    from base.roles import Role, role_group_name
    from content.models import Deputy
    from duties.demo import scheme_for
    from duties.models import DeputyAccount, DutyItem, DutyRecord
    from duties.records import Entry, RecordError, record_by_staff

    deputy = (
        Deputy.objects.filter(is_active=True, memberships__station__live=True)
        .annotate(seats=Count("memberships"))
        .order_by("-seats", "pk")
        .first()
    )
    if deputy is None:
        print("No deputy with a seat; skipping the portal target")
        return None
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench-deputy", defaults={"display_name": deputy.name})
    user.groups.add(*Group.objects.filter(name=role_group_name(Role.DEPUTY)))
    DeputyAccount.objects.get_or_create(user=user, defaults={"deputy": deputy})
    deputy = DeputyAccount.objects.get(user=user).deputy
    today = timezone.localdate()
    scheme = scheme_for(today.year)
    have = DutyRecord.objects.filter(participants__deputy=deputy).count()
    if scheme is not None and have < records:
        recorder, _ = User.objects.get_or_create(username="bench-recorder", defaults={"is_superuser": True})
        station = deputy.memberships.filter(station__live=True).select_related("station").first().station
        items = list(DutyItem.objects.filter(scheme=scheme, self_reportable=True))
        for n in range(records - have):
            day = today - dt.timedelta(days=n % max(1, today.timetuple().tm_yday - 1))
            try:
                record_by_staff(Entry(items[n % len(items)], day, station, f"基准测试履职记录 {n}", deputy), recorder)
            except RecordError:
                continue
    return Target(
        name="portal",
        path="/e/",
        headers={"Cookie": signed_in_cookie(user)},
        detail={
            "deputy": deputy.name,
            "records": DutyRecord.objects.filter(participants__deputy=deputy).count(),
            "seats": deputy.memberships.count(),
        },
    )


def _points_targets(deputies: int = 600, records: int = 60_000) -> list[Target]:
    """年度履职积分 (the yearly totals report) as the district admin first opens it (this year,
    all streets, the first 100 rows), and its Excel export. The district is topped up in bulk
    (benchmarks/points_district.py) to `deputies` active deputies, the new ones seated
    round-robin in the live stations, and to `records` verified records of the year at the live
    stations with their current deputies, dated up to today."""
    import datetime as dt

    from points_district import add_deputies, add_records, verified_records

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.urls import reverse
    from django.utils import timezone

    from base.reports import default_year
    from base.roles import Role, role_group_name
    from content.models import Deputy, Membership
    from duties.models import DutyParticipant, RecordState
    from duties.reports import URL_NAME, PointsReportView, scheme_years
    from duties.totals import yearly_totals

    year = default_year(scheme_years())
    seats = (
        Membership.objects.current()
        .filter(deputy__is_active=True, station__live=True)
        .select_related("station", "deputy")
        .order_by("station__path", "sort_order", "pk")
    )
    by_station: dict = {}
    for seat in seats:
        by_station.setdefault(seat.station, []).append(seat.deputy)
    if not by_station:
        print("No live station with deputies; skipping the points targets")
        return []
    missing = deputies - Deputy.objects.filter(is_active=True).count()
    if missing > 0:
        for station, new in add_deputies(list(by_station), missing, prefix="基准代表").items():
            by_station[station] += new
    missing = records - verified_records(year)
    if missing > 0:
        started = time.perf_counter()
        last_day = min(timezone.localdate(), dt.date(year, 12, 31))
        add_records(by_station, missing, year, last_day)
        print(f"points: {missing} verified records of {year} written in {time.perf_counter() - started:.1f} s")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-district-admin", defaults={"display_name": "基准测试区管理员"}
    )
    user.groups.add(*Group.objects.filter(name=role_group_name(Role.DISTRICT_ADMIN)))
    totals_ms = []
    for _ in range(3):  # the computation the issue's ≤ 2 s is about, in-process
        started = time.perf_counter()
        rows = yearly_totals(year)
        totals_ms.append((time.perf_counter() - started) * 1000)
    detail = {
        "year": year,
        "deputies": len(rows),
        "records": verified_records(year),
        "participations": DutyParticipant.objects.filter(
            record__state=RecordState.VERIFIED, record__item__scheme__year=year, record__date__year=year
        ).count(),
        "yearly_totals_ms_median": round(statistics.median(totals_ms), 1),
    }
    path = reverse(URL_NAME)
    cookie = {"Cookie": signed_in_cookie(user)}
    return [
        Target(
            name="points",
            path=path,
            headers=cookie,
            probe_repeats=5,
            detail={"title": PointsReportView.page_title, **detail, "rows_per_page": PointsReportView.paginate_by},
        ),
        Target(name="points-export", path=f"{path}?export=xlsx", headers=cookie, probe_repeats=5, detail=detail),
    ]


def _suggestion_report_targets(suggestions: int = 5_000) -> list[Target]:
    """代表建议办理年度统计 (the year-end report of deputy suggestions) as the liaison office
    opens it (this year), and its Excel export. This year is topped up in bulk
    (benchmarks/suggestions_district.py) to `suggestions` filed suggestions, each with one
    lead and three co-handling departments, most answered and rated."""
    from suggestions_district import PARTS, add_suggestions, bench_suggestions

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.urls import reverse
    from django.utils import timezone

    from base.roles import Role, role_group_name
    from suggestions.models import Suggestion, SuggestionAssignment
    from suggestions.reports import URL_NAME, SuggestionReportView
    from suggestions.statistics import yearly_report

    today = timezone.localdate()
    missing = suggestions - bench_suggestions(today.year)
    if missing > 0:
        started = time.perf_counter()
        add_suggestions(missing, today.year, today)
        print(
            f"suggestions: {missing} filed suggestions of {today.year} written in {time.perf_counter() - started:.1f} s"
        )
    user, _ = get_user_model().objects.get_or_create(
        username="bench-district-admin", defaults={"display_name": "基准测试区管理员"}
    )
    user.groups.add(*Group.objects.filter(name=role_group_name(Role.DISTRICT_ADMIN)))
    report_ms = []
    for _ in range(3):  # the computation alone, in-process
        started = time.perf_counter()
        rows = yearly_report(today.year)
        report_ms.append((time.perf_counter() - started) * 1000)
    filed = Suggestion.objects.filter(year=today.year, serial__isnull=False)
    detail = {
        "year": today.year,
        "suggestions": filed.count(),
        "assignments": SuggestionAssignment.objects.filter(suggestion__in=filed).count(),
        "departments_per_suggestion": PARTS,
        "rows": len(rows),
        "yearly_report_ms_median": round(statistics.median(report_ms), 1),
    }
    path = reverse(URL_NAME)
    cookie = {"Cookie": signed_in_cookie(user)}
    return [
        Target(
            name="suggestions-report",
            path=path,
            headers=cookie,
            probe_repeats=5,
            detail={"title": SuggestionReportView.page_title, **detail},
        ),
        Target(
            name="suggestions-report-export", path=f"{path}?export=xlsx", headers=cookie, probe_repeats=5, detail=detail
        ),
    ]


# The page cache keeps only addresses without a query string (base.pagecache), and these pages
# ignore this one: with it, the station page and the directory are rendered for every request.
UNCACHED = "?uncached=1"
RENDERED_EACH_TIME = {"station", "contact_point", "deputies"}


def _deputies_target() -> Target:
    """The public deputy directory's first page (/deputies/, 48 deputies a page)."""
    from content.models import Deputy

    return Target(
        name="deputies",
        path="/deputies/",
        detail={"active_deputies": Deputy.objects.filter(is_active=True).count(), "per_page": 48},
    )


def _ensure_staff_groups() -> None:
    """The role groups and the street committee group the staff listing signs in with.

    `sync_roles` brings every street's group up to date; at 20,000 stations (1,278 streets)
    that takes hours, so a large district gets only the groups the staff target needs: the
    roles, and the group of the street with the most opinions (the one it picks)."""
    from django.contrib.auth.models import Group
    from django.db.models import Count

    from base.roles import role_group_name
    from content.models import Street
    from permissions.roles import ROLE_SPECS, sync_role_group, sync_street_group
    from workflows.models import Opinion

    names = [role_group_name(role) for role in ROLE_SPECS]
    if Group.objects.filter(name__in=names).count() < len(names):
        for spec in ROLE_SPECS.values():
            sync_role_group(spec)
    busiest = (
        Opinion.objects.exclude(street=None).values("street").annotate(n=Count("pk")).order_by("-n", "street").first()
    )
    if busiest is not None:
        sync_street_group(Street.objects.get(pk=busiest["street"]))


def _submission_target(station_target: Target) -> Target:
    """A citizen posting the opinion form of the benchmarked station (each post a new opinion).

    The CSRF pair is made up here, as a browser would hold it after loading the form: Django
    accepts an unmasked 32-character secret in both the cookie and the field.
    """
    from workflows.models import Category

    secret = os.urandom(16).hex()
    return Target(
        name="submit_opinion",
        path=station_target.path + "opinion/",
        method="POST",
        ok_status=302,
        headers={"Cookie": f"csrftoken={secret}"},
        form={
            "csrfmiddlewaretoken": secret,
            "category": str(Category.objects.values_list("pk", flat=True).first()),
            "title": "基准测试：小区夜间停车难",
            "content": "小区周边夜间停车位不足，希望增设临时停车位或错时共享车位。",
            "citizen_name": "基准测试",
            "citizen_phone": "13800000000",
        },
        unique_field="idempotency_key",
        detail={"station": station_target.detail.get("title", "")},
    )


def _search_targets(queries: list[str]) -> list[Target]:
    """The public search, one target per query, with what it finds (counted in-process)."""
    from urllib.parse import urlencode

    from content.search_query import SiteSearch

    targets = []
    for number, query in enumerate(queries, 1):
        results = SiteSearch(query)
        targets.append(
            Target(
                name="search" if number == 1 else f"search{number}",
                path="/search/?" + urlencode({"q": query}),
                detail={"query": query, "hits": results.total, **results.counts},
            )
        )
    return targets


def choose_targets(args) -> list[Target]:
    from django.db import connections

    from wagtail.models import Page

    from content.models import ContactPointPage, LiaisonStationPage

    try:
        targets = []
        if args.station_path:
            path = "/" + args.station_path.strip("/") + "/"
            # url_path starts with the site root's slug, so match on its tail.
            page = next(
                (p for p in Page.objects.live().filter(url_path__endswith=path).specific() if p.url),
                None,
            )
            if page is None:
                raise BenchError(f"No live page has the path {path!r}.")
            targets.append(_station_target("station", page))
        else:
            station = _busiest(LiaisonStationPage, need_schedules=True)
            if station is None:
                raise BenchError("The database has no live liaison station with both deputies and reception days.")
            targets.append(_station_target("station", station))
        if args.contact_point:
            point = _busiest(ContactPointPage, need_schedules=False)
            if point is None:
                print("No live contact point with deputies; skipping the contact point target")
            else:
                targets.append(_station_target("contact_point", point))
        targets.append(_deputies_target())
        # The same station page as a visitor gets it from the public page cache.
        targets.append(
            Target(name="station_cached", path=targets[0].path, detail={**targets[0].detail, "page_cache": "on"})
        )
        wanted = args.targets
        if wanted is None or "staff_listing" in wanted:
            _ensure_staff_groups()
        staff = _staff_listing_target() if wanted is None or "staff_listing" in wanted else None
        if staff is not None:
            targets.append(staff)
        if wanted is not None and "portal" in wanted:  # only when asked: it writes duty records
            portal = _portal_target()
            if portal is not None:
                targets.append(portal)
        if wanted is not None and wanted & {"points", "points-export"}:  # only when asked: they write rows
            targets += _points_targets()
        if wanted is not None and wanted & {"suggestions-report", "suggestions-report-export"}:  # they write rows
            targets += _suggestion_report_targets()
        targets.append(_submission_target(targets[0]))
        targets += _search_targets(args.search)
        targets.append(Target(name="healthz", path="/healthz/", detail={"view": "content.views.healthz"}))
        targets = [replace(t, path=t.path + UNCACHED) if t.name in RENDERED_EACH_TIME else t for t in targets]
        if wanted is not None:
            unknown = wanted - {t.name for t in targets}
            if unknown:
                raise BenchError(f"Unknown --targets {', '.join(sorted(unknown))}; known: {[t.name for t in targets]}")
            targets = [t for t in targets if t.name in wanted]
        return targets
    finally:
        connections.close_all()


def _query_shape(sql: str) -> str:
    """SQL with the column list and literal values blanked, to spot one query run repeatedly."""
    sql = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", sql, count=1, flags=re.S)
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    return re.sub(r"\(\?(?:, \?)+\)", "(?…)", sql)


class QueryRecorder:
    """Every SQL statement of a block with its duration, timed here in microseconds.

    An execute_wrapper rather than CaptureQueriesContext: the latter reads the connection's
    query log, which Django clears at each request start, and rounds times to 1 ms, which
    hides SQLite queries that take tens of microseconds.
    """

    def __init__(self, connection):
        self.connection = connection
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, time.perf_counter() - started))

    def __enter__(self):
        self._wrapper = self.connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)


def probe(targets: list[Target], args, repeats: int = 30) -> None:
    """Render every target in-process before the server starts: queries, time in SQL, render time.

    The first request may create image renditions (written to the database and media), so
    it is reported separately as the cold request; the rest are warm.
    """
    from django.db import connection, connections
    from django.test import Client

    client = Client(HTTP_HOST=HOST, headers={"Accept-Language": REQUEST_HEADERS["Accept-Language"]})

    def request(target):
        # Cookies a response sets must not reach the next request (or another target).
        client.cookies.clear()
        headers = {key.replace("-", "_").upper(): value for key, value in target.headers.items()}
        extra = {f"HTTP_{key}": value for key, value in headers.items()}
        if target.method == "POST":
            response = client.generic(
                "POST", target.path, target.body(), content_type="application/x-www-form-urlencoded", **extra
            )
        else:
            response = client.get(target.path, **extra)
        # The whole body, as the load client reads it (a file download streams).
        response.bench_body = b"".join(response.streaming_content) if response.streaming else response.content
        return response

    try:
        for target in targets:
            print(f"Probing {target.name} {target.path} in-process ...", flush=True)
            with QueryRecorder(connection) as cold:
                response = request(target)
            if response.status_code != target.ok_status:
                raise BenchError(
                    f"{target.name}: {target.method} {target.path} answered {response.status_code} in-process."
                )
            title = target.detail.get("title")
            if title and title not in response.bench_body.decode():
                raise BenchError(f"{target.name}: the page at {target.path} does not show its title {title!r}.")
            elapsed, sql_time = [], []
            for _ in range(target.probe_repeats or repeats):
                with QueryRecorder(connection) as warm:
                    started = time.perf_counter()
                    request(target)
                    elapsed.append(time.perf_counter() - started)
                sql_time.append(sum(seconds for _, seconds in warm.queries))
            queries = warm.queries  # the last request's; they are the same every time
            shapes = Counter(_query_shape(sql) for sql, _ in queries)
            target.probe = {
                "queries_cold": len(cold.queries),
                "queries": len(queries),
                "distinct_query_shapes": len(shapes),
                "repeated_query_shapes": {shape[:200]: n for shape, n in shapes.most_common() if n > 1},
                # Medians over the warm requests: one request on a busy machine says little.
                "sql_ms_median": round(statistics.median(sql_time) * 1000, 2),
                "inprocess_ms_median": round(statistics.median(elapsed) * 1000, 2),
                "response_bytes": len(response.bench_body),
                # What a front cache would see: a page that sets a cookie or varies on Cookie
                # cannot be shared between visitors as it stands.
                "vary": response.get("Vary", ""),
                "sets_cookies": sorted(response.cookies.keys()),
                "cache_control": response.get("Cache-Control", ""),
            }
            if target.name == "station" and args.show_queries:
                print(f"\nSQL of one warm {target.path} request:")
                for number, (sql, seconds) in enumerate(queries, 1):
                    print(f"  {number:3d} [{seconds * 1000:6.2f} ms] {sql[:300]}")
            if target.name == "station" and args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(repeats):
                    request(target)
                profiler.disable()
                stream = io.StringIO()
                pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(40)
                print(f"\ncProfile of {repeats} in-process requests to {target.path} (cumulative):")
                print(stream.getvalue())
    finally:
        connections.close_all()


# --------------------------------------------------------------------------------------------
# gunicorn
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    # The port is released before gunicorn binds it; on a quiet loopback that race is moot.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class GunicornServer:
    """gunicorn in its own session, so stopping it takes the master and every worker with it."""

    def __init__(
        self,
        args,
        log_path: Path,
        *,
        python: str = sys.executable,
        app: str = "config.wsgi:application",
        cwd: Path = ROOT,
        env: dict | None = None,
        ready_path: str = "/healthz/",
    ):
        self.args = args
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.python, self.app, self.cwd, self.env, self.ready_path = python, app, cwd, env, ready_path

    def start(self) -> None:
        cmd = [
            self.python,
            "-m",
            "gunicorn",
            self.app,
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.args.workers),
            "--worker-class",
            self.args.worker_class,
            "--log-level",
            "warning",
            # Generous compared with the client's own cap, so a slow page shows up as latency
            # rather than as workers killed mid-request.
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            # More than any plausible concurrency: queued connections must wait, not be refused.
            "--backlog",
            "2048",
        ]
        if self.args.worker_class == "gthread":
            cmd += ["--threads", str(self.args.threads)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Kept open for the child's lifetime and closed in stop().
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            cmd, cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Poll its ready path (/healthz/) until it answers 200; returns the seconds it took."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with code {self.process.returncode}.\n{self.log_tail()}")
            try:
                status, _ = fetch_once(self.port, self.ready_path, timeout=2)
                if status == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchError(f"gunicorn did not answer {self.ready_path} within {timeout:.0f} s.\n{self.log_tail()}")

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if process is not None:
            # A worker orphaned by a crashed master would still be in the group.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if getattr(self, "_log", None):
            self._log.close()


def processes_cpu(match) -> dict[int, float]:
    """User+system CPU seconds per pid of the live processes for which match(pid, comm, pgrp) holds.

    Linux /proc only. Per pid, so a delta can skip processes that ended in between instead of
    going negative.
    """
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue  # the process ended between listing and reading
        # "pid (comm) state ppid pgrp ... utime stime ...": comm may contain spaces.
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        if match(pid, comm, int(rest[2])):
            found[pid] = (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")
    return found


class CpuSampler:
    """CPU seconds used over a run by the processes a matcher selects, sampled in the background.

    Sampling every half second keeps most of the CPU of a process that ends during the run:
    PostgreSQL backends do, since Django reconnects once a connection is older than
    CONN_MAX_AGE. A process that ended loses at most its last half second.
    """

    def __init__(self, match, interval: float = 0.5):
        self.match = match
        self.interval = interval
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, baseline: bool = False) -> None:
        for pid, seconds in processes_cpu(self.match).items():
            # A pid first seen after the baseline started during the run: all its CPU counts.
            self.first.setdefault(pid, seconds if baseline else 0.0)
            self.last[pid] = seconds

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        self._sample(baseline=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def postgres_backend_matcher(dbname: str):
    """Match the PostgreSQL backends connected to the benchmark database (by their process title).

    Other sessions on the same server, a test run for instance, are left out.
    """
    marker = f" {dbname} "

    def match(pid, comm, pgrp):
        if not comm.startswith("postgres"):
            return False
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                title = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
        return marker in title

    return match


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle, from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # guest time is already in user


def fetch_once(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=REQUEST_HEADERS)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    target: str
    path: str
    requests: int  # completed, successful or not
    errors: int
    error_kinds: dict
    seconds: float
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    server_cpu_ms_per_req: float | None  # gunicorn master + workers
    db_cpu_ms_per_req: float | None  # PostgreSQL processes; None on SQLite (it runs inside the workers)
    client_cores: float  # the load generator's CPU seconds per wall second (1.0 = one core)
    other_cores: float  # everything else on the machine: background noise in the figures
    hit_time_cap: bool


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile: a latency some request actually had."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * pct // 100))  # ceil without floats
    return sorted_values[int(rank) - 1]


def run_load(port: int, target: Target, total: int, concurrency: int, max_seconds: float, timeout: float):
    """Closed loop: each thread sends its next request as soon as the previous one is read.

    Returns (latencies of 200 responses, error kinds, completed count, wall seconds, hit cap).
    """
    lock = threading.Lock()
    state = {"issued": 0}
    deadline = time.monotonic() + max_seconds
    capped = threading.Event()
    per_thread: list[tuple[list[float], Counter]] = []

    def worker(latencies: list[float], errors: Counter) -> None:
        conn = None
        while True:
            with lock:
                if state["issued"] >= total:
                    break
                state["issued"] += 1
            if time.monotonic() >= deadline:
                capped.set()
                break
            if conn is None:
                conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
            body = target.body()
            headers = {**REQUEST_HEADERS, **target.headers}
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            try:
                conn.request(target.method, target.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()  # the whole body is part of the latency
                elapsed = time.perf_counter() - started
                if response.status == target.ok_status:
                    latencies.append(elapsed)
                else:
                    errors[f"HTTP {response.status}"] += 1
                if response.will_close:
                    # Sync workers answer "Connection: close"; reconnect for the next request.
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                errors[type(exc).__name__] += 1
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    threads = []
    for _ in range(min(concurrency, total)):
        slot: tuple[list[float], Counter] = ([], Counter())
        per_thread.append(slot)
        threads.append(threading.Thread(target=worker, args=slot, daemon=True))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        # Each thread stops issuing at the deadline; the join bound covers one last request.
        thread.join(max_seconds + timeout + 5)
    seconds = time.perf_counter() - started
    latencies = sorted(value for slot in per_thread for value in slot[0])
    errors: Counter = Counter()
    for slot in per_thread:
        errors.update(slot[1])
    completed = len(latencies) + sum(errors.values())
    return latencies, errors, completed, seconds, capped.is_set()


def bench_target(server: GunicornServer, target: Target, args, postgres_db: str | None) -> LoadResult:
    if args.warmup:
        run_load(server.port, target, args.warmup, args.concurrency, args.max_seconds, args.timeout)

    server_group = server.process.pid  # the session leader's pid is its process group id
    # PostgreSQL does the query work in its own processes; they are counted separately so the
    # server figure stays comparable with SQLite, where queries run inside the workers.
    db_match = postgres_backend_matcher(postgres_db) if postgres_db else (lambda pid, comm, pgrp: False)
    machine_before = machine_busy_seconds()
    client_before = time.process_time()
    with (
        CpuSampler(lambda pid, comm, pgrp: pgrp == server_group) as server_cpu_sampler,
        CpuSampler(db_match) as db_cpu_sampler,
    ):
        latencies, errors, completed, seconds, capped = run_load(
            server.port, target, args.requests, args.concurrency, args.max_seconds, args.timeout
        )
    client_cpu = time.process_time() - client_before
    server_cpu = server_cpu_sampler.seconds
    db = db_cpu_sampler.seconds
    other = max(0.0, machine_busy_seconds() - machine_before - server_cpu - client_cpu - db)
    ok = len(latencies)
    return LoadResult(
        target=target.name,
        path=target.path,
        requests=completed,
        errors=completed - ok,
        error_kinds=dict(errors),
        seconds=round(seconds, 3),
        rps=round(ok / seconds, 1) if seconds else 0.0,
        p50_ms=_ms(percentile(latencies, 50)),
        p95_ms=_ms(percentile(latencies, 95)),
        p99_ms=_ms(percentile(latencies, 99)),
        mean_ms=_ms(statistics.fmean(latencies)) if latencies else None,
        server_cpu_ms_per_req=round(server_cpu * 1000 / completed, 2) if completed else None,
        db_cpu_ms_per_req=round(db * 1000 / completed, 2) if completed and postgres_db else None,
        client_cores=round(client_cpu / seconds, 2) if seconds else 0.0,
        other_cores=round(other / seconds, 2) if seconds else 0.0,
        hit_time_cap=capped,
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


# --------------------------------------------------------------------------------------------
# bakerydemo: a stock Wagtail site served the same way (--bakerydemo)
# --------------------------------------------------------------------------------------------

# bakerydemo's own base settings with what the benchmark's settings change for Lianluo: DEBUG
# off, local hosts, a local-memory cache, SQLite with connections kept open between requests
# (CONN_MAX_AGE, as Lianluo's; bakerydemo's own settings keep them 500 s on a DATABASE_URL), no
# mail. Written next to its database.
BAKERY_SETTINGS = """\
import os

from bakerydemo.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "bench-only-insecure-key-" + "x" * 40
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BAKERY_SQLITE_PATH"], "CONN_MAX_AGE": 60}
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
STATIC_ROOT = os.environ["BAKERY_STATIC_ROOT"]
"""


class BakeryDemo:
    """A bakerydemo checkout, its demo content loaded once into var/bench/bakerydemo/."""

    def __init__(self, path: Path):
        self.path = path.resolve()
        self.python = self.path / ".venv" / "bin" / "python"
        if not (self.path / "manage.py").exists() or not self.python.exists():
            raise BenchError(
                f"{self.path} is not a bakerydemo checkout with a virtualenv in .venv "
                "(python -m venv .venv && .venv/bin/pip install -r requirements/base.txt gunicorn)."
            )
        self.dir = BENCH_DIR / "bakerydemo"
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "lianluo_bench_bakery.py").write_text(BAKERY_SETTINGS)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "BENCH_"))},
            "DJANGO_SETTINGS_MODULE": "lianluo_bench_bakery",
            "PYTHONPATH": f"{self.dir}{os.pathsep}{self.path}",
            "BAKERY_SQLITE_PATH": str(self.dir / "bakerydemo.sqlite3"),
            "BAKERY_STATIC_ROOT": str(self.dir / "static"),
        }

    def manage(self, *command: str) -> str:
        result = subprocess.run(
            [str(self.python), "manage.py", *command],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BenchError(
                f"bakerydemo `manage.py {' '.join(command)}` failed:\n{(result.stdout + result.stderr)[-3000:]}"
            )
        return result.stdout

    def prepare(self) -> Target:
        if not Path(self.env["BAKERY_SQLITE_PATH"]).exists():
            print("Loading bakerydemo's demo content (once)", flush=True)
            self.manage("migrate", "--noinput")
            self.manage("load_initial_data")
        if not (self.dir / "static" / "staticfiles.json").exists():
            self.manage("collectstatic", "--noinput")  # its static storage is a manifest one, as ours
        found = self.manage(
            "shell",
            "-c",
            "from bakerydemo.blog.models import BlogPage; from django.db import connection;"
            "from django.test.utils import CaptureQueriesContext; from django.test import Client;"
            "page = BlogPage.objects.live().order_by('path').first(); c = Client(HTTP_HOST='127.0.0.1');"
            "c.get(page.url)\nwith CaptureQueriesContext(connection) as q: r = c.get(page.url)\n"
            "print(page.url, r.status_code, len(q.captured_queries), page.title, sep='\\t')",
        )
        url, status, queries, title = found.strip().splitlines()[-1].split("\t")
        if status != "200":
            raise BenchError(f"bakerydemo's blog page {url} answered {status} in-process.")
        return Target(
            name="bakerydemo_blog",
            path=url,
            detail={"title": title, "site": "wagtail/bakerydemo"},
            probe={"queries": int(queries)},
        )

    def server(self, args) -> GunicornServer:
        return GunicornServer(
            args,
            BENCH_DIR / "bakerydemo-gunicorn.log",
            python=str(self.python),
            app="bakerydemo.wsgi:application",
            cwd=self.path,
            env=self.env,
            ready_path="/",
        )


def interleaved(pairs: list[tuple[GunicornServer, Target]], args) -> list[LoadResult]:
    """Each (server, target) in turn, `--rounds` times, a share of --requests each time, so a
    machine that gets busier or quieter during the run affects both alike; figures pooled."""
    for server, target in pairs:
        if args.warmup:
            run_load(server.port, target, args.warmup, args.concurrency, args.max_seconds, args.timeout)
    pooled = {target.name: ([], Counter(), 0, 0.0, False) for _, target in pairs}
    share = max(1, args.requests // args.rounds)
    for _ in range(args.rounds):
        for server, target in pairs:
            latencies, errors, completed, seconds, capped = run_load(
                server.port, target, share, args.concurrency, args.max_seconds / args.rounds, args.timeout
            )
            before = pooled[target.name]
            before[1].update(errors)
            pooled[target.name] = (
                before[0] + latencies,
                before[1],
                before[2] + completed,
                before[3] + seconds,
                before[4] or capped,
            )
    results = []
    for _, target in pairs:
        latencies, errors, completed, seconds, capped = pooled[target.name]
        latencies.sort()
        results.append(
            LoadResult(
                target=target.name,
                path=target.path,
                requests=completed,
                errors=completed - len(latencies),
                error_kinds=dict(errors),
                seconds=round(seconds, 3),
                rps=round(len(latencies) / seconds, 1) if seconds else 0.0,
                p50_ms=_ms(percentile(latencies, 50)),
                p95_ms=_ms(percentile(latencies, 95)),
                p99_ms=_ms(percentile(latencies, 99)),
                mean_ms=_ms(statistics.fmean(latencies)) if latencies else None,
                server_cpu_ms_per_req=None,
                db_cpu_ms_per_req=None,
                client_cores=0.0,
                other_cores=0.0,
                hit_time_cap=capped,
            )
        )
    return results


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def environment(args, district: dict, db_info: dict) -> dict:
    import gunicorn

    import django

    import wagtail

    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model,
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
        "gunicorn": gunicorn.__version__,
        "settings": SETTINGS_MODULE,
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads if args.worker_class == "gthread" else 1,
        "concurrency": args.concurrency,
        "requests_per_target": args.requests,
        "warmup_per_target": args.warmup,
        "max_seconds_per_target": args.max_seconds,
        "seed": args.seed,
        "scale": args.scale,
        "reused_database": not db_info["built"],
        "build_demo_seconds": db_info["build_seconds"],
        **district,
    }


def print_environment(env: dict, targets: list[Target]) -> None:
    print("\nEnvironment")
    print(f"  CPU          {env['cpu_count']} CPUs ({env['cpus_usable']} usable) {env['cpu_model']}")
    print(f"  Python       {env['python']} on {env['platform']}")
    print(f"  Stack        Django {env['django']}, Wagtail {env['wagtail']}, gunicorn {env['gunicorn']}")
    print(f"  Database     {env['db_engine']} {env['db_version']} ({env['db_name']})")
    levels = ", ".join(f"{level} {n}" for level, n in sorted(env["stations_by_level"].items()))
    print(f"  District     {env['stations']} stations ({levels}); {env['deputies']} deputies")
    print(
        f"               {env['current_memberships']} current memberships, "
        f"{env['reception_schedules']} reception schedules, {env['activities']} activities"
    )
    threads = f" x {env['threads']} threads" if env["worker_class"] == "gthread" else ""
    print(f"  Server       {env['workers']} {env['worker_class']} workers{threads}, {env['settings']}")
    print(
        f"  Client       {env['concurrency']} threads, {env['requests_per_target']} requests per target "
        f"after {env['warmup_per_target']} warm-up, cap {env['max_seconds_per_target']:.0f} s"
    )
    print("\nTargets (in-process probe, warm request)")
    for target in targets:
        p = target.probe
        extra = ", ".join(f"{key} {value}" for key, value in target.detail.items() if key != "title")
        title = target.detail.get("title", "")
        print(f"  {target.name:<14} {target.path}  {title}")
        print(f"  {'':<14} {extra}")
        print(
            f"  {'':<14} {p['queries']} SQL queries ({p['queries_cold']} cold, {p['distinct_query_shapes']} distinct), "
            f"median {p['inprocess_ms_median']} ms per request in-process, {p['sql_ms_median']} ms of it in SQL, "
            f"{p['response_bytes']} bytes"
        )
        cookies = ", ".join(p["sets_cookies"]) or "none"
        print(
            f"  {'':<14} Vary: {p['vary'] or '-'}; Cache-Control: {p['cache_control'] or '-'}; sets cookies: {cookies}"
        )
        for shape, count in list(p["repeated_query_shapes"].items())[:5]:
            print(f"  {'':<14}   x{count} {shape}")


def ratios(results: list[LoadResult]) -> dict:
    by_name = {r.target: r for r in results}
    base = by_name.get("healthz")
    out = {}
    for result in results:
        if result is base or base is None or not base.rps or not base.p50_ms or result.p50_ms is None:
            continue
        out[f"{result.target}/healthz"] = {
            "rps": round(result.rps / base.rps, 3),
            "p50": round(result.p50_ms / base.p50_ms, 2),
        }
    return out


def print_table(results: list[LoadResult], ratio: dict) -> None:
    show_db = any(r.db_cpu_ms_per_req is not None for r in results)
    db_header = f" {'db CPU ms/req':>13}" if show_db else ""
    header = (
        f"{'target':<14} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'srv CPU ms/req':>14}{db_header} {'client cores':>12} {'other cores':>11}"
    )
    print("\nResults")
    print(header)
    print("-" * len(header))

    def fmt(value):
        return "-" if value is None else f"{value:.2f}"

    for r in results:
        db = f" {fmt(r.db_cpu_ms_per_req):>13}" if show_db else ""
        print(
            f"{r.target:<14} {r.requests:>8} {r.errors:>6} {r.rps:>8.1f} {fmt(r.p50_ms):>8} {fmt(r.p95_ms):>8} "
            f"{fmt(r.p99_ms):>8} {fmt(r.server_cpu_ms_per_req):>14}{db} {r.client_cores:>12.2f} {r.other_cores:>11.2f}"
        )
    for name, values in ratio.items():
        goal = " (goal: at least x0.5)" if name == "station_cached/healthz" else ""
        print(f"ratio {name}: req/s x{values['rps']:.3f}, p50 x{values['p50']:.2f}{goal}")
    for r in results:
        if r.error_kinds:
            print(f"errors for {r.target}: {r.error_kinds}")
        if r.hit_time_cap:
            print(f"{r.target}: stopped by the time cap before all requests were sent")
        if r.other_cores > 0.2:
            print(f"warning: other processes used {r.other_cores:.2f} cores during {r.target}; figures disturbed")
    print(
        "(CPU per request: user+system time of the server processes over the measured requests; "
        "cores: CPU seconds per wall second, taken from the server by the load generator or by "
        "anything else running)"
    )


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Two district sizes side by side (--compare-scale)
# --------------------------------------------------------------------------------------------

# Options a comparison run sets itself for each of its two runs.
_PER_RUN_OPTIONS = ("--compare-scale", "--json", "--scale", "--sqlite-path", "--database-url")
SCALE_TOLERANCE = 1.5  # the goal: p95 at the large district within 1.5x of the default one


def _strip_options(argv: list[str], names) -> list[str]:
    kept, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        name = item.split("=", 1)[0]
        if name in names:
            skip = "=" not in item
            continue
        kept.append(item)
    return kept


def _database_options(args, scale: int | None, large: bool) -> list[str]:
    """The database of one run: the one named on the command line for the default district, a
    sibling with the scale in its name for the large one (built on first use, then --reuse)."""
    if args.database_url:
        if not large:
            return ["--database-url", args.database_url]
        base, _, name = args.database_url.rpartition("/")
        return ["--database-url", f"{base}/{name}_{scale}"]
    path = args.sqlite_path
    if large:
        path = path.with_name(f"{path.stem}-{scale}{path.suffix}")
    return ["--sqlite-path", str(path)]


def compare_scales(args, argv: list[str] | None) -> int:
    """Run the whole benchmark on two districts in turn and print them side by side."""
    passed = _strip_options(list(sys.argv[1:] if argv is None else argv), _PER_RUN_OPTIONS)
    runs, worst = [], 0
    for scale, large in ((args.scale, False), (args.compare_scale, True)):
        fd, name = tempfile.mkstemp(prefix="serve-bench-", suffix=".json")
        os.close(fd)
        out = Path(name)
        command = [*passed, "--json", str(out), *_database_options(args, scale, large)]
        if scale is not None:
            command += ["--scale", str(scale)]
        print(f"\n=== {scale or 'default'} stations: serve_bench.py {' '.join(command)}", flush=True)
        code = subprocess.call([sys.executable, str(Path(__file__).resolve()), *command], cwd=ROOT)
        worst = max(worst, code)
        text = out.read_text() if out.exists() else ""
        out.unlink(missing_ok=True)
        if code == 2 or not text:
            raise BenchError(f"The run at {scale or 'default'} stations failed (exit code {code}).")
        runs.append(json.loads(text))
    print_comparison(*runs)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"runs": runs, "comparison": comparison(*runs)}
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        print(f"Wrote {args.json}")
    return worst


def comparison(small: dict, large: dict) -> list[dict]:
    """Per target: queries, in-process time, req/s, p95 and their large/small ratios."""
    probes = [{t["name"]: t["probe"] for t in run["targets"]} for run in (small, large)]
    loads = [{r["target"]: r for r in run["results"]} for run in (small, large)]
    rows = []
    for name in probes[0]:
        if name not in probes[1]:
            continue
        row = {"target": name}
        for side, probe, load in (("small", probes[0][name], loads[0]), ("large", probes[1][name], loads[1])):
            result = load.get(name) or {}
            healthz = (load.get("healthz") or {}).get("rps")
            row[side] = {
                "queries": probe.get("queries"),
                "inprocess_ms": probe.get("inprocess_ms_median"),
                "rps": result.get("rps"),
                "p95_ms": result.get("p95_ms"),
                "rps_per_healthz": round(result["rps"] / healthz, 4) if result.get("rps") and healthz else None,
            }
        for key in ("inprocess_ms", "rps", "p95_ms", "rps_per_healthz"):
            a, b = row["small"][key], row["large"][key]
            row[f"{key}_ratio"] = round(b / a, 2) if a and b else None
        rows.append(row)
    return rows


def print_comparison(small: dict, large: dict) -> None:
    sizes = [run["environment"]["stations"] for run in (small, large)]
    print(f"\nComparison: {sizes[0]} stations (a) vs {sizes[1]} stations (b); ratio = b / a")
    header = (
        f"{'target':<14} {'queries a/b':>11} {'in-proc ms a':>12} {'b':>7} {'x':>5} {'req/s a':>8} {'b':>7} {'x':>5} "
        f"{'p95 ms a':>9} {'b':>8} {'x':>5} {'x /healthz':>10}"
    )
    print(header)
    print("-" * len(header))

    def num(value, fmt="{:.1f}"):
        return "-" if value is None else fmt.format(value)

    failing = []
    for row in comparison(small, large):
        a, b = row["small"], row["large"]
        print(
            f"{row['target']:<14} {num(a['queries'], '{}') + '/' + num(b['queries'], '{}'):>11} "
            f"{num(a['inprocess_ms']):>12} {num(b['inprocess_ms']):>7} {num(row['inprocess_ms_ratio'], '{:.2f}'):>5} "
            f"{num(a['rps']):>8} {num(b['rps']):>7} {num(row['rps_ratio'], '{:.2f}'):>5} "
            f"{num(a['p95_ms']):>9} {num(b['p95_ms']):>8} {num(row['p95_ms_ratio'], '{:.2f}'):>5} "
            f"{num(row['rps_per_healthz_ratio'], '{:.2f}'):>10}"
        )
        if row["target"] != "healthz" and (row["p95_ms_ratio"] or 0) > SCALE_TOLERANCE:
            failing.append(row["target"])
    print(
        "(x /healthz: the ratio of each target's throughput to /healthz/'s in its own run, b over a, "
        "which discounts a machine that was busier during one of the runs)"
    )
    if failing:
        print(f"p95 more than {SCALE_TOLERANCE}x the smaller district's: {', '.join(failing)}")


def write_json(args, env: dict, targets: list[Target], results: list[LoadResult], ratio: dict) -> None:
    if not args.json:
        return
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "environment": env,
        "targets": [asdict(t) for t in targets],
        "results": [asdict(r) for r in results],
        "ratios": ratio,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    print(f"Wrote {args.json}")


def _raise_on_sigterm(signum, frame):
    # Turn SIGTERM into an exception so the finally blocks stop gunicorn.
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    if args.compare_scale:
        try:
            return compare_scales(args, argv)
        except BenchError as exc:
            print(f"serve_bench: {exc}", file=sys.stderr)
            return 2
    static_root = Path(tempfile.mkdtemp(prefix="lianluo-bench-static-"))
    server = None
    try:
        configure_environment(args, static_root)
        # Static files first: the manifest storage reads staticfiles.json once, when it is
        # first used in this process, so it has to exist before Django does anything here.
        print(f"Collecting static files into {static_root}")
        manage("collectstatic", "--noinput")
        import django

        django.setup()

        db_info = prepare_database(args)
        district = district_summary()
        targets = choose_targets(args)
        if args.bakerydemo:
            if targets[0].name != "station":
                raise BenchError("--bakerydemo compares with the station page: keep `station` in --targets.")
            bakery = BakeryDemo(args.bakerydemo)
            bakery_target = bakery.prepare()
        probe(targets, args)
        env = environment(args, district, db_info)
        print_environment(env, targets)
        if args.probe_only:
            write_json(args, env, targets, [], {})
            return 0

        server = GunicornServer(args, BENCH_DIR / "gunicorn.log")
        server.start()
        ready = server.wait_ready()
        status, _ = fetch_once(server.port, "/static/css/site.css", timeout=5)
        print(f"\ngunicorn ready on {HOST}:{server.port} after {ready:.1f} s (static via whitenoise: {status})")
        if status != 200:
            raise BenchError(f"whitenoise did not serve /static/css/site.css ({status}).\n{server.log_tail()}")

        postgres_db = district["db_name"] if district["db_engine"] == "postgresql" else None
        results = []
        for target in targets:
            print(f"Load: {target.name} {target.path} ...", flush=True)
            results.append(bench_target(server, target, args, postgres_db))
        ratio = ratios(results)
        print_table(results, ratio)
        if args.bakerydemo:
            bakery_server = bakery.server(args)
            try:
                bakery_server.start()
                bakery_server.wait_ready()
                print(
                    f"\nInterleaved, {args.rounds} rounds: station {targets[0].path} and bakerydemo "
                    f"{bakery_target.path} ({bakery_target.detail['title']}, {bakery_target.probe['queries']} queries)",
                    flush=True,
                )
                pair = interleaved([(server, targets[0]), (bakery_server, bakery_target)], args)
            finally:
                bakery_server.stop()
            for result in pair:
                print(
                    f"  {result.target:<16} {result.rps:>8.1f} req/s  p50 {result.p50_ms} ms  p95 {result.p95_ms} ms  "
                    f"errors {result.errors}"
                )
            if pair[1].rps:
                ratio["station/bakerydemo_blog"] = {"rps": round(pair[0].rps / pair[1].rps, 3)}
                print(f"ratio station/bakerydemo_blog: req/s x{pair[0].rps / pair[1].rps:.2f} (goal: at least x2)")
            results += pair

        write_json(args, env, targets, results, ratio)
        return 1 if any(r.errors for r in results) else 0
    except BenchError as exc:
        print(f"serve_bench: {exc}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(static_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
