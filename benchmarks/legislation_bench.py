"""立法征询 at the size of a large draft: 120 articles and 5,000 comments.

The issue's targets: the draft's public page in at most 15 SQL queries, and the compiled
report exported in at most 3 s. This script measures and prints the figures (the tests never
assert wall-clock time). It
  1. creates a throwaway database: a temporary SQLite file (default), or the PostgreSQL
     database named by --database-url (created if missing, dropped and created afresh with
     --reset; never the development database), and migrates it;
  2. builds a street, a liaison station designated as a contact point with two experts, and
     a draft of 120 articles in 10 chapters (2 clauses each), published and opened through
     the real process; then bulk-creates 5,000 comments spread over the articles and the
     draft as a whole (published, withheld, merged duplicates, rejected; online, QR, forum,
     letter, hotline, expert), closes the consultation and writes a compiled opinion for
     every line that received comments;
  3. times, over several runs (min / median / max ms, SQL queries, peak memory): the draft's
     public page and one article's page (served in-process through Wagtail's routing),
     `compilation()`, the Word report (`as_docx`) and the Excel report (`as_xlsx`);
  4. prints the environment and whether each target is met.

Usage (from the repository root):
  .venv/bin/python benchmarks/legislation_bench.py
  .venv/bin/python benchmarks/legislation_bench.py --articles 120 --comments 5000 --runs 5
  .venv/bin/python benchmarks/legislation_bench.py \\
      --database-url postgresql://postgres@127.0.0.1:5432/lianluo_legislation_bench --reset
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from duty_points_bench import configure

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DIGITS = "零一二三四五六七八九"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL instead of a temporary SQLite file")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the PostgreSQL database first")
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--comments", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def chinese(number: int) -> str:
    """1 → 一, 12 → 十二, 120 → 一百二十 (as drafts number their articles)."""
    if number < 10:
        return DIGITS[number]
    if number < 20:
        return "十" + (DIGITS[number % 10] if number % 10 else "")
    if number < 100:
        return DIGITS[number // 10] + "十" + (DIGITS[number % 10] if number % 10 else "")
    rest = number % 100
    text = DIGITS[number // 100] + "百"
    if rest == 0:
        return text
    return text + ("零" + DIGITS[rest] if rest < 10 else ("一" + chinese(rest) if rest < 20 else chinese(rest)))


def draft_text(articles: int, chapters: int = 10) -> str:
    lines = ["某市物业管理条例（修订草案征求意见稿）"]
    per_chapter = max(1, articles // chapters)
    for n in range(1, articles + 1):
        if (n - 1) % per_chapter == 0:
            lines.append(f"第{chinese((n - 1) // per_chapter + 1)}章 第{(n - 1) // per_chapter + 1}部分")
        lines.append(f"第{chinese(n)}条 物业服务人应当按照合同约定提供第{n}项服务，并公开收费标准和服务内容。")
        lines.append(f"违反前款规定的，由主管部门责令限期改正，并可以处以{n}千元以下罚款。")
    return "\n".join(lines)


def build(args):
    from django.contrib.auth import get_user_model

    from content.models import CentreStationPage, GeneralStationPage, LiaisonStationPage, Street
    from content.tree import add_station, district_home
    from legislation.consultations import CONSULTATIONS
    from legislation.drafts import designate, publish_draft
    from legislation.models import Comment, CommentChannel, CommentState, CompiledOpinion, Expert

    street = Street.objects.create(name="基准街道", slug="bench")
    general = add_station(district_home(), GeneralStationPage(title="基准联络总站", slug="bench-general"))
    centre = add_station(general, CentreStationPage(title="基准街道中心站", slug="bench-centre", street=street))
    station = add_station(centre, LiaisonStationPage(title="基准立法联系点", slug="bench-point"))
    point = designate(station)
    experts = [Expert.objects.create(contact_point=point, name=name, title="法学院教授") for name in ("周立", "陈敏")]
    admin = get_user_model().objects.create_superuser("bench-admin", password="x" * 20)
    today = dt.date.today()
    page = publish_draft(
        station,
        title="《某市物业管理条例（修订草案）》征求意见稿",
        text=draft_text(args.articles),
        source="省人大常委会法制工作委员会",
        opens_on=today - dt.timedelta(days=20),
        closes_on=today,
        return_by=today + dt.timedelta(days=10),
    )
    consultation = CONSULTATIONS.perform(page.consultation, "open", user=admin)
    articles = list(consultation.articles.order_by("position"))
    rng = random.Random(args.seed)
    channels = (
        [CommentChannel.ONLINE] * 6
        + [CommentChannel.QR] * 2
        + [
            CommentChannel.FORUM,
            CommentChannel.LETTER,
            CommentChannel.HOTLINE,
            CommentChannel.EXPERT,
        ]
    )
    rows = []
    for n in range(args.comments):
        channel = rng.choice(channels)
        article = None if rng.random() < 0.05 else rng.choice(articles)
        state = rng.choices(
            [CommentState.PUBLISHED, CommentState.WITHHELD, CommentState.REJECTED], weights=[80, 10, 10]
        )[0]
        rows.append(
            Comment(
                consultation=consultation,
                article=article,
                receipt_no=f"LF{n:012d}",
                content=f"关于{article.label if article else '整体'}的意见第 {n} 条：建议明确服务标准，细化罚则。"
                * rng.randint(1, 3),
                channel=channel,
                commenter_name="" if channel == CommentChannel.EXPERT else f"居民{n}",
                commenter_phone=f"139{n:08d}",
                phone_last4=f"{n % 10000:04d}",
                expert=rng.choice(experts) if channel == CommentChannel.EXPERT else None,
                received_on=today,
                state=state,
            )
        )
    Comment.objects.bulk_create(rows, batch_size=1000)
    # One comment in ten of those published joins an earlier one on its article (a duplicate).
    first_on = {}
    merged = []
    for comment in Comment.objects.filter(consultation=consultation, state=CommentState.PUBLISHED).order_by("pk"):
        earlier = first_on.setdefault(comment.article_id, comment)
        if earlier.pk != comment.pk and rng.random() < 0.1:
            comment.state, comment.merged_into = CommentState.MERGED, earlier
            merged.append(comment)
    Comment.objects.bulk_update(merged, ["state", "merged_into"], batch_size=1000)
    consultation = CONSULTATIONS.perform(consultation, "close", user=admin)
    with_comments = set(Comment.objects.filter(consultation=consultation).values_list("article_id", flat=True))
    CompiledOpinion.objects.bulk_create(
        CompiledOpinion(consultation=consultation, article_id=article_id, text="建议细化服务标准，明确罚则适用条件。")
        for article_id in with_comments
    )
    return consultation


def measure(name, function, runs):
    from django.db import connection

    function()  # warm up: imports, templates, the first connection
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    # Counted at the cursor (a request served in-process resets Django's own query log).
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        function()
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{name:<26} min {min(times):8.1f} ms   median {statistics.median(times):8.1f} ms   "
        f"max {max(times):8.1f} ms   peak {peak / 2**20:6.1f} MiB   {len(queries)} queries"
    )
    return result, statistics.median(times), len(queries)


def main() -> int:
    args = parse_args()
    database = configure(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from legislation.compilation import compilation
    from legislation.exports import as_docx, as_xlsx
    from legislation.models import Comment

    print(f"数据库 database: {connection.vendor} ({database})")
    print(f"Python {platform.python_version()} · {platform.machine()} · {os.cpu_count()} CPUs")
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    consultation = build(args)
    built = time.perf_counter()
    print(
        f"迁移 migrate {migrated - start:.1f} s · 生成 build {built - migrated:.1f} s: "
        f"{consultation.articles.count()} articles, {Comment.objects.count()} comments"
    )
    client = Client()
    url = consultation.page.url
    article_url = f"{url}articles/{consultation.articles.count() // 2}/"

    def page(path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response

    _, page_ms, page_queries = measure("公开页面 draft page", lambda: page(url), args.runs)
    measure("条文页面 article page", lambda: page(article_url), args.runs)
    rows, _, _ = measure("compilation()", lambda: compilation(consultation), args.runs)
    docx, docx_ms, _ = measure("Word 汇总表 as_docx", lambda: as_docx(consultation), args.runs)
    xlsx, xlsx_ms, _ = measure("Excel 汇总表 as_xlsx", lambda: as_xlsx(consultation), args.runs)
    print(
        f"汇总行 lines {len(rows)} · Word {len(docx) / 1024:.0f} KiB · Excel {len(xlsx) / 1024:.0f} KiB · "
        f"page {len(page(url).content) / 1024:.0f} KiB"
    )
    met = {True: "met", False: "NOT met"}
    print(f"目标 public page ≤ 15 queries: {page_queries} ({met[page_queries <= 15]}); {page_ms:.0f} ms median")
    print(
        f"目标 export ≤ 3 s: Word {docx_ms / 1000:.2f} s ({met[docx_ms <= 3000]}), "
        f"Excel {xlsx_ms / 1000:.2f} s ({met[xlsx_ms <= 3000]})"
    )
    if not args.database_url:
        connection.close()
        Path(os.environ["SQLITE_PATH"]).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
