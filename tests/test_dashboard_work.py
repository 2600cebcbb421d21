"""一屏统览, the other modules' part (oversight.work_section): deputy suggestions per lead
department with their A / B / C shares, the livelihood projects being implemented with their
progress, and the street tasks by street and state. On a fixed data set: the refresh fills
the three rollup tables with the year-end report's figures (the same computation); every
figure's link lists exactly the rows it counts; each person sees the sections (and only the
rows) their listings show them; a page view reads the rollup tables, never the modules'."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from base.roles import Role, role_group_name
from coordination.models import StreetTask, StreetTaskState, Task
from livelihood.models import BallotCount, Candidate, Milestone, ProgressReport, ProjectRound, RoundState
from oversight.models import ProjectProgressRollup, RollupRun, StreetTaskRollup, SuggestionRollup
from oversight.rollups import refresh
from suggestions.statistics import yearly_report
from tests.conftest import role_user, station_user, street_user
from tests.test_suggestion_drafting import TODAY
from tests.test_suggestion_drafting import world as world  # noqa: F401 - the shared fixture
from tests.test_suggestion_report import year_of_suggestions as year_of_suggestions  # noqa: F401

pytestmark = pytest.mark.django_db
URL = reverse("oversight_dashboard:index")
S = StreetTaskState
d = dt.date


def implementing_round(world, street, chosen, *, state=RoundState.IMPLEMENTING, candidates=3):
    round = ProjectRound.objects.create(
        year=2026, street=street, title=f"2026年{street.name if street else '全区'}民生实事", state=state
    )
    for number in range(1, candidates + 1):
        Candidate.objects.create(
            round=round,
            number=number,
            title=f"{street.name if street else '全区'}项目{number}",
            description="项目内容",
            budget=100,
            department=world["lead_department"],
        )
    BallotCount.objects.create(round=round, entitled=5, cast=5, invalid=0, votes={}, chosen=chosen)
    return round


def report(candidate, day, progress):
    ProgressReport.objects.create(candidate=candidate, reported_on=day, progress=progress, spent=10, text="进展")


@pytest.fixture
def work(year_of_suggestions, street):
    """Today is 2026-11-30. Suggestions: the year-end report's six of 2026 (and one of 2025).
    Livelihood: the district's round chose projects 1 and 2 (of 3) and is being implemented —
    project 1 reported 30% then 60%, has a milestone done, one past due, one to come; project
    2 has reported nothing; street B's round chose project 1 (100%, its one milestone done);
    street A's round is counted but not yet implemented. Street tasks: street A has one
    completed, one submitted (past its date, not overdue: the result is in), one returned past
    its date (overdue); street B one accepted past its date (overdue), one issued not yet due."""
    w = year_of_suggestions
    other = w["other_street"]
    district = implementing_round(w, None, [1, 2])
    one = district.candidates.get(number=1)
    report(one, d(2026, 6, 20), 30)
    report(one, d(2026, 10, 1), 60)
    Milestone.objects.create(candidate=one, title="完成设计", due_on=d(2026, 6, 30), done_on=d(2026, 6, 20))
    Milestone.objects.create(candidate=one, title="主体完工", due_on=d(2026, 10, 31))
    Milestone.objects.create(candidate=one, title="验收", due_on=d(2026, 12, 31))
    street_b = implementing_round(w, other, [1], candidates=2)
    report(street_b.candidates.get(number=1), d(2026, 11, 1), 100)
    Milestone.objects.create(
        candidate=street_b.candidates.get(number=1), title="完工", due_on=d(2026, 11, 1), done_on=d(2026, 11, 1)
    )
    implementing_round(w, street, [1], state=RoundState.COUNTED, candidates=2)

    def task(title, *parts):
        row = Task.objects.create(title=title, year=2026, description="要求", due_on=d(2026, 12, 31))
        for where, state, due_on in parts:
            StreetTask.objects.create(task=row, street=where, state=state, due_on=due_on)

    task("联络站建设调研", (street, S.COMPLETED, d(2026, 11, 20)), (other, S.ACCEPTED, d(2026, 11, 20)))
    task("代表履职视察", (street, S.SUBMITTED, d(2026, 11, 1)), (other, S.ISSUED, d(2026, 12, 20)))
    task("问卷调查", (street, S.RETURNED, d(2026, 11, 10)))
    people = {
        "admin": w["office"],
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
        "editor": role_user("editor", role_group_name(Role.EDITOR)),
        "outsider": street_user(other, "qingbo-secretary"),
        "staff": station_user(w["station"]),
    }
    return {**w, **people, "district_round": district, "street_b_round": street_b, "one": one}


WORK_SECTIONS = ("suggestions", "livelihood", "street_tasks")  # oversight.work_section's (duties: their own tests)


def sections_of(client, user, **query) -> dict:
    client.force_login(user)
    response = client.get(URL, query)
    assert response.status_code == 200
    return {section.key: section for section in response.context["sections"] if section.key in WORK_SECTIONS}


def listed(client, href) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["page_obj"].paginator.count


def counted(label: str, value: str, note: str, text: str = "") -> int:
    """The number of rows a figure says it counts: the numerator of an "n/d" note or of a
    share's "（n/d）", the projects an average is over, else the figure itself."""
    for source in (note, text):
        share = re.search(r"(\d+)/(\d+)", source or "")
        if share:
            return int(share.group(1))
    if label == "平均完成进度":
        return int(re.match(r"\d+", note).group())
    return int(re.match(r"\d+", value).group())


def every_link(section):
    for figure in section.headline:
        yield f"{section.key} {figure.label}", counted(figure.label, figure.value, figure.note), figure.href
    for chart in section.charts:
        for label, cells in chart.rows:
            for column, cell in zip(chart.columns, cells, strict=True):
                value = counted(column, str(cell.value or 0), "", cell.text) if chart.unit == "%" else cell.value
                yield f"{chart.key} {label} {column}", value, cell.href


def test_the_refresh_fills_the_tables_with_the_modules_figures(work):
    result = refresh()
    # Suggestions: exactly the year-end report's lines, year by year.
    for year in (2025, 2026):
        lines = yearly_report(year, today=TODAY)
        rows = list(SuggestionRollup.objects.filter(year=year).order_by("position"))
        assert [row.label for row in rows] == [line.name for line in lines]
        for row, line in zip(rows, lines, strict=True):
            assert (row.filed, row.replied, row.category_a, row.category_b, row.category_c) == (
                line.filed,
                line.category_a.of,
                line.category_a.count,
                line.category_b.count,
                line.category_c.count,
            )
            assert (row.satisfied, row.rated, row.overdue, row.assigned) == (
                line.satisfied.count,
                line.satisfied.of,
                line.overdue.count,
                line.overdue.of,
            )
    overall = SuggestionRollup.objects.get(year=2026, department=None)
    assert (overall.filed, overall.replied, overall.category_a, overall.overdue) == (6, 3, 1, 2)
    # Projects: the implemented rounds' chosen projects only.
    projects = {row.candidate_id: row for row in ProjectProgressRollup.objects.all()}
    one, two = work["one"], work["district_round"].candidates.get(number=2)
    b_one = work["street_b_round"].candidates.get(number=1)
    assert set(projects) == {one.pk, two.pk, b_one.pk}
    assert (projects[one.pk].progress, projects[one.pk].reported_on) == (60, d(2026, 10, 1))
    assert (projects[one.pk].milestones, projects[one.pk].milestones_done, projects[one.pk].milestones_overdue) == (
        3,
        1,
        1,
    )
    assert projects[two.pk].progress is None and projects[two.pk].milestones == 0
    assert projects[b_one.pk].street_id == work["other_street"].pk and projects[b_one.pk].progress == 100
    # Street tasks: per street and state, overdue as the listing's filter says.
    tasks = {(row.label, row.state): (row.count, row.overdue) for row in StreetTaskRollup.objects.all()}
    assert tasks == {
        ("湖滨街道", S.COMPLETED): (1, 0),
        ("湖滨街道", S.SUBMITTED): (1, 0),
        ("湖滨街道", S.RETURNED): (1, 1),
        ("清波街道", S.ACCEPTED): (1, 1),
        ("清波街道", S.ISSUED): (1, 0),
    }
    assert result.run.rows == result.rows and RollupRun.objects.count() == 1
    # A second refresh replaces the rows: nothing counted twice.
    refresh()
    assert SuggestionRollup.objects.filter(year=2026, department=None).count() == 1
    assert ProjectProgressRollup.objects.count() == 3 and StreetTaskRollup.objects.count() == 5


def test_the_district_dashboard_shows_the_figures(client, work):
    refresh()
    sections = sections_of(client, work["admin"])
    assert list(sections) == ["suggestions", "livelihood", "street_tasks"]
    headline = {figure.label: figure for figure in sections["suggestions"].headline}
    assert headline["立案"].value == "6 件"
    assert (headline["A类"].value, headline["A类"].note) == ("33.3%", "1/3")
    assert (headline["B类"].value, headline["B类"].note) == ("66.7%", "2/3")
    assert headline["满意（含基本满意）"].note == "2/3" and headline["逾期未答复"].value == "2 件"
    by_department = {label: [cell.value for cell in cells] for label, cells in sections["suggestions"].charts[0].rows}
    assert by_department == {"区公安分局交警大队": [1, 1, 0, 1], "区住建局": [0, 1, 0, 1], "区城管局": [0, 0, 0, 0]}

    livelihood = sections["livelihood"]
    headline = {figure.label: figure.value for figure in livelihood.headline}
    assert headline == {"实施中的项目": "2 项", "平均完成进度": "30.0%", "有到期未完成节点的项目": "1 项"}
    progress = livelihood.charts[0]
    assert [(label, cells[0].shown) for label, cells in progress.rows] == [
        ("2026年 1. 全区项目1", "60%"),
        ("2026年 2. 全区项目2", "未报告"),
    ]
    assert progress.rows[0][1][0].href == reverse("livelihood_candidates:project", args=[work["one"].pk])
    assert [cell.value for cell in livelihood.charts[1].rows[0][1]] == [1, 1, 1]

    tasks = sections["street_tasks"]
    headline = {figure.label: figure.value for figure in tasks.headline}
    assert headline == {"街道任务": "5 件", "已办结": "1 件", "已报送待确认": "1 件", "超期": "2 件"}
    states = tasks.charts[0]
    assert states.columns == ["已下达", "已接收", "已退回", "已报送", "已办结"]
    by_street = {label: [cell.value for cell in cells] for label, cells in states.rows}
    assert by_street == {"湖滨街道": [0, 0, 1, 1, 1], "清波街道": [1, 1, 0, 0, 0]}  # in the streets' order
    assert [cells[0].value for _label, cells in tasks.charts[1].rows] == [1, 1]
    page = client.get(URL).content.decode()
    assert "代表建议办理（2026年度）" in page and "民生实事项目实施进度（全区）" in page and "区街联动任务办理" in page


@pytest.mark.parametrize("who", ["admin", "auditor", "secretary", "outsider"])
def test_each_figures_link_lists_exactly_the_rows_it_counts(client, work, who):
    refresh()
    sections = sections_of(client, work[who])
    links = [link for section in sections.values() for link in every_link(section)]
    assert len(links) > (40 if who in ("admin", "auditor") else 10)
    for name, count, href in links:
        if "/project/" in href:  # a project's own screen: its plan and reports
            assert client.get(href).status_code == 200, name
        else:
            assert listed(client, href) == count, name


def test_a_street_committee_sees_its_own_streets_rounds_and_tasks_only(client, work):
    refresh()
    sections = sections_of(client, work["outsider"])  # street B's committee
    assert list(sections) == ["livelihood", "street_tasks"]  # suggestions: not theirs to read
    livelihood = sections["livelihood"]
    assert [label for label, _cells in livelihood.charts[0].rows] == ["2026年 1. 清波街道项目1"]
    assert {figure.label: figure.value for figure in livelihood.headline}["平均完成进度"] == "100.0%"
    assert [label for label, _cells in sections["street_tasks"].charts[0].rows] == ["清波街道"]
    assert {figure.label: figure.value for figure in sections["street_tasks"].headline}["超期"] == "1 件"
    page = client.get(URL).content.decode()
    assert "湖滨街道" not in page and "全区项目" not in page
    # The suggestions listing shows a street committee nothing either.
    assert client.get(reverse("suggestions:index")).status_code in (302, 403, 404)

    # Street A's committee: its round is not being implemented yet.
    sections = sections_of(client, work["secretary"])
    assert {figure.label: figure.value for figure in sections["livelihood"].headline}["实施中的项目"] == "0 项"
    assert [label for label, _cells in sections["street_tasks"].charts[0].rows] == ["湖滨街道"]

    # The district admin looking at street B: its round and tasks, no suggestions (district-wide).
    sections = sections_of(client, work["admin"], street=work["other_street"].pk)
    assert list(sections) == ["livelihood", "street_tasks"]
    assert [label for label, _cells in sections["livelihood"].charts[0].rows] == ["2026年 1. 清波街道项目1"]


def test_station_staff_and_the_editor_have_none_of_these_sections(client, work):
    refresh()
    assert sections_of(client, work["staff"]) == {}  # a station: no rounds, tasks or suggestions
    assert sections_of(client, work["editor"]) == {}  # reads none of the three listings


def test_a_page_view_reads_the_rollup_tables_only(client, work):
    refresh()
    for who in ("admin", "outsider"):
        client.force_login(work[who])
        cache.clear()  # the first viewer after a refresh: the rollup rows are not cached yet
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        touched = " ".join(query["sql"] for query in queries)
        for table in ("suggestions_", "livelihood_", "coordination_"):
            assert f'"{table}' not in touched, who
        assert "oversight_suggestionrollup" in touched or who == "outsider"
        assert "oversight_projectprogressrollup" in touched and "oversight_streettaskrollup" in touched
