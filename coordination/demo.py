"""Demo district-to-street tasks (示范区街联动), made through the real process code so the demo
tells the truth: each step is the same call the screens make, with the clock (time-machine) set
to the step's moment, so audit records, history rows and the rows' own times all carry it.

This year the district's liaison office (区人大常委会代表工委) has issued to every street:

- the year's research topic (年度调研课题), due in three weeks: the demo street has accepted it
  and reported its progress once; it still owes its result (the street's 待报送成果);
- an inspection (视察) issued two months ago, due ten days ago: the demo street submitted its
  inspection report and the district confirmed it (已办结); the other streets never reported,
  were reminded (催办) before and after the deadline and are overdue (the office's 已超期);
- a survey (调查问卷) issued just now, waiting to be accepted by the demo street (its 待接收).

Run once per district by `ensure_demo_admin`; `build_demo --reset` clears the tasks with the
district (`coordination.wagtail_hooks.clear_demo_coordination`).
"""

from __future__ import annotations

import datetime as dt

import time_machine

from django.db import transaction
from django.utils import timezone

from base.calendar import WorkdayCalendar
from base.roles import MANAGE_STREET, roles_of
from content.models import Street
from coordination.models import StreetTask, Task, TaskKind
from coordination.street_tasks import STREET_TASKS, issue

RESEARCH = (
    "{year}年度调研课题：代表联络站（点）履职平台建设实效",
    "根据区人大常委会{year}年工作要点，请各街道人大工委围绕辖区代表联络站（点）运行情况开展专题调研：\n"
    "1. 联络站（点）“有场所、有制度、有活动、有记录”等标准的落实情况；\n"
    "2. 代表进站接待选民、收集和转办群众意见建议的情况，办理和反馈是否及时；\n"
    "3. 存在的问题和困难，以及进一步发挥联络站（点）作用的意见建议。\n"
    "请成立由街道人大工委牵头、辖区区人大代表参加的课题组，通过走访、座谈等方式深入调研，"
    "形成调研报告（3000字左右），于完成期限前报送区人大常委会代表工委。",
)
RESEARCH_PROGRESS = (
    "已成立由街道人大工委主任牵头、4名区人大代表参加的课题组，制定了调研方案。"
    "课题组已走访辖区6个联络站（点），召开代表座谈会和居民座谈会各1场，收集意见建议27条，"
    "主要集中在联络站活动经费、代表进站频次和意见转办反馈时限等方面。目前正在梳理问题、起草调研报告初稿，"
    "预计按期报送。"
)
INSPECTION = (
    "{year}年老旧小区综合改造提升工作视察",
    "区人大常委会将于近期组织区人大代表对老旧小区综合改造提升工作开展集中视察。请各街道人大工委：\n"
    "1. 组织辖区区人大代表实地察看1至2个已改造或在改造的小区，重点了解加装电梯、雨污分流、停车设施和"
    "适老化改造的推进情况；\n"
    "2. 通过联络站（点）听取居民对改造工作的意见建议；\n"
    "3. 视察结束后形成视察报告，列明发现的问题和意见建议，于完成期限前报送区人大常委会代表工委。",
)
INSPECTION_RESULT = (
    "街道人大工委组织辖区8名区人大代表，实地察看了2个老旧小区的改造情况，并在联络站召开居民座谈会，"
    "听取15位居民代表的意见。\n"
    "一、总体情况：两个小区共完成加装电梯12台，完成雨污分流改造，新增停车泊位60个，居民总体满意。\n"
    "二、发现的问题：1. 加装电梯后的维保责任和费用分担不明确；2. 雨污分流施工后部分路面恢复不及时；"
    "3. 停车位改造后夜间仍供不应求。\n"
    "三、意见建议：建议区住建部门出台加装电梯后续管理指引，明确维保主体；施工单位限期完成路面修复；"
    "推动周边单位停车场夜间错时共享。"
)
SURVEY = (
    "代表联络站（点）运行情况调查问卷",
    "为全面了解全区代表联络站（点）的运行情况，请各街道人大工委组织辖区联络站工作人员和进站代表"
    "填写调查问卷（问卷链接另行通知），每个联络站（点）不少于10份，"
    "并于完成期限前报送填写情况和需要说明的问题。",
)
REMINDER_BEFORE = "视察报告报送期限将至，请抓紧组织代表视察并报送视察报告。"
REMINDER_AFTER = "视察报告已超过报送期限，请尽快报送；确有困难的请与代表工委联系。"


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def demo_street(street_user) -> Street | None:
    """The street the street committee's account is granted (the first, if several)."""
    return roles_of(street_user).granted(MANAGE_STREET, Street).order_by("sort_order", "name").first()


def ensure_demo_coordination(*, office_user, street_user, street: Street | None = None) -> int:
    """This year's district tasks (idempotent: nothing when any task of this year exists, or
    without a demo street). Returns how many tasks were made."""
    today = timezone.localdate()
    street = street or demo_street(street_user)
    if street is None or Task.objects.filter(year=today.year).exists():
        return 0
    with transaction.atomic():
        return _Demo(today, office_user, street_user, street).run()


class _Demo:
    def __init__(self, today, office_user, street_user, street):
        self.today = today
        self.now = timezone.now()
        self.year = today.year
        self.office = office_user
        self.secretary = street_user
        self.street = street
        self.streets = list(Street.objects.order_by("sort_order", "name"))
        self.calendar = WorkdayCalendar.load(today - dt.timedelta(days=100), today + dt.timedelta(days=40))

    def workday(self, days_ago: int) -> dt.date:
        """The working day `days_ago` days before today, or the last one before it."""
        day = self.today - dt.timedelta(days=days_ago)
        while not self.calendar.is_workday(day):
            day -= dt.timedelta(days=1)
        return day

    def moment(self, day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
        """The step's moment, never later than now."""
        return min(at(day, hour, minute), self.now)

    def run(self) -> int:
        with time_machine.travel(self.moment(self.workday(75), 9), tick=False) as self.clock:
            self.research()
            self.inspection()
            self.survey()
        return 3

    def task(self, kind: str, text: tuple[str, str], due_on: dt.date) -> tuple[Task, StreetTask]:
        """The task, issued to every street by the office (as its form does); the demo street's part."""
        title, description = text
        task = Task(
            title=title.format(year=self.year),
            kind=kind,
            year=self.year,
            description=description.format(year=self.year),
            due_on=due_on,
            created_by=self.office,
        )
        task._history_user = self.office
        task.save()
        issue(task, self.streets, user=self.office)
        return task, task.street_tasks.get(street=self.street)

    def step(self, row: StreetTask, name: str, user, moment: dt.datetime, **data) -> StreetTask:
        self.clock.move_to(moment)
        return STREET_TASKS.perform(row, name, user=user, **data)

    def research(self) -> None:
        issued = self.workday(75)
        self.clock.move_to(self.moment(issued, 9, 30))
        due = self.calendar.next_workday(self.today + dt.timedelta(days=21))
        _task, row = self.task(TaskKind.RESEARCH, RESEARCH, due)
        accepted = self.calendar.add_workdays(issued, 1)
        row = self.step(row, "accept", self.secretary, self.moment(accepted, 10, 15))
        self.step(row, "report_progress", self.secretary, self.moment(self.workday(9), 15, 40), text=RESEARCH_PROGRESS)

    def inspection(self) -> None:
        due = self.workday(10)
        issued = self.workday((self.today - due).days + 50)
        self.clock.move_to(self.moment(issued, 9, 30))
        task, row = self.task(TaskKind.INSPECTION, INSPECTION, due)
        row = self.step(row, "accept", self.secretary, self.moment(self.calendar.add_workdays(issued, 1), 11))
        others = list(task.street_tasks.exclude(pk=row.pk).order_by("street__sort_order", "street__name"))
        reminded = self.workday((self.today - due).days + 3)
        for other in others:
            self.step(other, "remind", self.office, self.moment(reminded, 9, 30), note=REMINDER_BEFORE)
        submitted = self.calendar.add_workdays(reminded, 1)
        row = self.step(row, "submit_result", self.secretary, self.moment(submitted, 16, 20), text=INSPECTION_RESULT)
        self.step(row, "complete", self.office, self.moment(self.calendar.add_workdays(submitted, 1), 10))
        for other in others:
            self.step(
                other,
                "remind",
                self.office,
                self.moment(self.calendar.add_workdays(due, 2), 9, 30),
                note=REMINDER_AFTER,
            )

    def survey(self) -> None:
        morning = at(self.today, 9)  # this morning, or the last working afternoon if it is not yet past
        self.clock.move_to(morning if morning < self.now else at(self.workday(1), 16, 30))
        self.task(TaskKind.SURVEY, SURVEY, self.calendar.add_workdays(self.today, 10))
