"""Demo opinions: departments, and citizens' opinions submitted over the past months.

Each opinion is submitted at a moment spread over the six months before the build's `today`
and every later step (受理, 交办, 签收, 答复, 评价, 办结, 公开, and what the daily sweep does:
reminders, the overdue flag, closing unrated replies) at a moment derived from the one
before with the working-day calendar; steps that would come after the build have not
happened yet, so each opinion's stage follows from its age.

Small numbers go through the real code path (`intake.submit` and `opinions.perform`) with
the clock set to each step's moment by time-machine, so each demo opinion has its receipt,
audit records, field history and replies exactly as in use, dated when they happened.
Large numbers (benchmarks: `build_demo --opinions 100000`) are bulk-inserted with the fields
the same steps leave, without per-row history or audit records.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import time_machine

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from base.calendar import WorkdayCalendar
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
    SupervisionCase,
)
from workflows.sweep import overdue_note, reminder_workdays

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


# --- When things happen --------------------------------------------------------------------
#
# Every demo opinion is submitted at a moment spread over the past months, and each later
# step happens at a moment derived from the one before with the working-day calendar: staff
# act in office hours on working days, the daily sweep runs at 07:00 (reminders while a
# deadline is near, the overdue flag the day after it, closing replies left unrated after
# the wait), citizens rate within the wait. Steps that would fall after the build's moment
# have not happened yet, so how far an opinion got follows from its age.

SPREAD_DAYS = 182  # submissions reach back about six months,
RECENT_DAYS, RECENT_SHARE = 28, 0.4  # 40% of them drawn from the last four weeks
# What becomes of an opinion (weights): through the loop, through it twice (不满意 → 重办),
# not taken in, or a duplicate of an earlier one.
FATES = [("loop", 86), ("reopened", 5), ("rejected", 5), ("duplicate", 4)]
LATE_SHARE = 0.08  # replies after the deadline: the sweep flags them overdue the day after it
RATED_SHARE = 0.75  # replies rated (receipt link or return visit); the rest close after the wait
VISIT_SHARE = 0.3  # ratings taken by staff on a return visit (回访) rather than by the citizen
PUBLISHED_SHARE = 0.6  # closed opinions with consent whose result is published
OFFICE = (8 * 60 + 30, 17 * 60 + 30)  # staff and handlers: office hours, working days
SWEEP_AT = 7 * 60  # the daily sweep (manage.py sweep_opinions) at 07:00
ONLINE_HOURS = (7, 8, 9, 9, 10, 10, 11, 12, 12, 13, 14, 15, 16, 17, 19, 20, 20, 21, 21, 22)
OFFICE_CHANNELS = (Channel.WALK_IN, Channel.PHONE)  # taken in by staff, in office hours
REJECT_REASON = "不属于人大代表联络站受理范围，已告知群众向相关渠道反映。"
CLOSE_REASONS = {Rating.SATISFIED: "群众满意，销号", Rating.BASICALLY: "群众基本满意，销号"}

OUTCOMES = tuple(Outcome.values)
Step = tuple  # (moment, name, data): a transition's name, or the sweep's "remind" / "overdue"


def build_moment(today: dt.date) -> dt.datetime:
    """The latest moment anything in the demo happens: 18:00 on `today`, or now if that is
    earlier (nothing is dated in the future)."""
    return min(_at(today, 18 * 60), timezone.now())


# Moments in the site's time zone (Asia/Shanghai, no daylight saving), converted directly
# rather than through timezone.localtime(): a bulk build converts hundreds of thousands.
def _at(date: dt.date, minute: int, second: int = 0) -> dt.datetime:
    zone = timezone.get_default_timezone()
    return dt.datetime.combine(date, dt.time(), tzinfo=zone) + dt.timedelta(minutes=minute, seconds=second)


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(timezone.get_default_timezone()).date()


def _minute(moment: dt.datetime) -> int:
    local = moment.astimezone(timezone.get_default_timezone())
    return local.hour * 60 + local.minute


def _dates(start: dt.date, end: dt.date):
    return (start + dt.timedelta(days=n) for n in range((end - start).days + 1))


def calendar_around(today: dt.date) -> WorkdayCalendar:
    """The working-day calendar (the one deadlines are computed with) over the demo's window."""
    return WorkdayCalendar.load(today - dt.timedelta(days=SPREAD_DAYS + 30), today + dt.timedelta(days=240))


class Timeline:
    """The steps of one opinion after its submission, each at a moment derived from the one
    before; `plan()` returns them in order, as (moment, name, data)."""

    def __init__(self, rng: random.Random, days: WorkdayCalendar, wait_days: int):
        self.rng, self.days, self.wait = rng, days, max(wait_days, 2)
        self.steps: list[Step] = []

    def add(self, at: dt.datetime, name: str, **data) -> dt.datetime:
        self.steps.append((at, name, data))
        return at

    def office(self, after: dt.datetime, workdays: int = 0) -> dt.datetime:
        """A moment in office hours `workdays` working days after `after` (0: later the same
        day if it is a working day with time left, else the next working day)."""
        day = _day(after)
        if workdays or not self.days.is_workday(day) or _minute(after) > OFFICE[1] - 30:
            day = self.days.add_workdays(day, max(workdays, 1))
        return self.office_on(day, after)

    def office_on(self, day: dt.date, after: dt.datetime) -> dt.datetime:
        low = max(OFFICE[0], _minute(after) + 5) if day == _day(after) else OFFICE[0]
        return _at(day, self.rng.randint(low, max(low, OFFICE[1])), self.rng.randint(0, 59))

    def sweep(self, day: dt.date) -> dt.datetime:
        return _at(day, SWEEP_AT, self.rng.randint(0, 120))

    def plan(self, created: dt.datetime, fate: str, workdays: int, consent: bool) -> list[Step]:
        rng = self.rng
        if fate == "rejected":
            self.add(self.office(created, rng.choice((0, 0, 1, 2))), "reject")
            return self.steps
        if fate == "duplicate":
            self.add(self.office(created, rng.choice((0, 1, 1, 2))), "mark_duplicate")
            return self.steps
        moment = self.add(self.office(created, rng.choice((0, 0, 1, 1, 2))), "accept")
        rating = Rating.UNSATISFIED if fate == "reopened" else None
        while True:
            assigned = self.office(moment, rng.choice((0, 0, 1)) if rating is None else rng.choice((1, 2)))
            deadline = self.days.add_workdays(_day(assigned), workdays)  # as _assign computes it
            self.add(assigned, "assign", deadline=deadline)
            replied = self.handle(assigned, deadline)
            moment, given = self.rate(replied, rating)
            if given != Rating.UNSATISFIED:
                break
            rating = None  # the new round (重办) is rated as any other
        if given:
            moment = self.add(self.office(moment, rng.choice((0, 1, 1, 2, 3))), "close", rating=given)
        if consent and rng.random() < PUBLISHED_SHARE:
            moment = self.add(self.office(moment, rng.choice((0, 1, 2))), "request_publication")
            self.add(self.office(moment, rng.choice((0, 1, 2))), "approve_publication")
        return self.steps

    def handle(self, assigned: dt.datetime, deadline: dt.date) -> dt.datetime:
        """签收, the sweep's reminders (and its overdue flag when the reply is late), 答复."""
        rng, days = self.rng, self.days
        signed = self.add(self.office(assigned, rng.choice((0, 0, 1))), "sign")
        late = rng.random() < LATE_SHARE
        if late:
            reply_day = days.add_workdays(deadline, rng.randint(1, 15))
        else:  # mostly in the second half of the time allowed
            span = max(days.count_workdays(_day(signed), deadline), 1)
            reply_day = days.add_workdays(_day(signed), rng.randint(max(span * 3 // 10, 1), span))
        replied = self.office_on(reply_day, signed)
        for day in _dates(deadline - dt.timedelta(days=10), min(deadline, reply_day)):
            if days.add_workdays(day, reminder_workdays()) >= deadline:  # as sweep() selects them
                at = self.sweep(day)
                if signed < at < replied:
                    self.add(at, "remind")
        if late:
            self.add(self.sweep(deadline + dt.timedelta(days=1)), "overdue", deadline=deadline)
        self.add(replied, "reply", outcome=rng.choice(OUTCOMES))
        return replied

    def rate(self, replied: dt.datetime, rating: str | None) -> tuple[dt.datetime, str | None]:
        """The rating before the wait runs out (a given one, or drawn), or the sweep closing
        the reply unrated when the wait is over; returns the moment and the rating."""
        rng = self.rng
        closes_unrated = self.sweep(_day(replied) + dt.timedelta(days=self.wait))
        if rating is None:
            if rng.random() >= RATED_SHARE:
                return self.add(closes_unrated, "close", system=True), None
            rating = rng.choices((Rating.SATISFIED, Rating.BASICALLY), (72, 28))[0]
        at = self.office(replied, rng.randint(1, 3)) if rng.random() < VISIT_SHARE else None
        by_visit = at is not None and at < closes_unrated
        if not by_visit:  # the citizen, by the receipt's link, any time of the day
            day = _day(replied) + dt.timedelta(days=rng.randint(0, self.wait - 2))
            low = max(8 * 60, _minute(replied) + 10) if day == _day(replied) else 8 * 60
            if low > 22 * 60:
                day, low = day + dt.timedelta(days=1), 8 * 60
            at = _at(day, rng.randint(low, 22 * 60), rng.randint(0, 59))
        return self.add(at, "evaluate", rating=rating, by_visit=by_visit), rating


def submitted_at(rng: random.Random, days: WorkdayCalendar, until: dt.datetime, channel: str) -> dt.datetime:
    """When an opinion came in: within the last six months, more of them recent; online at
    any waking hour, in person or by phone in office hours on a working day."""
    last = _day(until)
    for _ in range(100):
        ago = rng.randint(0, RECENT_DAYS) if rng.random() < RECENT_SHARE else rng.randint(0, SPREAD_DAYS)
        day = last - dt.timedelta(days=ago)
        if channel in OFFICE_CHANNELS:
            if not days.is_workday(day):
                continue
            minute = rng.randint(OFFICE[0], OFFICE[1])
        else:
            minute = rng.choice(ONLINE_HOURS) * 60 + rng.randint(0, 59)
        at = _at(day, minute, rng.randint(0, 59))
        if at < until - dt.timedelta(minutes=30):
            return at
    return until - dt.timedelta(days=1)


@dataclass
class Plan:
    """One demo opinion: what it says, when it came in, and its steps up to the build's moment."""

    created: dt.datetime
    station: StationPage
    category: Category
    title: str
    content: str
    reply: str
    citizen_name: str
    citizen_phone: str
    publish_consent: bool
    channel: str
    department: Department
    fate: str = "loop"
    steps: list[Step] = field(default_factory=list)

    @property
    def received_on(self) -> dt.date | None:
        return _day(self.created) if self.channel == Channel.WALK_IN else None


def _draw(rng, stations, categories, departments, days, until) -> Plan:
    station = rng.choice(stations)
    category_name, title, content, reply = rng.choice(TOPICS)
    name, phone = _citizen(rng)
    channel = rng.choice([Channel.ONLINE, Channel.ONLINE, Channel.QR, Channel.WALK_IN, Channel.PHONE])
    return Plan(
        created=submitted_at(rng, days, until, channel),
        station=station,
        category=categories[category_name],
        title=_fill(rng, title, station),
        content=_fill(rng, content, station),
        reply=_fill(rng, reply, station),
        citizen_name=name,
        citizen_phone=phone,
        publish_consent=rng.random() < 0.7,
        channel=channel,
        department=rng.choice(departments),
    )


def plan_steps(plans: list[Plan], rng: random.Random, days: WorkdayCalendar, until: dt.datetime) -> list[Plan]:
    """The plans in order of submission, each with its fate and the steps taken by `until`."""
    plans.sort(key=lambda plan: plan.created)
    fates, weights = zip(*FATES, strict=True)
    wait = opinions.rating_wait_days()
    for i, plan in enumerate(plans):
        plan.fate = rng.choices(fates, weights)[0]
        if plan.fate == "duplicate" and i == 0:  # nothing earlier to be a duplicate of
            plan.fate = "loop"
        steps = Timeline(rng, days, wait).plan(
            plan.created, plan.fate, plan.category.deadline_workdays, plan.publish_consent
        )
        plan.steps = [step for step in steps if step[0] <= until]
    return plans


def build_opinions(count: int, *, seed: int = 2026, today: dt.date | None = None, progress: Callable = print) -> int:
    """Create `count` demo opinions (plus the departments), submitted over the months before
    `today` and taken as far through the loop as their age allows; returns how many were made."""
    if count <= 0:
        return 0
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    departments = ensure_departments()
    stations = _stations()
    if not stations:
        return 0
    categories = {c.name: c for c in Category.objects.all()}
    until, days = build_moment(today), calendar_around(today)
    if count <= REAL_PATH_MAX:
        plans = plan_steps(
            [_draw(rng, stations, categories, departments, days, until) for _ in range(count)], rng, days, until
        )
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            made = _through_the_loop(plans)
    else:
        made = _bulk(count, rng, stations, categories, departments, days, until, progress)
    progress(f"群众意见 Opinions: {made} 条，承办单位 {len(departments)} 个")
    return made


def _citizen(rng):
    return rng.choice(NAMES) + rng.choice(GIVEN), f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}"


def _through_the_loop(plans: list[Plan]) -> int:
    # One account acts for every staff role while the demo is written; it cannot sign in (no
    # usable password) and is deactivated again at the end.
    actor, _ = get_user_model().objects.get_or_create(
        username="demo-loop", defaults={"display_name": "示范数据", "is_superuser": True}
    )
    actor.set_unusable_password()
    actor.is_active = actor.is_superuser = True
    actor.save()
    try:
        return _each_through_the_loop(plans, actor)
    finally:
        actor.is_active = False
        actor.save(update_fields=["is_active"])


def _each_through_the_loop(plans: list[Plan], actor) -> int:
    """Each opinion submitted and moved by the real code, with the clock (time-machine) set to
    each step's moment: receipts, audit records, history rows and fields all carry it."""
    made: list[Opinion] = []
    with time_machine.travel(plans[0].created, tick=False) as clock:
        for i, plan in enumerate(plans):
            clock.move_to(plan.created)
            with transaction.atomic():
                opinion, _ = submit(
                    Submission(
                        station=plan.station,
                        category=plan.category,
                        title=plan.title,
                        content=plan.content,
                        citizen_name=plan.citizen_name,
                        citizen_phone=plan.citizen_phone,
                        publish_consent=plan.publish_consent,
                        channel=plan.channel,
                        received_on=plan.received_on,
                        idempotency_key=f"demo-{i}",
                    )
                )
                for n, (at, name, data) in enumerate(plan.steps):
                    if name == "remind" and n + 1 < len(plan.steps) and plan.steps[n + 1][1] == "remind":
                        continue  # each day's reminder overwrites the one before: only the last stays
                    clock.move_to(at)
                    opinion = _step(opinion, name, data, plan, actor, made)
            made.append(opinion)
    return len(made)


def _step(opinion: Opinion, name: str, data: dict, plan: Plan, actor, earlier: list[Opinion]) -> Opinion:
    """One step by the real code: a transition, or what the daily sweep does."""

    def act(transition, **kwargs):
        return opinions.perform(opinion.pk, transition, user=actor, **kwargs)

    def by_system(transition, **kwargs):
        return opinions.perform(opinion.pk, transition, capacity=opinions.SYSTEM, **kwargs)

    if name == "remind":  # the sweep's reminder before the deadline
        Opinion.objects.filter(pk=opinion.pk).update(reminded_at=timezone.now())
        return opinion
    if name == "overdue":  # the sweep, the day after the deadline: flagged, 超期督办
        Opinion.objects.filter(pk=opinion.pk).update(overdue_notified_at=timezone.now())
        return by_system("supervise", reason=SupervisionCase.Reason.OVERDUE, note=overdue_note(opinion.deadline))
    if name == "reject":
        return act("reject", reason=REJECT_REASON)
    if name == "mark_duplicate":
        return act("mark_duplicate", original=_original(plan, earlier))
    if name == "assign":
        return act("assign", department=plan.department)
    if name == "reply":
        return act("reply", outcome=data["outcome"], text=plan.reply)
    if name == "evaluate":
        if data["by_visit"]:
            return act("evaluate", rating=data["rating"])
        return opinions.perform(opinion.pk, "evaluate", capacity=opinions.CITIZEN, rating=data["rating"])
    if name == "close":
        return by_system("close") if data.get("system") else act("close", reason=CLOSE_REASONS[data["rating"]])
    if name == "request_publication":
        # The demo replies name no one, so the public reply is the reply as written.
        return act("request_publication", summary=opinion.title, public_reply=opinion.reply_text)
    return act(name)  # accept, sign, approve_publication


def _original(plan: Plan, earlier: list[Opinion]) -> Opinion:
    """What a duplicate repeats: the latest earlier opinion at its station, else in its street."""
    for same in (lambda o: o.station_id == plan.station.pk, lambda o: o.street_id == plan.station.street_id):
        found = next((o for o in reversed(earlier) if same(o)), None)
        if found is not None:
            return found
    return earlier[-1]


def _bulk(count, rng, stations, categories, departments, days, until, progress) -> int:
    """Insert `count` opinions in batches with the fields their steps leave (the same plans
    as the real path, folded without running it), their replies and supervision cases; no
    per-row history or audit records."""
    made = 0
    batch_size = 2000
    sequence = Opinion.objects.count()
    while made < count:
        plans = [
            _draw(rng, stations, categories, departments, days, until) for _ in range(min(batch_size, count - made))
        ]
        plan_steps(plans, rng, days, until)
        rows, replies, cases, duplicates = [], [], [], []
        last_at_station: dict[int, int] = {}
        for i, plan in enumerate(plans):
            sequence += 1
            opinion = Opinion(
                receipt_no=f"YD{_day(plan.created):%y%m%d}{sequence:07d}",  # YD: bulk demo rows never collide with YJ
                origin_station_id=plan.station.pk,
                station_id=plan.station.pk,
                street_id=plan.station.street_id,
                category=plan.category,
                title=plan.title,
                content=plan.content,
                citizen_name=plan.citizen_name,
                citizen_phone=plan.citizen_phone,
                phone_last4=plan.citizen_phone[-4:],
                publish_consent=plan.publish_consent,
                channel=plan.channel,
                received_on=plan.received_on,
                created_at=plan.created,
            )
            _fold(plan, opinion, replies, cases)
            if opinion.state == S.DUPLICATE:  # of the latest earlier row at its station, or the one before
                duplicates.append((opinion, last_at_station.get(plan.station.pk, i - 1)))
            last_at_station[plan.station.pk] = i
            rows.append(opinion)
        with transaction.atomic(), explicit_timestamps():
            created_rows = Opinion.objects.bulk_create(rows)
            if any(row.pk is None for row in created_rows):  # backends without RETURNING
                by_receipt = dict(
                    Opinion.objects.filter(receipt_no__in=[r.receipt_no for r in rows]).values_list("receipt_no", "pk")
                )
                for row in created_rows:
                    row.pk = by_receipt[row.receipt_no]
            for row, original in duplicates:
                row.duplicate_of_id = rows[original].pk
            Opinion.objects.bulk_update([row for row, _ in duplicates], ["duplicate_of"])
            OpinionReply.objects.bulk_create(replies)
            SupervisionCase.objects.bulk_create(cases)
        made += len(rows)
        progress(f"  群众意见 opinions: {made}/{count}")
    return made


def _fold(plan: Plan, o: Opinion, replies: list, cases: list) -> None:
    """Set on `o` the fields its steps would leave (as the transitions in workflows.opinions
    and the sweep set them); add its replies and supervision cases to the lists."""
    own_cases: list[SupervisionCase] = []
    reply = None
    for at, name, data in plan.steps:
        if name == "reject":
            o.state, o.reject_reason, o.closed_at = S.REJECTED, REJECT_REASON, at
        elif name == "mark_duplicate":
            o.state, o.closed_at = S.DUPLICATE, at
        elif name == "accept":
            o.state = S.ACCEPTED
        elif name == "assign":
            o.state, o.department, o.assigned_at, o.deadline = S.ASSIGNED, plan.department, at, data["deadline"]
            o.signed_at = o.reminded_at = o.overdue_notified_at = None
        elif name == "sign":
            o.state, o.signed_at = S.SIGNED, at
        elif name == "remind":
            o.reminded_at = at
        elif name == "overdue":
            o.overdue_notified_at = o.reminded_at = at
            o.is_key = True
            own_cases.append(
                SupervisionCase(
                    opinion=o,
                    round=o.round,
                    reason=SupervisionCase.Reason.OVERDUE,
                    note=overdue_note(data["deadline"]),
                    opened_at=at,
                )
            )
        elif name == "reply":
            o.state, o.outcome, o.reply_text, o.replied_at = S.REPLIED, data["outcome"], plan.reply, at
            reply = OpinionReply(
                opinion=o, round=o.round, department=o.department, outcome=o.outcome, text=o.reply_text, replied_at=at
            )
            replies.append(reply)
        elif name == "evaluate":
            o.rating, o.rated_at, o.rating_by_visit = data["rating"], at, data["by_visit"]
            reply.rating = data["rating"]
            o.state = S.EVALUATED
            if data["rating"] == Rating.UNSATISFIED:  # 重办: a new round under supervision
                own_cases.append(
                    SupervisionCase(opinion=o, round=o.round, reason=SupervisionCase.Reason.UNSATISFIED, opened_at=at)
                )
                o.state, o.round, o.is_key, o.deadline = S.REOPENED, o.round + 1, True, None
                o.signed_at = o.replied_at = None
                o.outcome = o.reply_text = o.rating = ""
        elif name == "close":
            o.state, o.closed_at = S.CLOSED, at
            o.close_reason = opinions.unrated_close_reason() if data.get("system") else CLOSE_REASONS[data["rating"]]
        elif name == "request_publication":
            o.publication, o.public_summary, o.public_reply = Publication.PENDING, o.title, o.reply_text
        elif name == "approve_publication":
            o.publication, o.published_at = Publication.APPROVED, at
    if o.closed_at is not None:
        for case in own_cases:
            case.closed_at = o.closed_at
    o.updated_at = plan.steps[-1][0] if plan.steps else plan.created
    cases.extend(own_cases)


@contextmanager
def explicit_timestamps():
    """Let bulk inserts keep their derived moments (auto_now and auto_now_add would write the
    time of the build instead)."""
    fields = [
        Opinion._meta.get_field("created_at"),
        Opinion._meta.get_field("updated_at"),
        SupervisionCase._meta.get_field("opened_at"),
    ]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add
