"""Staff screens: the queue, filters, detail with timeline, entry on a citizen's behalf, bulk
assignment and masked exports, each scoped to what the person may see."""

import datetime as dt
import io

import openpyxl
import pytest

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from content.models import Street
from permissions.models import AuditEvent
from permissions.roles import Role, department_group_name, role_group_name
from tests.conftest import new_opinion, replied, role_user, station_user, street_user
from workflows import opinions
from workflows.models import Category, Department, Opinion, OpinionState

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
    assert "submitted → accepted" in page and "状态" in page  # the timeline with its field diff
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
    opinions.perform(done, "request_publication", user=desk["staff"], summary="路灯已修复")
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
    from permissions.roles import street_group_name

    for n in range(13):
        extra = Street.objects.create(name=f"测试街道{n}", slug=f"test-{n}")
        desk["secretary"].groups.add(Group.objects.get(name=street_group_name(extra)))
    wider = listing_queries(client, desk["secretary"])
    assert few == many == wider
