"""Staff screens: the queue, filters, detail with timeline, entry on a citizen's behalf, bulk
assignment and masked exports, each scoped to what the person may see."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base.models import AuditEvent
from base.roles import Role, department_group_name, role_group_name
from content.models import Street
from tests.conftest import new_opinion, replied, role_user, station_user, street_user
from workflows import opinions
from workflows.models import Category, Department, Opinion, OpinionPhoto, OpinionState, Publication

pytestmark = pytest.mark.django_db
S = OpinionState


@pytest.fixture
def desk(two_streets, street):
    department = Department.objects.create(name="区城管局")
    return {
        **two_streets,
        "street": street,
        "department": department,
        "staff": station_user(two_streets["station"]),
        "secretary": street_user(street),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
        "handler": role_user("cgj-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department)),
        "auditor": role_user("auditor", role_group_name(Role.AUDITOR)),
    }


def opinion_at(station, title="东平巷夜间停车难", **extra):
    return new_opinion(station, title=title, **extra)


def test_the_listing_shows_only_the_street_and_masks_citizens(client, desk):
    opinion_at(desk["station"], title="湖滨的意见")
    opinion_at(desk["other_station"], title="清波的意见")
    client.force_login(desk["secretary"])
    page = client.get(reverse("opinions:list")).content.decode()
    assert "湖滨的意见" in page and "清波的意见" not in page
    assert "张**" in page and "138****5678" in page and "13812345678" not in page


def test_filters_narrow_the_listing(client, desk):
    assigned = opinion_at(desk["station"], title="已交办的意见")
    opinions.perform(assigned, "accept", user=desk["staff"])
    opinions.perform(assigned, "assign", user=desk["staff"], department=desk["department"], today=dt.date(2025, 9, 1))
    opinion_at(desk["station"], title="待受理的意见")
    client.force_login(desk["secretary"])
    url = reverse("opinions:list")
    by_state = client.get(url, {"state": "submitted"}).content.decode()
    assert "待受理的意见" in by_state and "已交办的意见" not in by_state
    overdue = client.get(url, {"overdue": "true"}).content.decode()
    assert "已交办的意见" in overdue and "待受理的意见" not in overdue
    by_department = client.get(url, {"department": desk["department"].pk}).content.decode()
    assert "已交办的意见" in by_department and "待受理的意见" not in by_department
    by_receipt = client.get(url, {"q": assigned.receipt_no}).content.decode()
    assert "已交办的意见" in by_receipt and "待受理的意见" not in by_receipt


def test_filters_by_street_station_category_and_date(client, desk):
    at_station = opinion_at(desk["station"], title="站点的意见")
    at_point = opinion_at(desk["point"], title="联络点的意见", category=Category.objects.get(name="社区治理"))
    opinion_at(desk["other_station"], title="清波的意见")
    Opinion.objects.filter(pk=at_station.pk).update(created_at=timezone.make_aware(dt.datetime(2025, 3, 1, 9)))
    admin = role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN))
    client.force_login(admin)
    url = reverse("opinions:list")

    def listed(**params):
        body = client.get(url, params).content.decode()
        return {title for title in ("站点的意见", "联络点的意见", "清波的意见") if title in body}

    assert listed() == {"站点的意见", "联络点的意见", "清波的意见"}
    assert listed(street=desk["street"].pk) == {"站点的意见", "联络点的意见"}
    assert listed(station=desk["point"].pk) == {"联络点的意见"}
    assert listed(category=at_point.category_id) == {"联络点的意见"}
    assert listed(created_at_after="2025-02-01", created_at_before="2025-03-31") == {"站点的意见"}
    assert listed(created_at_after="2026-01-01") == {"联络点的意见", "清波的意见"}


def test_exports_are_scoped_masked_and_logged(client, desk):
    opinion_at(desk["station"], title="湖滨的意见")
    opinion_at(desk["other_station"], title="清波的意见")
    client.force_login(desk["secretary"])
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse("opinions:list"), {"export": fmt})
        assert response.status_code == 200
    csv = b"".join(client.get(reverse("opinions:list"), {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert "湖滨的意见" in csv and "清波的意见" not in csv
    assert "138****5678" in csv and "13812345678" not in csv and "张三丰" not in csv
    assert "回执编号" in csv and "群众（脱敏）" in csv
    xlsx = client.get(reverse("opinions:list"), {"export": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    cells = {str(cell.value) for row in workbook.active.iter_rows() for cell in row if cell.value is not None}
    assert "湖滨的意见" in cells and "清波的意见" not in cells
    assert "138****5678" in cells and not any("13812345678" in cell or "张三丰" in cell for cell in cells)
    logged = AuditEvent.objects.filter(action="personal_data_exported", actor=desk["secretary"])
    assert {event.detail["format"] for event in logged} == {"csv", "xlsx"}


def test_the_detail_page_shows_the_timeline_and_reveals_contact_details_only_with_a_record(client, desk):
    opinion = opinion_at(desk["station"])
    opinions.perform(opinion, "accept", user=desk["staff"])
    client.force_login(desk["secretary"])
    url = reverse("opinions:inspect", args=[opinion.pk])
    page = client.get(url).content.decode()
    assert "张**" in page and "13812345678" not in page
    # The timeline in words: the states and the step by their Chinese names, the field diff too.
    assert "待受理 → 已受理（受理）" in page and "submitted" not in page and "（accept）" not in page
    assert "<td>状态</td><td>待受理</td><td>已受理</td>" in page
    assert not AuditEvent.objects.filter(action="personal_data_viewed").exists()
    revealed = client.get(url, {"reveal": "1"}).content.decode()
    assert "张三丰" in revealed and "13812345678" in revealed
    fields = set(AuditEvent.objects.filter(action="personal_data_viewed").values_list("detail__field", flat=True))
    assert fields == {"citizen_name", "citizen_phone"}


def test_a_department_handler_sees_only_what_was_assigned_to_them_and_cannot_reveal_others(client, desk):
    mine = opinion_at(desk["station"], title="交给城管的")
    opinions.perform(mine, "accept", user=desk["staff"])
    opinions.perform(mine, "assign", user=desk["staff"], department=desk["department"])
    opinion_at(desk["station"], title="没交办的")
    client.force_login(desk["handler"])
    page = client.get(reverse("opinions:list")).content.decode()
    assert "交给城管的" in page and "没交办的" not in page


def test_staff_act_from_the_detail_page_and_a_second_click_is_a_conflict(client, desk):
    opinion = opinion_at(desk["station"])
    client.force_login(desk["staff"])
    url = reverse("opinions:act", args=[opinion.pk, "accept"])
    data = {"accept-version": opinion.version, "accept-category": opinion.category_id}
    first = client.post(url, data, follow=True)
    assert "已受理。" in first.content.decode()
    second = client.post(url, data, follow=True)
    assert "刚被他人处理" in second.content.decode()
    assert Opinion.objects.get(pk=opinion.pk).state == S.ACCEPTED


def test_an_outsider_cannot_act_on_another_streets_opinion(client, desk):
    opinion = opinion_at(desk["station"])
    client.force_login(desk["outsider"])
    response = client.post(
        reverse("opinions:act", args=[opinion.pk, "reject"]),
        {"reject-version": opinion.version, "reject-reason": "不受理"},
    )
    assert response.status_code == 404
    assert Opinion.objects.get(pk=opinion.pk).state == S.SUBMITTED


def test_staff_enter_a_walk_in_opinion_received_by_a_deputy(client, desk, deputy):
    client.force_login(desk["staff"])
    url = reverse("opinions:add")
    form = client.get(url)
    assert form.status_code == 200
    offered = set(form.context["form"].fields["station"].queryset.values_list("pk", flat=True))
    assert desk["station"].pk in offered and desk["other_station"].pk not in offered
    data = {
        "station": desk["station"].pk,
        "channel": "deputy",
        "received_by_deputy": deputy.pk,
        "received_on": "2025-09-16",
        "category": Category.objects.get(name="社区治理").pk,
        "title": "加装电梯协调",
        "content": "三单元居民希望加装电梯，需要协调低层住户意见。",
        "citizen_name": "王大妈",
        "citizen_phone": "139 0000 2222",
        "publish_consent": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    opinion = Opinion.objects.get(title="加装电梯协调")
    assert (opinion.channel, opinion.received_by_deputy, opinion.entered_by) == ("deputy", deputy, desk["staff"])
    assert opinion.citizen_phone == "13900002222" and opinion.received_on == dt.date(2025, 9, 16)
    detail = client.get(reverse("opinions:inspect", args=[opinion.pk])).content.decode()
    assert "2025年9月16日接待日" in detail and deputy.name in detail
    missing_deputy = client.post(url, {**data, "received_by_deputy": "", "title": "另一条"})
    assert "请选择接待代表" in missing_deputy.content.decode()
    missing_day = client.post(url, {**data, "received_on": "", "title": "另一条"})
    assert "请填写接待日期" in missing_day.content.decode()
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    in_future = client.post(url, {**data, "received_on": future, "title": "另一条"})
    assert "接待日期不能晚于今天" in in_future.content.decode()
    bad_phone = client.post(url, {**data, "citizen_phone": "0571-8888", "title": "第三条"})
    assert "手机号码" in bad_phone.content.decode()
    assert Opinion.objects.count() == 1


def test_bulk_assignment_assigns_the_accepted_and_skips_the_rest(client, desk):
    ready = [opinion_at(desk["station"], title=f"可交办{i}") for i in range(3)]
    for opinion in ready:
        opinions.perform(opinion, "accept", user=desk["staff"])
    waiting = opinion_at(desk["station"], title="未受理")
    client.force_login(desk["secretary"])
    ids = "&".join(f"id={o.pk}" for o in [*ready, waiting])
    url = reverse("wagtail_bulk_action", args=["workflows", "opinion", "assign"]) + f"?{ids}"
    assert "未受理" in client.get(url).content.decode()
    response = client.post(url, {"department": desk["department"].pk, "workdays": 5})
    assert response.status_code == 302
    assert set(Opinion.objects.filter(state=S.ASSIGNED).values_list("title", flat=True)) == {
        "可交办0",
        "可交办1",
        "可交办2",
    }
    assert Opinion.objects.get(pk=waiting.pk).state == S.SUBMITTED


def test_my_todos_on_the_admin_home(client, desk):
    opinion_at(desk["station"])
    assigned = opinion_at(desk["station"], title="已交办")
    opinions.perform(assigned, "accept", user=desk["staff"])
    opinions.perform(assigned, "assign", user=desk["staff"], department=desk["department"])
    client.force_login(desk["handler"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "我的待办" in page and "待签收" in page
    from workflows.opinion_admin import todo_counts

    assert todo_counts(desk["handler"])["to_sign"] == 1
    assert todo_counts(desk["staff"])["to_accept"] == 1
    assert todo_counts(desk["outsider"])["to_accept"] == 0
    # Only what a person may act on: the auditor and an editor accept nothing.
    editor = role_user("editor", role_group_name(Role.EDITOR))
    for reader in (desk["auditor"], editor):
        assert set(todo_counts(reader).values()) == {0}, reader
    assert todo_counts(desk["handler"])["to_accept"] == 0


def test_my_todos_count_reopened_items_and_publication_requests_for_those_who_act(client, desk):
    from workflows.opinion_admin import todo_counts

    redo = replied(opinion_at(desk["station"], title="重办的意见"), desk["staff"], desk["handler"], desk["department"])
    redo = opinions.perform(redo, "evaluate", capacity=opinions.CITIZEN, rating="unsatisfied")
    done = replied(
        opinion_at(desk["station"], title="可公开的意见"), desk["staff"], desk["handler"], desk["department"]
    )
    opinions.perform(done, "request_publication", user=desk["staff"], summary="路灯已修复", public_reply="已修复。")
    editor = role_user("editor", role_group_name(Role.EDITOR))
    assert todo_counts(desk["staff"])["to_reassign"] == 1
    assert todo_counts(desk["staff"])["to_publish"] == 0  # station staff ask; they do not approve
    assert todo_counts(desk["secretary"])["to_publish"] == 1
    assert todo_counts(editor)["to_publish"] == 1
    assert todo_counts(desk["outsider"])["to_publish"] == todo_counts(desk["outsider"])["to_reassign"] == 0
    client.force_login(desk["secretary"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "?state=reopened" in home and "?publication=pending" in home
    listing = client.get(reverse("opinions:list"), {"publication": "pending"}).content.decode()
    assert done.title in listing and redo.title not in listing


def listing_queries(client, user):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("opinions:list"))
    assert response.status_code == 200
    return len(captured)


def test_the_staff_listing_costs_the_same_whatever_the_volume(client, desk, street):
    client.force_login(desk["secretary"])
    for i in range(3):
        opinion_at(desk["station"], title=f"意见{i}")
    few = listing_queries(client, desk["secretary"])
    for i in range(60):
        opinion = opinion_at(desk["point" if i % 2 else "station"], title=f"更多意见{i}")
        if i % 3 == 0:
            opinions.perform(opinion, "accept", user=desk["staff"])
            opinions.perform(opinion, "assign", user=desk["staff"], department=desk["department"])
    many = listing_queries(client, desk["secretary"])
    # More streets for the same person, and more history: still the same count.
    from base.roles import street_group_name

    for n in range(13):
        extra = Street.objects.create(name=f"测试街道{n}", slug=f"test-{n}")
        desk["secretary"].groups.add(Group.objects.get(name=street_group_name(extra)))
    wider = listing_queries(client, desk["secretary"])
    assert few == many == wider


# --- The timeline: each step with its own changes --------------------------------------------


def timeline_row(response, summary):
    (row,) = [row for row in response.context["timeline"] if row["summary"] == summary]
    return {change["field"]: (change["old"], change["new"]) for change in row["changes"]}


@pytest.mark.parametrize("recorded", [True, False], ids=["history-id-recorded", "older-audit-records"])
def test_a_stray_history_row_does_not_shift_the_changes_of_later_steps(client, desk, recorded, monkeypatch):
    if not recorded:  # audit records as written before they named their history row
        from base import audit

        record = audit.record
        monkeypatch.setattr(audit, "record", lambda *a, history_id=None, **detail: record(*a, **detail))
    opinion = opinion_at(desk["station"])
    opinion = opinions.perform(opinion, "accept", user=desk["staff"])
    stray = Opinion.objects.get(pk=opinion.pk)  # a save outside the loop (a script, a data fix)
    stray.is_key = True
    stray._change_reason = "数据修正"
    stray.save()
    opinions.perform(opinion, "assign", user=desk["staff"], department=desk["department"], workdays=5)
    transitions = AuditEvent.objects.filter(object_id=str(opinion.pk), action="opinion_transition")
    assert all(("history_id" in event.detail) == recorded for event in transitions)
    client.force_login(desk["secretary"])
    response = client.get(reverse("opinions:inspect", args=[opinion.pk]))
    assigned = timeline_row(response, "已受理 → 已交办（交办）")
    assert assigned["承办单位"] == ("", "区城管局")  # the department's name, not its id
    assert assigned["状态"] == ("已受理", "已交办") and "重点督办" not in assigned
    assert timeline_row(response, "待受理 → 已受理（受理）") == {"状态": ("待受理", "已受理")}
    assert timeline_row(response, "字段修改（无办理记录）：数据修正") == {"重点督办": ("否", "是")}
    assert "<td>区城管局</td>" in response.content.decode()


def test_escalation_in_the_timeline_names_the_stations(client, desk):
    opinion = opinion_at(desk["point"])
    opinions.perform(opinion, "escalate", user=desk["staff"], note="需街道协调")
    client.force_login(desk["secretary"])
    response = client.get(reverse("opinions:inspect", args=[opinion.pk]))
    moved = timeline_row(response, "上报（状态仍为待受理）")
    assert moved["所在站点"] == (desk["point"].title, desk["station"].title)


# --- Photos: only for those who work the opinion ---------------------------------------------


def png_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def with_photo(desk):
    opinion = opinion_at(desk["station"])
    opinions.perform(opinion, "accept", user=desk["staff"])
    opinions.perform(opinion, "assign", user=desk["staff"], department=desk["department"])
    photo = OpinionPhoto.objects.create(opinion=opinion, file=ContentFile(png_bytes(), "lamp.png"), width=8, height=6)
    return opinion, photo


@pytest.mark.parametrize("person", ["staff", "secretary", "handler"])
def test_those_who_work_the_opinion_open_its_photos_and_each_view_is_recorded(client, desk, with_photo, person):
    opinion, photo = with_photo
    client.force_login(desk[person])
    url = reverse("opinions:photo", args=[photo.pk])
    assert url in client.get(reverse("opinions:inspect", args=[opinion.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == photo.file.open("rb").read()
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    viewed = AuditEvent.objects.get(action="personal_data_viewed", actor=desk[person])
    assert (viewed.object_id, viewed.detail["field"]) == (str(opinion.pk), "photo")


@pytest.mark.parametrize("person", ["editor", "auditor"])
def test_district_wide_readers_see_that_photos_exist_but_cannot_open_them(client, desk, with_photo, person):
    opinion, photo = with_photo
    reader = desk["auditor"] if person == "auditor" else role_user("editor", role_group_name(Role.EDITOR))
    client.force_login(reader)
    detail = client.get(reverse("opinions:inspect", args=[opinion.pk]))
    assert detail.status_code == 200
    page = detail.content.decode()
    url = reverse("opinions:photo", args=[photo.pk])
    assert "群众上传了 1 张照片" in page and url not in page
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="personal_data_viewed").exists()


def test_someone_outside_the_opinions_scope_gets_404_for_its_photo(client, desk, with_photo):
    _opinion, photo = with_photo
    client.force_login(desk["outsider"])
    assert client.get(reverse("opinions:photo", args=[photo.pk])).status_code == 404


# --- Staff entry: a double submit is one opinion ---------------------------------------------


def walk_in(desk, key, title="楼道堆物"):
    return {
        "station": desk["station"].pk,
        "channel": "walk_in",
        "received_on": "2025-09-16",
        "category": Category.objects.get(name="社区治理").pk,
        "title": title,
        "content": "三单元楼道长期堆放杂物，存在消防隐患。",
        "citizen_name": "王大妈",
        "citizen_phone": "13900002222",
        "idempotency_key": key,
    }


def test_the_same_staff_entry_form_posted_twice_is_one_opinion_with_one_receipt(client, desk):
    client.force_login(desk["staff"])
    url = reverse("opinions:add")
    form = client.get(url)
    key = form.context["form"].initial["idempotency_key"]
    assert f'name="idempotency_key" value="{key}"' in form.content.decode()
    first = client.post(url, walk_in(desk, key), follow=True)
    second = client.post(url, walk_in(desk, key), follow=True)
    (opinion,) = Opinion.objects.all()
    assert first.redirect_chain[-1][0] == second.redirect_chain[-1][0] == reverse("opinions:inspect", args=[opinion.pk])
    for response in (first, second):
        assert f"已登记，回执编号 {opinion.receipt_no}。" in response.content.decode()
    assert AuditEvent.objects.filter(action="opinion_submitted").count() == 1
    # A new form is a new opinion.
    client.post(url, walk_in(desk, client.get(url).context["form"].initial["idempotency_key"], title="另一条"))
    assert Opinion.objects.count() == 2


def test_a_staff_entry_key_posted_by_someone_else_does_not_lead_to_that_opinion(client, desk):
    client.force_login(desk["staff"])
    client.post(reverse("opinions:add"), walk_in(desk, "shared-key"))
    mine = Opinion.objects.get()
    client.force_login(desk["secretary"])
    response = client.post(reverse("opinions:add"), walk_in(desk, "shared-key", title="工委登记的"))
    theirs = Opinion.objects.get(title="工委登记的")
    assert theirs.pk != mine.pk and response["Location"] == reverse("opinions:inspect", args=[theirs.pk])


# --- Publication: what the approver sees ------------------------------------------------------


def test_the_public_reply_is_prefilled_from_the_reply_and_shown_to_the_approver(client, desk):
    reply = "王先生：已在东平巷12号门前增设路灯。"
    opinion = replied(opinion_at(desk["station"]), desk["staff"], desk["handler"], desk["department"], text=reply)
    client.force_login(desk["staff"])
    detail = client.get(reverse("opinions:inspect", args=[opinion.pk]))
    (action,) = [a for a in detail.context["actions"] if a["transition"].name == "request_publication"]
    assert action["form"]["public_reply"].value() == reply
    client.post(
        reverse("opinions:act", args=[opinion.pk, "request_publication"]),
        {
            "request_publication-version": opinion.version,
            "request_publication-summary": "东平巷路灯不亮",
            "request_publication-public_reply": "已在东平巷增设路灯。",
        },
    )
    assert Opinion.objects.get(pk=opinion.pk).public_reply == "已在东平巷增设路灯。"
    client.force_login(desk["secretary"])  # the street committee approves
    page = client.get(reverse("opinions:inspect", args=[opinion.pk])).content.decode()
    review = page.split('id="publication-heading"', 1)[1].split("</section>", 1)[0]
    assert "待审核" in review and "东平巷路灯不亮" in review and "已在东平巷增设路灯。" in review
    assert 'data-transition="approve_publication"' in page
    assert Opinion.objects.get(pk=opinion.pk).publication == Publication.PENDING


# --- Exports: no formulas in CSV cells ---------------------------------------------------------


def test_csv_cells_never_start_a_formula(client, desk):
    titles = ['=HYPERLINK("http://x")', "+1+2", "-3停车", "@SUM(A1)"]
    for title in [*titles, "普通标题"]:
        opinion_at(desk["station"], title=title)
    client.force_login(desk["secretary"])
    body = b"".join(client.get(reverse("opinions:list"), {"export": "csv"}).streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["标题"] for row in rows} == {"'" + title for title in titles} | {"普通标题"}
    assert all(row["回执编号"].startswith("YJ") for row in rows)  # other cells as they were


def test_rated_items_wait_to_be_closed_and_the_overdue_rollup_has_a_total(client, desk):
    from workflows.opinion_admin import todo_counts

    rated = replied(
        opinion_at(desk["station"], title="已评价的意见"), desk["staff"], desk["handler"], desk["department"]
    )
    opinions.perform(rated, "evaluate", capacity=opinions.CITIZEN, rating="satisfied")
    assert todo_counts(desk["staff"])["to_close"] == 1
    assert todo_counts(desk["outsider"])["to_close"] == todo_counts(desk["handler"])["to_close"] == 0
    for station in (desk["station"], desk["point"]):
        late = opinions.perform(opinion_at(station, title="超期"), "accept", user=desk["staff"])
        opinions.perform(
            late, "assign", user=desk["staff"], department=desk["department"], workdays=1, today=dt.date(2025, 1, 6)
        )
    client.force_login(desk["secretary"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "已评价待办结" in home and "?state=evaluated" in home
    assert "湖滨街道：2" in home and "合计：2" in home


def test_the_admin_home_warns_while_next_years_holidays_are_missing(client, desk, fixed_today):
    from base.calendar import covered_by_package, years_without_holiday_data
    from base.models import CalendarDay

    first_missing = next(year for year in range(2026, 2100) if not covered_by_package(year))
    fixed_today(dt.date(first_missing - 1, 12, 1))
    assert years_without_holiday_data() == [first_missing]
    assert years_without_holiday_data(dt.date(first_missing - 1, 3, 1)) == []  # still months away
    warning = f"请录入{first_missing}年的法定节假日"
    # Only those who can enter the holidays are told: not the street or the station.
    for person in ("secretary", "staff", "handler"):
        client.force_login(desk[person])
        assert warning not in client.get(reverse("wagtailadmin_home")).content.decode(), person
    client.force_login(role_user("district-admin", role_group_name(Role.DISTRICT_ADMIN)))
    assert warning in client.get(reverse("wagtailadmin_home")).content.decode()
    # Once the district enters the year's Spring Festival, the warning goes.
    CalendarDay.objects.create(date=dt.date(first_missing, 2, 8), kind="holiday", name="春节")
    assert years_without_holiday_data() == []
    assert warning not in client.get(reverse("wagtailadmin_home")).content.decode()
