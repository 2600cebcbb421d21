"""python manage.py build_demo [--seed N] [--scale N] [--reset]: build the demo district.

The stations, deputies and schedules come from content's generator (content.demo), then the
opinions from this app's (workflows.demo): each app's data in the order the layers go.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content.demo.build import DistrictExists, build_district
from content.demo.plan import DEFAULT_STATIONS, MIN_STATIONS
from content.demo.store import HISTORY_MAX_PAGES
from content.tree import district_home
from workflows.demo import build_opinions


class Command(BaseCommand):
    help = (
        "生成演示用的联络站网络（1 个总站、14 个中心站、61 个联络站、144 个联络点、约 570 名代表）。"
        " Build the demo district of liaison stations; --scale N builds about N stations."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=2026, help="随机种子：相同种子生成相同的站点和代表 (default 2026)"
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=DEFAULT_STATIONS,
            help=f"站点总数，按相同比例放大 Total number of stations (default {DEFAULT_STATIONS})",
        )
        parser.add_argument(
            "--reset", action="store_true", help="先删除已有的演示数据 Delete the existing district first"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="在 DEBUG 关闭时仍允许 --reset（仅用于基准测试库）Allow --reset with DEBUG off (benchmark databases)",
        )
        parser.add_argument(
            "--mode",
            choices=["bulk", "api"],
            default="bulk",
            help="写入方式：bulk 批量插入（默认）；api 逐页 add_child 并发布（很慢，仅用于核对） "
            "How pages are written: bulk inserts (default) or the Wagtail API page by page (slow)",
        )
        parser.add_argument(
            "--history",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=f"批量模式下记录页面修订版本、操作日志、引用索引和数据历史；默认在 {HISTORY_MAX_PAGES} 个页面以内记录 "
            f"Write revisions, log entries, references and row history (default: up to {HISTORY_MAX_PAGES} pages)",
        )
        parser.add_argument(
            "--skip-index",
            action="store_true",
            help="不更新搜索索引（公众搜索将找不到新数据） Do not update the search index",
        )
        parser.add_argument(
            "--opinions",
            type=int,
            default=None,
            help="群众意见条数；默认按站点数（默认区 300 条）；600 条以上批量写入 "
            "Number of citizens' opinions (default: 300 for the default district, scaled with --scale)",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="活动、接待日和群众意见时间的基准日 YYYY-MM-DD：意见在此前约六个月内提交 "
            "Reference day of activities, receptions and opinions (submitted in the six months before; default today)",
        )

    def handle(self, *args, seed, scale, reset, mode, history, skip_index, today, force, opinions, **options):
        if reset and not settings.DEBUG and not force:
            raise CommandError(
                "--reset 会删除全部站点、代表和街道，只能在演示环境（DEBUG 开启）中使用；基准测试库请加 --force。\n"
                "--reset deletes every station, deputy and street: demo only (DEBUG on), or pass --force."
            )
        if scale < MIN_STATIONS:
            raise CommandError(f"--scale 至少为 {MIN_STATIONS}。--scale must be at least {MIN_STATIONS}.")
        if district_home() is None:
            raise CommandError("没有找到区首页，请先运行 migrate。No district home page: run migrate first.")
        verbosity = options.get("verbosity", 1)

        def progress(message: str):
            if verbosity >= 1:
                self.stdout.write(message)

        try:
            report = build_district(
                seed=seed,
                stations=scale,
                reset=reset,
                mode=mode,
                index=not skip_index,
                history=history,
                today=today,
                progress=progress,
            )
        except DistrictExists as exists:
            c = exists.counts
            self.stdout.write(
                self.style.WARNING(
                    f"已有演示数据（{c['stations']} 个站点、{c['pages']} 个页面、{c['deputies']} 名代表、"
                    f"{c['streets']} 个街道），未重复生成。如需重建，请加 --reset。\n"
                    "A district already exists; nothing was added. Re-run with --reset to rebuild it."
                )
            )
            return
        if opinions is None:
            opinions = round(300 * scale / DEFAULT_STATIONS)
        started = time.perf_counter()
        made = build_opinions(opinions, seed=seed, today=today, progress=progress)
        opinion_seconds = time.perf_counter() - started
        plan = report.plan
        levels = {level: len(plan.stations_at(level)) for level in ("general", "centre", "station", "point")}
        seconds = report.total_seconds + opinion_seconds  # the whole build, said once in each language
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：{len(plan.stations)} 个站点（总站 {levels['general']}、中心站 {levels['centre']}、"
                f"联络站 {levels['station']}、联络点 {levels['point']}），{len(plan.deputies)} 名代表，"
                f"{len(plan.memberships)} 条驻站记录，{len(plan.schedules)} 条接待安排，"
                f"{len(plan.activities)} 个活动，{made} 条群众意见；"
                f"用时 {seconds:.1f} 秒（{report.mode} 模式）。\n"
                f"Done: {len(plan.stations)} stations, {len(plan.deputies)} deputies, {made} opinions in "
                f"{seconds:.1f} s ({report.mode} mode)."
            )
        )
