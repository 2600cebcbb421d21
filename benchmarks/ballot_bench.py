"""民生实事票决 at district scale: the count of 600 ballots, and 600 deputies voting in 代表e站.

The issue's targets: counting 600 ballots takes at most 1 s; the ballot pages take 600
deputies through signing in and casting within 5 minutes (2 ballots/s) with no errors; a
recount from the stored ballots is identical to the published count. This script measures
and prints the figures (the tests never assert wall-clock time). It
  1. prepares a throwaway database: a temporary SQLite file (default), or the PostgreSQL
     database named by --database-url (created if missing, dropped and created afresh with
     --reset; never the development database), migrates it and bulk-creates one street, 30
     liaison stations and 600 serving district deputies seated there, each with a user account
     in the deputies' role group, its 代表e站 link (DeputyAccount) and a confirmed
     authenticator; a district admin; a department;
  2. counting: a round (next year's) with M=15 candidates and N=10 places taken through ROUNDS
     to 票决中, its 600 ballots bulk-stored (seeded random choices, a few invalid paper
     ballots), then times `tally`, the `close_ballot` transition (seal + count), `store_count`,
     `seal`, `recount_matches` and `publish_results` (min / median / max ms and SQL queries);
  3. the ballot pages under load: this year's round taken to 票决中 the same way, gunicorn
     started with config.settings.bench (production settings over loopback, benchmarks/
     serve_bench.py), and every deputy driven through the real HTTP flow with their own
     session cookie (made in-process, two-factor mark included) by a pool of client threads:
     GET the round's page, POST 签到领票 (the ballot comes back with its token in a hidden
     field), POST the token and the choices. Wall time, ballots/s, p50/p95/p99/max latency
     of each step, server (and PostgreSQL) CPU per ballot, errors by kind;
  4. afterwards: closes the ballot through ROUNDS (seal + count), checks that 600 ballots are
     stored, every deputy on the roll was issued exactly one ballot, no token is left, the
     count's votes equal what the clients sent, the recount matches, and publishes the result;
  5. prints the environment (CPU, load average, Python, Django, database) with the figures.
The exit code is 0 when every request succeeded and every check held, 1 otherwise, 2 on a
setup failure. The targets are reported (met / NOT met) but do not change the exit code.

Usage (from the repository root):
  .venv/bin/python benchmarks/ballot_bench.py
  .venv/bin/python benchmarks/ballot_bench.py --concurrency 8 --workers 2 --runs 7
  .venv/bin/python benchmarks/ballot_bench.py \\
      --database-url postgresql://postgres@127.0.0.1:5432/lianluo_ballot_bench --reset
Caveat: the client threads run on the same machine as gunicorn (and PostgreSQL) and compete
with them for CPU; the "other cores" figure shows what anything else on the machine used.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from serve_bench import (
    BENCH_DIR,
    HOST,
    REQUEST_HEADERS,
    BenchError,
    CpuSampler,
    GunicornServer,
    configure_environment,
    fetch_once,
    machine_busy_seconds,
    manage,
    percentile,
    postgres_backend_matcher,
    signed_in_cookie,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
TICKET_RE = re.compile(r'name="ticket" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TARGET_COUNT_MS = 1000.0
TARGET_SECONDS = 300.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--database-url", help="PostgreSQL instead of a temporary SQLite file")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the PostgreSQL database first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite database (its path is printed)")
    parser.add_argument("--deputies", type=int, default=600)
    parser.add_argument("--stations", type=int, default=30)
    parser.add_argument("--candidates", type=int, default=15, help="M, candidates on the ballot")
    parser.add_argument("--seats", type=int, default=10, help="N, places (at most N choices a ballot)")
    parser.add_argument(
        "--invalid", type=int, default=6, help="invalid (over-voted paper) ballots of the counting round"
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each counting step")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads, each one deputy at a time")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request socket timeout, seconds")
    parser.add_argument("--skip-load", action="store_true", help="counting only: no gunicorn, no HTTP")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL (postgresql://user@host:port/name)")
    if min(args.deputies, args.stations, args.candidates, args.seats, args.runs, args.concurrency) < 1:
        parser.error("counts must be at least 1")
    if args.seats > args.candidates or args.invalid > args.deputies:
        parser.error("--seats must not exceed --candidates, nor --invalid --deputies")
    return args


# --------------------------------------------------------------------------------------------
# Database and the district
# --------------------------------------------------------------------------------------------


def prepare_postgres(url: str, reset: bool) -> None:
    """Create the benchmark database (through the server's maintenance database), dropping it
    first with --reset. Refuses a database whose name does not say it is a scratch one."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    params = dj_database_url.parse(url)
    name = params["NAME"]
    if not name or "bench" not in name:
        raise BenchError("--database-url must name a scratch database whose name contains 'bench'.")
    connect = {
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
        "autocommit": True,  # CREATE/DROP DATABASE cannot run inside a transaction
    }
    with psycopg.connect(dbname="postgres", **connect) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate() -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


@dataclass
class World:
    office: object
    department: object
    deputies: list  # Deputy, in pk order
    users: list  # their accounts, in the same order
    build_seconds: float = 0.0


def build_world(args) -> World:
    """The district in bulk: no history rows, revisions (except the stations') or search index."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from points_district import add_deputies

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from base.roles import Role, role_group_name
    from content.models import CentreStationPage, Deputy, GeneralStationPage, LiaisonStationPage, Street
    from content.tree import add_station, district_home
    from duties.models import DeputyAccount
    from livelihood.models import ProjectRound
    from workflows.models import Department

    if ProjectRound.objects.exists() or Deputy.objects.exists():
        raise BenchError("The database already holds deputies or rounds: use a fresh one (--reset for PostgreSQL).")
    started = time.perf_counter()
    call_command("sync_roles", verbosity=0, stdout=io.StringIO())
    street = Street.objects.create(name="基准街道", slug="bench")
    general = add_station(district_home(), GeneralStationPage(title="基准联络总站", slug="bench-general"))
    centre = add_station(general, CentreStationPage(title="基准街道中心站", slug="bench-centre", street=street))
    stations = [
        add_station(centre, LiaisonStationPage(title=f"基准联络站{n:02d}", slug=f"bench-{n:02d}"))
        for n in range(args.stations)
    ]
    add_deputies(stations, args.deputies, prefix="基准代表")
    deputies = list(Deputy.objects.filter(is_active=True).order_by("pk"))

    User = get_user_model()
    unusable = make_password(None)  # nobody signs in with a password here: the sessions are made
    users = User.objects.bulk_create(
        User(username=f"bench-deputy-{n:04d}", display_name=deputy.name, password=unusable)
        for n, deputy in enumerate(deputies)
    )
    group = Group.objects.get(name=role_group_name(Role.DEPUTY))
    User.groups.through.objects.bulk_create(User.groups.through(user_id=u.pk, group_id=group.pk) for u in users)
    DeputyAccount.objects.bulk_create(
        DeputyAccount(deputy=deputy, user=user) for deputy, user in zip(deputies, users, strict=True)
    )
    TOTPDevice.objects.bulk_create(TOTPDevice(user=user, name="bench", confirmed=True) for user in users)
    office = User.objects.create(username="bench-office", display_name="基准区人大代表工委", password=unusable)
    office.groups.add(Group.objects.get(name=role_group_name(Role.DISTRICT_ADMIN)))
    department = Department.objects.create(name="基准区民政局")
    return World(office, department, deputies, users, round(time.perf_counter() - started, 1))


def open_round(world: World, args, year: int, title: str) -> tuple[object, dict]:
    """A district round with M candidates taken through ROUNDS to 票决中; the open_ballot step
    (which builds the roll) is timed."""
    from livelihood.models import Candidate, ProjectRound
    from livelihood.rounds import ROUNDS

    pround = ProjectRound.objects.create(year=year, title=title, seats=args.seats, candidate_count=args.candidates)
    Candidate.objects.bulk_create(
        Candidate(
            round=pround,
            number=number,
            title=f"基准候选项目{number:02d}",
            description="基准测试用的候选项目内容。",
            budget=100 + number,
            department=world.department,
            location="全区",
            assessment="基准测试：论证可行。",
        )
        for number in range(1, args.candidates + 1)
    )
    for step in ("open_nominations", "close_nominations", "publish_candidates"):
        pround = ROUNDS.perform(pround, step, user=world.office)
    started = time.perf_counter()
    pround = ROUNDS.perform(pround, "open_ballot", user=world.office)
    return pround, {"open_ballot_ms": round_ms(time.perf_counter() - started), "entitled": pround.entitled}


def choose(rng: random.Random, candidates: int, seats: int) -> list[int]:
    """One deputy's choices: 4…N candidates, the lower numbers more popular (weighted sampling
    without replacement), so the count has clear winners, near misses and losers."""
    k = rng.randint(min(4, seats), seats)
    keyed = sorted(range(1, candidates + 1), key=lambda n: rng.random() ** (1.0 / (candidates + 1 - n)), reverse=True)
    return sorted(keyed[:k])


def round_ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# --------------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------------


def measure(name: str, function, runs: int) -> dict:
    """Warm-up call, `runs` timed calls, one more under a query capture."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        function()
    return {
        "step": name,
        "runs": runs,
        "min_ms": round(min(times), 1),
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "queries": len(queries),
    }


def once(name: str, function) -> tuple[dict, object]:
    """A step that can only run once (a transition): one timed call with its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = function()
        ms = (time.perf_counter() - started) * 1000
    ms = round(ms, 1)
    return {"step": name, "runs": 1, "min_ms": ms, "median_ms": ms, "max_ms": ms, "queries": len(queries)}, result


def bench_counting(world: World, args) -> dict:
    from django.utils import timezone

    from livelihood import ballot
    from livelihood.models import Ballot, BallotCount, BallotMethod, Elector, ProjectRound
    from livelihood.rounds import ROUNDS

    year = timezone.localdate().year + 1
    pround, opened = open_round(world, args, year, f"{year}年民生实事项目（计票基准）")
    rng = random.Random(args.seed)
    electors = list(Elector.objects.filter(round=pround).order_by("pk").values_list("pk", flat=True))
    paper = electors[: args.invalid]
    now = timezone.now()
    Elector.objects.filter(pk__in=paper).update(issued=BallotMethod.PAPER, issued_at=now)
    Elector.objects.filter(round=pround, issued="").update(issued=BallotMethod.ONLINE, issued_at=now)
    ballots = [
        Ballot(round=pround, choices=sorted(rng.sample(range(1, args.candidates + 1), args.seats + 1)), valid=False)
        for _ in paper
    ]
    ballots += [Ballot(round=pround, choices=choose(rng, args.candidates, args.seats)) for _ in electors[len(paper) :]]
    Ballot.objects.bulk_create(ballots)

    steps = [measure("tally (before closing)", lambda: ballot.tally(pround), args.runs)]
    closing, pround = once(
        "close_ballot (seal + count)", lambda: ROUNDS.perform(pround, "close_ballot", user=world.office)
    )
    steps.append(closing)
    pround = ProjectRound.objects.get(pk=pround.pk)
    steps.append(measure("tally", lambda: ballot.tally(pround), args.runs))
    steps.append(measure("store_count", lambda: ballot.store_count(pround), args.runs))
    steps.append(measure("seal", lambda: ballot.seal(pround), args.runs))
    steps.append(measure("recount_matches", lambda: ballot.recount_matches(pround), args.runs))
    matches = ballot.recount_matches(pround)
    publishing, pround = once(
        "publish_results (recount)", lambda: ROUNDS.perform(pround, "publish_results", user=world.office)
    )
    steps.append(publishing)
    count = BallotCount.objects.get(round=pround)
    return {
        "round": pround.title,
        **opened,
        "ballots": Ballot.objects.filter(round=pround).count(),
        "steps": steps,
        "count": outcome(count),
        "recount_matches": matches,
        "published": pround.state,
    }


def outcome(count) -> dict:
    from livelihood.ballot import threshold

    return {
        "entitled": count.entitled,
        "cast": count.cast,
        "invalid": count.invalid,
        "threshold": threshold(count.entitled),
        "votes": {int(k): v for k, v in count.votes.items()},
        "chosen": list(count.chosen),
        "tied": list(count.tied),
        "places_tied": count.places_tied,
        "shortfall": count.shortfall,
    }


# --------------------------------------------------------------------------------------------
# The ballot pages under load
# --------------------------------------------------------------------------------------------


@dataclass
class Voter:
    number: int
    cookies: dict  # name -> value
    choices: list[int]
    csrf: str


@dataclass
class Outcome:
    latencies: dict = field(default_factory=lambda: {"round": [], "sign_in": [], "cast": []})
    errors: Counter = field(default_factory=Counter)
    samples: list = field(default_factory=list)  # (step, status, excerpt) of the first errors
    cast_ok: int = 0
    sent: Counter = field(default_factory=Counter)  # votes the clients cast successfully


class Client:
    """One keep-alive-when-possible connection to gunicorn, a deputy's cookies per request."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout, self.conn = port, timeout, None

    def request(self, method: str, path: str, voter: Voter, form: dict | None = None) -> tuple[int, str, float]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        headers = {**REQUEST_HEADERS, "Cookie": "; ".join(f"{k}={v}" for k, v in voter.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{HOST}:{self.port}"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                voter.cookies[name] = morsel.value
        if response.will_close:
            self.close()
        return response.status, text, elapsed

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def make_voters(world: World, args) -> tuple[list[Voter], float]:
    """Each deputy's session cookie (made in-process, two-factor mark included), a made-up CSRF
    cookie, and the choices they will make (seeded)."""
    from django.conf import settings

    started = time.perf_counter()
    rng = random.Random(args.seed + 1)
    voters = []
    for number, user in enumerate(world.users):
        session = signed_in_cookie(user)
        name, _, value = session.partition("=")
        secret = os.urandom(16).hex()  # Django accepts an unmasked 32-character secret in cookie and field
        voters.append(
            Voter(
                number,
                {name: value, settings.CSRF_COOKIE_NAME: secret},
                choose(rng, args.candidates, args.seats),
                secret,
            )
        )
    return voters, time.perf_counter() - started


def vote(client: Client, voter: Voter, round_pk: int, args, out: Outcome, lock: threading.Lock) -> None:
    base = f"/e/livelihood/{round_pk}/"

    def fail(step: str, kind: str, text: str = "") -> None:
        with lock:
            out.errors[f"{step}: {kind}"] += 1
            if len(out.samples) < 5:
                out.samples.append((voter.number, step, kind, re.sub(r"\s+", " ", text)[:300]))

    try:
        # The round's page shows the ballot code before signing in and carries it (signed) to
        # 签到领票: a deputy cannot sign in without opening it.
        status, text, elapsed = client.request("GET", base, voter)
        ticket = TICKET_RE.search(text) if status == 200 else None
        if ticket is None:
            return fail("round", f"HTTP {status}" if status != 200 else "no 签到领票 form", text)
        out.latencies["round"].append(elapsed)
        sign_in_form = {"csrfmiddlewaretoken": voter.csrf, "ticket": ticket.group(1)}
        status, text, elapsed = client.request("POST", base + "sign-in/", voter, sign_in_form)
        token = TOKEN_RE.search(text) if status == 200 else None
        if token is None:
            return fail("sign_in", f"HTTP {status}" if status != 200 else "no ballot token", text)
        out.latencies["sign_in"].append(elapsed)
        csrf = CSRF_RE.search(text)  # the masked token of the form, as a browser would post it
        form = {"csrfmiddlewaretoken": csrf.group(1) if csrf else voter.csrf, "token": token.group(1)}
        form["choice"] = [str(n) for n in voter.choices]
        status, text, elapsed = client.request("POST", base + "cast/", voter, form)
        if status != 200 or "已投票" not in text:
            return fail("cast", f"HTTP {status}" if status != 200 else "no thanks page", text)
        out.latencies["cast"].append(elapsed)
        with lock:
            out.cast_ok += 1
            out.sent.update(voter.choices)
    except (OSError, http.client.HTTPException) as exc:
        fail("connection", type(exc).__name__, str(exc))


def run_voters(port: int, voters: list[Voter], round_pk: int, args) -> tuple[Outcome, float]:
    out, lock = Outcome(), threading.Lock()
    queue = list(reversed(voters))

    def worker() -> None:
        client = Client(port, args.timeout)
        while True:
            with lock:
                if not queue:
                    break
                voter = queue.pop()
            vote(client, voter, round_pk, args, out, lock)
        client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(args.concurrency, len(voters)))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out, time.perf_counter() - started


def warm_up(port: int, voters: list[Voter], round_pk: int, args) -> None:
    """Each worker loads its code and templates on a few round pages (read-only) first."""
    client = Client(port, args.timeout)
    for voter in voters[: 4 * args.workers]:
        client.request("GET", f"/e/livelihood/{round_pk}/", voter)
    client.close()


def latency_figures(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round_ms(percentile(ordered, 50)) if ordered else None,
        "p95_ms": round_ms(percentile(ordered, 95)) if ordered else None,
        "p99_ms": round_ms(percentile(ordered, 99)) if ordered else None,
        "max_ms": round_ms(ordered[-1]) if ordered else None,
        "mean_ms": round_ms(statistics.fmean(ordered)) if ordered else None,
    }


def bench_load(world: World, args, is_postgres: bool, db_name: str) -> dict:
    from django.db import connections
    from django.utils import timezone

    year = timezone.localdate().year
    pround, opened = open_round(world, args, year, f"{year}年民生实事项目")
    voters, cookie_seconds = make_voters(world, args)
    print(f"  {len(voters)} session cookies made in-process in {cookie_seconds:.2f} s")
    connections.close_all()  # nothing held open while the workers write

    server = GunicornServer(args, BENCH_DIR / "ballot-gunicorn.log")
    try:
        server.start()
        ready = server.wait_ready()
        status, _ = fetch_once(server.port, "/static/css/site.css", timeout=5)
        print(f"  gunicorn ready on {HOST}:{server.port} after {ready:.1f} s (static: {status})")
        warm_up(server.port, voters, pround.pk, args)
        group = server.process.pid
        db_match = postgres_backend_matcher(db_name) if is_postgres else (lambda pid, comm, pgrp: False)
        load_before = os.getloadavg()
        machine_before, client_before = machine_busy_seconds(), time.process_time()
        with (
            CpuSampler(lambda pid, comm, pgrp: pgrp == group) as server_cpu,
            CpuSampler(db_match) as db_cpu,
        ):
            out, seconds = run_voters(server.port, voters, pround.pk, args)
        client_cpu = time.process_time() - client_before
        other = max(0.0, machine_busy_seconds() - machine_before - server_cpu.seconds - db_cpu.seconds - client_cpu)
        load_after = os.getloadavg()
    finally:
        server.stop()
    log = server.log_tail(200_000)
    requests = sum(len(v) for v in out.latencies.values()) + sum(out.errors.values())
    ok = out.cast_ok
    return {
        "round": pround,
        **opened,
        "session_cookies_s": round(cookie_seconds, 1),
        "voters": len(voters),
        "ballots_cast": ok,
        "requests": requests,
        "seconds": round(seconds, 2),
        "ballots_per_s": round(ok / seconds, 2) if seconds else 0.0,
        "steps": {step: latency_figures(values) for step, values in out.latencies.items() if values},
        "errors": dict(out.errors),
        "error_samples": out.samples,
        "server_cpu_ms_per_ballot": round(server_cpu.seconds * 1000 / ok, 1) if ok else None,
        "server_cpu_ms_per_request": round(server_cpu.seconds * 1000 / requests, 1) if requests else None,
        "db_cpu_ms_per_ballot": round(db_cpu.seconds * 1000 / ok, 1) if ok and is_postgres else None,
        "client_cores": round(client_cpu / seconds, 2) if seconds else 0.0,
        "other_cores": round(other / seconds, 2) if seconds else 0.0,
        "loadavg_before": [round(v, 2) for v in load_before],
        "loadavg_after": [round(v, 2) for v in load_after],
        "log_database_locked": log.count("database is locked"),
        "log_tracebacks": log.count("Traceback"),
        "sent": out.sent,
    }


def after_the_vote(world: World, load: dict) -> dict:
    """Close through ROUNDS, then check the box against the roll and what the clients sent."""
    from base.models import AuditEvent
    from duties.models import DutyRecord
    from livelihood import ballot
    from livelihood.models import Ballot, BallotCount, BallotMethod, BallotToken, Elector, LivelihoodAction
    from livelihood.rounds import ROUNDS

    pround = load.pop("round")
    sent = load.pop("sent")
    unused = BallotToken.objects.filter(round=pround).count()
    closing, pround = once(
        "close_ballot (seal + count)", lambda: ROUNDS.perform(pround, "close_ballot", user=world.office)
    )
    count = BallotCount.objects.get(round=pround)
    electors = Elector.objects.filter(round=pround)
    checks = {
        "ballots stored": (Ballot.objects.filter(round=pround).count(), len(world.deputies)),
        "count: ballots cast": (count.cast, len(world.deputies)),
        "count: invalid": (count.invalid, 0),
        "roll: deputies": (electors.count(), len(world.deputies)),
        "roll: issued one online ballot": (electors.filter(issued=BallotMethod.ONLINE).count(), len(world.deputies)),
        "roll: not issued": (electors.filter(issued="").count(), 0),
        "tokens left unused": (unused, 0),
        "audit: ballots issued": (
            AuditEvent.objects.filter(action=LivelihoodAction.BALLOT_ISSUED).count(),
            len(world.deputies),
        ),
        "audit: ballots cast (anonymous)": (
            AuditEvent.objects.filter(action=LivelihoodAction.BALLOT_CAST, actor=None).count(),
            len(world.deputies),
        ),
        "duty records: vote sign-ins": (
            DutyRecord.objects.filter(auto_key__startswith=f"livelihood_vote:{pround.pk}:").count(),
            len(world.deputies),
        ),
        "count: votes = what the clients sent": (
            {int(k): v for k, v in count.votes.items() if v},
            {k: v for k, v in sorted(sent.items())},
        ),
    }
    matches = ballot.recount_matches(pround)
    checks["recount matches the stored count"] = (matches, True)
    publishing, pround = once(
        "publish_results (recount)", lambda: ROUNDS.perform(pround, "publish_results", user=world.office)
    )
    return {
        "close": closing,
        "publish": publishing,
        "count": outcome(count),
        "checks": {name: {"got": got, "want": want, "ok": got == want} for name, (got, want) in checks.items()},
        "published": pround.state,
    }


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def environment(args, database: str) -> dict:
    import gunicorn

    import django
    from django.db import connection

    import wagtail

    cpu_model = ""
    try:
        cpu_model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    if connection.vendor == "sqlite":
        version = sqlite3.sqlite_version
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "loadavg": [round(v, 2) for v in os.getloadavg()],
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
        "gunicorn": gunicorn.__version__,
        "db_engine": connection.vendor,
        "db_version": version,
        "database": database,
        "workers": args.workers,
        "worker_class": args.worker_class,
        "concurrency": args.concurrency,
        "deputies": args.deputies,
        "candidates": args.candidates,
        "seats": args.seats,
        "seed": args.seed,
    }


def print_environment(env: dict) -> None:
    print("\nEnvironment")
    print(f"  CPU        {env['cpus']} CPUs {env['cpu_model']}; load average {env['loadavg']}")
    print(f"  Python     {env['python']} on {env['platform']}")
    print(f"  Stack      Django {env['django']}, Wagtail {env['wagtail']}, gunicorn {env['gunicorn']}")
    print(f"  Database   {env['db_engine']} {env['db_version']} ({env['database']})")
    print(
        f"  Ballot     {env['deputies']} deputies, M={env['candidates']} candidates, N={env['seats']} places, "
        f"seed {env['seed']}"
    )


def print_steps(steps: list[dict]) -> None:
    print(f"  {'step':<30} {'runs':>4} {'min ms':>9} {'median ms':>10} {'max ms':>9} {'queries':>8}")
    for s in steps:
        print(
            f"  {s['step']:<30} {s['runs']:>4} {s['min_ms']:>9.1f} {s['median_ms']:>10.1f} "
            f"{s['max_ms']:>9.1f} {s['queries']:>8}"
        )


def print_outcome(count: dict) -> None:
    votes = ", ".join(f"{n}:{v}" for n, v in sorted(count["votes"].items(), key=lambda item: (-item[1], item[0])))
    print(
        f"  count: {count['cast']} ballots of {count['entitled']} entitled, {count['invalid']} invalid; "
        f"threshold {count['threshold']} votes"
    )
    print(f"  votes (candidate:votes): {votes}")
    tied = f"; tied {count['tied']} for {count['places_tied']} places" if count["tied"] else ""
    print(f"  chosen {count['chosen']} ({len(count['chosen'])}); shortfall {count['shortfall']}{tied}")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def print_counting(counting: dict) -> None:
    print(f"\nCounting: {counting['round']} ({counting['ballots']} ballots stored)")
    print(f"  open_ballot (roll of {counting['entitled']}) {counting['open_ballot_ms']} ms")
    print_steps(counting["steps"])
    print_outcome(counting["count"])
    worst = max(s["max_ms"] for s in counting["steps"] if s["step"].startswith(("tally", "close_ballot", "store")))
    print(
        f"  recount matches: {counting['recount_matches']}; state after publishing: {counting['published']}; "
        f"target ≤ {TARGET_COUNT_MS:.0f} ms for counting: {verdict(worst <= TARGET_COUNT_MS)} (slowest {worst} ms)"
    )


def print_load(load: dict, after: dict) -> None:
    print(
        f"\nBallot pages under load: {load['voters']} deputies, {load['requests']} requests, "
        f"open_ballot (roll of {load['entitled']}) {load['open_ballot_ms']} ms"
    )
    print(
        f"  wall {load['seconds']:.1f} s, {load['ballots_cast']} ballots cast, {load['ballots_per_s']:.2f} ballots/s; "
        f"server CPU {load['server_cpu_ms_per_ballot']} ms/ballot ({load['server_cpu_ms_per_request']} ms/request)"
        + (f", PostgreSQL CPU {load['db_cpu_ms_per_ballot']} ms/ballot" if load["db_cpu_ms_per_ballot"] else "")
        + f"; client {load['client_cores']} cores, other {load['other_cores']} cores"
    )
    print(f"  load average before {load['loadavg_before']}, after {load['loadavg_after']}")
    print(f"  {'step':<10} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'mean ms':>8}")
    for step, f in load["steps"].items():
        print(
            f"  {step:<10} {f['n']:>5} {f['p50_ms']:>8.1f} {f['p95_ms']:>8.1f} {f['p99_ms']:>8.1f} "
            f"{f['max_ms']:>8.1f} {f['mean_ms']:>8.1f}"
        )
    errors = sum(load["errors"].values())
    print(f"  errors: {errors} {load['errors'] or ''}")
    for sample in load["error_samples"]:
        print(f"    e.g. deputy #{sample[0]} {sample[1]} {sample[2]}: {sample[3]}")
    if load["log_database_locked"] or load["log_tracebacks"]:
        print(
            f"  gunicorn log: {load['log_tracebacks']} tracebacks, "
            f"{load['log_database_locked']} 'database is locked' ({BENCH_DIR / 'ballot-gunicorn.log'})"
        )
    met = errors == 0 and load["ballots_cast"] == load["voters"] and load["seconds"] <= TARGET_SECONDS
    print(f"  target {load['voters']} ballots within {TARGET_SECONDS:.0f} s, no errors: {verdict(met)}")
    print("\nAfter the vote")
    print_steps([after["close"], after["publish"]])
    print_outcome(after["count"])
    for name, check in after["checks"].items():
        mark = "ok" if check["ok"] else f"MISMATCH (got {check['got']}, want {check['want']})"
        print(f"  {name:<40} {mark}")
    print(f"  state after publishing: {after['published']}")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _raise_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    static_root = Path(tempfile.mkdtemp(prefix="ballot-bench-static-"))
    sqlite_dir = None
    try:
        if args.database_url:
            prepare_postgres(args.database_url, args.reset)
            database = args.database_url
        else:
            sqlite_dir = Path(tempfile.mkdtemp(prefix="ballot-bench-"))
            args.sqlite_path = sqlite_dir / "ballot-bench.sqlite3"
            database = str(args.sqlite_path)
        configure_environment(args, static_root)
        if not args.skip_load:
            print(f"Collecting static files into {static_root}")
            manage("collectstatic", "--noinput")
        import django

        django.setup()
        from django.db import connection

        env = environment(args, database)
        print_environment(env)
        print(f"\nMigrating in {migrate():.1f} s")
        world = build_world(args)
        print(
            f"Built in {world.build_seconds:.1f} s: {args.stations} stations, {len(world.deputies)} deputies with "
            "accounts, 代表e站 links and authenticators"
        )
        counting = bench_counting(world, args)
        print_counting(counting)
        result = {"environment": env, "counting": counting}
        failed = not counting["recount_matches"] or counting["published"] != "implementing"
        if not args.skip_load:
            print(
                f"\nLoad: {args.deputies} deputies through 代表e站, {args.concurrency} client threads ...", flush=True
            )
            load = bench_load(world, args, connection.vendor == "postgresql", str(connection.settings_dict["NAME"]))
            after = after_the_vote(world, load)
            print_load(load, after)
            result |= {"load": load, "after": after}
            failed = failed or bool(load["errors"]) or not all(c["ok"] for c in after["checks"].values())
            failed = failed or after["published"] != "implementing"
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
            print(f"Wrote {args.json}")
        print(f"\nload average at the end: {[round(v, 2) for v in os.getloadavg()]}")
        return 1 if failed else 0
    except BenchError as exc:
        print(f"ballot_bench: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        if sqlite_dir is not None:
            if args.keep:
                print(f"Kept the SQLite database {args.sqlite_path}")
            else:
                shutil.rmtree(sqlite_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
