"""Working days, statutory holidays and 调休 make-up days.

One calendar answers for every feature: reception schedules ask whether a date falls on a
statutory holiday; deadlines count working days. Sources, strongest first:
administrator overrides (`CalendarDay`), the maintained `chinese_calendar` package, and for
years it does not cover yet, weekends plus the fixed-date holidays.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass, field

import chinese_calendar

from django.utils import timezone

from base.models import CalendarDay

# Fixed-date statutory holidays, used only for years chinese_calendar does not know.
_FIXED_HOLIDAYS = {(1, 1): "元旦", (5, 1): "劳动节", (10, 1): "国庆节", (10, 2): "国庆节", (10, 3): "国庆节"}

_HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


@dataclass(frozen=True)
class DayInfo:
    is_workday: bool
    holiday_name: str | None  # set when the day is off because of a statutory holiday


@functools.lru_cache(maxsize=8192)
def _published_day(date: dt.date) -> DayInfo:
    """What the published calendar (the `chinese_calendar` package, else the fixed-date
    holidays) says of a date. The package's answer never changes while the process runs, and
    each of its lookups scans every date it knows to check the year, so it is kept."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(date)
        workday = chinese_calendar.is_workday(date)
    except NotImplementedError:
        name = _FIXED_HOLIDAYS.get((date.month, date.day))
        return DayInfo(name is None and date.weekday() < 5, name)
    if workday:
        return DayInfo(True, None)
    return DayInfo(False, _HOLIDAY_NAMES_ZH.get(name, name) if on_holiday and name else None)


@dataclass
class WorkdayCalendar:
    """A calendar with its overrides loaded once, so asking about many dates costs one query;
    each date is worked out once (deadline arithmetic asks about the same days again and again)."""

    overrides: dict[dt.date, tuple[str, str]] = field(default_factory=dict)
    _days: dict[dt.date, DayInfo] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def load(cls, start: dt.date, end: dt.date) -> WorkdayCalendar:
        rows = CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind", "name")
        return cls(overrides={d: (kind, name) for d, kind, name in rows})

    def day(self, date: dt.date) -> DayInfo:
        info = self._days.get(date)
        if info is None:
            info = self._days[date] = self._look_up(date)
        return info

    def _look_up(self, date: dt.date) -> DayInfo:
        if date in self.overrides:
            kind, name = self.overrides[date]
            if kind == "workday":
                return DayInfo(True, None)
            return DayInfo(False, name or "节假日")
        return _published_day(date)

    def is_workday(self, date: dt.date) -> bool:
        return self.day(date).is_workday

    def statutory_holiday(self, date: dt.date) -> str | None:
        """The holiday's name if the date is a day off for a statutory holiday, else None."""
        info = self.day(date)
        return None if info.is_workday else info.holiday_name

    def next_workday(self, date: dt.date) -> dt.date:
        while not self.is_workday(date):
            date += dt.timedelta(days=1)
        return date

    def count_workdays(self, after: dt.date, until: dt.date) -> int:
        """Working days after `after`, up to and including `until`."""
        return sum(1 for n in range(1, (until - after).days + 1) if self.is_workday(after + dt.timedelta(days=n)))

    def add_workdays(self, date: dt.date, days: int) -> dt.date:
        """The date `days` working days after `date` (the start date itself is not counted)."""
        current = date
        remaining = days
        while remaining > 0:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current


# How far ahead deadlines reach: the longest assignment (90 working days) is about 4 months.
HOLIDAY_DATA_HORIZON = dt.timedelta(days=130)


def covered_by_package(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def years_without_holiday_data(today: dt.date | None = None) -> list[int]:
    """Years between today and the deadline horizon that neither chinese_calendar nor an
    administrator's 节假日调整 (at least one holiday entered for that year) covers."""
    today = today or timezone.localdate()
    years = range(today.year, (today + HOLIDAY_DATA_HORIZON).year + 1)
    missing = [year for year in years if not covered_by_package(year)]
    if not missing:
        return []
    entered = set(
        CalendarDay.objects.filter(date__year__in=missing, kind="holiday").values_list("date__year", flat=True)
    )
    return [year for year in missing if year not in entered]


def add_months(date: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day
    (31 January + 1 month = 28 or 29 February)."""
    month_index = date.month - 1 + months
    year, month = date.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date.replace(year=year, month=month, day=min(date.day, last_day))
