"""民生实事 in the admin, before and after the vote: the nominations moderated through the
process's buttons (合并, 列为候选项目 …) with nominators masked, scoped to the street, and entered
by station staff for their station; the project screen of a chosen project, where the
department reports progress with photos, the runner names the supervision group and records
an inspection whose problem the department answers from the inspection's button."""

from __future__ import annotations

import pytest

from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, department_group_name, role_group_name
from livelihood.models import (
    Inspection,
    InspectionState,
    Milestone,
    Nomination,
    NominationSource,
    NominationState,
    ProgressReport,
    ProjectPhoto,
)
from livelihood.nominations import Proposal, nominate
from livelihood.rounds import ROUNDS
from tests.conftest import role_user, station_user, street_user
from tests.test_admin_chinese import ALLOWED, english_words, entered_words, read_page
from tests.test_livelihood_ballot import district as district  # noqa: F401 - the shared fixture
from tests.test_livelihood_ballot import new_round
from tests.test_livelihood_projects import photo
from tests.test_livelihood_projects import projects as projects  # noqa: F401 - the chosen projects
from workflows.models import Department

pytestmark = pytest.mark.django_db
N = NominationState


def page(response) -> str:
    return response.content.decode()


def nominating(world, street=None):
    round = new_round(world, street=street)
    return ROUNDS.perform(round, "open_nominations", user=world["office"])


def proposed(round, title="小区加装电梯", name="张三丰", phone="13812345678", station=None):
    need = "老小区没有电梯，老人上下楼困难，希望加装。"
    row, _ = nominate(Proposal(round, title, need, "东平巷小区", "", name, phone, station=station))
    return row


def act(client, prefix, row, name, **fields):
    data = {f"{name}-version": str(row.version), **{f"{name}-{key}": value for key, value in fields.items()}}
    return client.post(reverse(f"{prefix}:act", args=[row.pk, name]), data, follow=True)


# --- Nominations ----------------------------------------------------------------------------------


def test_nominations_are_moderated_merged_and_adopted_through_the_buttons(client, district):
    round = nominating(district)
    first, twin, stray = proposed(round), proposed(round, "加装电梯工程"), proposed(round, "与民生无关的建议")
    client.force_login(district["office"])
    detail = page(client.get(reverse("livelihood_nominations:inspect", args=[first.pk])))
    assert 'data-transition="list"' in detail and 'data-transition="reject"' in detail
    for row in (first, twin):
        assert "已公开" in page(act(client, "livelihood_nominations", row, "list"))
    refused = act(client, "livelihood_nominations", stray, "reject", answer="")
    assert "请写明给提名人的答复" in page(refused) or "答复" in page(refused)
    act(client, "livelihood_nominations", stray, "reject", answer="不属于民生实事项目范围。")
    twin.refresh_from_db()
    merged = act(client, "livelihood_nominations", twin, "merge", into=str(first.pk))
    assert "已合并" in page(merged)
    candidate = round.candidates.get(number=1)
    first.refresh_from_db()
    act(client, "livelihood_nominations", first, "adopt", candidate=str(candidate.pk))
    first.refresh_from_db()
    twin.refresh_from_db()
    stray.refresh_from_db()
    assert (first.state, first.candidate) == (N.ADOPTED, candidate)
    assert (twin.state, twin.merged_into) == (N.MERGED, first)
    assert stray.state == N.REJECTED and stray.answer == "不属于民生实事项目范围。"
    detail = page(client.get(reverse("livelihood_nominations:inspect", args=[first.pk])))
    assert "合并到本条的提名" in detail and "加装电梯工程" in detail and "列为候选项目" in detail


def test_nominators_are_masked_and_revealing_them_is_logged(client, district):
    round = nominating(district)
    row = proposed(round)
    client.force_login(district["office"])
    listing = page(client.get(reverse("livelihood_nominations:index")))
    assert "张**" in listing and "张三丰" not in listing and "13812345678" not in listing
    detail = page(client.get(reverse("livelihood_nominations:inspect", args=[row.pk])))
    assert "张**" in detail and "138****5678" in detail and "张三丰" not in detail and "13812345678" not in detail
    before = AuditEvent.objects.count()
    revealed = page(client.get(reverse("livelihood_nominations:inspect", args=[row.pk]) + "?reveal=1"))
    assert "张三丰" in revealed and "13812345678" in revealed
    assert AuditEvent.objects.count() == before + 2
    auditor = role_user("auditor", role_group_name(Role.AUDITOR))
    client.force_login(auditor)
    read = page(client.get(reverse("livelihood_nominations:inspect", args=[row.pk]) + "?reveal=1"))
    assert "张三丰" not in read and "显示完整联系方式" not in read and 'data-transition="list"' not in read
    assert client.post(reverse("livelihood_nominations:act", args=[row.pk, "list"])).status_code == 403


def test_a_street_committee_moderates_its_own_streets_nominations_only(client, district):
    own = proposed(nominating(district, street=district["street"]), "湖滨小区加装电梯")
    other_round = new_round(district, street=district["other_street"], year=2028)
    other_round = ROUNDS.perform(other_round, "open_nominations", user=district["office"])
    other = proposed(other_round, "清波小区加装电梯")
    client.force_login(street_user(district["street"]))
    listing = page(client.get(reverse("livelihood_nominations:index")))
    assert "湖滨小区加装电梯" in listing and "清波小区加装电梯" not in listing
    assert client.get(reverse("livelihood_nominations:inspect", args=[other.pk])).status_code == 404
    response = client.post(
        reverse("livelihood_nominations:act", args=[other.pk, "list"]), {"list-version": str(other.version)}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.state == N.SUBMITTED
    act(client, "livelihood_nominations", own, "list")
    own.refresh_from_db()
    assert own.state == N.LISTED
    home = page(client.get(reverse("wagtailadmin_home")))
    assert "我的待办 · 项目征集（点菜）" in home and "待答复的民生实事提名" in home


def entry(round, station, **overrides):
    data = {
        "round": str(round.pk),
        "station": str(station.pk),
        "title": "社区食堂",
        "need": "老年人吃饭难，希望在社区开办老年食堂。",
        "place": "东平巷社区",
        "scale": "一处，约 200 平方米",
        "nominator_name": "李秀兰",
        "nominator_phone": "",
    }
    return {**data, **overrides}


def test_station_staff_enter_a_nomination_for_their_own_station(client, district):
    round = nominating(district, street=district["street"])
    staff = station_user(district["station"])
    client.force_login(staff)
    add = reverse("livelihood_nominations:add")
    assert client.get(add).status_code == 200
    elsewhere = client.post(add, entry(round, district["other_station"]))
    assert elsewhere.status_code == 200 and "只能为本人负责的站点录入提名" in page(elsewhere)
    short = client.post(add, entry(round, district["station"], need="太短"))
    assert short.status_code == 200 and "10 到 2000 字" in page(short)
    assert not Nomination.objects.exists()
    stored = client.post(add, entry(round, district["station"]))
    assert stored.status_code == 302
    row = Nomination.objects.get()
    assert (row.source, row.station_id, row.state) == (NominationSource.STATION, district["station"].pk, N.SUBMITTED)
    # Staff read the nominations of their station, masked, without the moderators' buttons.
    detail = page(client.get(reverse("livelihood_nominations:inspect", args=[row.pk])))
    assert "李**" in detail and "李秀兰" not in detail and 'data-transition="list"' not in detail
    # Another street's committee may enter for its own stations only, and sees none of this.
    client.force_login(street_user(district["other_street"], "qingbo-secretary"))
    refused = client.post(add, entry(round, district["station"]))
    assert refused.status_code == 200 and Nomination.objects.count() == 1
    assert client.get(reverse("livelihood_nominations:inspect", args=[row.pk])).status_code == 404


# --- The project screen ---------------------------------------------------------------------------


def project_url(candidate) -> str:
    return reverse("livelihood_candidates:project", args=[candidate.pk])


def progress(**overrides) -> dict:
    data = {
        "action": "progress",
        "reported_on": "2026-12-04",
        "progress": "30",
        "spent": "120.5",
        "text": "已完成设计和招标，进场施工。",
        "milestone": "",
    }
    return {**data, **overrides}


def test_the_department_reports_progress_with_a_photo_on_the_project_screen(client, projects):
    project, handler = projects["one"], projects["handler"]
    client.force_login(handler)
    listing = page(client.get(reverse("livelihood_candidates:index")))
    assert "候选项目1" in listing and "候选项目3" not in listing  # its chosen projects only
    screen = client.get(project_url(project))
    assert screen.status_code == 200 and "报告实施进展" in page(screen) and 'value="group"' not in page(screen)
    client.post(project_url(project), {"action": "milestone", "title": "完成设计", "due_on": "2026-12-04"})
    milestone = Milestone.objects.get(candidate=project)
    response = client.post(project_url(project), {**progress(milestone=str(milestone.pk)), "photos": photo()})
    assert response.status_code == 302
    report = ProgressReport.objects.get(candidate=project)
    assert report.progress == 30 and ProjectPhoto.objects.filter(report=report).count() == 1
    milestone.refresh_from_db()
    assert milestone.done_on is not None
    public = page(client.get(reverse("livelihood_project", args=[projects["round"].pk, 1])))
    assert '<progress max="100" value="30"' in public and "实施现场照片" in public
    lower = client.post(project_url(project), progress(progress="20", text="回退"))
    assert lower.status_code == 200 and "完成进度不能低于上次报告的 30%" in page(lower)
    assert ProgressReport.objects.filter(candidate=project).count() == 1
    # The department cannot name the group, and a project it is not responsible for is not there.
    assert client.post(project_url(project), {"action": "group"}).status_code == 200
    assert not project.supervisors.exists()
    assert client.get(project_url(projects["round"].candidates.get(number=3))).status_code == 404


def test_the_runner_names_the_group_records_an_inspection_and_the_department_answers(client, projects):
    project, office, handler = projects["one"], projects["office"], projects["handler"]
    members = projects["deputies"][:3]
    client.force_login(office)
    group = {"action": "group", "deputies": [str(d.pk) for d in members], "leader": str(members[0].pk)}
    assert client.post(project_url(project), group).status_code == 302
    assert set(project.supervisors.all()) == set(members)
    visit = {
        "action": "inspection",
        "date": "2026-12-04",
        "kind": "site",
        "deputies": [str(members[0].pk), str(members[1].pk)],
        "findings": "施工围挡规范，进度符合计划。",
        "problems": "夜间施工噪音扰民。",
        "photos": photo(),
    }
    assert client.post(project_url(project), visit).status_code == 302
    inspection = Inspection.objects.get(candidate=project)
    assert inspection.state == InspectionState.RAISED and inspection.photos.count() == 1
    outside = client.post(project_url(project), {**visit, "deputies": [str(projects["deputies"][4].pk)]})
    assert outside.status_code == 200 and Inspection.objects.count() == 1
    screen = page(client.get(project_url(project)))
    assert "（组长）" in screen and "夜间施工噪音扰民。" in screen
    # The department answers from the inspection's button; its home lists the to-do first.
    client.force_login(handler)
    assert "待答复的民生实事监督问题" in page(client.get(reverse("wagtailadmin_home")))
    detail = page(client.get(reverse("livelihood_inspections:inspect", args=[inspection.pk])))
    assert 'data-transition="answer"' in detail
    answered = act(client, "livelihood_inspections", inspection, "answer", answer="已调整为白天施工。")
    assert "已答复发现的问题" in page(answered)
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.ANSWERED and inspection.answer == "已调整为白天施工。"


def test_outsiders_get_404_and_the_auditor_reads_but_posts_nothing(client, projects):
    project = projects["one"]
    other = Department.objects.create(name="区住建局")
    outsider = role_user("zj-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(other))
    client.force_login(outsider)
    assert client.get(project_url(project)).status_code == 404
    assert client.post(project_url(project), progress()).status_code == 404
    client.force_login(street_user(projects["other_street"], "qingbo-secretary"))
    assert client.get(project_url(project)).status_code == 404
    auditor = role_user("auditor", role_group_name(Role.AUDITOR))
    client.force_login(auditor)
    screen = client.get(project_url(project))
    assert screen.status_code == 200 and 'method="post"' not in page(screen)
    for data in (progress(), {"action": "milestone", "title": "节点", "due_on": "2026-12-04"}):
        assert client.post(project_url(project), data).status_code == 403
    assert not ProgressReport.objects.exists() and not Milestone.objects.exists()


def test_the_new_screens_read_in_chinese(client, projects):
    project = projects["one"]
    client.force_login(projects["office"])
    client.post(project_url(project), {"action": "milestone", "title": "完成设计", "due_on": "2026-12-04"})
    members = projects["deputies"][:2]
    client.post(project_url(project), {"action": "group", "deputies": [str(d.pk) for d in members], "leader": ""})
    visit = {"action": "inspection", "date": "2026-12-04", "kind": "site", "deputies": [str(members[0].pk)]}
    client.post(project_url(project), {**visit, "findings": "情况良好。", "problems": "围挡破损。"})
    inspection = Inspection.objects.get()
    other = nominating(projects, street=projects["street"])
    row = proposed(other)
    urls = [
        project_url(project),
        reverse("livelihood_candidates:inspect", args=[project.pk]),
        reverse("livelihood_inspections:index"),
        reverse("livelihood_inspections:inspect", args=[inspection.pk]),
        reverse("livelihood_nominations:index"),
        reverse("livelihood_nominations:add"),
        reverse("livelihood_nominations:inspect", args=[row.pk]),
    ]
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        words = english_words(read_page(page(response)).texts, ALLOWED | entered_words())
        if words:
            found[url] = words
    assert found == {}
