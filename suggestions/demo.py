"""Demo deputy suggestions (示范代表建议), made through the real process code so the demo tells
the truth: each one is drafted by the demo deputy and taken as far as its stage by the same
`perform` calls the screens make, with its audit records, history and review rounds.

    草稿（附议代表待确认） · 待预审 · 退回修改 · 已立案（待交办） · 已交办（主办待签收）
    · 已答复（B类，待代表评价） · 办结（满意，已公开，重点督办）

So each demo account has something to do: admin (代表工委) a suggestion to pre-review and
one to assign, demo-department one to sign for, demo-deputy one to revise and a reply to
rate; the public page /suggestions/ shows the published one. Run once per district by
`ensure_demo_admin` (after `build_demo`); `build_demo --reset` clears them with the district.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from content.models import Deputy, Membership
from suggestions.assignment import ASSIGNMENTS
from suggestions.drafting import SUGGESTIONS, Draft, start_draft
from suggestions.models import (
    AssignmentRole,
    ContactMethod,
    ReplyCategory,
    Suggestion,
    SuggestionKind,
    SuggestionState,
    SupervisionKind,
)
from workflows.models import Category, Department, Rating
from workflows.process import TransitionError

S = SuggestionState
# Co-handlers preferred for the assigned suggestion (the demo district's departments), in order.
CO_HANDLERS = ("区交通运输局", "杭州市公安局上城区分局", "区住房和城乡建设局")
KEY_LEADER = "区人大常委会副主任 陈国强"


@dataclass(frozen=True)
class DemoSuggestion:
    stage: str  # the state it is brought to
    kind: str
    category: str  # a workflows.Category name (seeded by workflows' migration 0003)
    title: str
    problem: str
    measures: str


SUGGESTIONS_TOLD = [
    DemoSuggestion(
        S.DRAFT,
        SuggestionKind.RECESS,
        "社会保障",
        "关于扩大社区老年助餐服务覆盖面的建议",
        "辖区60岁以上老人占户籍人口三成以上，独居、高龄老人买菜做饭困难。现有助餐点集中在街道中心，"
        "老旧小区里的老人要走一公里以上，雨天和冬天基本不去，送餐服务名额少、要排队。",
        "一是在老旧小区较集中的社区增设嵌入式助餐点，利用社区用房和闲置商铺；二是扩大送餐上门范围，"
        "对80岁以上独居老人优先保障；三是引入社会餐饮企业参与，区财政按份给予补贴。",
    ),
    DemoSuggestion(
        S.REVIEW,
        SuggestionKind.RECESS,
        "交通出行",
        "关于延长学校周边路口行人绿灯时间的建议",
        "辖区小学周边几个路口行人绿灯只有15秒左右，上下学高峰时家长带孩子、老人过马路来不及，"
        "走到一半就变灯，电动车抢行，近半年居民反映险情多次。",
        "建议交警部门对学校和菜场周边路口逐一排查，把行人绿灯延长到30秒以上，增设行人过街倒计时"
        "和二次过街安全岛，上下学时段增派护学岗。",
    ),
    DemoSuggestion(
        S.RETURNED,
        SuggestionKind.RECESS,
        "城市建设与管理",
        "关于加快老旧小区加装电梯的建议",
        "辖区不少老旧小区建于上世纪八九十年代，多为六层无电梯住宅，高层住户以老人为主，下楼就医、"
        "买菜十分困难。加装电梯意愿强，但低层住户意见不一，审批环节多，进度很慢。",
        "建议简化加装电梯审批流程，由街道牵头做好低层住户的协调工作，提高财政补助标准，并推广成片加装的做法。",
    ),
    DemoSuggestion(
        S.FILED,
        SuggestionKind.RECESS,
        "社区治理",
        "关于规范老旧小区物业服务的建议",
        "部分老旧小区实行准物业或无物业管理，楼道堆物、绿化缺管、维修无人负责，居民意见较大；"
        "物业费收缴率低，服务质量又难以提高，形成恶性循环。",
        "建议由街道统筹推行老旧小区“红色物业”，成片引入专业物业企业，区财政对过渡期给予补贴，"
        "同时建立居民对物业服务的评议机制。",
    ),
    DemoSuggestion(
        S.ASSIGNED,
        SuggestionKind.RECESS,
        "交通出行",
        "关于治理老旧小区周边占道停车的建议",
        "老旧小区内部没有停车位，夜间车辆停满周边支路和人行道，早高峰车辆进出困难，消防通道也常被占用，存在安全隐患。",
        "建议在周边支路合理施划夜间限时泊位，协调机关、学校等单位错时开放停车场，对占用消防通道的车辆加强巡查和处罚。",
    ),
    DemoSuggestion(
        S.REPLIED,
        SuggestionKind.RECESS,
        "平安建设",
        "关于在老旧小区增设电动自行车集中充电设施的建议",
        "老旧小区电动自行车多，但没有集中充电设施，居民飞线充电、把车推进楼道充电的情况普遍，"
        "今年辖区已发生两起电动车充电起火，居民十分担心。",
        "建议在老旧小区空地或自行车棚增设集中充电桩，配齐消防设施，对楼道充电加强劝导和整治。",
    ),
    DemoSuggestion(
        S.CLOSED,
        SuggestionKind.SESSION,
        "城市建设与管理",
        "关于整治背街小巷路面破损和积水的建议",
        "辖区部分背街小巷路面坑洼、人行道地砖松动，雨天积水严重，老人和孩子出行容易摔倒，"
        "居民多次通过社区反映，修了又坏，问题一直没有根本解决。",
        "建议对背街小巷开展一次全面排查，分批实施路面翻修和雨污管网改造，建立定期巡查和快速维修机制。",
    ),
]

REPLIES_TOLD = {
    S.REPLIED: (
        ReplyCategory.B,
        "经与领衔代表电话沟通，我局会同街道对辖区老旧小区逐一摸排，已选定12处场地，分两批建设电动自行车"
        "集中充电设施：第一批6处正在施工，在承诺日期前建成投用；第二批列入下一年度计划。",
        ContactMethod.PHONE,
    ),
    S.CLOSED: (
        ReplyCategory.A,
        "我局已会同街道对背街小巷开展全面排查，完成8条小巷的路面翻修和3处积水点的管网改造，"
        "并建立“巡查—报修—修复”闭环机制，一般破损48小时内修复。",
        ContactMethod.SITE,
    ),
}


def ensure_demo_suggestions(
    deputy: Deputy,
    deputy_user,
    *,
    station,
    office_user,
    department: Department,
    department_user,
) -> int:
    """Demo suggestions led by `deputy` in every stage (idempotent: nothing is added when the
    deputy already leads some). `office_user` acts as the liaison office (代表工委, a district
    admin), `department_user` as a handler of `department`, which leads the assigned ones."""
    if Suggestion.objects.filter(lead=deputy).exists():
        return 0
    others = [
        m.deputy
        for m in Membership.objects.current().filter(station=station).select_related("deputy").order_by("deputy__pk")
        if m.deputy.is_active and m.deputy.pk != deputy.pk
    ]
    co_department = _co_department(department)
    categories = {c.name: c for c in Category.objects.all()}
    fallback = Category.objects.order_by("sort_order", "name").first()
    steps = _Steps(deputy_user, office_user, department, co_department, department_user, others)
    made = 0
    for told in SUGGESTIONS_TOLD:
        cosigners = others[:1] if told.stage == S.DRAFT else []  # left to confirm in their own portal
        draft = Draft(
            told.kind, told.title, categories.get(told.category, fallback), told.problem, told.measures, cosigners
        )
        try:
            with transaction.atomic():
                suggestion = start_draft(deputy, deputy_user, draft)
                for step in steps.path(told.stage):
                    suggestion = step(suggestion)
        except TransitionError:
            continue
        made += 1
    return made


def _co_department(lead: Department) -> Department | None:
    active = Department.objects.filter(is_active=True).exclude(pk=lead.pk)
    return (
        next((d for name in CO_HANDLERS for d in active.filter(name=name)), None)
        or active.order_by("sort_order", "name").first()
    )


@dataclass
class _Steps:
    deputy_user: object
    office_user: object
    department: Department
    co_department: Department | None
    department_user: object
    others: list[Deputy]

    def path(self, stage: str) -> list[Callable[[Suggestion], Suggestion]]:
        filed = [self.act(self.deputy_user, "submit"), self.act(self.office_user, "accept")]
        return {
            S.DRAFT: [],
            S.REVIEW: [self.act(self.deputy_user, "submit")],
            S.RETURNED: [
                self.act(self.deputy_user, "submit"),
                self.act(
                    self.office_user,
                    "return",
                    note="请补充涉及的小区名称、楼幢数和住户意愿调查情况，建议措施请再具体一些。",
                ),
            ],
            S.FILED: filed,
            S.ASSIGNED: [*filed, self.assign(with_co=True)],
            S.REPLIED: [*filed, self.assign(), self.sign, self.reply(S.REPLIED)],
            S.CLOSED: [
                *filed,
                self.assign(),
                self.mark_key,
                self.sign,
                self.record_supervision,
                self.reply(S.CLOSED),
                self.act(self.deputy_user, "rate", rating=Rating.SATISFIED),
                self.act(self.office_user, "publish"),
            ],
        }[stage]

    def act(self, user, name: str, **data) -> Callable[[Suggestion], Suggestion]:
        return lambda suggestion: SUGGESTIONS.perform(suggestion, name, user=user, **data)

    def assign(self, *, with_co: bool = False):
        co = [self.co_department] if with_co and self.co_department else []
        return self.act(self.office_user, "assign", lead=self.department, co=co, months=3)

    def sign(self, suggestion: Suggestion) -> Suggestion:
        row = suggestion.assignments.get(role=AssignmentRole.LEAD)
        ASSIGNMENTS.perform(row, "sign", user=self.department_user)
        return Suggestion.objects.get(pk=suggestion.pk)

    def reply(self, stage: str):
        category, text, method = REPLIES_TOLD[stage]
        today = timezone.localdate()
        promised = today + dt.timedelta(days=150) if category == ReplyCategory.B else None
        return self.act(
            self.department_user,
            "reply",
            category=category,
            text=text,
            contact_method=method,
            contacted_on=today,
            promised_on=promised,
        )

    def mark_key(self, suggestion: Suggestion) -> Suggestion:
        return SUGGESTIONS.perform(
            suggestion, "mark_key", user=self.office_user, leader=KEY_LEADER, group=self.others[:2]
        )

    def record_supervision(self, suggestion: Suggestion) -> Suggestion:
        return SUGGESTIONS.perform(
            suggestion,
            "record_supervision",
            user=self.office_user,
            kind=SupervisionKind.INSPECTION,
            date=timezone.localdate(),
            findings="督办组代表实地察看了两处背街小巷，路面翻修已完成，积水点改造正在施工；"
            "要求承办单位雨季前完成全部积水点改造，并向代表通报进度。",
        )
