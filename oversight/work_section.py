"""The dashboard's sections for the other modules' work (oversight.sections): deputy
suggestions (代表建议) per lead department with their A / B / C shares, the livelihood
projects being implemented (民生实事) with their progress, and the district's tasks for the
streets (区街联动) by street and state.

Each section counts its rollup table during the refresh (`count_*`) and reads it on the page
in one query (`build_*`); every figure links to the staff listing with the filters that
select exactly the rows it counts (those listings are scoped to the person as well), or, for a
project's own figures, to the project's screen. Who sees which section follows the listing
it links to:

- suggestions: district-wide only (the suggestions listing shows street committees and
  station staff nothing), on the district's dashboard, for those who may read the listing
  (the district admin, the auditor; not the editor);
- livelihood projects: the district's rounds on the district's dashboard, a street's rounds
  on that street's, for those who may read the candidates listing (a street committee reads
  its own street's); none on a station's;
- street tasks: every street on the district's dashboard, one street on its own, for those
  who may read the street tasks listing; none on a station's.

Definitions (the README repeats them): suggestions as `suggestions.statistics` counts the
year-end report, for the year the period ends in; projects are the chosen projects of the
rounds in the state 实施中, their progress the latest report's percentage, a milestone past due
when its planned date is before the refresh day and it is not done; street tasks where they
stand at the refresh, overdue as `coordination.models.STREET_TASK_DEADLINE` says.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from coordination.models import STREET_TASK_DEADLINE, StreetTask, StreetTaskState
from livelihood.models import Candidate, Milestone, ProgressReport
from livelihood.project_admin import implementing_q, milestone_overdue_q
from oversight.charts import BAR, STACKED, TILES, Cell, Chart
from oversight.dashboard import Figure, Scope
from oversight.models import ProjectProgressRollup, StreetTaskRollup, SuggestionRollup
from oversight.rollups import cached_rows, street_names
from oversight.sections import Section, SectionView, register
from suggestions.statistics import report_years, yearly_report
from workflows.process import NOTHING

CATEGORIES = (("A", "category_a"), ("B", "category_b"), ("C", "category_c"))


def _href(base: str, **filters) -> str:
    query = {key: value for key, value in filters.items() if value is not None}
    return f"{base}?{urlencode(query)}" if query else base


def _percent(count: int, of: int) -> str:
    return f"{round(100 * count / of, 1)}%" if of else "—"


def _may_read(user, permission: str) -> bool:
    """Whether the person may open the listing the section's figures link to (the model
    permissions were read with the admin's menu: no query)."""
    return bool(user and user.has_perm(permission))


# --- 代表建议 Suggestions ----------------------------------------------------------------------


def count_suggestions() -> dict[type, list[SuggestionRollup]]:
    """Each year's report, as `suggestions.statistics.yearly_report` counts it (five queries a
    year): the district's line first (position 0), then the lead departments in its order;
    a year without filed suggestions has no rows (its figures show as zero)."""
    rows = []
    for year in report_years():
        lines = yearly_report(year)
        if not lines[0].filed:  # nothing filed that year (this year's, early on): no rows
            continue
        for position, line in enumerate(lines):
            rows.append(
                SuggestionRollup(
                    year=year,
                    department_id=line.department_id,
                    label=line.name,
                    position=position,
                    filed=line.filed,
                    co_handled=line.co_handled,
                    assigned=line.overdue.of,
                    overdue=line.overdue.count,
                    replied=line.category_a.of,
                    category_a=line.category_a.count,
                    category_b=line.category_b.count,
                    category_c=line.category_c.count,
                    rated=line.satisfied.of,
                    satisfied=line.satisfied.count,
                )
            )
    return {SuggestionRollup: rows}


def build_suggestions(scope: Scope, start: dt.date, end: dt.date, user) -> SectionView | None:
    if scope.kind != "district" or not _may_read(user, "suggestions.view_suggestion"):
        return None
    year = end.year
    rows = cached_rows(
        f"suggestions:{year}", lambda: list(SuggestionRollup.objects.filter(year=year).order_by("position"))
    )
    overall = next((row for row in rows if row.department_id is None), SuggestionRollup(year=year, label=""))
    listing = reverse("suggestions:index")

    def link(**filters) -> str:
        return _href(listing, year=year, filed="true", **filters)

    view = SectionView("suggestions", f"代表建议办理（{year}年度）")
    view.headline = [
        Figure("立案", f"{overall.filed} 件", link(), f"{year}年度编号立案"),
        Figure("已答复", f"{overall.replied} 件", link(replied="true"), f"已交办 {overall.assigned} 件"),
        *(
            Figure(
                f"{letter}类",
                _percent(getattr(overall, name), overall.replied),
                link(reply_category=letter),
                f"{getattr(overall, name)}/{overall.replied}",
            )
            for letter, name in CATEGORIES
        ),
        Figure(
            "满意（含基本满意）",
            _percent(overall.satisfied, overall.rated),
            link(rating="satisfied"),
            f"{overall.satisfied}/{overall.rated}",
        ),
        Figure("逾期未答复", f"{overall.overdue} 件", link(overdue="true"), f"已交办 {overall.assigned} 件"),
    ]
    departments = [row for row in rows if row.department_id is not None]
    chart = Chart(
        "suggestion_categories", "答复类别（按主办单位）", STACKED, ["A类", "B类", "C类", "未答复"], unit="件"
    )
    shares = Chart("suggestion_a_share", "A类（已解决或基本解决）占比（按主办单位）", BAR, ["A类占比"], unit="%")
    for row in departments:
        lead = {"lead_department": row.department_id}
        chart.add(
            row.label,
            [
                *(Cell(getattr(row, name), href=link(reply_category=letter, **lead)) for letter, name in CATEGORIES),
                Cell(row.filed - row.replied, href=link(replied="false", **lead)),
            ],
        )
        percent = round(100 * row.category_a / row.replied, 1) if row.replied else None
        shares.add(
            row.label,
            [
                Cell(
                    percent,
                    f"{percent}%（{row.category_a}/{row.replied}）" if row.replied else "—",
                    link(reply_category="A", **lead),
                )
            ],
        )
    view.charts = [chart, shares]
    view.note = (
        f"口径同“代表建议办理统计”年度报表（{year}年度，按结束月份所在年度）：立案为编号立案的建议；单位一行是它现在主办的件数；"
        "A/B/C 类按最近一次答复的类别，基数为已答复的；满意按代表最近一次评价，基数为已评价的；"
        "逾期未答复为等待答复（已交办、重新办理）且已过办理期限的。"
    )
    return view


# --- 民生实事 Livelihood projects -----------------------------------------------------------------


def count_projects() -> dict[type, list[ProjectProgressRollup]]:
    """The chosen projects of the rounds being implemented, with their latest progress report
    and their milestones (four queries)."""
    terms = implementing_q()
    if terms == NOTHING:
        return {}
    today = timezone.localdate()
    projects = list(
        Candidate.objects.filter(terms)
        .order_by("round__year", "round_id", "number")
        .values_list("pk", "round_id", "round__street_id", "round__year", "number", "title")
    )
    ids = [row[0] for row in projects]
    latest = {}
    for candidate_id, progress, reported_on in (
        ProgressReport.objects.filter(candidate_id__in=ids)
        .order_by("candidate_id", "-reported_on", "-pk")
        .values_list("candidate_id", "progress", "reported_on")
    ):
        latest.setdefault(candidate_id, (progress, reported_on))
    milestones = {
        row["candidate_id"]: (row["total"], row["done"], row["late"])
        for row in Milestone.objects.filter(candidate_id__in=ids)
        .values("candidate_id")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(done_on__isnull=False)),
            late=Count("pk", filter=milestone_overdue_q(today)),
        )
        .order_by()
    }
    rows = []
    for position, (pk, round_id, street_id, year, number, title) in enumerate(projects):
        progress, reported_on = latest.get(pk, (None, None))
        total, done, late = milestones.get(pk, (0, 0, 0))
        rows.append(
            ProjectProgressRollup(
                round_id=round_id,
                street_id=street_id,
                candidate_id=pk,
                year=year,
                label=f"{year}年 {number}. {title}",
                sort_key=f"{position:06d}",
                progress=progress,
                reported_on=reported_on,
                milestones=total,
                milestones_done=done,
                milestones_overdue=late,
            )
        )
    return {ProjectProgressRollup: rows}


def _round_filter(scope: Scope) -> dict:
    return {"street": scope.street.pk} if scope.kind == "street" else {"district_level": "true"}


def build_projects(scope: Scope, start: dt.date, end: dt.date, user) -> SectionView | None:
    if scope.kind == "station" or not _may_read(user, "livelihood.view_candidate"):
        return None
    query = ProjectProgressRollup.objects.order_by("sort_key")
    query = query.filter(street=scope.street) if scope.kind == "street" else query.filter(street__isnull=True)
    rows = cached_rows(f"projects:{scope.cache_name}", lambda: list(query))
    listing = reverse("livelihood_candidates:index")
    where = _round_filter(scope)
    projects = _href(listing, stage="implementing", **where)
    reported = [row.progress or 0 for row in rows]
    average = f"{sum(reported) / len(reported):.1f}%" if rows else "—"
    late = sum(1 for row in rows if row.milestones_overdue)
    done, planned = sum(row.milestones_done for row in rows), sum(row.milestones for row in rows)
    view = SectionView(
        "livelihood", "民生实事项目实施进度（" + ("全区" if scope.kind == "district" else scope.label) + "）"
    )
    view.headline = [
        Figure("实施中的项目", f"{len(rows)} 项", projects, "票决确定、本轮实施中"),
        Figure("平均完成进度", average, projects, f"{len(rows)} 项，未报告的计 0%"),
        Figure(
            "有到期未完成节点的项目",
            f"{late} 项",
            _href(listing, stage="implementing", milestone_overdue="true", **where),
            f"计划节点已完成 {done} 个，共 {planned} 个",
        ),
    ]
    progress = Chart("project_progress", "完成进度（按项目）", BAR, ["完成进度"], unit="%")
    steps = Chart("project_milestones", "计划节点（按项目）", STACKED, ["已完成", "到期未完成", "未到期"], unit="个")
    for row in rows:
        page = reverse("livelihood_candidates:project", args=[row.candidate_id])
        shown = "未报告" if row.progress is None else f"{row.progress}%"
        progress.add(row.label, [Cell(row.progress, shown, page)])
        not_due = row.milestones - row.milestones_done - row.milestones_overdue
        steps.add(
            row.label,
            [Cell(row.milestones_done, href=page), Cell(row.milestones_overdue, href=page), Cell(not_due, href=page)],
        )
    view.charts = [progress, steps]
    view.note = (
        "实施中的项目：票决确定、所在轮次处于“实施中”的项目；完成进度为责任单位最近一次报告的完成进度；"
        "到期未完成：计划完成日期早于统计日期、尚未完成的节点。点项目名称下的数字进入该项目的实施与监督页面。"
    )
    return view


# --- 区街联动 Street tasks ------------------------------------------------------------------------


def count_street_tasks() -> dict[type, list[StreetTaskRollup]]:
    """Per street and state: how many street tasks, how many overdue (two queries)."""
    streets = street_names()
    grouped = (
        StreetTask.objects.order_by()
        .values("street_id", "state")
        .annotate(count=Count("pk"), overdue=Count("pk", filter=STREET_TASK_DEADLINE.overdue_q()))
    )
    rows = [
        StreetTaskRollup(
            street_id=row["street_id"],
            state=row["state"],
            count=row["count"],
            overdue=row["overdue"],
            label=streets.get(row["street_id"], ("", ""))[0],
            sort_key=streets.get(row["street_id"], ("", ""))[1],
        )
        for row in grouped
    ]
    return {StreetTaskRollup: rows}


def build_street_tasks(scope: Scope, start: dt.date, end: dt.date, user) -> SectionView | None:
    if scope.kind == "station" or not _may_read(user, "coordination.view_streettask"):
        return None
    query = StreetTaskRollup.objects.all()
    query = query.filter(street=scope.street) if scope.kind == "street" else query
    rows = cached_rows(f"street-tasks:{scope.cache_name}", lambda: list(query))
    listing = reverse("coordination_street_tasks:index")
    here = {"street": scope.street.pk} if scope.kind == "street" else {}
    by_street: dict[int, dict] = {}
    for row in sorted(rows, key=lambda row: (row.sort_key, row.label)):
        part = by_street.setdefault(row.street_id, {"label": row.label, "states": defaultdict(int), "overdue": 0})
        part["states"][row.state] += row.count
        part["overdue"] += row.overdue
    total = sum(row.count for row in rows)
    completed = sum(row.count for row in rows if row.state == StreetTaskState.COMPLETED)
    submitted = sum(row.count for row in rows if row.state == StreetTaskState.SUBMITTED)
    overdue = sum(row.overdue for row in rows)
    view = SectionView("street_tasks", "区街联动任务办理")
    view.headline = [
        Figure("街道任务", f"{total} 件", _href(listing, **here), "各街道的办理记录"),
        Figure(
            "已办结",
            f"{completed} 件",
            _href(listing, state=StreetTaskState.COMPLETED.value, **here),
            f"{completed}/{total}",
        ),
        Figure("已报送待确认", f"{submitted} 件", _href(listing, state=StreetTaskState.SUBMITTED.value, **here)),
        Figure("超期", f"{overdue} 件", _href(listing, overdue="true", **here), "已过完成期限、仍欠成果"),
    ]
    states = list(StreetTaskState)
    chart = Chart(
        "street_task_states", "街道任务（按街道、状态）", STACKED, [state.label for state in states], unit="件"
    )
    tiles = Chart("street_task_overdue", "超期街道任务（按街道）", TILES, ["超期件数"], unit="件")
    for street_id, part in by_street.items():
        chart.add(
            part["label"],
            [
                Cell(part["states"][state.value], href=_href(listing, state=state.value, street=street_id))
                for state in states
            ],
        )
        tiles.add(part["label"], [Cell(part["overdue"], href=_href(listing, overdue="true", street=street_id))])
    view.charts = [chart, tiles]
    view.note = (
        "街道任务按现在的状态统计；超期：完成期限已过而街道仍欠成果（已下达、已接收、已退回），"
        "已报送待区确认的不算超期。"
    )
    return view


register(Section("suggestions", "代表建议", (SuggestionRollup,), count_suggestions, build_suggestions, order=300))
register(Section("livelihood", "民生实事", (ProjectProgressRollup,), count_projects, build_projects, order=310))
register(Section("street_tasks", "区街联动", (StreetTaskRollup,), count_street_tasks, build_street_tasks, order=320))
