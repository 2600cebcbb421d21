"""Demo residents' deliberation (示范居民议事), made through the real process code so the demo
tells the truth, each step at its own moment (time-machine), so audit records and history carry it.

The demo station holds two meetings:

- one held about six weeks ago, on a topic taken from one of the station's opinions when one
  fits (else its own: 老旧小区加装电梯费用分摊), with some twenty residents (by count), a deputy of
  the station and the demo department, internal minutes and a public summary, and four
  resolutions: one done (确认落实), one followed up and still open (due in two weeks), one sent
  on as an opinion assigned to the demo department (转为意见交办), one past its follow-up date
  (the staff's 已超期 to-do);
- one planned for next week: 夜间噪音扰民怎么管.

Run once per district by `ensure_demo_admin`; `build_demo --reset` clears it with the district
(`clear_demo_deliberation`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import time_machine

from django.db import transaction
from django.utils import timezone

from wagtail import hooks

from content.models import Membership
from deliberation.meetings import MEETINGS, RESOLUTIONS, Plan, schedule
from deliberation.models import Meeting, Resolution
from workflows import opinions
from workflows.models import Category, Opinion, OpinionState

HELD_DAYS_AGO = 42
RESIDENTS = 21


@dataclass(frozen=True)
class DemoResolution:
    content: str
    follow_up_by: str  # "{department}" stands for the demo department's name
    due_in: int  # days from today
    progress: tuple[tuple[int, str], ...] = ()  # (days ago, text), by the station's staff
    fate: str = "open"  # "done" | "open" | "opinion" | "overdue"
    note: str = ""  # the done resolution's 落实情况
    done_ago: int = 0


@dataclass(frozen=True)
class DemoTopic:
    keyword: str  # an opinion of the station whose title holds it gives the meeting its topic
    title: str  # the meeting's own topic when no opinion fits
    description: str
    category: str  # of the opinion a resolution becomes
    minutes: str  # {deputy}, {department}: names; internal, no resident's name
    summary: str  # {residents}, {deputy}, {department}
    resolutions: tuple[DemoResolution, ...]
    others: str = "物业服务企业项目经理、小区业主委员会成员"


ELEVATOR = DemoTopic(
    keyword="电梯",
    title="老旧小区加装电梯费用分摊",
    description=(
        "小区多幢六层住宅建于上世纪九十年代，没有电梯，高层老人上下楼困难。多数居民希望加装电梯，"
        "但各楼层住户对费用怎么分摊意见不一，请居民、代表和有关部门一起商量。"
    ),
    category="城市建设与管理",
    minutes=(
        "一、社区书记介绍加装电梯政策：区财政每台补助20万元，其余费用由本单元住户协商分摊。\n"
        "二、居民发言：四楼以上住户普遍支持，希望尽快启动；一、二楼住户担心采光、噪音和出入受影响，"
        "不愿出资；有居民提出参照邻近小区按楼层系数分摊，一楼、二楼不出资并适当补偿。\n"
        "三、{deputy}建议先选意愿强的两个单元试点，社区做好低层住户的沟通，试点成功后再推开。\n"
        "四、{department}介绍审批流程和补助申请材料，提出地下管线迁移需提前摸排。\n"
        "五、会议议定以下事项，由社区建立台账跟进。"
    ),
    summary=(
        "{residents} 位居民、{deputy}和{department}参加议事。会议介绍了加装电梯补助政策，"
        "居民就费用分摊和低层住户补偿充分讨论，议定先在两个单元试点，按楼层系数分摊费用，"
        "地下管线迁移转交有关部门办理。"
    ),
    resolutions=(
        DemoResolution(
            "印发加装电梯补助政策和按楼层系数分摊的参考方案，逐户上门征求意见",
            "社区居民委员会",
            -14,
            progress=((35, "告知书已印发到户，两个试点单元共24户已上门征求意见。"),),
            fate="done",
            note="参考方案已印发到户，两个试点单元同意加装的住户均超过三分之二，已签订加装意向书。",
            done_ago=20,
        ),
        DemoResolution(
            "试点单元委托设计单位出具加装方案，组织低层住户协商补偿办法",
            "试点单元业主代表、社区居民委员会",
            14,
            progress=(
                (30, "设计单位已完成现场踏勘和测量。"),
                (6, "设计方案初稿已在单元内公示，低层住户补偿办法正在进行第二轮协商。"),
            ),
        ),
        DemoResolution(
            "协调解决加装电梯涉及的地下管线迁移和规划审批问题",
            "{department}",
            30,
            progress=((28, "社区已与燃气、供水单位沟通，管线迁移需主管部门统筹协调。"),),
            fate="opinion",
        ),
        DemoResolution(
            "联系供电部门核实试点单元电力增容条件",
            "社区居民委员会",
            -3,
            progress=((16, "已向供电部门提交增容申请，等待现场勘察。"),),
            fate="overdue",
        ),
    ),
)

PARKING = DemoTopic(
    keyword="停车",
    title="小区夜间停车难怎么解决",
    description=(
        "小区周边夜间停车位不足，车辆占用消防通道和人行道的情况时有发生，请居民、代表和有关部门一起商量解决办法。"
    ),
    category="交通出行",
    minutes=(
        "一、社区介绍小区现有车位约两百个、登记车辆三百余辆的情况。\n"
        "二、居民发言：多数居民反映晚上九点以后找不到车位，只能停在消防通道；有居民建议和周边单位错时共享车位，"
        "也有居民担心外来车辆进入小区影响安全。\n"
        "三、{deputy}建议先挖掘小区内部潜力，同时请有关部门在周边支路施划夜间泊位。\n"
        "四、{department}表示可以研究周边道路夜间限时停车，需先做交通评估。\n"
        "五、会议议定以下事项，由社区建立台账跟进。"
    ),
    summary=(
        "{residents} 位居民、{deputy}和{department}参加议事。会议围绕夜间停车难和消防通道被占充分讨论，"
        "议定在小区内重新施划车位、协调周边单位错时共享车位，周边道路夜间泊位转交有关部门办理。"
    ),
    resolutions=(
        DemoResolution(
            "在小区内重新施划停车位，清理消防通道上的堆物并设置禁停标志",
            "物业服务企业、社区居民委员会",
            -14,
            progress=((35, "消防通道堆物已清理完毕，车位施划方案已公示。"),),
            fate="done",
            note="小区内新施划车位36个，消防通道设置禁停标志和隔离桩，夜间巡查已常态化。",
            done_ago=20,
        ),
        DemoResolution(
            "协调周边单位夜间错时开放停车场",
            "社区居民委员会",
            14,
            progress=(
                (30, "已与附近两家单位初步沟通，其中一家同意开放车位。"),
                (6, "错时共享协议文本已拟定，正在征求单位意见。"),
            ),
        ),
        DemoResolution(
            "在小区周边支路施划夜间限时停车泊位",
            "{department}",
            30,
            progress=((28, "社区已摸排周边支路情况，施划泊位需主管部门评估审批。"),),
            fate="opinion",
        ),
        DemoResolution(
            "制定小区停车自治公约，征求全体居民意见",
            "小区业主委员会",
            -3,
            progress=((16, "公约初稿已起草，尚未召开业主代表会议讨论。"),),
            fate="overdue",
        ),
    ),
)

CHARGING = DemoTopic(
    keyword="充电",
    title="楼道电动车充电隐患怎么治",
    description="小区部分居民在楼道给电动车充电、飞线充电，存在消防隐患，请居民、代表和有关部门一起商量治理办法。",
    category="平安建设",
    minutes=(
        "一、社区通报近期楼道充电、飞线充电的排查情况。\n"
        "二、居民发言：居民普遍担心火灾隐患，但也反映小区没有集中充电设施，上下班充电不方便；"
        "有居民建议利用自行车棚改建充电棚。\n"
        "三、{deputy}建议先建充电设施再严格整治，做到疏堵结合。\n"
        "四、{department}介绍了集中充电设施的建设补助政策。\n"
        "五、会议议定以下事项，由社区建立台账跟进。"
    ),
    summary=(
        "{residents} 位居民、{deputy}和{department}参加议事。会议围绕楼道充电隐患充分讨论，"
        "议定开展集中清理、选址新建集中充电棚，消防安全检查转交有关部门办理。"
    ),
    resolutions=(
        DemoResolution(
            "开展楼道电动车和飞线充电集中清理",
            "社区居民委员会、物业服务企业",
            -14,
            progress=((35, "已完成全部楼道的第一轮排查，劝离电动车40余辆。"),),
            fate="done",
            note="楼道电动车和飞线已全部清理，物业每周巡查一次并在楼道张贴提示。",
            done_ago=20,
        ),
        DemoResolution(
            "利用自行车棚选址新建电动自行车集中充电棚",
            "社区居民委员会",
            14,
            progress=(
                (30, "已初选两处自行车棚，正在征求周边住户意见。"),
                (6, "充电棚建设方案已确定，施工单位正在备料。"),
            ),
        ),
        DemoResolution(
            "对小区开展消防安全检查，指导充电棚配置灭火设施",
            "{department}",
            30,
            progress=((28, "社区已联系辖区消防站，检查需主管部门统一安排。"),),
            fate="opinion",
        ),
        DemoResolution(
            "制定电动车停放充电管理公约",
            "小区业主委员会",
            -3,
            progress=((16, "公约初稿已起草，尚未召开业主代表会议讨论。"),),
            fate="overdue",
        ),
    ),
)

TOPICS = (ELEVATOR, PARKING, CHARGING)

NOISE_TITLE = "夜间噪音扰民怎么管"
NOISE_DESCRIPTION = (
    "近来居民反映小区周边餐饮店夜间经营、广场舞和夜间施工噪音影响休息。"
    "请居民、代表和有关部门一起商量错时管理、文明公约和执法配合的办法，欢迎居民到场发言。"
)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def ensure_demo_deliberation(station, *, staff_user, office_user, department) -> int:
    """The demo station's two meetings (idempotent: only when the station has no meeting yet).
    Returns how many meetings were made."""
    if Meeting.objects.filter(station_id=station.pk).exists():
        return 0
    with transaction.atomic():
        _Demo(station, staff_user, office_user, department).run()
    return 2


@hooks.register("before_demo_district_reset")
def clear_demo_deliberation():
    """Meetings hold their stations and streets, resolutions their meetings (PROTECT): they go
    (progress notes with their resolutions) before the demo district is rebuilt."""
    Resolution.objects.all().delete()
    Meeting.objects.all().delete()


class _Demo:
    def __init__(self, station, staff_user, office_user, department):
        self.station = station
        self.staff = staff_user
        self.office = office_user
        self.department = department
        self.now = timezone.now()
        self.today = timezone.localdate()

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def moment(self, days_ago: int, hour: int = 10, minute: int = 0) -> dt.datetime:
        """The step's moment, never later than now."""
        return min(at(self.day(days_ago), hour, minute), self.now)

    def run(self) -> None:
        with time_machine.travel(self.moment(HELD_DAYS_AGO + 14), tick=False) as self.clock:
            self._held()
            self.clock.move_to(self.moment(2, 9, 30))
            schedule(
                Plan(
                    station=self.station,
                    title=NOISE_TITLE,
                    date=self.day(-7),
                    place=self.place,
                    description=NOISE_DESCRIPTION,
                ),
                user=self.staff,
            )

    @property
    def place(self) -> str:
        return f"{self.station.title}议事室"[:120]

    def _source(self) -> tuple[DemoTopic, Opinion | None]:
        """A topic taken from one of the station's opinions (received before the meeting was
        scheduled) that one of the demo's topics fits; else the demo's own."""
        found = (
            Opinion.objects.filter(station_id=self.station.pk, created_at__lt=timezone.now())
            .exclude(state__in=(OpinionState.REJECTED, OpinionState.DUPLICATE))
            .order_by("-created_at", "-pk")
        )
        found = opinions.OPINIONS.scope(found, self.staff)
        for topic in TOPICS:
            opinion = found.filter(title__contains=topic.keyword).first()
            if opinion is not None:
                return topic, opinion
        return ELEVATOR, None

    def _held(self) -> None:
        held_on = self.day(HELD_DAYS_AGO)
        topic, opinion = self._source()
        meeting = schedule(
            Plan(
                station=self.station,
                title=(opinion.title if opinion else topic.title)[:60],
                date=held_on,
                place=self.place,
                description=topic.description,
                opinion=opinion,
            ),
            user=self.staff,
        )
        memberships = Membership.objects.current(held_on).filter(station_id=self.station.pk)
        deputy = next(
            (m.deputy for m in memberships.select_related("deputy").order_by("role_rank", "sort_order")), None
        )
        names = {
            "deputy": f"{deputy.name}代表" if deputy else "驻站代表",
            "department": self.department.name,
            "residents": RESIDENTS,
        }
        self.clock.move_to(self.moment(HELD_DAYS_AGO, 16, 30))
        meeting = MEETINGS.perform(
            meeting,
            "hold",
            user=self.staff,
            residents_count=RESIDENTS,
            deputies=[deputy] if deputy else [],
            departments=[self.department],
            others=topic.others,
            minutes=topic.minutes.format(**names),
            public_summary=topic.summary.format(**names),
        )
        self.clock.move_to(self.moment(HELD_DAYS_AGO, 17))
        resolutions = []
        for item in topic.resolutions:
            MEETINGS.perform(
                meeting.pk,
                "resolve",
                user=self.staff,
                content=item.content,
                follow_up_by=item.follow_up_by.format(department=self.department.name)[:60],
                due_on=self.day(-item.due_in),
            )
            resolutions.append((item, Resolution.objects.filter(meeting_id=meeting.pk).latest("pk")))
        # The follow-up, step by step in the order it happened.
        steps = []
        for item, resolution in resolutions:
            steps += [(ago, 15, "progress", resolution, text) for ago, text in item.progress]
            if item.fate == "done":
                steps.append((item.done_ago, 11, "complete", resolution, item.note))
            if item.fate == "opinion":
                steps.append((8, 10, "to_opinion", resolution, ""))
            if item.fate == "open":  # the district admin asks after it
                steps.append((3, 16, "supervise", resolution, ""))
        for ago, hour, step, resolution, text in sorted(steps, key=lambda s: (-s[0], s[1])):
            self.clock.move_to(self.moment(ago, hour))
            if step == "progress":
                RESOLUTIONS.perform(resolution.pk, "progress", user=self.staff, date=self.day(ago), text=text)
            elif step == "complete":
                RESOLUTIONS.perform(resolution.pk, "complete", user=self.staff, note=text)
            elif step == "to_opinion":
                category = Category.objects.filter(name=topic.category).first() or Category.objects.first()
                RESOLUTIONS.perform(
                    resolution.pk, "to_opinion", user=self.staff, category=category, department=self.department
                )
            else:
                RESOLUTIONS.perform(
                    resolution.pk,
                    "progress",
                    user=self.office,
                    date=self.day(ago),
                    text="区人大常委会办公室了解进展，督促按期落实，并请社区及时向居民公开。",
                )
