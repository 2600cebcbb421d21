"""直通车: a deputy's issue goes straight to the department, accepted and assigned at once; the
department replies in its queue; the deputy rates the reply in 代表e站. Bad input is refused
with a reason and stores nothing; nobody else rates it."""

import datetime as dt

import pytest

from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, department_group_name, role_group_name
from content.models import Membership
from duties.models import DeputyAccount, DutyRecord
from tests.conftest import make_deputy, role_user
from workflows import opinions
from workflows.models import Category, Channel, Department, Opinion, OpinionState

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(two_streets, fixed_today):
    fixed_today(dt.date(2026, 11, 30))
    station = two_streets["station"]
    wang, li = make_deputy("王芳"), make_deputy("李强")
    for deputy in (wang, li):
        Membership.objects.create(station=station, deputy=deputy)
    department = Department.objects.create(name="区城管局")
    accounts = {}
    for deputy, username in ((wang, "wang-fang"), (li, "li-qiang")):
        accounts[deputy.name] = role_user(username, role_group_name(Role.DEPUTY))
        DeputyAccount.objects.create(deputy=deputy, user=accounts[deputy.name])
    handler = role_user("cgj", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    return {**two_streets, "wang": wang, "department": department, "handler": handler, **accounts}


def raise_item(client, world, **overrides):
    data = {
        "station": world["station"].pk,
        "category": Category.objects.get(name="交通出行").pk,
        "department": world["department"].pk,
        "title": "东平巷口信号灯配时过短",
        "content": "老人过马路来不及，建议延长行人绿灯时间。",
    }
    return client.post(reverse("duty_portal:direct"), data | overrides, follow=True)


def test_a_direct_item_is_assigned_at_once_and_the_deputy_rates_the_reply(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["王芳"])
    with django_capture_on_commit_callbacks(execute=True):
        page = raise_item(client, world).content.decode()
    opinion = Opinion.objects.get()
    assert f"已直接交办区城管局（编号 {opinion.receipt_no}）" in page
    assert (opinion.state, opinion.channel, opinion.originator, opinion.department) == (
        OpinionState.ASSIGNED,
        Channel.DEPUTY,
        world["wang"],
        world["department"],
    )
    assert opinion.deadline is not None and opinion.citizen_phone == ""
    # Raised, accepted and assigned in the deputy's own request: each step audited under their account.
    steps = AuditEvent.objects.filter(object_type="workflows.Opinion", object_id=str(opinion.pk)).order_by("pk")
    assert [(e.actor, e.detail.get("transition", "")) for e in steps] == [
        (world["王芳"], ""),
        (world["王芳"], "accept"),
        (world["王芳"], "assign"),
    ]
    # It counts as an opinion the deputy forwarded.
    assert DutyRecord.objects.filter(auto_key=f"opinion_received:{opinion.pk}").exists()

    opinion = opinions.perform(opinion, "sign", user=world["handler"])
    opinions.perform(opinion, "reply", user=world["handler"], outcome="resolved", text="已将行人绿灯延长至 30 秒。")
    page = client.get(reverse("duty_portal:home")).content.decode()
    assert "已将行人绿灯延长至 30 秒。" in page and "评价答复" in page

    # Another deputy cannot rate it; its deputy can.
    client.force_login(world["李强"])
    assert client.post(reverse("duty_portal:rate", args=[opinion.pk]), {"rating": "satisfied"}).status_code == 404
    client.force_login(world["王芳"])
    client.post(reverse("duty_portal:rate", args=[opinion.pk]), {"rating": "satisfied"})
    opinion.refresh_from_db()
    assert (opinion.state, opinion.rating) == (OpinionState.EVALUATED, "satisfied")
    rated = AuditEvent.objects.filter(object_type="workflows.Opinion", object_id=str(opinion.pk)).order_by("-pk")[0]
    assert (rated.actor, rated.detail["transition"], rated.detail["rating"]) == (world["王芳"], "evaluate", "satisfied")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "必需字段"),
        ({"content": "太短"}, "请把意见内容写清楚"),
        ({"department": "999999"}, "选择一个有效的选项"),
        ({"station": "999999"}, "选择一个有效的选项"),
    ],
)
def test_bad_direct_items_say_why_and_store_nothing(client, world, overrides, message):
    client.force_login(world["王芳"])
    assert message in raise_item(client, world, **overrides).content.decode()
    assert not Opinion.objects.exists()


def test_a_rating_before_the_reply_is_refused(client, world):
    client.force_login(world["王芳"])
    raise_item(client, world)
    opinion = Opinion.objects.get()
    page = client.post(reverse("duty_portal:rate", args=[opinion.pk]), {"rating": "satisfied"}, follow=True)
    assert "不能评价" in page.content.decode()
    opinion.refresh_from_db()
    assert opinion.state == OpinionState.ASSIGNED
