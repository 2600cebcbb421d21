"""Demo opinions: departments, and citizens' opinions spread over every stage of the loop.

Small numbers go through the real code path (`intake.submit` and `opinions.perform`), so
each demo opinion has its receipt, audit records, field history and replies exactly as in
use. Large numbers (benchmarks: `build_demo --opinions 100000`) are bulk-inserted with the
same distribution of states and fields, without per-row history or audit records.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from content.demo.vocab import SHANGCHENG_STREETS
from content.models import StationLevel, StationPage
from workflows import opinions
from workflows.intake import Submission, submit
from workflows.models import (
    Category,
    Channel,
    Department,
    Opinion,
    OpinionReply,
    OpinionState,
    Outcome,
    Publication,
    Rating,
)

S = OpinionState
REAL_PATH_MAX = 600  # above this, bulk inserts

DEPARTMENTS = [
    ("区城市管理局", "城建"),
    ("区住房和城乡建设局", "城建"),
    ("区交通运输局", "交通"),
    ("杭州市公安局上城区分局", "平安"),
    ("区生态环境分局", "环境"),
    ("区民政局", "保障"),
    ("区人力资源和社会保障局", "保障"),
    ("区教育局", "教育"),
    ("区卫生健康局", "医疗"),
    ("区市场监督管理局", "社区"),
    ("区园林文物局", "环境"),
    ("区数据资源管理局", "社区"),
]

# (category, title, content, reply) — {place} is a community, {road} a road of the street.
TOPICS = [
    ("交通出行", "{place}小区夜间停车难", "{place}小区周边夜间停车位严重不足，希望增设临时停车位或错时共享车位。",
     "已协调周边单位开放错时共享车位 {n} 个，并增设夜间临时泊位。"),
    ("城市建设与管理", "{road}路灯不亮", "{road}靠近{place}一段路灯已坏多日，晚上老人出行不便，存在安全隐患。",
     "已安排维修，{road}该路段 {n} 盏路灯已恢复照明。"),
    ("城市建设与管理", "{place}老旧小区加装电梯协调", "{place}小区三单元居民希望加装电梯，需要社区帮助协调。",
     "社区已组织 {n} 次协商会，达成一致意见，加装电梯已进入审批。"),
    ("环境保护", "{place}垃圾分类投放点异味", "{place}垃圾分类投放点夏季异味明显，清运不及时，影响周边居民。",
     "已调整清运频次为每日两次，并加装除臭设施。"),
    ("交通出行", "{road}路口红绿灯时间过短", "{road}与附近道路路口行人绿灯时间过短，老人和孩子过马路来不及。",
     "交警部门已将行人绿灯时长延长 {n} 秒。"),
    ("社区治理", "{place}公园健身器材损坏", "{place}口袋公园的健身器材有 {n} 件损坏，存在安全隐患，希望尽快维修更换。",
     "损坏器材已全部更换，并建立每月巡检制度。"),
    ("社会保障", "{place}社区食堂就餐", "希望在{place}社区增设老年食堂或助餐点，方便独居老人就餐。",
     "已在{place}社区新设助餐点一处，每日供应午餐。"),
    ("教育文化", "{road}学校周边上下学拥堵", "{road}学校周边上下学高峰时段交通拥堵，希望增加护学岗和临时停车点。",
     "已增设护学岗，并在上下学时段安排交警疏导。"),
    ("环境保护", "{place}菜市场噪音扰民", "{place}菜市场凌晨装卸货噪音较大，影响周边居民休息。",
     "市场监管部门已约谈市场方，调整装卸时间并加装隔音设施。"),
    ("医疗卫生", "{place}社区卫生服务站开放时间", "希望{place}社区卫生服务站周末也能开放，方便上班族就医。",
     "卫生服务站已实行周六上午门诊。"),
    ("平安建设", "{place}楼道电动车充电隐患", "{place}小区部分居民在楼道给电动车充电，存在消防隐患。",
     "已在小区新建集中充电棚，可同时为 {n} 辆电动车充电。"),
    ("城市建设与管理", "{road}人行道破损", "{road}人行道多处地砖破损翘起，雨天积水，行走不便。",
     "已完成该路段人行道修复，共更换地砖约 {n} 平方米。"),
]  # fmt: skip

# Where each demo opinion ends up, and how often (weights).
STAGES = [
    ("submitted", 10),
    ("accepted", 5),
    ("rejected", 3),
    ("duplicate", 2),
    ("assigned", 14),
    ("signed", 10),
    ("replied", 10),
    ("evaluated", 14),
    ("reopened", 3),
    ("closed", 29),
]
NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "建国", "桂兰", "志强", "丽华", "国平", "玉兰", "海燕", "明", "伟", "芳", "军", "敏", "静"]


def ensure_departments() -> list[Department]:
    found = []
    for order, (name, _kind) in enumerate(DEPARTMENTS):
        department, _ = Department.objects.get_or_create(name=name, defaults={"sort_order": order})
        found.append(department)
    return found


def _stations():
    return list(
        StationPage.objects.live()
        .filter(level__in=[StationLevel.CENTRE, StationLevel.STATION, StationLevel.POINT])
        .select_related("street")
        .order_by("path")
    )


def _fill(rng: random.Random, template: str, station) -> str:
    seed = next((s for s in SHANGCHENG_STREETS if station.street and s.name in station.street.name), None)
    place = rng.choice(seed.communities) if seed and seed.communities else station.title[:4]
    road = rng.choice(seed.roads) if seed and seed.roads else "解放路"
    return template.format(place=place, road=road, n=rng.randint(2, 30))


def build_opinions(count: int, *, seed: int = 2026, today: dt.date | None = None, progress: Callable = print) -> int:
    """Create `count` demo opinions (plus the departments); returns how many were made."""
    if count <= 0:
        return 0
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    departments = ensure_departments()
    stations = _stations()
    if not stations:
        return 0
    categories = {c.name: c for c in Category.objects.all()}
    if count <= REAL_PATH_MAX:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            made = _through_the_loop(count, rng, stations, categories, departments, today)
    else:
        made = _bulk(count, rng, stations, categories, departments, today, progress)
    progress(f"群众意见 Opinions: {made} 条，承办单位 {len(departments)} 个")
    return made


def _citizen(rng):
    return rng.choice(NAMES) + rng.choice(GIVEN), f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}"


def _through_the_loop(count, rng, stations, categories, departments, today) -> int:
    # One account acts for every role while the demo is written; it cannot sign in (no
    # usable password) and is deactivated again at the end.
    actor, _ = get_user_model().objects.get_or_create(
        username="demo-loop", defaults={"display_name": "示范数据", "is_superuser": True}
    )
    actor.set_unusable_password()
    actor.is_active = actor.is_superuser = True
    actor.save()
    try:
        return _each_through_the_loop(count, rng, stations, categories, departments, today, actor)
    finally:
        actor.is_active = False
        actor.save(update_fields=["is_active"])


def _each_through_the_loop(count, rng, stations, categories, departments, today, actor) -> int:
    weights = [w for _, w in STAGES]
    made = 0
    for i in range(count):
        station = rng.choice(stations)
        category_name, title, content, reply = rng.choice(TOPICS)
        name, phone = _citizen(rng)
        channel = rng.choice([Channel.ONLINE, Channel.ONLINE, Channel.QR, Channel.WALK_IN, Channel.PHONE])
        received_on = today - dt.timedelta(days=rng.randint(1, 60)) if channel == Channel.WALK_IN else None
        with transaction.atomic():
            opinion, _ = submit(
                Submission(
                    station=station,
                    category=categories[category_name],
                    title=_fill(rng, title, station),
                    content=_fill(rng, content, station),
                    citizen_name=name,
                    citizen_phone=phone,
                    publish_consent=rng.random() < 0.7,
                    channel=channel,
                    received_on=received_on,
                    idempotency_key=f"demo-{i}",
                )
            )
            stage = rng.choices([s for s, _ in STAGES], weights)[0]
            _advance(opinions, opinion, stage, actor, rng, departments, reply, station, today)
        made += 1
    return made


def _advance(opinions, opinion, stage, actor, rng, departments, reply, station, today):
    def act(name, **data):
        nonlocal opinion
        opinion = opinions.perform(opinion, name, user=actor, **data)

    if stage == "submitted":
        return
    if stage == "rejected":
        act("reject", reason="不属于人大代表联络站受理范围，已告知群众向相关渠道反映。")
        return
    if stage == "duplicate":
        original = Opinion.objects.exclude(pk=opinion.pk).filter(station=opinion.station).first()
        if original is not None:
            act("mark_duplicate", original=original)
        return
    act("accept")
    if stage == "accepted":
        return
    start = today - dt.timedelta(days=rng.randint(0, 40))
    act("assign", department=rng.choice(departments), today=start)
    if stage == "assigned":
        return
    act("sign")
    if stage == "signed":
        return
    act("reply", outcome=rng.choice(Outcome.values), text=_fill(rng, reply, station))
    if stage == "replied":
        return
    rating = Rating.UNSATISFIED if stage == "reopened" else rng.choice([Rating.SATISFIED, Rating.BASICALLY])
    act("evaluate", rating=rating)
    if stage in ("evaluated", "reopened"):
        return
    act("close", reason="群众满意，销号")
    if opinion.publish_consent and rng.random() < 0.6:
        # The demo replies name no one, so the public reply is the reply as written.
        act("request_publication", summary=opinion.title, public_reply=opinion.reply_text)
        act("approve_publication")


def _bulk(count, rng, stations, categories, departments, today, progress) -> int:
    """Insert `count` opinions in batches, with replies for those that got one."""
    weights = [w for _, w in STAGES]
    now = timezone.now()
    made = 0
    batch_size = 2000
    sequence = Opinion.objects.count()
    while made < count:
        rows, replies = [], []
        for _ in range(min(batch_size, count - made)):
            sequence += 1
            station = rng.choice(stations)
            category_name, title, content, reply = rng.choice(TOPICS)
            name, phone = _citizen(rng)
            stage = rng.choices([s for s, _ in STAGES], weights)[0]
            created = now - dt.timedelta(days=rng.randint(0, 720), minutes=rng.randint(0, 1440))
            opinion = Opinion(
                receipt_no=f"YD{created:%y%m%d}{sequence:07d}",  # YD: bulk demo rows never collide with YJ
                origin_station_id=station.pk,
                station_id=station.pk,
                street_id=station.street_id,
                category=categories[category_name],
                title=_fill(rng, title, station),
                content=_fill(rng, content, station),
                citizen_name=name,
                citizen_phone=phone,
                phone_last4=phone[-4:],
                publish_consent=rng.random() < 0.7,
                channel=Channel.ONLINE,
                state=stage,
                created_at=created,
            )
            if stage not in ("submitted", "accepted", "rejected", "duplicate"):
                opinion.department = rng.choice(departments)
                opinion.assigned_at = created + dt.timedelta(days=1)
                opinion.deadline = (created + dt.timedelta(days=21)).date()
            if stage in ("replied", "evaluated", "reopened", "closed"):
                opinion.signed_at = created + dt.timedelta(days=2)
                opinion.replied_at = created + dt.timedelta(days=rng.randint(3, 20))
                opinion.outcome = rng.choice(Outcome.values)
                opinion.reply_text = _fill(rng, reply, station)
                replies.append(opinion)
            if stage in ("evaluated", "closed"):
                opinion.rating = rng.choice([Rating.SATISFIED, Rating.BASICALLY, Rating.SATISFIED])
            if stage == "closed":
                opinion.closed_at = opinion.replied_at + dt.timedelta(days=3)
                if opinion.publish_consent and rng.random() < 0.5:
                    opinion.publication = Publication.APPROVED
                    opinion.public_summary = opinion.title
                    opinion.public_reply = opinion.reply_text
                    opinion.published_at = opinion.closed_at
            if stage == "rejected":
                opinion.reject_reason = "不属于受理范围"
                opinion.closed_at = created + dt.timedelta(days=1)
            rows.append(opinion)
        with transaction.atomic(), explicit_created_at():
            created_rows = Opinion.objects.bulk_create(rows)
            if any(row.pk is None for row in created_rows):  # backends without RETURNING
                by_receipt = dict(
                    Opinion.objects.filter(receipt_no__in=[r.receipt_no for r in rows]).values_list("receipt_no", "pk")
                )
                for row in created_rows:
                    row.pk = by_receipt[row.receipt_no]
            OpinionReply.objects.bulk_create(
                OpinionReply(
                    opinion_id=o.pk,
                    round=1,
                    department=o.department,
                    outcome=o.outcome,
                    text=o.reply_text,
                    replied_at=o.replied_at,
                    rating=o.rating,
                )
                for o in replies
            )
        made += len(rows)
        progress(f"  群众意见 opinions: {made}/{count}")
    return made


@contextmanager
def explicit_created_at():
    """Let bulk inserts keep their spread-out submission dates (auto_now_add would overwrite them)."""
    field = Opinion._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True
