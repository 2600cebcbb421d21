"""Demo legislative consultation (示范立法征询), made through the real code so the demo tells the
truth, each step at its own moment (time-machine), so audit records and history carry it.

The demo station is designated a grassroots legislative contact point with two experts of its
advisory team, and holds two drafts:

- last autumn's draft of a regulation on property management: comments from residents' phones,
  a forum and the experts, moderated (one duplicate merged, one rejected), compiled, reported
  to the provincial standing committee's legislative affairs commission, and, the regulation
  having passed, each compiled opinion marked adopted / partly / not adopted: its page shows
  the adoption rate and each commenter's receipt what became of their comment;
- a draft open for comment now: a few published comments, two waiting for moderation (the
  station staff's and the street committee's to-dos), one entered from a forum.

Run once per district by `ensure_demo_admin`; `build_demo --reset` clears it with the district
(`clear_demo_legislation`).
"""

from __future__ import annotations

import datetime as dt

import time_machine

from django.db import transaction
from django.utils import timezone

from wagtail import hooks

from legislation.comments import COMMENTS, CommentInput, submit_comment
from legislation.compilation import mark_adoption, save_compiled
from legislation.consultations import CONSULTATIONS
from legislation.drafts import designate, publish_draft
from legislation.models import Adoption, Article, CommentChannel, CompiledOpinion, Consultation, ContactPoint, Expert

PROPERTY_TEXT = """某市物业管理条例（修订草案征求意见稿）
第一章 总则
第一条 为了规范物业管理活动，维护业主、物业使用人和物业服务人的合法权益，制定本条例。
第二条 本条例适用于本市行政区域内的物业管理及其监督管理活动。
第三条 物业管理应当纳入社区治理体系，坚持党建引领、业主自治、专业服务、政府监管相结合的原则。
第二章 业主、业主大会和业主委员会
第四条 房屋的所有权人为业主。业主在物业管理活动中享有下列权利：
（一）按照物业服务合同的约定，接受物业服务人提供的服务；
（二）提议召开业主大会会议，并就物业管理的有关事项提出建议；
（三）监督业主委员会的工作。
第五条 一个物业管理区域成立一个业主大会。业主大会由物业管理区域内的全体业主组成。
第六条 业主委员会由业主大会会议选举产生，每届任期五年。
第三章 物业服务
第七条 物业服务人应当按照合同约定提供服务，并在显著位置公示服务内容、服务标准和收费标准。
第八条 物业服务人不得采取停止供电、供水、供热、供燃气以及限制业主进出等方式催交物业费。
第四章 附则
第九条 本条例自2027年1月1日起施行。
"""

ELDERLY_TEXT = """某市居家养老服务条例（草案征求意见稿）
第一章 总则
第一条 为了发展居家养老服务，满足老年人的居家养老服务需求，制定本条例。
第二条 本条例所称居家养老服务，是指以社区为依托，为居住在家的老年人提供的生活照料、医疗护理等服务。
第二章 服务设施
第三条 新建住宅区应当按照每百户不少于二十平方米的标准配套建设居家养老服务用房。
第四条 老旧小区没有居家养老服务用房的，区人民政府应当通过购置、置换、租赁等方式解决。
第三章 服务供给
第五条 街道应当建设社区老年食堂或者助餐点，为老年人提供助餐服务。
第六条 鼓励志愿者为老年人提供探访、陪伴等服务，推行志愿服务时间储蓄。
"""

# (article number or None, channel, content, outcome) of the finished consultation's comments.
FINISHED_COMMENTS = [
    (6, CommentChannel.ONLINE, "业主委员会任期五年太长，建议改为三年，和居委会换届衔接。", "publish"),
    (6, CommentChannel.QR, "业委会五年一届太久了，建议缩短任期。", "merge"),
    (8, CommentChannel.ONLINE, "建议明确物业服务人违规停水停电的罚款数额。", "publish"),
    (7, CommentChannel.FORUM, "座谈会上居民提出：收费标准应当每年公示，并说明调整理由。", "staff"),
    (None, CommentChannel.ONLINE, "建议增加老旧小区引入物业服务的专门规定。", "publish"),
    (3, CommentChannel.ONLINE, "出售二手电动车，价格优惠，欢迎联系。", "reject"),
]
COMPILED = {
    6: (
        "建议将业主委员会任期由五年改为三年，与社区居民委员会换届衔接。",
        Adoption.ADOPTED,
        "业主委员会由业主大会会议选举产生，每届任期三年。",
        "采纳，任期改为三年。",
    ),
    7: (
        "建议规定收费标准每年公示，调整时说明理由。",
        Adoption.PARTLY,
        "物业服务人应当在物业管理区域内显著位置公示并及时更新服务内容、服务标准和收费项目、收费标准。",
        "采纳了及时更新公示的意见；调整理由由价格主管部门另行规定。",
    ),
    8: (
        "建议明确违规停水停电的法律责任和罚款数额。",
        Adoption.ADOPTED,
        "违反本条规定的，由物业主管部门责令改正，处一万元以上五万元以下罚款。",
        "采纳，增加了罚则。",
    ),
    None: (
        "建议增加老旧小区物业管理的专门规定。",
        Adoption.NOT_ADOPTED,
        "",
        "老旧小区物业管理另行制定办法，本条例不作规定。",
    ),
}
RESIDENTS = [("张建国", "13800001001"), ("李梅", "13800001002"), ("王立新", "13800001003"), ("赵小红", "13800001004")]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def ensure_demo_legislation(station, *, staff_user, office_user) -> int:
    """The demo's contact point and its two drafts (idempotent: only when the station has no
    consultation yet). Returns how many consultations were made."""
    if Consultation.objects.filter(station_id=station.pk).exists():
        return 0
    today = timezone.localdate()
    with transaction.atomic():
        point = designate(station, designated_on=today - dt.timedelta(days=400), note="示范立法联系点")
        experts = [
            Expert.objects.get_or_create(contact_point=point, name=name, defaults={"title": title})[0]
            for name, title in (("周立", "大学法学院教授"), ("陈敏", "执业律师、区人大常委会立法咨询专家"))
        ]
        _finished(station, staff_user, office_user, experts, today)
        _open(station, staff_user, office_user, today)
    return 2


def _comment(consultation, number, channel, content, n, *, staff_user, received_on, expert=None):
    name, phone = RESIDENTS[n % len(RESIDENTS)]
    public = channel in (CommentChannel.ONLINE, CommentChannel.QR)
    entry = CommentInput(
        consultation=consultation,
        article_number=number,
        content=content,
        name=name if public else "",
        phone=phone if public else "",
        channel=channel,
        expert=expert,
        received_on=None if public else received_on,
        entered_by=None if public else staff_user,
        idempotency_key=f"demo-{consultation.pk}-{n}" if public else "",
    )
    return submit_comment(entry)[0]


def _finished(station, staff_user, office_user, experts, today) -> None:
    opens = today - dt.timedelta(days=120)
    closes, submitted, passed = (
        opens + dt.timedelta(days=30),
        opens + dt.timedelta(days=40),
        today - dt.timedelta(days=20),
    )
    with time_machine.travel(at(opens, 9), tick=False) as clock:
        page = publish_draft(
            station,
            title="《某市物业管理条例（修订草案）》征求意见稿",
            slug="property-management-draft",
            text=PROPERTY_TEXT,
            user=staff_user,
            publisher=office_user,
            source="省人大常委会法制工作委员会",
            document_no="法工委函〔示范〕8号",
            opens_on=opens,
            closes_on=closes,
            return_by=closes + dt.timedelta(days=15),
            intro="修订草案完善了业主大会、业主委员会制度，规范物业服务和收费，请群众对各条提出意见。",
        )
        consultation = CONSULTATIONS.perform(page.consultation, "open", user=staff_user)
        first = {}
        for n, (number, channel, content, outcome) in enumerate(FINISHED_COMMENTS):
            clock.move_to(at(opens + dt.timedelta(days=2 + n), 20))
            row = _comment(
                consultation,
                number,
                channel,
                content,
                n,
                staff_user=staff_user,
                received_on=opens + dt.timedelta(days=2 + n),
            )
            clock.move_to(at(opens + dt.timedelta(days=3 + n), 9))
            if outcome == "publish":
                first.setdefault(number, COMMENTS.perform(row, "publish", user=staff_user))
            elif outcome == "merge":
                COMMENTS.perform(row, "merge", user=staff_user, into=first[number])
            elif outcome == "reject":
                COMMENTS.perform(row, "reject", user=staff_user, reason="与草案无关的广告。")
        for n, expert in enumerate(experts):
            clock.move_to(at(opens + dt.timedelta(days=12 + n), 15))
            _comment(
                consultation,
                6 if n == 0 else 8,
                CommentChannel.EXPERT,
                "建议任期与居民委员会一致，便于社区统筹。" if n == 0 else "罚则应当明确幅度，避免执法随意。",
                n,
                staff_user=staff_user,
                received_on=opens + dt.timedelta(days=12 + n),
                expert=expert,
            )
        clock.move_to(at(closes + dt.timedelta(days=1), 9))
        consultation = CONSULTATIONS.perform(consultation, "close", user=staff_user)
        clock.move_to(at(closes + dt.timedelta(days=5), 14))
        articles = {a.number: a for a in Article.objects.filter(consultation=consultation)}
        for number, (text, _adoption, _final, _note) in COMPILED.items():
            save_compiled(consultation, articles.get(number), text, user=staff_user)
        clock.move_to(at(submitted, 10))
        consultation = CONSULTATIONS.perform(
            consultation, "submit", user=staff_user, submitted_on=submitted, submitted_to="省人大常委会法制工作委员会"
        )
        clock.move_to(at(passed + dt.timedelta(days=3), 10))
        for number, (_text, adoption, final, note) in COMPILED.items():
            compiled = CompiledOpinion.objects.get(consultation=consultation, article=articles.get(number))
            mark_adoption(compiled, adoption, final, note, user=staff_user)
        CONSULTATIONS.perform(
            consultation, "feed_back", user=office_user, passed_title="某市物业管理条例", passed_on=passed
        )


def _open(station, staff_user, office_user, today) -> None:
    opens = today - dt.timedelta(days=5)
    with time_machine.travel(at(opens, 9), tick=False) as clock:
        page = publish_draft(
            station,
            title="《某市居家养老服务条例（草案）》征求意见稿",
            slug="home-care-draft",
            text=ELDERLY_TEXT,
            user=staff_user,
            publisher=office_user,
            source="省人大常委会法制工作委员会",
            opens_on=opens,
            closes_on=today + dt.timedelta(days=25),
            return_by=today + dt.timedelta(days=35),
            intro="草案对居家养老服务设施、助餐服务和志愿服务作了规定，欢迎逐条提出意见。",
        )
        consultation = CONSULTATIONS.perform(page.consultation, "open", user=staff_user)
        comments = [
            (3, "老旧小区配套用房难落实，建议明确由街道统筹现有公房。", True),
            (5, "老年食堂应当兼顾送餐上门，行动不便的老人去不了食堂。", True),
            (6, "建议志愿服务时间可以全市通兑。", True),
            (5, "助餐点价格要公示，不能随意涨价。", False),
            (None, "希望条例对失能老人的照护多作规定。", False),
        ]
        for n, (number, content, publish) in enumerate(comments):
            clock.move_to(at(opens + dt.timedelta(days=1 + n % 4), 19))
            row = _comment(
                consultation, number, CommentChannel.ONLINE, content, n, staff_user=staff_user, received_on=None
            )
            if publish:
                clock.move_to(at(opens + dt.timedelta(days=2 + n % 4), 9))
                COMMENTS.perform(row, "publish", user=staff_user)
        clock.move_to(at(opens + dt.timedelta(days=3), 16))
        _comment(
            consultation,
            4,
            CommentChannel.FORUM,
            "座谈会上居民提出：购置养老用房的资金来源应当写明。",
            9,
            staff_user=staff_user,
            received_on=opens + dt.timedelta(days=3),
        )


@hooks.register("before_demo_district_reset")
def clear_demo_legislation():
    """Consultations and contact points hold their stations and draft pages (PROTECT): they go
    before the demo district is rebuilt."""
    CompiledOpinion.objects.all().delete()
    for consultation in Consultation.objects.all():
        consultation.comments.all().update(merged_into=None)
        consultation.comments.all().delete()
        consultation.delete()
    ContactPoint.objects.all().delete()
