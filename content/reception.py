"""Turn reception-day rules into concrete dates, applying holidays and 调休.

A rule such as "每月第一周星期五，遇法定节假日顺延一周" produces one nominal date a month;
the holiday rule then moves, keeps or drops it according to the working-day calendar.
"""

from __future__ import annotations

import calendar as std_calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils import timezone

from base.calendar import WorkdayCalendar

if TYPE_CHECKING:
    from content.models import ReceptionSchedule


class Recurrence(models.TextChoices):
    MONTHLY = "monthly", "每月第N周的星期X"
    WEEKLY = "weekly", "每周星期X"
    ONCE = "once", "单次日期"


class HolidayRule(models.TextChoices):
    POSTPONE_WEEK = "postpone_week", "遇法定节假日顺延一周"
    NEXT_WORKDAY = "next_workday", "遇法定节假日顺延至下一个工作日"
    SKIP = "skip", "遇法定节假日取消"
    KEEP = "keep", "节假日照常接待"


# Monday first, as date.weekday() counts (the rules' choices and the pages' labels).
WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
HORIZON_DAYS = 400  # how far ahead to look for the next dates (covers a yearly one-off)


@dataclass(frozen=True)
class ReceptionOccurrence:
    schedule: ReceptionSchedule
    date: dt.date
    nominal_date: dt.date  # the date the rule gives before holidays are applied
    holiday_name: str | None  # the holiday that moved it, if any

    @property
    def postponed(self) -> bool:
        return self.date != self.nominal_date

    @property
    def date_label(self) -> str:
        """The date as the page writes it (2026年12月8日 星期二)."""
        return f"{self.date.year}年{self.date.month}月{self.date.day}日 {WEEKDAY_NAMES[self.date.weekday()]}"

    @property
    def time_label(self) -> str:
        """The hours as the page writes them (09:00–11:30)."""
        start, end = self.schedule.start_time, self.schedule.end_time
        return f"{start:%H:%M}–{end:%H:%M}" if start and end else ""

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.schedule.start_time, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.schedule.end_time, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def deputies(self):
        return list(self.schedule.duty_deputies.all())

    @property
    def station(self):
        return self.schedule.station

    @property
    def uid(self) -> str:
        return f"reception-{self.schedule.pk}-{self.nominal_date:%Y%m%d}@lianluo"


def nth_weekday(year: int, month: int, week: int, weekday: int) -> dt.date | None:
    """The `week`-th `weekday` of a month (week=-1: the last one); None if it does not exist."""
    if week == -1:
        last = dt.date(year, month, std_calendar.monthrange(year, month)[1])
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    if week < 1:
        return None
    first = dt.date(year, month, 1)
    day = first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week - 1))
    return day if day.month == month else None


def nominal_dates(schedule: ReceptionSchedule, start: dt.date, end: dt.date):
    """Dates the rule gives in [start, end], before holidays; ascending."""
    lower = max(start, schedule.valid_from) if schedule.valid_from else start
    upper = min(end, schedule.valid_until) if schedule.valid_until else end
    if schedule.recurrence == Recurrence.ONCE:
        if schedule.date and start <= schedule.date <= end:
            yield schedule.date
        return
    if schedule.weekday is None:
        return
    if schedule.recurrence == Recurrence.WEEKLY:
        day = lower + dt.timedelta(days=(schedule.weekday - lower.weekday()) % 7)
        while day <= upper:
            yield day
            day += dt.timedelta(days=7)
        return
    if schedule.week_of_month is None:
        return
    # Begin a month early: a date postponed from last month can still fall in the window.
    year, month = lower.year, lower.month
    while (year, month) <= (upper.year, upper.month):
        day = nth_weekday(year, month, schedule.week_of_month, schedule.weekday)
        if day and lower <= day <= upper:
            yield day
        month += 1
        if month == 13:
            year, month = year + 1, 1


def apply_holiday_rule(
    schedule: ReceptionSchedule, nominal: dt.date, workdays: WorkdayCalendar
) -> tuple[dt.date | None, str | None]:
    """Where a nominal date actually lands, and the holiday that moved it (None: cancelled)."""
    holiday = workdays.statutory_holiday(nominal)
    if holiday is None or schedule.recurrence == Recurrence.ONCE or schedule.holiday_rule == HolidayRule.KEEP:
        return nominal, None
    if schedule.holiday_rule == HolidayRule.SKIP:
        return None, holiday
    if schedule.holiday_rule == HolidayRule.NEXT_WORKDAY:
        return workdays.next_workday(nominal), holiday
    moved = nominal
    for _ in range(5):  # a week later may still be inside a long holiday (e.g. 春节)
        moved += dt.timedelta(days=7)
        if workdays.statutory_holiday(moved) is None:
            return moved, holiday
    return None, holiday


def holiday_calendar(start: dt.date, end: dt.date) -> WorkdayCalendar:
    """The calendar `landing_dates` needs for receptions landing in [start, end]."""
    return WorkdayCalendar.load(start - dt.timedelta(days=40), end + dt.timedelta(days=40))


def landing_dates(schedule: ReceptionSchedule, start: dt.date, end: dt.date, workdays: WorkdayCalendar):
    """(actual date, nominal date, the holiday that moved it) of each reception of one rule that
    lands in [start, end], in the order of the nominal dates; `workdays` from holiday_calendar."""
    # Nominal dates up to five weeks earlier may be postponed into the window.
    for nominal in nominal_dates(schedule, start - dt.timedelta(days=35), end):
        actual, holiday = apply_holiday_rule(schedule, nominal, workdays)
        if actual is not None and start <= actual <= end:
            yield actual, nominal, holiday


def occurrences_between(
    schedules, start: dt.date, end: dt.date, workdays: WorkdayCalendar | None = None, first: int | None = None
):
    """Every reception of the given schedules that lands in [start, end], ascending; with
    `first`, only the first that many (the same as cutting the whole list)."""
    workdays = workdays or holiday_calendar(start, end)
    found: list[ReceptionOccurrence] = []
    for schedule in schedules:
        own: list[dt.date] = []
        for actual, nominal, holiday in landing_dates(schedule, start, end, workdays):
            # A holiday only ever moves a date later, so once this rule has `first` dates before
            # this nominal date, none of its later ones can be among the first.
            if first is not None and len(own) >= first and nominal > sorted(own)[first - 1]:
                break
            found.append(ReceptionOccurrence(schedule, actual, nominal, holiday))
            own.append(actual)
    found.sort(key=lambda o: (o.date, o.schedule.start_time, o.schedule.pk or 0))
    return found if first is None else found[:first]


def upcoming_for_schedules(schedules, today: dt.date | None = None, count: int = 6, horizon_days: int = HORIZON_DAYS):
    """The next `count` receptions from today on (today included)."""
    today = today or timezone.localdate()
    return occurrences_between(schedules, today, today + dt.timedelta(days=horizon_days), first=count)
