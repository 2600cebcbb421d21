"""Demo duty records (示范履职记录), made through the real code so the demo tells the truth.

For the demo street's stations: a season of activities recorded by the station's staff, each
counting at once; the demo deputy's own self-reports (one waiting for the street committee,
one returned with a reason), their confirmed reception duties, and two discussion topics
with residents' replies (one closed with its summary). Run once per district by
`ensure_demo_admin` (after `build_demo`); `build_demo --reset` clears them with the district.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from content.models import Membership
from content.reception import occurrences_between
from duties.automatic import confirm_attendance
from duties.models import DiscussionTopic, DutyItem, DutyRecord, DutyScheme
from duties.records import DUTY_RECORDS, Entry, RecordError, record_by_staff, report_by_deputy
from duties.topics import REPLIES, TOPICS, Opening, Reply, TopicError, open_topic, submit_reply

# (item number, what was done): self-reportable items of the default scheme.
ACTIVITIES = [
    (9, "集中调研月：走访{station}周边老旧小区，了解停车和加装电梯的难处"),
    (10, "参加区人大常委会组织的{station}辖区食品安全执法检查"),
    (11, "参加“民生实事项目”满意度测评，在{station}召开座谈会"),
    (13, "参加{station}代表小组活动，讨论下季度接待安排"),
    (14, "在{station}参加《物业管理条例（修订草案）》立法意见征询座谈会"),
    (16, "参加区人大常委会举办的代表履职培训班"),
    (17, "参加代表专题学习：基层治理与“民呼我为”"),
    (19, "组织{station}辖区志愿者清理楼道堆积物"),
    (20, "参与调解{station}辖区一起物业费纠纷"),
]


def scheme_for(year: int) -> DutyScheme | None:
    """The year's scheme, copied from the latest earlier one if the district has none yet."""
    scheme = DutyScheme.objects.filter(year=year).first()
    if scheme is None:
        latest = DutyScheme.objects.filter(year__lt=year).order_by("-year").first()
        scheme = latest.copy_to(year) if latest else None
    return scheme


def ensure_demo_duties(station, staff_user, street_user, deputy_user, deputy, seed: int = 2026) -> int:
    """Demo records for `station` (idempotent: nothing is added when it already has some)."""
    if DutyRecord.objects.filter(station=station).exists():
        return 0
    today = timezone.localdate()
    scheme = scheme_for(today.year)
    if scheme is None:
        return 0
    items = {item.number: item for item in DutyItem.objects.filter(scheme=scheme)}
    deputies = [m.deputy for m in Membership.objects.current().filter(station=station).select_related("deputy")]
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by seed
    made = 0
    start = dt.date(today.year, 1, 15)
    for index, (number, text) in enumerate(ACTIVITIES * 2):
        day = start + dt.timedelta(days=rng.randrange(max(1, (today - start).days)))
        if number not in items or not deputies or day > today:
            continue
        lead = rng.choice(deputies)
        others = rng.sample([d for d in deputies if d.pk != lead.pk], k=min(len(deputies) - 1, index % 3))
        try:
            entry = Entry(items[number], day, station, text.format(station=station.title), lead, others)
            record_by_staff(entry, staff_user)
            made += 1
        except RecordError:
            continue
    # The demo deputy's own: reception duties confirmed, one report waiting, one returned.
    for schedule in station.reception_schedules.all():
        if deputy.pk not in {d.pk for d in schedule.duty_deputies.all()}:
            continue
        # The latest duty is left for the deputy to confirm in 代表e站.
        for occurrence in occurrences_between([schedule], today - dt.timedelta(days=90), today)[:-1]:
            try:
                confirm_attendance(schedule, occurrence.date, deputy, staff_user)
            except RecordError:
                continue
            made += 1
    reports = [
        (9, 20, "走访东片区独居老人12户，收集助餐和就医方面的意见"),
        (19, 35, "带领居民志愿者清理小区消防通道"),
    ]
    for position, (number, days_ago, text) in enumerate(reports):
        day = today - dt.timedelta(days=days_ago)
        if number not in items or day.year != today.year:
            continue
        try:
            record = report_by_deputy(Entry(items[number], day, station, text, deputy), deputy_user)
        except RecordError:
            continue
        made += 1
        if position == 1:
            DUTY_RECORDS.perform(record, "return", user=street_user, note="请补充参加的志愿者人数和清理的楼栋。")
    made += ensure_demo_topics(station, staff_user, deputy_user, deputy, today)
    return made


# (title, description, residents' replies, the deputy's summary or "" while it is open)
TOPICS_TOLD = [
    (
        "小区夜间停车怎么管",
        "晚上车位不够，占道停车堵住消防通道。想听听大家的办法：错时共享单位车位、划定临时车位，还是别的？",
        [
            ("建议和旁边的区机关大院商量，晚上七点到早上七点开放车位。", "陈建华", "13805710001"),
            ("消防通道必须画线，占了就贴条，不然出事来不及。", "王丽萍", "13805710002"),
            ("老人家里没车，别把绿化改成车位。", "周国平", "13805710003"),
        ],
        "多数居民赞成错时共享周边单位车位，反对占用绿地；消防通道须画线并加强巡查。"
        "已与街道沟通，请区城管局牵头协调共享车位。",
    ),
    (
        "菜场周边早高峰交通秩序",
        "早上七点到八点菜场门口电动车、三轮车和行人挤在一起。大家觉得怎样改善？",
        [
            ("三轮车卸货能不能改到六点半以前？", "林晓东", "13805710004"),
            ("门口那段人行道上的摊位要清掉。", "徐美娟", "13805710005"),
        ],
        "",
    ),
]


def ensure_demo_topics(station, staff_user, deputy_user, deputy, today: dt.date) -> int:
    """Two discussion topics of the demo deputy at `station`: one closed with its summary, one
    open with replies published and one waiting for the staff's moderation."""
    if DiscussionTopic.objects.filter(station=station).exists():
        return 0
    made = 0
    for title, description, replies, summary in TOPICS_TOLD:
        try:
            topic = open_topic(deputy, deputy_user, Opening(station, title, description, today + dt.timedelta(days=21)))
        except TopicError:
            continue
        made += 1
        for index, (content, name, phone) in enumerate(replies):
            reply, _ = submit_reply(Reply(topic, content, name, phone))
            if summary or index < len(replies) - 1:  # the open topic's last reply waits for moderation
                REPLIES.perform(reply, "publish", user=staff_user)
        if summary:
            TOPICS.perform(topic, "close", user=deputy_user, summary=summary)
    return made
