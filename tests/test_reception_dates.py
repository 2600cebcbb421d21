"""Reception-day rules become the concrete dates residents see, holidays applied."""

import datetime as dt

import pytest

from base.calendar import WorkdayCalendar
from base.models import CalendarDay
from content.models import HolidayRule, ReceptionSchedule, Recurrence
from content.reception import nth_weekday, occurrences_between

pytestmark = pytest.mark.django_db


def schedule(station, **fields):
    defaults = {"recurrence": Recurrence.MONTHLY, "start_time": dt.time(9), "end_time": dt.time(11, 30)}
    defaults.update(fields)
    return ReceptionSchedule.objects.create(station=station, **defaults)


def dates(schedules, start, end):
    return [occ.date for occ in occurrences_between(schedules, start, end)]


def test_third_tuesday_of_each_month(tree):
    rule = schedule(tree["station"], week_of_month=3, weekday=1, holiday_rule=HolidayRule.KEEP)
    assert dates([rule], dt.date(2026, 3, 1), dt.date(2026, 5, 31)) == [
        dt.date(2026, 3, 17),
        dt.date(2026, 4, 21),
        dt.date(2026, 5, 19),
    ]


def test_first_friday_falling_on_national_day_is_postponed_one_week(tree):
    rule = schedule(tree["station"], week_of_month=1, weekday=4, holiday_rule=HolidayRule.POSTPONE_WEEK)
    found = occurrences_between([rule], dt.date(2026, 9, 25), dt.date(2026, 10, 31))
    assert [occ.date for occ in found] == [dt.date(2026, 10, 9)]
    assert found[0].nominal_date == dt.date(2026, 10, 2)
    assert found[0].holiday_name == "国庆节"


def test_third_tuesday_in_spring_festival_moves_to_the_next_week(tree):
    # 2026-02-17 is 春节 (the holiday runs 2-15 to 2-23).
    rule = schedule(tree["station"], week_of_month=3, weekday=1, holiday_rule=HolidayRule.POSTPONE_WEEK)
    assert dates([rule], dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == [dt.date(2026, 2, 24)]


def test_skip_rule_cancels_a_holiday_reception(tree):
    rule = schedule(tree["station"], week_of_month=1, weekday=4, holiday_rule=HolidayRule.SKIP)
    assert dates([rule], dt.date(2026, 10, 1), dt.date(2026, 10, 31)) == []


def test_next_workday_rule_lands_on_the_first_working_day_after_the_holiday(tree):
    rule = schedule(tree["station"], week_of_month=1, weekday=4, holiday_rule=HolidayRule.NEXT_WORKDAY)
    assert dates([rule], dt.date(2026, 10, 1), dt.date(2026, 10, 31)) == [dt.date(2026, 10, 8)]


def test_weekly_and_one_off_receptions_merge_in_date_order(tree):
    weekly = schedule(tree["station"], recurrence=Recurrence.WEEKLY, weekday=2, holiday_rule=HolidayRule.KEEP)
    once = schedule(tree["station"], recurrence=Recurrence.ONCE, date=dt.date(2026, 6, 6))
    assert dates([weekly, once], dt.date(2026, 6, 1), dt.date(2026, 6, 14)) == [
        dt.date(2026, 6, 3),
        dt.date(2026, 6, 6),
        dt.date(2026, 6, 10),
    ]


def test_validity_window_limits_a_rule(tree):
    rule = schedule(
        tree["station"],
        week_of_month=-1,
        weekday=0,
        holiday_rule=HolidayRule.KEEP,
        valid_from=dt.date(2026, 4, 1),
        valid_until=dt.date(2026, 5, 31),
    )
    assert dates([rule], dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == [dt.date(2026, 4, 27), dt.date(2026, 5, 25)]


def test_administrator_holiday_override_postpones_a_reception(tree):
    # Years the published calendar does not cover yet rely on administrators' overrides.
    CalendarDay.objects.create(date=dt.date(2027, 2, 5), kind=CalendarDay.Kind.HOLIDAY, name="春节")
    rule = schedule(tree["station"], week_of_month=1, weekday=4, holiday_rule=HolidayRule.POSTPONE_WEEK)
    found = occurrences_between([rule], dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    assert [occ.date for occ in found] == [dt.date(2027, 2, 12)]
    assert found[0].holiday_name == "春节"


def test_nth_weekday_handles_missing_fifth_week():
    assert nth_weekday(2026, 2, 5, 0) is None
    assert nth_weekday(2026, 3, 5, 0) == dt.date(2026, 3, 30)
    assert nth_weekday(2026, 2, -1, 4) == dt.date(2026, 2, 27)


def test_make_up_saturday_is_a_working_day_and_counts_towards_deadlines(db):
    calendar = WorkdayCalendar.load(dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    assert calendar.is_workday(dt.date(2026, 10, 10))  # 国庆调休上班
    assert not calendar.is_workday(dt.date(2026, 10, 5))
    assert calendar.statutory_holiday(dt.date(2026, 10, 5)) == "国庆节"
    assert calendar.statutory_holiday(dt.date(2026, 10, 11)) is None  # an ordinary Sunday
    # Three working days after Wednesday 30 September: 8, 9 and the 调休 Saturday 10 October.
    assert calendar.add_workdays(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)


def test_workday_override_beats_the_published_calendar(db):
    CalendarDay.objects.create(date=dt.date(2026, 10, 11), kind=CalendarDay.Kind.WORKDAY, name="临时调休")
    calendar = WorkdayCalendar.load(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert calendar.is_workday(dt.date(2026, 10, 11))
