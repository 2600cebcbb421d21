"""区街联动 as people use it: the district's office issues a task to every street; street A
accepts it, reports progress with an attachment, submits its result, has it returned and
sends it again until the district confirms it; street B does nothing, falls overdue, shows
in red on the at-a-glance table and in both to-do lists, and is reminded by email. Each
street sees only its own part; attachments reach only those who may see the row, and every
opening is logged; bad reports are refused in Chinese and nothing of them is stored."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from base.models import AuditEvent
from content.models import Street
from coordination.models import CoordinationAction, StreetTask, StreetTaskState, Task, TaskAttachment, TaskReport
from coordination.reminders import sweep
from coordination.street_tasks import STREET_TASKS
from tests.conftest import role_user
from tests.test_coordination_process import TODAY, new_task
from tests.test_coordination_process import world as world  # noqa: F401 - the shared fixture
from workflows.process import NotAllowed, TransitionError

pytestmark = pytest.mark.django_db
S = StreetTaskState
DUE = TODAY + dt.timedelta(days=20)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def people(world):
    for key, email in (("secretary", "hubin@example.cn"), ("outsider", "qingbo@example.cn")):
        world[key].email = email
        world[key].save()
    return world


def act(client, row, name, **fields):
    row.refresh_from_db()
    data = {f"{name}-version": row.version, **{f"{name}-{key}": value for key, value in fields.items()}}
    return client.post(reverse("coordination_street_tasks:act", args=[row.pk, name]), data, follow=True)


def page(response) -> str:
    return response.content.decode()


def docx(*extra: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in ("[Content_Types].xml", "word/document.xml", *extra):
            package.writestr(name, "<xml/>")
    return buffer.getvalue()


def test_a_task_goes_to_every_street_and_each_street_reports_back_until_the_district_confirms(
    client, people, fixed_today, django_capture_on_commit_callbacks
):
    office, secretary, outsider = people["office"], people["secretary"], people["outsider"]
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("coordination_tasks:add"),
            {
                "title": "2027年度代表联络站建设调研",
                "kind": "research",
                "year": "2027",
                "description": "请各街道调研联络站“九有”标准落实情况，形成调研报告。",
                "due_on": DUE.isoformat(),
                "all_streets": "on",
            },
        )
    assert response.status_code == 302, page(response)
    task = Task.objects.get()
    a, b = (StreetTask.objects.get(task=task, street=people[key]) for key in ("street", "other_street"))
    assert (a.state, a.due_on, b.state, b.due_on) == (S.ISSUED, DUE, S.ISSUED, DUE)
    assert AuditEvent.objects.filter(action=CoordinationAction.ISSUED).count() == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["hubin@example.cn", "qingbo@example.cn"]

    # Street A: accept, report progress with a PDF, submit the result.
    client.force_login(secretary)
    home = page(client.get(reverse("wagtailadmin_home")))
    assert "待接收" in home
    listing = client.get(reverse("coordination_street_tasks:index"))
    assert [row.street.name for row in listing.context["object_list"]] == ["湖滨街道"]
    assert "清波街道" not in page(listing)
    assert "已接收" in page(act(client, a, "accept"))
    progress = SimpleUploadedFile("座谈会纪要.pdf", PDF, content_type="application/pdf")
    shown = page(act(client, a, "report_progress", text="已召开两次座谈会。", attachments=progress))
    assert "已报告进展" in shown and "座谈会纪要.pdf" in shown
    assert "已报送" in page(act(client, a, "submit_result", text="调研报告：九有标准基本落实。"))

    # The district returns it with the reason, street A sends it again, the district confirms it.
    client.force_login(office)
    waiting = page(client.get(reverse("wagtailadmin_home")))
    assert "待确认的成果" in waiting
    assert "请补充各站点的数据。" in page(act(client, a, "return_result", reason="请补充各站点的数据。"))
    client.force_login(secretary)
    assert "成果被退回：请补充各站点的数据。" in page(
        client.get(reverse("coordination_street_tasks:inspect", args=[a.pk]))
    )
    act(client, a, "submit_result", text="调研报告（补充各站点数据）。")
    client.force_login(office)
    act(client, a, "complete")
    a.refresh_from_db()
    assert a.state == S.COMPLETED and a.reports.count() == 3
    steps = AuditEvent.objects.filter(action=CoordinationAction.STREET_TASK).order_by("pk")
    timeline = [event.detail["transition"] for event in steps]
    assert timeline == ["accept", "report_progress", "submit_result", "return_result", "submit_result", "complete"]

    # Street B did nothing; the day after the deadline it is overdue, and only it.
    fixed_today(DUE + dt.timedelta(days=1))
    client.force_login(office)  # a day later: yesterday's session has expired
    assert STREET_TASKS.todo_counts(office)["overdue"] == 1
    overview = page(client.get(reverse("coordination_overview:index")))
    assert overview.count("（已超期）") == 1 and "共 1 项已超期" in overview
    b_cell = overview.split("清波街道")[-1]
    assert "已下达" in b_cell and "（已超期）" in b_cell
    overdue_list = client.get(reverse("coordination_street_tasks:index") + "?overdue=true")
    assert [row.street.name for row in overdue_list.context["object_list"]] == ["清波街道"]
    assert "（已超期）" in page(overdue_list)
    client.force_login(outsider)
    b_home = page(client.get(reverse("wagtailadmin_home")))
    assert "已超期" in b_home and "?overdue=true" in b_home
    assert STREET_TASKS.todo_counts(outsider)["overdue"] == 1 and STREET_TASKS.todo_counts(secretary)["overdue"] == 0

    # 催办: an email to street B's committee only, and the count on the row.
    client.force_login(office)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert "已催办" in page(act(client, b, "remind", note="请本周内报送。"))
    (message,) = mail.outbox
    assert message.to == ["qingbo@example.cn"] and "催办" in message.subject and "已超过完成期限" in message.body
    b.refresh_from_db()
    assert (b.reminder_count, b.reminded_at is not None) == (1, True)


def test_a_street_neither_sees_nor_acts_on_another_streets_part(client, people):
    task = new_task(people, people["street"], people["other_street"])
    a = StreetTask.objects.get(task=task, street=people["street"])
    STREET_TASKS.perform(a, "accept", user=people["secretary"])
    a.refresh_from_db()
    outsider = people["outsider"]
    client.force_login(outsider)
    assert client.get(reverse("coordination_street_tasks:inspect", args=[a.pk])).status_code == 404
    assert "湖滨街道" not in page(client.get(reverse("coordination_street_tasks:index")))
    assert "湖滨街道" not in page(client.get(reverse("coordination_overview:index")))
    response = client.post(
        reverse("coordination_street_tasks:act", args=[a.pk, "report_progress"]),
        {"report_progress-version": a.version, "report_progress-text": "清波替湖滨报告。"},
    )
    assert response.status_code == 404
    with pytest.raises(NotAllowed, match="您没有权限对该街道任务执行“报告进展”"):
        STREET_TASKS.perform(a, "report_progress", user=outsider, text="清波替湖滨报告。")
    assert not TaskReport.objects.exists()
    assert client.get(reverse("coordination_tasks:index")).status_code in (302, 403)  # tasks are the district's


BAD_REPORTS = {
    "a result without text": ("submit_result", {"text": "   "}, "请填写成果内容"),
    "progress without text": ("report_progress", {"text": ""}, "请填写进展情况"),
    "an attachment over 10 MB": (
        "report_progress",
        {"attachments": [SimpleUploadedFile("大文件.pdf", PDF + b"0" * (10 * 1024 * 1024))]},
        "超过 10 MB",
    ),
    "a program as attachment": (
        "submit_result",
        {"attachments": [SimpleUploadedFile("报告.exe", b"MZ\x90\x00 not a document")]},
        "须为 PDF、Word（.docx）、Excel（.xlsx）文件或 JPG、PNG、WebP 图片",
    ),
    "a zip called docx": (
        "report_progress",
        {"attachments": [SimpleUploadedFile("报告.docx", b"PK\x03\x04 broken")]},
        "不是有效的 Word（.docx）或 Excel（.xlsx）文件",
    ),
    "a Word file with macros": (
        "report_progress",
        {"attachments": [SimpleUploadedFile("报告.docx", docx("word/vbaProject.bin"))]},
        "含有宏",
    ),
    "six attachments": (
        "report_progress",
        {"attachments": [SimpleUploadedFile(f"{n}.pdf", PDF) for n in range(6)]},
        "最多上传 5 个附件",
    ),
}


@pytest.mark.parametrize("case", BAD_REPORTS, ids=list(BAD_REPORTS))
def test_bad_reports_are_refused_in_chinese_and_store_nothing(people, case, settings):
    name, data, message = BAD_REPORTS[case]
    row = STREET_TASKS.perform(StreetTask.objects.get(task=new_task(people)), "accept", user=people["secretary"])
    data = {"text": "调研报告。", **data}
    with pytest.raises(TransitionError, match=message):
        STREET_TASKS.perform(row, name, user=people["secretary"], **data)
    stored = StreetTask.objects.get(pk=row.pk)
    assert (stored.state, stored.version) == (S.ACCEPTED, row.version)
    assert not TaskReport.objects.exists() and not TaskAttachment.objects.exists()
    private = settings.LIANLUO_PRIVATE_MEDIA_ROOT / "coordination"
    assert not private.exists() or not any(path.is_file() for path in private.rglob("*"))


def test_an_empty_result_sent_from_the_admin_is_refused_with_the_reason(client, people):
    row = STREET_TASKS.perform(StreetTask.objects.get(task=new_task(people)), "accept", user=people["secretary"])
    client.force_login(people["secretary"])
    shown = page(act(client, row, "submit_result", text=""))
    assert "未能报送成果" in shown
    assert StreetTask.objects.get(pk=row.pk).state == S.ACCEPTED and not TaskReport.objects.exists()


def test_word_and_excel_reports_are_kept_and_images_lose_their_metadata(people):
    row = STREET_TASKS.perform(StreetTask.objects.get(task=new_task(people)), "accept", user=people["secretary"])
    STREET_TASKS.perform(
        row,
        "report_progress",
        user=people["secretary"],
        text="附调研提纲。",
        attachments=[SimpleUploadedFile("调研提纲.docx", docx())],
    )
    (attachment,) = TaskAttachment.objects.all()
    assert attachment.original_name == "调研提纲.docx" and attachment.file.name.endswith(".docx")
    assert "调研提纲" not in attachment.file.name  # stored under a random name


def test_attachments_reach_only_those_who_may_see_the_row_and_every_opening_is_logged(client, people):
    row = STREET_TASKS.perform(StreetTask.objects.get(task=new_task(people)), "accept", user=people["secretary"])
    STREET_TASKS.perform(
        row,
        "report_progress",
        user=people["secretary"],
        text="座谈会纪要。",
        attachments=[SimpleUploadedFile("纪要.pdf", PDF)],
    )
    url = reverse("coordination_street_tasks:attachment", args=[TaskAttachment.objects.get().pk])
    auditor = role_user("auditor", "审计")
    for user, status in (
        (people["secretary"], 200),
        (people["office"], 200),
        (auditor, 200),
        (people["outsider"], 404),
    ):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert b"".join(response.streaming_content) == PDF
            assert "no-store" in response["Cache-Control"]
    viewed = AuditEvent.objects.filter(action=CoordinationAction.ATTACHMENT_VIEWED)
    assert sorted(viewed.values_list("actor_username", flat=True)) == sorted(
        ["auditor", "district-office", "hubin-secretary"]
    )
    client.logout()
    assert client.get(url).status_code == 302


def test_the_auditor_reads_every_street_and_changes_nothing(client, people):
    task = new_task(people, people["street"], people["other_street"])
    client.force_login(role_user("auditor", "审计"))
    overview = page(client.get(reverse("coordination_overview:index")))
    assert "湖滨街道" in overview and "清波街道" in overview
    row = StreetTask.objects.filter(task=task).first()
    detail = client.get(reverse("coordination_street_tasks:inspect", args=[row.pk]))
    assert detail.status_code == 200 and not detail.context["actions"]
    assert act(client, row, "remind").status_code == 403
    assert StreetTask.objects.get(pk=row.pk).reminder_count == 0


def test_the_district_adds_a_street_later_and_moving_the_deadline_moves_each_streets_unless_set_for_it(client, people):
    task = new_task(people, people["street"], people["other_street"])
    third = Street.objects.create(name="西湖街道", slug="xihu")
    a = StreetTask.objects.get(task=task, street=people["street"])
    STREET_TASKS.perform(a, "change_deadline", user=people["office"], due_on=DUE + dt.timedelta(days=5))
    client.force_login(people["office"])
    form = client.get(reverse("coordination_tasks:edit", args=[task.pk]))
    assert "追加街道" in page(form) and list(form.context["form"].fields["streets"].queryset) == [third]
    later = DUE + dt.timedelta(days=10)
    response = client.post(
        reverse("coordination_tasks:edit", args=[task.pk]),
        {
            "title": task.title,
            "kind": task.kind,
            "year": task.year,
            "description": task.description,
            "due_on": later.isoformat(),
            "streets": [third.pk],
        },
    )
    assert response.status_code == 302
    due = dict(StreetTask.objects.filter(task=task).values_list("street__name", "due_on"))
    assert due == {"湖滨街道": DUE + dt.timedelta(days=5), "清波街道": later, "西湖街道": later}
    moved = AuditEvent.objects.filter(action=CoordinationAction.STREET_TASK, detail__transition="change_deadline")
    assert moved.count() == 2  # 湖滨 by hand, 清波 following the task


def test_a_task_for_no_street_or_with_a_past_deadline_is_refused_in_chinese(client, people):
    client.force_login(people["office"])
    response = client.post(
        reverse("coordination_tasks:add"),
        {
            "title": "视察",
            "kind": "inspection",
            "year": "2027",
            "description": "视察联络站。",
            "due_on": (TODAY - dt.timedelta(days=1)).isoformat(),
        },
    )
    shown = page(response)
    assert response.status_code == 200
    assert "请选择下达的街道" in shown and "完成期限不能早于今天" in shown
    assert not Task.objects.exists() and not StreetTask.objects.exists()


def listing_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["office", "secretary"])
def test_the_listing_and_the_table_cost_the_same_queries_for_one_row_as_for_25(client, people, who):
    new_task(people, title="课题0")
    client.force_login(people[who])
    urls = (reverse("coordination_street_tasks:index"), reverse("coordination_overview:index"))
    for url in urls:
        listing_queries(client, url)  # warm: sessions, site, content types
    one = [listing_queries(client, url) for url in urls]
    for n in range(1, 25):
        new_task(people, title=f"课题{n}")
    assert StreetTask.objects.count() == 25
    assert [listing_queries(client, url) for url in urls] == one


def test_the_daily_sweep_reminds_each_street_once_before_the_deadline_and_once_after_it(
    people, fixed_today, django_capture_on_commit_callbacks
):
    due = TODAY + dt.timedelta(days=2)  # Wednesday: within three working days of Monday
    task = new_task(people, people["street"], people["other_street"], due_on=due)
    a = StreetTask.objects.get(task=task, street=people["street"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(TODAY).reminded == 2
        assert sweep(TODAY).reminded == 0  # a second run sends nothing twice
    assert sorted(message.to[0] for message in mail.outbox) == ["hubin@example.cn", "qingbo@example.cn"]
    assert all(message.subject.startswith("【联络】即将到期") for message in mail.outbox)

    a = STREET_TASKS.perform(a, "accept", user=people["secretary"])
    STREET_TASKS.perform(a, "submit_result", user=people["secretary"], text="调研报告。")
    mail.outbox.clear()
    later = fixed_today(due + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep(later)
    assert (report.reminded, report.overdue) == (0, 1)
    (message,) = mail.outbox
    assert message.to == ["qingbo@example.cn"] and "已超期" in message.subject
    b = StreetTask.objects.get(task=task, street=people["other_street"])
    assert b.reminder_count == 2
    by_system = AuditEvent.objects.filter(action=CoordinationAction.STREET_TASK, actor_username="系统")
    assert [event.detail["transition"] for event in by_system] == ["remind"] * 3
