"""议题讨论: a deputy puts a local issue to the residents of one of their stations.

    deputy ──发起──▶ 讨论中 open ──结束讨论（写总结）──▶ 已结束 closed ──转为直通车──▶ (已结束, with its 直通车 item)
                        └──────────撤下（工作人员，说明理由）──────────▶ 已撤下 withdrawn

Residents reply from the station's page until the closing date, with the same phone check,
rate limits and moderation as opinions: a reply is stored and receipted, and shown only
once the station's staff or street committee publish it (公开), never with the resident's
name or phone. The deputy reads the replies in 代表e站, closes the topic with a summary
and may send the summary on as a 直通车 item to the department responsible.

Both topics and replies are declared on `workflows.process`, like opinions and duty
records: each step is one audited transition with a history row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from base.prepared import prepared
from base.roles import Roles
from content.models import Deputy, Membership, StationPage
from content.scoping import station_work_q
from duties.direct import raise_directly
from duties.models import DiscussionTopic, ReplyState, TopicAction, TopicReply, TopicState
from duties.records import RecordError
from workflows.intake import MOBILE, normalise_phone
from workflows.models import Category, Department
from workflows.process import (
    NOTHING,
    REFUSAL,
    SIDE,
    Process,
    Todo,
    Transition,
    TransitionError,
    TransitionForm,
    required,
)

OPENER = "opener"  # the deputy who opened the topic
MODERATOR = "moderator"  # staff of the topic's station, its street committee; the district admin everywhere

LONGEST_DISCUSSION = 90  # days a topic may stay open
T, R = TopicState, ReplyState


class TopicError(TransitionError):
    """A topic or a reply refused, with the reason in Chinese; nothing is stored."""


def topic_capacities(roles: Roles) -> dict[str, Q]:
    opener = NOTHING if roles.district_wide else Q(deputy__account_link__user=roles.user)
    return {MODERATOR: station_work_q(roles), OPENER: opener}


def reply_capacities(roles: Roles) -> dict[str, Q]:
    return {MODERATOR: station_work_q(roles, "topic__")}


# --- Opening a topic -----------------------------------------------------------------------------


@dataclass
class Opening:
    """What a deputy fills in to open a topic."""

    station: StationPage
    title: str
    description: str
    closes_on: dt.date


def open_topic(deputy: Deputy, user, opening: Opening, today: dt.date | None = None) -> DiscussionTopic:
    """The deputy's new topic at one of their stations, or TopicError saying why not."""
    today = today or timezone.localdate()
    title, description = (opening.title or "").strip(), (opening.description or "").strip()
    if not title:
        raise TopicError("请填写议题。")
    if len(title) > 60:
        raise TopicError("议题不能超过 60 字。")
    if len(description) < 10:
        raise TopicError("请把议题说明写清楚（至少 10 个字），让居民知道要讨论什么。")
    if len(description) > 2000:
        raise TopicError("议题说明不能超过 2000 字。")
    if opening.closes_on <= today:
        raise TopicError(f"截止日期须晚于今天（{today:%Y-%m-%d}）。")
    latest = today + dt.timedelta(days=LONGEST_DISCUSSION)
    if opening.closes_on > latest:
        raise TopicError(f"讨论时间最长 {LONGEST_DISCUSSION} 天，截止日期不能晚于 {latest:%Y-%m-%d}。")
    station = opening.station
    if not Membership.objects.current(on=today).filter(station=station, deputy=deputy).exists():
        raise TopicError(f"{deputy.name}目前不在“{station.title}”驻站，不能在该站点发起议题。")
    with transaction.atomic():
        topic = DiscussionTopic(
            station=station,
            street_id=station.street_id,
            deputy=deputy,
            title=title,
            description=description,
            closes_on=opening.closes_on,
        )
        topic._change_reason = "发起"
        topic._history_user = user
        topic.save()
        TOPICS.created(topic, user=user, station=station.title)
    return topic


# --- A resident's reply ------------------------------------------------------------------------


@dataclass
class Reply:
    """What a resident sends from the topic's page."""

    topic: DiscussionTopic
    content: str
    resident_name: str
    resident_phone: str
    idempotency_key: str | None = None


def check_reply(reply: Reply, today: dt.date | None = None) -> str:
    """The normalised phone number, or TopicError naming every problem."""
    topic = reply.topic
    if not topic.accepts_replies(today):
        raise TopicError("该议题的讨论已经截止，不再接受回复。")
    errors = []
    content = (reply.content or "").strip()
    if len(content) < 5:
        errors.append("请把您的看法写清楚（至少 5 个字）。")
    elif len(content) > 1000:
        errors.append("回复不能超过 1000 字。")
    name = (reply.resident_name or "").strip()
    if not name:
        errors.append("请填写姓名。")
    elif len(name) > 30:
        errors.append("姓名不能超过 30 字。")
    phone = normalise_phone(reply.resident_phone)
    if not MOBILE.match(phone):
        errors.append("请填写 11 位中国大陆手机号码。")
    if errors:
        raise TopicError(" ".join(errors))
    return phone


def submit_reply(reply: Reply, today: dt.date | None = None) -> tuple[TopicReply, bool]:
    """Store the reply (waiting for moderation) and return (reply, created); the same
    idempotency key sent twice gives back the reply stored the first time."""
    if reply.idempotency_key:
        existing = TopicReply.objects.filter(idempotency_key=reply.idempotency_key, topic=reply.topic).first()
        if existing is not None:
            return existing, False
    phone = check_reply(reply, today)
    try:
        with transaction.atomic():
            row = TopicReply(
                topic=reply.topic,
                content=reply.content.strip(),
                resident_name=reply.resident_name.strip(),
                resident_phone=phone,
                idempotency_key=reply.idempotency_key or None,
            )
            row._change_reason = "居民回复"
            row.save()
            REPLIES.created(row, username="群众", topic=reply.topic.title)
    except IntegrityError:  # the same key stored meanwhile by a concurrent double submit
        existing = TopicReply.objects.filter(idempotency_key=reply.idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    return row, True


# --- What the public sees ---------------------------------------------------------------------------


def public_topics(station, limit: int = 5) -> list[DiscussionTopic]:
    """A station's topics for its page: open ones first, then the latest closed ones."""
    return _public_topics(station.pk, limit=limit)


@prepared
def _public_topics(station_id, *, limit):
    return (
        DiscussionTopic.objects.filter(station_id=station_id, state__in=(T.OPEN, T.CLOSED))
        .select_related("deputy")
        .order_by("state", "-created_at")[:limit]
    )


def topic_url(topic) -> str:
    """The topic's public page, under its station's page."""
    station = topic.station
    return station.url + station.reverse_subpage("topic", args=[topic.pk])


def my_topics(deputy, limit: int):
    """The deputy's topics, newest first, with their reply counts (one query)."""
    return list(
        DiscussionTopic.objects.filter(deputy=deputy)
        .exclude(state=TopicState.WITHDRAWN)
        .select_related("station")
        .only("title", "state", "closes_on", "version", "station__title", "station__url_path")
        .annotate(
            published=Count("replies", filter=Q(replies__state=ReplyState.PUBLISHED)),
            waiting=Count("replies", filter=Q(replies__state=ReplyState.PENDING)),
        )
        .order_by("-created_at")[:limit]
    )


def published_replies(topic) -> list[TopicReply]:
    """What the public sees of the replies: published ones, their text and date only."""
    replies = topic.replies.filter(state=R.PUBLISHED).only("content", "created_at", "topic_id")
    return list(replies.order_by("created_at"))


# --- Transitions --------------------------------------------------------------------------------------


class SummaryForm(TransitionForm):
    summary = forms.CharField(
        label="讨论总结",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="居民提了哪些意见、您怎么看、下一步怎么办。总结会在站点页面公开。",
    )


class ReasonForm(TransitionForm):
    note = forms.CharField(label="理由", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class DirectForm(TransitionForm):
    """The topic's summary, sent on to one department as a 直通车 item."""

    category = forms.ModelChoiceField(label="分类", queryset=Category.objects.all(), empty_label="请选择")
    department = forms.ModelChoiceField(
        label="承办单位", queryset=Department.objects.filter(is_active=True).order_by("name"), empty_label="请选择"
    )


def _close(topic, *, summary="", **_):
    topic.summary = required(summary, "请填写讨论总结。")[:2000]
    topic.closed_at = timezone.now()


def _withdraw(topic, *, note="", **_):
    topic.reason = required(note, "请说明撤下的理由。")[:200]


def _to_direct(topic, *, user, category=None, department=None, **_):
    if topic.direct_opinion_id:
        raise TopicError(f"该议题已转为直通车事项 {topic.direct_opinion.receipt_no}。")
    if category is None or department is None:
        raise TopicError("请选择分类和承办单位。")
    try:
        opinion = raise_directly(
            topic.deputy,
            user,
            station=topic.station,
            category=category,
            department=department,
            title=topic.title,
            content=topic.summary,
        )
    except RecordError as error:
        raise TopicError(str(error)) from None
    topic.direct_opinion = opinion
    return {"receipt_no": opinion.receipt_no, "department": department.name}


def _overdue_topics() -> Q:
    return Q(state=T.OPEN, closes_on__lt=timezone.localdate())


TOPICS = Process(
    model=DiscussionTopic,
    noun="议题",
    capacities_of=topic_capacities,
    transition_action=TopicAction.TRANSITION,
    created_action=TopicAction.OPENED,
    created_summary="发起",
    lock_related=("deputy", "station"),
    transitions=[
        Transition(
            "close",
            "结束讨论",
            (T.OPEN,),
            T.CLOSED,
            (OPENER,),
            _close,
            SummaryForm,
            todos=(Todo("to_summarise", "已截止待总结的议题", when=_overdue_topics),),
        ),
        Transition("to_direct", "转为直通车", (T.CLOSED,), None, (OPENER,), _to_direct, DirectForm, kind=SIDE),
        Transition(
            "withdraw", "撤下", (T.OPEN, T.CLOSED), T.WITHDRAWN, (MODERATOR,), _withdraw, ReasonForm, kind=REFUSAL
        ),
    ],
)


def _publish(reply, **_):
    reply.moderated_at = timezone.now()
    reply.reason = ""


def _reject(reply, *, note="", **_):
    reply.reason = required(note, "请说明不予公开的理由。")[:200]
    reply.moderated_at = timezone.now()


REPLIES = Process(
    model=TopicReply,
    noun="回复",
    capacities_of=reply_capacities,
    transition_action=TopicAction.REPLY_TRANSITION,
    created_action=TopicAction.REPLIED,
    created_summary="居民回复",
    lock_related=("topic",),
    transitions=[
        Transition(
            "publish",
            "公开",
            (R.PENDING,),
            R.PUBLISHED,
            (MODERATOR,),
            _publish,
            todos=(Todo("to_moderate", "待审核的议题回复", state=R.PENDING),),
        ),
        Transition(
            "reject", "不予公开", (R.PENDING, R.PUBLISHED), R.REJECTED, (MODERATOR,), _reject, ReasonForm, kind=REFUSAL
        ),
    ],
)
