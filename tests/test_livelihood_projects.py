"""民生实事 after the vote: the responsible department reports progress against the plan (shown
on the project's public page with a progress bar), the supervision group inspects and raises
problems that the department answers, taking part counts in the deputies' duty points, and the
year-end evaluation is published with each rating's count and share."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from base.roles import Role, department_group_name, role_group_name
from duties.models import DutyRecord
from livelihood import ballot
from livelihood.implementation import (
    INSPECTIONS,
    Progress,
    ProjectError,
    Visit,
    evaluation_results,
    rate,
    record_inspection,
    report_progress,
    set_group,
)
from livelihood.models import InspectionState, Milestone, RoundState
from livelihood.rounds import ROUNDS
from tests.conftest import make_deputy, role_user
from tests.test_livelihood_ballot import balloting
from tests.test_livelihood_ballot import district as district  # noqa: F401 - the shared fixture
from workflows.process import TransitionError

pytestmark = pytest.mark.django_db
S = RoundState
TODAY = dt.date(2026, 12, 4)


def photo(name="site.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def projects(district, fixed_today):
    """A round whose vote chose projects 1 and 2 (of 4), published and being implemented."""
    fixed_today(TODAY)
    round = balloting(district)
    for deputy in district["deputies"]:
        token = ballot.issue(round, deputy, "online", user=district["office"])
        ballot.cast(round, token, [1, 2])
    round = ROUNDS.perform(round, "close_ballot", user=district["office"])
    round = ROUNDS.perform(round, "publish_results", user=district["office"])
    handler = role_user(
        "mz-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(district["department"])
    )
    return {**district, "round": round, "handler": handler, "one": round.candidates.get(number=1)}


def test_taking_part_in_the_vote_counts_in_the_deputys_duty_points(projects):
    round, deputy = projects["round"], projects["deputies"][0]
    record = DutyRecord.objects.get(auto_key=f"livelihood_vote:{round.pk}:{deputy.pk}")
    assert record.item.name == "参加民生实事项目票决" and record.state == "verified"


def test_the_department_reports_progress_shown_on_the_public_page(client, projects):
    project, handler = projects["one"], projects["handler"]
    milestone = Milestone.objects.create(candidate=project, title="完成设计", due_on=TODAY)
    report_progress(
        project,
        Progress(TODAY, 30, "120.5", "已完成设计和招标，进场施工。", milestone, [photo()]),
        user=handler,
    )
    page = client.get(reverse("livelihood_project", args=[projects["round"].pk, 1])).content.decode()
    assert '<progress max="100" value="30"' in page and "累计完成投资 120.50 万元" in page
    assert "已完成设计和招标" in page and "已于 2026年12月4日 完成" in page and "实施现场照片" in page
    with pytest.raises(ProjectError, match="不能低于上次报告的 30%"):
        report_progress(project, Progress(TODAY, 20, "130", "回退"), user=handler)
    with pytest.raises(ProjectError, match="不能晚于今天"):
        report_progress(project, Progress(TODAY + dt.timedelta(days=1), 40, "130", "未来"), user=handler)
    assert project.reports.count() == 1


def test_only_the_responsible_department_or_the_runner_report_and_only_on_chosen_projects(projects):
    other = role_user("other-clerk", role_group_name(Role.DEPARTMENT_HANDLER))
    with pytest.raises(ProjectError, match="区民政局的经办人"):
        report_progress(projects["one"], Progress(TODAY, 10, "1", "进展"), user=other)
    not_chosen = projects["round"].candidates.get(number=3)
    with pytest.raises(ProjectError, match="没有经票决确定"):
        report_progress(not_chosen, Progress(TODAY, 10, "1", "进展"), user=projects["handler"])
    assert client_free_of_project(projects, 3)


def client_free_of_project(projects, number) -> bool:
    from django.test import Client

    return Client().get(reverse("livelihood_project", args=[projects["round"].pk, number])).status_code == 404


def test_the_group_inspects_the_department_answers_and_each_deputy_earns_points(projects, client):
    project, office = projects["one"], projects["office"]
    members = projects["deputies"][:3]
    with pytest.raises(ProjectError, match="不在本轮有表决权的代表名单中"):
        set_group(project, [*members, make_deputy("名单外")], members[0], user=office)
    set_group(project, members, members[0], user=office)
    inspection = record_inspection(
        project,
        Visit(TODAY, "site", members[:2], "施工围挡规范，进度符合计划。", "夜间施工噪音扰民。", [photo()]),
        user=office,
    )
    assert inspection.state == InspectionState.RAISED
    for deputy in members[:2]:
        record = DutyRecord.objects.get(auto_key=f"livelihood_inspection:{inspection.pk}:{deputy.pk}")
        assert record.item.name == "参加民生实事项目监督"
    with pytest.raises(ProjectError, match="不是这个项目监督组的代表"):
        record_inspection(project, Visit(TODAY, "site", projects["deputies"][3:], "情况"), user=office)
    with pytest.raises(TransitionError, match="没有权限"):
        INSPECTIONS.perform(inspection, "answer", user=office, answer="答复")  # the department answers
    INSPECTIONS.perform(inspection, "answer", user=projects["handler"], answer="已调整为白天施工。")
    page = client.get(reverse("livelihood_project", args=[projects["round"].pk, 1])).content.decode()
    assert "监督组：" in page and "（组长）" in page and "夜间施工噪音扰民。" in page and "已调整为白天施工。" in page
    calm = record_inspection(project, Visit(TODAY, "visit", members[2:], "走访居民，反映良好。"), user=office)
    assert calm.state == InspectionState.NO_PROBLEM


def test_the_evaluation_counts_each_rating_and_its_share(projects, client):
    round, deputies, project = projects["round"], projects["deputies"], projects["one"]
    with pytest.raises(ProjectError, match="不在满意度测评期间"):
        rate(project, deputies[0], "satisfied")
    round = ROUNDS.perform(round, "open_evaluation", user=projects["office"])
    for deputy, rating in zip(deputies, ["satisfied", "satisfied", "basically", "unsatisfied"], strict=False):
        rate(project, deputy, rating)
    with pytest.raises(ProjectError, match="每个项目只测评一次"):
        rate(project, deputies[0], "unsatisfied")
    with pytest.raises(ProjectError, match="不在本轮有表决权的代表名单中"):
        rate(project, make_deputy("名单外"), "satisfied")
    (first, second) = evaluation_results(round)
    assert (first.count, first.shares, first.satisfied_percent) == (
        4,
        (("满意", 2, 50.0), ("基本满意", 1, 25.0), ("不满意", 1, 25.0)),
        75.0,
    )
    assert second.count == 0 and second.satisfied_percent is None
    ROUNDS.perform(round, "close_round", user=projects["office"])
    page = client.get(reverse("livelihood_project", args=[round.pk, 1])).content.decode()
    assert "共 4 位代表测评" in page and "满意和基本满意合计 75.0%" in page
