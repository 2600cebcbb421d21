"""Demo livelihood projects (示范民生实事项目票决), made through the real process code so the demo
tells the truth: the year's cycle of the district's round, each step run by the same calls the
screens make, with the clock (time-machine) set to the step's moment, so audit records, history
rows, the ballot's times and the deputies' duty points all carry it.

- The district's round of this year, now 实施中: a dozen nominations (点菜) from residents, the
  demo deputy and stations, each answered (listed and adopted, merged, declined, one rejected);
  15 candidates; the ballot at the January congress session with every district deputy signed
  in (online ballots, a few paper ones entered twice by two people, some deputies absent); the
  count (9 chosen, one place left empty for want of a majority); the chosen projects' plans,
  progress reports (one finished), supervision groups (the demo deputy in one) and inspections,
  one of whose problems the demo department has answered and one it still has to answer.
- The demo street's round of next year, 项目征集中: three residents' nominations waiting for the
  street committee's moderation (to-dos of demo-street); the street's station pages offer it.

Run once per district by `ensure_demo_admin` (after `build_demo`); `build_demo --reset` clears
the rounds with the district (`clear_demo_livelihood`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import time_machine

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from wagtail import hooks

from base.roles import Role, role_group_name
from content.models import Deputy, StationLevel, StationPage, Street
from livelihood import ballot
from livelihood.implementation import (
    INSPECTIONS,
    Progress,
    Visit,
    chosen,
    record_inspection,
    report_progress,
    set_group,
)
from livelihood.models import (
    BallotMethod,
    Candidate,
    Elector,
    InspectionKind,
    Milestone,
    Nomination,
    NominationSource,
    ProjectRound,
)
from livelihood.nominations import NOMINATIONS, Proposal, nominate
from livelihood.rounds import ROUNDS
from livelihood.screening import assess
from workflows.models import Department

SEED = 2026
TELLER = "demo-teller"  # the second person entering the paper ballots (no password: never signs in)


@dataclass(frozen=True)
class DemoCandidate:
    title: str
    description: str
    budget: str  # 万元
    department: str  # a demo Department's name; "" for the demo department (demo-department's)
    location: str
    appeal: float  # the chance that a deputy ticks it: above ~0.6 it is chosen, below ~0.45 not


CANDIDATES = [
    DemoCandidate(
        "老旧小区加装电梯",
        "对辖区上世纪八九十年代建成的多层住宅，按“应装尽装、能装快装”推进加装电梯，"
        "街道牵头做好低层住户协调，区财政按每台20万元给予补助，全年完成加装80台。",
        "1600",
        "区住房和城乡建设局",
        "全区老旧小区",
        0.93,
    ),
    DemoCandidate(
        "背街小巷改造提升",
        "对30条路面破损、积水严重的背街小巷实施路面翻修、雨污分流和立面整治，"
        "同步整治架空线和占道堆物，建立巡查和快速维修机制。",
        "2400",
        "",
        "湖滨、清波、小营等街道",
        0.88,
    ),
    DemoCandidate(
        "社区老年食堂（助餐点）建设",
        "新建和改造社区老年食堂12家、嵌入式助餐点20个，扩大送餐上门服务，"
        "80岁以上独居老人优先保障，实现老年助餐服务15分钟步行圈全覆盖。",
        "900",
        "区民政局",
        "各街道社区",
        0.9,
    ),
    DemoCandidate(
        "口袋公园建设",
        "利用边角地、拆违空地新建口袋公园10个，配置座椅、健身和儿童游乐设施，补种乔灌木，方便居民就近休闲。",
        "650",
        "区园林文物局",
        "全区10处",
        0.7,
    ),
    DemoCandidate(
        "老旧小区周边停车泊位挖潜",
        "在老旧小区周边支路施划夜间限时泊位1500个，推动机关、学校等单位停车场错时共享，缓解居民夜间停车难。",
        "480",
        "区交通运输局",
        "全区",
        0.66,
    ),
    DemoCandidate(
        "农贸市场改造提升",
        "对5家老旧农贸市场实施环境改造、智慧化升级和食品安全快检室建设，规范周边占道经营。",
        "1200",
        "区市场监督管理局",
        "5家农贸市场",
        0.4,
    ),
    DemoCandidate(
        "学校周边交通安全治理",
        "对20所中小学周边道路完善交通标志标线、行人过街设施和接送车辆临时停靠区，上下学时段增设护学岗。",
        "560",
        "杭州市公安局上城区分局",
        "20所中小学周边",
        0.75,
    ),
    DemoCandidate(
        "电动自行车集中充电设施建设",
        "在老旧小区和城中村新建电动自行车集中充电棚200处、充电端口6000个，配齐消防设施，整治飞线充电和楼道充电。",
        "800",
        "区住房和城乡建设局",
        "全区老旧小区",
        0.8,
    ),
    DemoCandidate(
        "城市易积水点改造",
        "对汛期易积水的15处道路和小区实施管网改造和排水泵站提升，雨季前完工。",
        "1500",
        "区城市管理局",
        "全区15处",
        0.45,
    ),
    DemoCandidate(
        "社区卫生服务站标准化建设",
        "新建、改造社区卫生服务站8个，配齐全科医生和常用设备，开设家庭医生签约和慢病随访服务。",
        "720",
        "区卫生健康局",
        "8个社区",
        0.64,
    ),
    DemoCandidate(
        "无障碍设施改造",
        "对公共场所、老旧小区出入口和人行道实施无障碍改造，为困难残疾人家庭开展居家无障碍改造300户。",
        "350",
        "区民政局",
        "全区",
        0.35,
    ),
    DemoCandidate(
        "公厕提升改造",
        "对40座老旧公厕实施改造，增设第三卫生间和无障碍设施，延长开放时间，在地图软件上公布位置。",
        "600",
        "",
        "全区40座公厕",
        0.62,
    ),
    DemoCandidate(
        "垃圾分类收集点改造",
        "对居民区垃圾分类收集点实施“定时定点”改造，加装洗手池、雨棚和监控，提升分类准确率。",
        "420",
        "区城市管理局",
        "全区居民区",
        0.3,
    ),
    DemoCandidate(
        "智慧养老服务平台",
        "建设区级智慧养老服务平台，为独居老人安装紧急呼叫和燃气报警设备2000套，接入社区和家属。",
        "380",
        "区数据资源管理局",
        "全区",
        0.38,
    ),
    DemoCandidate(
        "社区体育健身设施建设",
        "新建百姓健身房5个、更新社区健身路径50条，推动学校体育场地在节假日向居民开放。",
        "460",
        "区教育局",
        "全区",
        0.42,
    ),
]


@dataclass(frozen=True)
class DemoNomination:
    source: str
    title: str
    need: str
    place: str
    scale: str
    name: str
    phone: str
    answer: tuple  # ("adopt", candidate number) / ("merge", index of another) / ("decline", text) / ("reject", text)


P, D, ST = NominationSource.PUBLIC, NominationSource.DEPUTY, NominationSource.STATION
NOMINATIONS_TOLD = [
    DemoNomination(
        P,
        "我们小区想装电梯",
        "我家住六楼，老伴腿脚不好，下楼看病要邻居帮忙背。小区都是六层老房子，大部分住户想装电梯，就是一楼住户有顾虑，希望政府牵头协调、给点补助。",
        "湖滨街道东坡路一带老小区",
        "约20个单元",
        "张秀兰",
        "13800000001",
        ("adopt", 1),
    ),
    DemoNomination(
        P,
        "老小区加装电梯",
        "小区里老人多，爬楼太难了，希望能统一规划加装电梯，简化审批手续。",
        "清波街道",
        "",
        "李建国",
        "13800000002",
        ("merge", 0),
    ),
    DemoNomination(
        P,
        "修修我们巷子的路",
        "巷子里路面坑坑洼洼，一下雨就积水，老人和孩子走路经常摔跤，反映过几次修了又坏，希望彻底改造一下。",
        "小营街道某巷",
        "约300米",
        "王海燕",
        "13800000003",
        ("adopt", 2),
    ),
    DemoNomination(
        D,
        "扩大社区老年食堂覆盖面",
        "接待居民时多位老人反映，助餐点集中在街道中心，老旧小区的老人要走一公里以上，独居高龄老人吃饭成问题，建议在社区增设老年食堂和嵌入式助餐点。",
        "辖区各老旧小区",
        "每个街道至少2个点",
        "",
        "",
        ("adopt", 3),
    ),
    DemoNomination(
        ST,
        "电动自行车集中充电棚",
        "站点接待中居民集中反映：小区没有充电的地方，很多人把电瓶车推进楼道充电、飞线充电，今年附近已经着过火，大家很担心。",
        "联络站辖区老旧小区",
        "约10处",
        "周大伯（站点代录）",
        "",
        ("adopt", 8),
    ),
    DemoNomination(
        P,
        "小区需要充电桩",
        "电瓶车充电难，楼道里充电太危险了，希望在小区空地建充电棚。",
        "望江街道",
        "",
        "陈丽",
        "13800000004",
        ("merge", 4),
    ),
    DemoNomination(
        P,
        "家门口建个小公园",
        "我们这边都是老房子，没有可以散步、带孩子玩的地方，路口有块空地一直围着，希望改成小公园。",
        "南星街道某路口空地",
        "约2000平方米",
        "赵敏",
        "13800000005",
        ("adopt", 4),
    ),
    DemoNomination(
        ST,
        "易积水路段改造",
        "每逢大雨这一段路积水没过脚踝，沿街商户和居民出行困难，希望改造排水管网。",
        "紫阳街道某路段",
        "约500米",
        "吴阿姨（站点代录）",
        "",
        ("adopt", 9),
    ),
    DemoNomination(
        P,
        "菜场太旧了",
        "家门口的菜场又脏又挤，下雨天地面全是水，希望改造一下，环境好一点、价格透明一点。",
        "凯旋街道某农贸市场",
        "",
        "孙伟",
        "13800000006",
        ("adopt", 6),
    ),
    DemoNomination(
        P,
        "建一条直通地铁",
        "希望从我们小区门口修一条地铁线直通火车东站，上下班太不方便了。",
        "彭埠街道",
        "约8公里",
        "钱先生",
        "13800000007",
        (
            "decline",
            "地铁线网由市里统一规划建设，超出区民生实事项目的范围；您的意见已转交区发改局，在轨道交通规划征求意见时统筹研究。",
        ),
    ),
    DemoNomination(
        P,
        "统一更换小区门禁",
        "小区门禁老化，外来人员随便进出，希望统一换成人脸识别门禁。",
        "闸弄口街道某小区",
        "1个小区",
        "郑女士",
        "13800000008",
        (
            "decline",
            "小区门禁属于小区共有部分的维护，宜由业主委员会使用维修资金或物业服务解决；街道将协助小区做好方案和表决。",
        ),
    ),
    DemoNomination(
        P,
        "楼上装修太吵",
        "楼上邻居天天装修，早上七点就开始打钻，和他们说了也不听，请管一管。",
        "某小区",
        "",
        "冯先生",
        "13800000009",
        (
            "reject",
            "这是邻里之间的具体纠纷，不属于民生实事项目的征集范围。请拨打12345或向所在社区反映，社区会上门协调。",
        ),
    ),
    DemoNomination(
        ST,
        "社区健身场地不够",
        "晚上跳广场舞、打球的居民多，社区只有几件健身器材，希望学校操场晚上和周末能向居民开放，再建一些健身设施。",
        "联络站辖区",
        "",
        "褚老师（站点代录）",
        "",
        ("adopt", 15),
    ),
]

STREET_NOMINATIONS = [
    (
        "背街小巷路灯太暗",
        "巷子里的路灯好几盏不亮，剩下的也很暗，晚上下班回家心里发慌，老人晚上出门也不方便，希望更换成亮一点的路灯。",
        "某巷及周边",
        "约40盏路灯",
        "蒋女士",
        "13800000011",
    ),
    (
        "小区门口增设公交站",
        "小区门口到最近的公交站要走十几分钟，老人去医院很不方便，希望在小区门口附近增设一个公交站点。",
        "东坡路北段",
        "",
        "沈大爷",
        "13800000012",
    ),
    (
        "社区增设托育点",
        "双职工家庭孩子两三岁没人带，附近的托育机构又贵又远，希望社区能办一个普惠托育点。",
        "社区服务中心",
        "约30个托位",
        "韩女士",
        "13800000013",
    ),
]

MILESTONES = [("完成方案设计和立项", 3, 31), ("全面开工建设", 6, 30), ("完工验收", 11, 30)]
# (month, day, progress %, share of the budget spent, what was done)
REPORTS = [
    (4, 2, 25, Decimal("0.15"), "已完成方案设计、立项和招标，施工单位已进场，正在做开工前准备。"),
    (7, 3, 60, Decimal("0.5"), "已全面开工，完成主体工程约六成，施工期间安排专人做好居民沟通和安全围挡。"),
    (11, 25, 100, Decimal("0.96"), "已全部完工并通过验收，交付使用；结余资金按规定统筹使用。"),
]


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def ensure_demo_livelihood(
    *,
    office_user,
    street_user,
    department: Department,
    department_user,
    deputy: Deputy | None,
    deputy_user,
    station: StationPage,
    seed: int = SEED,
) -> int:
    """The demo's rounds (idempotent: each only when its year and scope has none yet). Returns
    how many rounds were made."""
    today = timezone.localdate()
    made = 0
    if not ProjectRound.objects.filter(year=today.year, street__isnull=True).exists():
        with transaction.atomic():
            _District(today, office_user, department, department_user, deputy, deputy_user, station, seed).run()
        made += 1
    street = station.street
    if street is not None and not ProjectRound.objects.filter(year=today.year + 1, street=street).exists():
        with transaction.atomic():
            _street_round(today, street, street_user)
        made += 1
    return made


@hooks.register("before_demo_district_reset")
def clear_demo_livelihood():
    """Rounds hold their streets and (rolls, ratings) deputies (PROTECT): they go, with all they
    contain, before the demo district is rebuilt."""
    ProjectRound.objects.all().delete()


# --- The district's round ------------------------------------------------------------------------


class _District:
    def __init__(self, today, office_user, department, department_user, deputy, deputy_user, station, seed):
        self.today = today
        self.now = timezone.now()
        self.year = today.year
        self.office = office_user
        self.department = department
        self.department_user = department_user
        self.deputy = deputy
        self.deputy_user = deputy_user
        self.station = station
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by seed

    def moment(self, day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
        """The step's moment, never later than now (a demo built early in the year)."""
        return min(at(day, hour, minute), self.now)

    def run(self) -> None:
        y = self.year
        with time_machine.travel(self.moment(dt.date(y - 1, 9, 20)), tick=False) as self.clock:
            self.round = ProjectRound(
                year=y,
                title=f"{y}年区民生实事项目",
                seats=10,
                candidate_count=len(CANDIDATES),
                nomination_opens=dt.date(y - 1, 10, 8),
                nomination_closes=dt.date(y - 1, 11, 20),
                candidates_on=dt.date(y - 1, 12, 25),
                ballot_on=dt.date(y, 1, 12),
                results_on=dt.date(y, 1, 15),
                evaluation_on=dt.date(y, 12, 20),
            )
            self.round._history_user = self.office
            self.round._change_reason = "新建轮次"
            self.round.save()
            self.step(dt.date(y - 1, 10, 8), "open_nominations")
            nominations = self.nominations()
            self.step(dt.date(y - 1, 11, 20), "close_nominations", hour=17)
            candidates = self.candidates()
            self.answer(nominations, candidates)
            self.step(dt.date(y - 1, 12, 25), "publish_candidates")
            self.ballot()
            self.step(dt.date(y, 1, 15), "publish_results")
            self.implementation()

    def step(self, day: dt.date, name: str, hour: int = 10) -> None:
        self.clock.move_to(self.moment(day, hour))
        self.round = ROUNDS.perform(self.round, name, user=self.office)

    def stations(self) -> list[StationPage]:
        found = list(StationPage.objects.filter(level=StationLevel.STATION).order_by("path")[:8])
        return found or [self.station]

    def nominations(self) -> dict[int, tuple[DemoNomination, Nomination]]:
        """{index in NOMINATIONS_TOLD: (told, nomination)}, each submitted and then listed (or
        refused at once) by the district admin a day later."""
        stations = self.stations()
        opens = dt.date(self.year - 1, 10, 9)
        rows = {}
        for i, told in enumerate(NOMINATIONS_TOLD):
            by_deputy = told.source == D
            if by_deputy and self.deputy is None:
                continue
            self.clock.move_to(self.moment(opens + dt.timedelta(days=3 * i), 9 + i % 8, 7 * i % 60))
            row, _ = nominate(
                Proposal(
                    round=self.round,
                    title=told.title,
                    need=told.need,
                    place=told.place,
                    scale=told.scale,
                    nominator_name=self.deputy.name if by_deputy else told.name,
                    nominator_phone=told.phone,
                    station=self.station if by_deputy else stations[i % len(stations)],
                    source=told.source,
                    deputy=self.deputy if by_deputy else None,
                )
            )
            self.clock.move_to(self.moment(opens + dt.timedelta(days=3 * i + 1), 15))
            if told.answer[0] == "reject":
                row = NOMINATIONS.perform(row, "reject", user=self.office, answer=told.answer[1])
            else:
                row = NOMINATIONS.perform(row, "list", user=self.office)
            rows[i] = (told, row)
        return rows

    def candidates(self) -> dict[int, Candidate]:
        self.clock.move_to(self.moment(dt.date(self.year - 1, 12, 5)))
        departments = list(Department.objects.filter(is_active=True).order_by("sort_order", "name"))
        by_name = {d.name: d for d in departments}
        made = {}
        for number, told in enumerate(CANDIDATES, start=1):
            department = (
                self.department
                if not told.department
                else by_name.get(told.department) or departments[number % len(departments)]
            )
            candidate = Candidate(
                round=self.round,
                number=number,
                title=told.title,
                description=told.description,
                budget=Decimal(told.budget),
                department=department,
                location=told.location,
            )
            candidate._history_user = self.office
            candidate.save()
            made[number] = candidate
        # 筛选论证: each responsible department costs and assesses its candidates (the demo
        # department's own handler for its two; the office records the others' on their behalf).
        self.clock.move_to(self.moment(dt.date(self.year - 1, 12, 15), 10))
        for candidate in made.values():
            handler = self.department_user if candidate.department_id == self.department.pk else self.office
            assess(
                candidate,
                user=handler or self.office,
                budget=candidate.budget,
                assessment=f"经{candidate.department.name}论证：项目可行，资金已纳入年度预算，计划当年完工。",
            )
        return made

    def answer(self, nominations: dict, candidates: dict[int, Candidate]) -> None:
        """Screening: adopted into their candidates first (a merge needs its target public),
        then the duplicates merged and the rest declined, each with its answer."""
        self.clock.move_to(self.moment(dt.date(self.year - 1, 12, 10), 14))
        for told, row in nominations.values():
            if told.answer[0] == "adopt":
                NOMINATIONS.perform(row, "adopt", user=self.office, candidate=candidates[told.answer[1]])
        for told, row in nominations.values():
            kind, detail = told.answer
            if kind == "merge" and detail in nominations:
                into = Nomination.objects.get(pk=nominations[detail][1].pk)
                NOMINATIONS.perform(row, "merge", user=self.office, into=into)
            elif kind in ("merge", "decline"):
                answer = detail if kind == "decline" else "与其他群众的提名内容相近，已一并研究。"
                NOMINATIONS.perform(row, "decline", user=self.office, answer=answer)

    # --- The ballot at the congress session -----------------------------------------------------

    def ballot(self) -> None:
        day = dt.date(self.year, 1, 12)
        self.step(day, "open_ballot", hour=9)
        teller = _teller()
        electors = list(Elector.objects.filter(round=self.round).select_related("deputy").order_by("deputy_id"))
        mine = [e for e in electors if self.deputy is not None and e.deputy_id == self.deputy.pk]
        others = [e for e in electors if e not in mine]
        self.rng.shuffle(others)
        absent = len(others) // 40
        sheets = max(2, min(8, len(others) // 30))
        paper, present = others[absent : absent + sheets], mine + others[absent + sheets :]
        signed_in = self.moment(day, 9)
        for i, elector in enumerate(present):
            self.clock.move_to(signed_in + dt.timedelta(seconds=7 * i))
            token = ballot.issue(self.round, elector.deputy, BallotMethod.ONLINE, user=self.office)
            ballot.cast(self.round, token, self.choices())
        for i, elector in enumerate(paper):
            self.clock.move_to(signed_in + dt.timedelta(seconds=7 * (len(present) + i)))
            ballot.issue(self.round, elector.deputy, BallotMethod.PAPER, user=self.office)
        for sheet in range(1, len(paper) + 1):
            choices, spoiled = self.choices(), False
            if sheet == len(paper) and len(paper) >= 4:
                choices = list(range(1, self.round.seats + 2))  # ticked one too many: invalid
            elif sheet == len(paper) - 1 and len(paper) >= 6:
                spoiled = True  # cannot be read
            for n, user in enumerate((self.office, teller)):
                self.clock.move_to(self.moment(day, 10 + n, 20 + 3 * sheet))
                ballot.enter_paper(self.round, sheet, choices, user=user, spoiled=spoiled)
        self.step(day, "close_ballot", hour=11)

    def choices(self) -> list[int]:
        ticked = [n for n, told in enumerate(CANDIDATES, start=1) if self.rng.random() < told.appeal]
        if len(ticked) > self.round.seats:  # a deputy ticks at most N: the ones they like best
            ticked = sorted(ticked, key=lambda n: -CANDIDATES[n - 1].appeal)[: self.round.seats]
        return sorted(ticked)

    # --- Implementation and supervision -------------------------------------------------------

    def implementation(self) -> None:
        """The chosen projects' plans and supervision groups, then the year's progress reports
        and inspections in the order of their days."""
        y = self.year
        projects = list(chosen(self.round).select_related("department", "round").order_by("number"))
        if not projects:
            return
        own = [p for p in projects if p.department_id == self.department.pk]
        # The demo deputy follows the demo department's project (or else the first).
        followed = own[0] if own else projects[0]
        self.clock.move_to(self.moment(dt.date(y, 2, 6)))
        for project in projects:
            for title, month, day in MILESTONES:
                milestone = Milestone(candidate=project, title=title, due_on=dt.date(y, month, day))
                milestone._change_reason = "添加计划节点"
                milestone.save()
        self.clock.move_to(self.moment(dt.date(y, 2, 10)))
        self.groups(projects, followed)
        events = []
        for i, project in enumerate(projects):
            count = 3 if i == 0 else 1 if i % 3 == 2 else 2  # the first one finished
            milestones = list(project.milestones.order_by("due_on"))
            for told, milestone in list(zip(REPORTS, milestones, strict=False))[:count]:
                events.append((dt.date(y, told[0], told[1]), 16, self.report, (project, told, milestone)))
        events += self.inspections(projects, own, followed)
        for day, hour, do, args in sorted(events, key=lambda event: (event[0], event[1])):
            on = min(day, self.today)
            self.clock.move_to(self.moment(on, hour))
            do(on, *args)

    def groups(self, projects: list[Candidate], followed: Candidate) -> None:
        roll = list(Deputy.objects.filter(livelihood_rolls__round=self.round).order_by("pk"))
        on_roll = self.deputy is not None and any(d.pk == self.deputy.pk for d in roll)
        others = [d for d in roll if not on_roll or d.pk != self.deputy.pk]
        for project in projects:
            group = self.rng.sample(others, min(4, len(others)))
            if project.pk == followed.pk and on_roll:
                group = [*group[:3], self.deputy]
            if group:
                set_group(project, group, group[0], user=self.office)

    def report(self, on: dt.date, project: Candidate, told, milestone: Milestone) -> None:
        _, _, progress, share, text = told
        user = self.department_user if project.department_id == self.department.pk else self.office
        spent = (project.budget * share).quantize(Decimal("0.01"))
        report_progress(project, Progress(on, progress, spent, text, milestone), user=user, today=on)

    def visit(self, on: dt.date, project: Candidate, kind: str, findings: str, problems: str, user) -> None:
        deputies = list(project.supervisors.order_by("pk"))
        if not deputies:
            return
        visit = Visit(on, kind, deputies, findings, problems)
        self.recorded[project.pk, kind] = record_inspection(project, visit, user=user or self.office, today=on)

    def answer_first(self, on: dt.date, project: Candidate) -> None:
        inspection = self.recorded.get((project.pk, InspectionKind.SITE))
        if inspection is not None:
            INSPECTIONS.perform(
                inspection,
                "answer",
                user=self.department_user,
                answer="已要求施工单位晚上10点后停止高噪音作业，调整为白天施工；路面恢复纳入每周巡查，"
                "已完成的施工点在一周内恢复到位，并在社区公告栏公布施工时间和联系电话。",
            )

    def inspections(self, projects: list[Candidate], own: list[Candidate], followed: Candidate) -> list:
        """The inspections to record (with the demo department's answer to the first one's
        problems), as events: (day, hour, method, arguments)."""
        y = self.year
        self.recorded = {}
        site = (
            "监督组代表实地察看了3处施工现场，施工进度符合计划，围挡和安全措施到位。",
            "部分施工点夜间施工噪音扰民，居民意见较大；施工结束后路面恢复不及时。",
        )
        events = [(dt.date(y, 5, 20), 15, self.visit, (followed, InspectionKind.SITE, *site, None))]
        if self.department_user is not None and followed.department_id == self.department.pk:
            events.append((dt.date(y, 5, 28), 11, self.answer_first, (followed,)))
        if self.deputy_user is not None and followed.supervisors.filter(pk=getattr(self.deputy, "pk", None)).exists():
            forum = "在联络站召开居民座谈会，12位居民代表参加，普遍反映改造后出行方便了，对施工管理表示认可。"
            events.append(
                (dt.date(y, 8, 26), 15, self.visit, (followed, InspectionKind.FORUM, forum, "", self.deputy_user))
            )
        elsewhere = next((p for p in projects if p.department_id != self.department.pk), None)
        if elsewhere is not None:
            told = (
                "监督组代表走访了项目周边居民，了解项目推进情况。",
                "部分居民反映项目信息公开不够，不清楚实施时间和范围，建议在社区公告栏公示。",
            )
            events.append((dt.date(y, 9, 16), 15, self.visit, (elsewhere, InspectionKind.VISIT, *told, None)))
        waiting = next((p for p in own if p.pk != followed.pk), followed)
        told = (
            "监督组代表暗访了5处已改造的点位，多数运行良好。",
            "有2处改造后的设施无人管护，卫生较差；开放时间公示与实际不一致。",
        )
        events.append((dt.date(y, 10, 28), 15, self.visit, (waiting, InspectionKind.UNANNOUNCED, *told, None)))
        return events


def _teller():
    """The staff member who enters each paper ballot after the district admin: an account of
    the liaison office (代表工委) that never signs in to the demo."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=TELLER, defaults={"email": f"{TELLER}@example.invalid", "display_name": "代表工委 计票工作人员"}
    )
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(*Group.objects.filter(name=role_group_name(Role.DISTRICT_ADMIN)))
    return user


# --- The demo street's round of next year, collecting nominations ---------------------------------


def _street_round(today: dt.date, street: Street, street_user) -> None:
    year = today.year + 1
    stations = list(StationPage.objects.filter(street=street, level=StationLevel.STATION).order_by("path")[:3])
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=12), tick=False) as clock:
        round = ProjectRound(
            year=year,
            street=street,
            title=f"{year}年{street.name}民生实事项目",
            seats=5,
            candidate_count=8,
            nomination_opens=today - dt.timedelta(days=10),
            nomination_closes=today + dt.timedelta(days=20),
            candidates_on=today + dt.timedelta(days=40),
            ballot_on=dt.date(year, 2, 28),
            results_on=dt.date(year, 3, 5),
            evaluation_on=dt.date(year, 12, 20),
        )
        round._history_user = street_user
        round._change_reason = "新建轮次"
        round.save()
        clock.move_to(now - dt.timedelta(days=10))
        round = ROUNDS.perform(round, "open_nominations", user=street_user)
        for i, (title, need, place, scale, name, phone) in enumerate(STREET_NOMINATIONS):
            clock.move_to(now - dt.timedelta(days=7 - 3 * i, hours=5))
            nominate(
                Proposal(
                    round=round,
                    title=title,
                    need=need,
                    place=place,
                    scale=scale,
                    nominator_name=name,
                    nominator_phone=phone,
                    station=stations[i % len(stations)] if stations else None,
                )
            )
