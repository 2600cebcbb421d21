"""Duty records the platform makes itself: a confirmed reception duty, an opinion a deputy
received, and that opinion followed to 销号. Each fact counts once, however often it is
confirmed or saved."""

import datetime as dt
from decimal import Decimal

import pytest

from base.roles import Role, department_group_name, role_group_name
from content.models import Membership, ReceptionSchedule
from duties.automatic import confirm_attendance
from duties.models import DeputyAccount, DutyAttendance, DutyRecord, RecordSource, RecordState
from duties.points import yearly_points
from duties.records import RecordError
from tests.conftest import make_deputy, new_opinion, replied, role_user, station_user, street_user
from workflows import opinions
from workflows.models import Channel, Department

pytestmark = pytest.mark.django_db
FRIDAY = dt.date(2026, 11, 6)  # the first Friday of November 2026, a working day


@pytest.fixture
def world(two_streets, street, fixed_today):
    fixed_today(dt.date(2026, 11, 30))
    station = two_streets["station"]
    wang, li = make_deputy("王芳"), make_deputy("李强")
    for deputy in (wang, li):
        Membership.objects.create(station=station, deputy=deputy)
    schedule = ReceptionSchedule.objects.create(station=station, recurrence="monthly", week_of_month=1, weekday=4)
    schedule.duty_deputies.set([wang])
    schedule.save()
    deputy_user = role_user("wang-fang", role_group_name(Role.DEPUTY))
    DeputyAccount.objects.create(deputy=wang, user=deputy_user)
    return {
        **two_streets,
        "wang": wang,
        "li": li,
        "schedule": schedule,
        "deputy_user": deputy_user,
        "staff": station_user(station),
        "secretary": street_user(street),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
    }


def test_a_reception_confirmed_twice_counts_once(world):
    first = confirm_attendance(world["schedule"], FRIDAY, world["wang"], world["staff"])
    again = confirm_attendance(world["schedule"], FRIDAY, world["wang"], world["deputy_user"])
    assert again.pk == first.pk and DutyAttendance.objects.count() == 1
    record = DutyRecord.objects.get()
    assert first.record == record
    assert (record.source, record.state, record.item.auto_source) == (
        RecordSource.AUTO,
        RecordState.VERIFIED,
        "reception",
    )
    assert record.participant_names() == "王芳（牵头）"
    assert yearly_points(2026)[world["wang"].pk].total == Decimal("2.0")  # 进站接待选民: 2 a time


def test_the_deputy_confirms_their_own_duty(world):
    attendance = confirm_attendance(world["schedule"], FRIDAY, world["wang"], world["deputy_user"])
    assert attendance.confirmed_by == world["deputy_user"] and attendance.record is not None


REFUSALS = {
    "a day still to come": ({"day": dt.date(2026, 12, 4)}, "还没有到"),
    "a day without that reception": ({"day": dt.date(2026, 11, 13)}, "没有这项接待安排"),
    "a deputy not on duty": ({"deputy": "li"}, "不是这次接待的值班代表"),
    "another street's committee": ({"user": "outsider"}, "您不能确认"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_confirmations_that_cannot_be_true_are_refused(world, case):
    change, message = REFUSALS[case]
    day = change.get("day", FRIDAY)
    deputy = world[change.get("deputy", "wang")]
    user = world[change.get("user", "staff")]
    with pytest.raises(RecordError, match=message):
        confirm_attendance(world["schedule"], day, deputy, user)
    assert not DutyAttendance.objects.exists() and not DutyRecord.objects.exists()


def test_an_opinion_received_and_followed_to_its_close_counts_twice_once_each(
    world, django_capture_on_commit_callbacks
):
    department = Department.objects.create(name="区城管局")
    handler = role_user("cgj", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    with django_capture_on_commit_callbacks(execute=True):
        opinion = new_opinion(
            world["station"], channel=Channel.WALK_IN, received_by_deputy=world["wang"], received_on=FRIDAY
        )
    received = DutyRecord.objects.get(auto_key=f"opinion_received:{opinion.pk}")
    assert received.date == FRIDAY and opinion.receipt_no in received.text
    assert "张三丰" not in received.text and "1381234" not in received.text  # no personal data

    with django_capture_on_commit_callbacks(execute=True):
        opinion = replied(opinion, world["staff"], handler, department)
        opinion = opinions.perform(opinion, "evaluate", capacity=opinions.CITIZEN, rating="satisfied")
        opinion = opinions.perform(opinion, "close", user=world["secretary"])
        opinion.save()  # saved again after closing: still one record
    closed = DutyRecord.objects.get(auto_key=f"opinion_closed:{opinion.pk}")
    assert closed.item.auto_source == "opinion_closed" and closed.participant_names() == "王芳（牵头）"
    assert DutyRecord.objects.count() == 2


def test_an_opinion_without_a_receiving_deputy_makes_no_record(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        new_opinion(world["station"])
    assert not DutyRecord.objects.exists()
