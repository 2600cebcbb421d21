"""议题讨论: a deputy opens a topic at a station in 代表e站; residents reply from the station's
page with the same phone check, rate limits and moderation as opinions, and never appear
by name or phone in public; the deputy closes it with a summary that can go on as a 直通车
item. Topics and replies are declared on the one process mechanism, so the generated
contract (tests/process_contract.py) covers every transition, button and to-do."""

from __future__ import annotations

import datetime as dt

import pytest

from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, role_group_name
from content.models import Membership
from duties.models import DeputyAccount, DiscussionTopic, ReplyState, TopicAction, TopicReply, TopicState
from duties.topics import (
    MODERATOR,
    OPENER,
    REPLIES,
    TOPICS,
    Opening,
    Reply,
    TopicError,
    open_topic,
    submit_reply,
    topic_url,
)
from tests import process_contract as contract
from tests.conftest import make_deputy, role_user, station_user, street_user
from workflows.models import Category, Channel, Department, OpinionState

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)
T, R = TopicState, ReplyState


@pytest.fixture
def world(two_streets, street, fixed_today):
    fixed_today(TODAY)
    station = two_streets["station"]
    wang, li = make_deputy("王芳"), make_deputy("李强")
    for deputy in (wang, li):
        Membership.objects.create(station=station, deputy=deputy)
    accounts = {}
    for deputy, username in ((wang, "wang-fang"), (li, "li-qiang")):
        accounts[deputy.name] = role_user(username, role_group_name(Role.DEPUTY))
        DeputyAccount.objects.create(deputy=deputy, user=accounts[deputy.name])
    return {
        **two_streets,
        "wang": wang,
        "li": li,
        **accounts,
        "secretary": street_user(street),
        "staff": station_user(station),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
        "department": Department.objects.create(name="区城管局"),
    }


def opening(world, **overrides):
    fields = {
        "station": world["station"],
        "title": "东平巷夜间停车怎么管",
        "description": "小区晚上车位不够，占道停车影响消防通道。想听听大家的办法。",
        "closes_on": TODAY + dt.timedelta(days=14),
    }
    return Opening(**(fields | overrides))


def new_topic(world, **overrides):
    return open_topic(world["wang"], world["王芳"], opening(world, **overrides))


def resident_reply(topic, key=None, **overrides):
    fields = {"content": "建议错时共享周边单位停车位。", "resident_name": "张建国", "resident_phone": "13812345678"}
    return submit_reply(Reply(topic, idempotency_key=key, **(fields | overrides)))[0]


# --- The contract of both processes -------------------------------------------------------------


class TopicDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(TOPICS, "discussion_topics:inspect")
        self.world = world

    def bring(self, state):
        topic = new_topic(self.world)
        deputy, secretary = self.world["王芳"], self.world["secretary"]
        path = {
            T.OPEN: [],
            T.CLOSED: [("close", deputy, {"summary": "大家赞成错时共享车位。"})],
            T.WITHDRAWN: [("withdraw", secretary, {"note": "与已有议题重复。"})],
        }[state]
        for name, user, data in path:
            topic = TOPICS.perform(topic, name, user=user, **data)
        assert topic.state == state
        return topic

    def actor(self, capacity):
        return {OPENER: self.world["王芳"], MODERATOR: self.world["secretary"]}[capacity]

    def outsider(self):
        return self.world["outsider"]

    def data(self, transition, row):
        return {
            "close": {"summary": "大家赞成错时共享车位。"},
            "withdraw": {"note": "不属于本站点的事。"},
            "to_direct": {"category": Category.objects.get(name="交通出行"), "department": self.world["department"]},
        }.get(transition.name, {})

    def waiting(self, todo, transition):
        topic = self.bring(T.OPEN)
        if todo.key == "to_summarise":
            DiscussionTopic.objects.filter(pk=topic.pk).update(closes_on=TODAY - dt.timedelta(days=1))
        return topic


class ReplyDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(REPLIES, "topic_replies:inspect")
        self.world = world
        self.topic = new_topic(world)

    def bring(self, state):
        reply = resident_reply(self.topic)
        if state == R.PUBLISHED:
            reply = REPLIES.perform(reply, "publish", user=self.world["staff"])
        elif state == R.REJECTED:
            reply = REPLIES.perform(reply, "reject", user=self.world["staff"], note="含他人电话号码。")
        assert reply.state == state
        return reply

    def actor(self, capacity):
        return self.world["staff"]

    def outsider(self):
        return self.world["outsider"]

    def data(self, transition, row):
        return {"note": "广告内容。"} if transition.name == "reject" else {}


CASES = contract.cases(TOPICS, "topics") + contract.cases(REPLIES, "replies")


@pytest.mark.parametrize(("check", "kind", "case"), CASES, ids=contract.case_ids(CASES))
def test_the_process_contract_holds_for_topics_and_replies(world, client, check, kind, case):
    driver = TopicDriver(world) if kind == "topics" else ReplyDriver(world)
    contract.run(driver, client, check, case, [MODERATOR])


# --- Opening a topic ---------------------------------------------------------------------------


BAD_OPENINGS = {
    "a closing date today": ({"closes_on": TODAY}, "截止日期须晚于今天"),
    "a discussion longer than 90 days": ({"closes_on": TODAY + dt.timedelta(days=91)}, "最长 90 天"),
    "a description too short to say anything": ({"description": "停车"}, "至少 10 个字"),
    "no title": ({"title": "  "}, "请填写议题"),
    "a station the deputy is not at": ({"station": "other"}, "目前不在“清波联络站”驻站"),
}


@pytest.mark.parametrize("case", BAD_OPENINGS, ids=list(BAD_OPENINGS))
def test_bad_topics_are_refused_in_chinese_and_store_nothing(world, case):
    change, message = BAD_OPENINGS[case]
    if change.get("station") == "other":
        change = {"station": world["other_station"]}
    with pytest.raises(TopicError, match=message):
        new_topic(world, **change)
    assert not DiscussionTopic.objects.exists()
    assert not AuditEvent.objects.filter(action=TopicAction.OPENED).exists()


def test_a_deputy_opens_a_topic_in_the_portal_and_it_shows_on_the_station_page(client, world):
    client.force_login(world["王芳"])
    response = client.post(
        reverse("duty_portal:new_topic"),
        {
            "station": world["station"].pk,
            "title": "东平巷夜间停车怎么管",
            "description": "小区晚上车位不够，占道停车影响消防通道。想听听大家的办法。",
            "closes_on": "2026-12-14",
        },
        follow=True,
    )
    topic = DiscussionTopic.objects.get()
    assert (topic.deputy, topic.station_id, topic.street_id, topic.state) == (
        world["wang"],
        world["station"].pk,
        world["station"].street_id,
        T.OPEN,
    )
    assert "居民可回复至 2026-12-14" in response.content.decode()
    opened = AuditEvent.objects.get(action=TopicAction.OPENED)
    assert opened.actor == world["王芳"] and opened.object_id == str(topic.pk)
    station_page = client.get(world["station"].url).content.decode()
    assert "议题讨论" in station_page and topic_url(topic) in station_page and "王芳代表发起" in station_page
    assert "东平巷夜间停车怎么管" in client.get(reverse("duty_portal:home")).content.decode()


def test_the_portal_refuses_a_bad_topic_with_the_reason_and_keeps_what_was_typed(client, world):
    client.force_login(world["王芳"])
    response = client.post(
        reverse("duty_portal:new_topic"),
        {"station": world["station"].pk, "title": "停车", "description": "停车难", "closes_on": "2026-11-30"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "至少 10 个字" in page and "停车难" in page
    assert not DiscussionTopic.objects.exists()


# --- Residents reply from the station page -------------------------------------------------------


def post_reply(client, topic, **overrides):
    data = {
        "content": "建议错时共享周边单位停车位。",
        "resident_name": "张建国",
        "resident_phone": "138 1234 5678",
        "idempotency_key": "key-1",
    }
    return client.post(topic_url(topic), data | overrides)


def test_a_reply_is_receipted_held_for_moderation_and_published_without_name_or_phone(client, world):
    topic = new_topic(world)
    response = post_reply(client, topic)
    assert response.status_code == 302
    reply = TopicReply.objects.get()
    assert (reply.state, reply.resident_phone, reply.topic) == (R.PENDING, "13812345678", topic)
    receipt = client.get(response["Location"]).content.decode()
    assert "您的回复已收到" in receipt and f"回复编号 {reply.pk}" in receipt
    assert "还没有公开的回复" in receipt and "错时共享" not in receipt.split("您的回复已收到")[0]
    assert AuditEvent.objects.filter(action=TopicAction.REPLIED, actor_username="群众").count() == 1

    REPLIES.perform(reply, "publish", user=world["staff"])
    page = client.get(topic_url(topic)).content.decode()
    assert "建议错时共享周边单位停车位。" in page and "居民回复（1条）" in page
    for personal in ("张建国", "张*", "13812345678", "5678"):
        assert personal not in page


BAD_REPLIES = {
    "a landline number": ({"resident_phone": "0571-8765432"}, "请填写 11 位中国大陆手机号码"),
    "no name": ({"resident_name": ""}, "请填写姓名"),
    "a reply too short to say anything": ({"content": "好"}, "至少 5 个字"),
    "a reply over 1000 characters": ({"content": "停" * 1001}, "回复不能超过 1000 字"),
}


@pytest.mark.parametrize("case", BAD_REPLIES, ids=list(BAD_REPLIES))
def test_a_bad_reply_gets_the_reason_keeps_what_was_typed_and_stores_nothing(client, world, case):
    change, message = BAD_REPLIES[case]
    topic = new_topic(world)
    response = post_reply(client, topic, **change)
    page = response.content.decode()
    assert response.status_code == 400 and message in page
    if "content" not in change:
        assert "建议错时共享周边单位停车位。" in page  # what was typed is still in the form
    assert not TopicReply.objects.exists()


def test_the_same_reply_sent_twice_is_stored_once(client, world):
    topic = new_topic(world)
    first, second = post_reply(client, topic), post_reply(client, topic)
    assert first["Location"] == second["Location"]
    assert TopicReply.objects.count() == 1


def test_too_many_replies_from_one_phone_get_a_429(client, world, settings):
    settings.LIANLUO_TOPIC_REPLY_RATE_PHONE = "2/d"
    topic = new_topic(world)
    for key in ("a", "b"):
        assert post_reply(client, topic, idempotency_key=key).status_code == 302
    third = post_reply(client, topic, idempotency_key="c")
    assert third.status_code == 429 and "提交过于频繁" in third.content.decode()
    assert TopicReply.objects.count() == 2


def test_too_many_attempts_from_one_address_get_a_429(client, world, settings):
    settings.LIANLUO_TOPIC_REPLY_RATE_IP = "2/h"
    topic = new_topic(world)
    for key in ("a", "b"):
        post_reply(client, topic, idempotency_key=key, resident_phone="123")  # refused, but counted
    assert post_reply(client, topic, idempotency_key="c").status_code == 429
    assert not TopicReply.objects.exists()


def test_after_the_closing_date_no_reply_is_taken(client, world, fixed_today):
    topic = new_topic(world, closes_on=TODAY + dt.timedelta(days=1))
    fixed_today(TODAY + dt.timedelta(days=2))
    page = client.get(topic_url(topic)).content.decode()
    assert "已截止，等待代表总结" in page and "提交回复" not in page
    post_reply(client, topic)
    assert not TopicReply.objects.exists()
    with pytest.raises(TopicError, match="讨论已经截止"):
        resident_reply(topic)


def test_a_withdrawn_topic_is_gone_from_the_public_site(client, world):
    topic = new_topic(world)
    TOPICS.perform(topic, "withdraw", user=world["secretary"], note="与已有议题重复。")
    assert client.get(topic_url(topic)).status_code == 404
    assert "东平巷夜间停车怎么管" not in client.get(world["station"].url).content.decode()


# --- The deputy closes the topic and sends it on --------------------------------------------------


def test_the_deputy_reads_replies_masked_closes_with_a_summary_and_sends_it_on_as_a_direct_item(
    client, world, django_capture_on_commit_callbacks
):
    topic = new_topic(world)
    pending = resident_reply(topic, key="a")
    REPLIES.perform(resident_reply(topic, key="b", resident_name="李梅"), "reject", user=world["staff"], note="广告")
    client.force_login(world["王芳"])
    page = client.get(reverse("duty_portal:topic", args=[topic.pk])).content.decode()
    assert pending.content in page and "张**" in page and "待审核" in page
    assert "张建国" not in page and "13812345678" not in page and "李梅" not in page and "李*" not in page

    url = reverse("duty_portal:topic", args=[topic.pk])
    empty = client.post(url, {"action": "close", "close-version": topic.version, "close-summary": ""})
    assert empty.status_code == 400 and DiscussionTopic.objects.get().state == T.OPEN
    client.post(url, {"action": "close", "close-version": topic.version, "close-summary": "多数居民赞成错时共享车位。"})
    topic.refresh_from_db()
    assert (topic.state, topic.summary) == (T.CLOSED, "多数居民赞成错时共享车位。")
    assert "多数居民赞成错时共享车位。" in client.get(topic_url(topic)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "action": "to_direct",
                "to_direct-version": topic.version,
                "to_direct-category": Category.objects.get(name="交通出行").pk,
                "to_direct-department": world["department"].pk,
            },
            follow=True,
        )
    topic.refresh_from_db()
    opinion = topic.direct_opinion
    assert f"已作为直通车事项交办区城管局（编号 {opinion.receipt_no}）" in response.content.decode()
    assert (opinion.state, opinion.channel, opinion.originator, opinion.content) == (
        OpinionState.ASSIGNED,
        Channel.DEPUTY,
        world["wang"],
        "多数居民赞成错时共享车位。",
    )
    event = AuditEvent.objects.filter(action=TopicAction.TRANSITION).latest("pk")
    assert (event.detail["transition"], event.detail["receipt_no"]) == ("to_direct", opinion.receipt_no)
    # Sent on once: asking again is refused and stores nothing.
    with pytest.raises(TopicError, match="已转为直通车事项"):
        TOPICS.perform(
            topic, "to_direct", user=world["王芳"], **TopicDriver(world).data(TOPICS.by_name["to_direct"], topic)
        )
    assert topic.direct_opinion.pk == opinion.pk and opinion.__class__.objects.count() == 1


def test_another_deputys_topic_is_not_found_in_the_portal(client, world):
    topic = new_topic(world)
    client.force_login(world["李强"])
    assert client.get(reverse("duty_portal:topic", args=[topic.pk])).status_code == 404
    assert client.post(reverse("duty_portal:topic", args=[topic.pk]), {"action": "close"}).status_code == 404


def test_staff_moderate_replies_of_their_own_stations_only(client, world):
    topic = new_topic(world)
    reply = resident_reply(topic)
    client.force_login(world["staff"])
    listing = client.get(reverse("topic_replies:index")).content.decode()
    assert "建议错时共享周边单位停车位。" in listing and "张**" in listing and "张建国" not in listing
    client.post(
        reverse("topic_replies:act", args=[reply.pk, "publish"]), {"publish-version": reply.version}, follow=True
    )
    assert TopicReply.objects.get().state == R.PUBLISHED
    client.force_login(world["outsider"])
    assert "建议错时共享" not in client.get(reverse("topic_replies:index")).content.decode()
    assert client.get(reverse("topic_replies:inspect", args=[reply.pk])).status_code == 404
