"""Build the demo district: plan it, (optionally) clear the old one, write it, index it.

Each step is timed and reported. A later step (e.g. `--opinions N` for benchmarks) slots in
after `write`: it receives the plan and the `StoredDistrict` holding every primary key.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from content.demo.identity import fill_site_identity
from content.demo.plan import DEFAULT_STATIONS, DistrictPlan, make_plan
from content.demo.reset import existing_counts, reset_district
from content.demo.store import BulkWriter, StoredDistrict, WagtailWriter, deferred_indexing, index_for_search


class DistrictExists(Exception):
    """A district is already there and reset was not asked for."""

    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        super().__init__(counts)


@dataclass
class BuildReport:
    plan: DistrictPlan
    stored: StoredDistrict
    mode: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.timings.values())


def build_district(
    *,
    seed: int = 2026,
    stations: int = DEFAULT_STATIONS,
    reset: bool = False,
    mode: str = "bulk",
    index: bool = True,
    history: bool | None = None,
    today: dt.date | None = None,
    progress=print,
) -> BuildReport:
    """Build the district in one transaction; raise DistrictExists rather than add a second."""
    counts = existing_counts()
    if any(counts.values()) and not reset:
        raise DistrictExists(counts)

    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str):
        nonlocal started
        now = time.perf_counter()
        timings[name] = now - started
        started = now
        progress(f"  — {name}: {timings[name]:.1f} 秒 s")

    plan = make_plan(seed, stations, today or timezone.localdate())
    progress(
        f"规划 Plan: {len(plan.stations)} 个站点 stations，{len(plan.deputies)} 名代表 deputies，"
        f"{len(plan.activities)} 个活动 activities（seed={seed}）"
    )
    lap("plan")

    with transaction.atomic():
        if reset:
            reset_district(progress)
            lap("reset")
        if mode == "api":
            writer = WagtailWriter(plan, progress)
        else:
            writer = BulkWriter(plan, progress, history=history)
        with deferred_indexing():
            stored = writer.write()
        fill_site_identity(progress)
        lap("write")
        if index:
            index_for_search(writer.objects_to_index(), progress)
            lap("index")
    return BuildReport(plan=plan, stored=stored, mode=mode, timings=timings)
