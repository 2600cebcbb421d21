"""The demo's residents' deliberation: the demo station holds a meeting held six weeks ago (its
topic from one of the station's opinions when one fits) with its resolutions done, followed
up, sent on as an opinion to the demo department and overdue, and a meeting planned for next
week; all made through the real process code, each step at its moment, once, and cleared by
the demo reset."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from django.urls import reverse
from django.utils import timezone

from base.models import AuditEvent
from base.roles import Role, role_group_name
from content.demo.reset import reset_district
from content.models import Membership
from deliberation.demo import ELEVATOR, NOISE_TITLE, PARKING, ensure_demo_deliberation
from deliberation.meetings import MEETINGS, RESOLUTIONS
from deliberation.models import DeliberationAction, Meeting, MeetingState, Progress, Resolution, ResolutionState
from tests.conftest import make_deputy, new_opinion, role_user, station_user
from workflows.models import Channel, Department, Opinion, OpinionState

pytestmark = pytest.mark.django_db
M, R = MeetingState, ResolutionState


@pytest.fixture
def demo(two_streets):
    station = two_streets["station"]
    deputy = make_deputy("王芳")
    Membership.objects.create(station=station, deputy=deputy)
    return {
        "station": station,
        "deputy": deputy,
        "staff": station_user(station),
        "office": role_user("district-office", role_group_name(Role.DISTRICT_ADMIN)),
        "department": Department.objects.create(name="区住房和城乡建设局"),
    }


def make(demo) -> int:
    return ensure_demo_deliberation(
        demo["station"], staff_user=demo["staff"], office_user=demo["office"], department=demo["department"]
    )


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Meeting, Resolution, Progress, Opinion))


def test_the_demo_station_holds_a_meeting_followed_up_and_one_planned_once(demo, client):
    today = timezone.localdate()
    # A citizen's opinion on parking at the station, two months ago: the meeting takes it up.
    two_months_ago = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=60), dt.time(9)))
    with time_machine.travel(two_months_ago, tick=False):
        source = new_opinion(demo["station"])
    assert make(demo) == 2

    held = Meeting.objects.get(state=M.HELD)
    assert held.station_id == demo["station"].pk and held.date == today - dt.timedelta(days=42)
    assert (held.opinion, held.title) == (source, source.title)
    assert held.residents_count == 21
    assert list(held.deputies.all()) == [demo["deputy"]] and list(held.departments.all()) == [demo["department"]]
    assert held.minutes and held.public_summary and "王芳代表" in held.public_summary
    planned = Meeting.objects.get(state=M.PLANNED)
    assert (planned.title, planned.date) == (NOISE_TITLE, today + dt.timedelta(days=7))

    # The four resolutions: done, followed up, sent on as an opinion, overdue.
    resolutions = list(held.resolutions.order_by("pk"))
    assert [r.content for r in resolutions] == [item.content for item in PARKING.resolutions]
    done, followed, sent, overdue = resolutions
    assert done.state == R.DONE and done.done_note and done.done_on < today
    assert followed.state == R.OPEN and followed.due_on == today + dt.timedelta(days=14)
    assert not followed.is_overdue() and followed.progress.count() == 3
    assert followed.progress.filter(recorded_by=demo["office"]).exists()
    assert overdue.state == R.OPEN and overdue.is_overdue()
    assert RESOLUTIONS.todo_counts(demo["staff"])["overdue"] == 1
    opinion = sent.opinion
    assert opinion is not None and opinion.deliberation_resolution == sent
    assert (opinion.state, opinion.department, opinion.channel) == (
        OpinionState.ASSIGNED,
        demo["department"],
        Channel.DELIBERATION,
    )
    assert opinion.station_id == demo["station"].pk and opinion.deadline >= today and not sent.is_overdue()

    # Each step at its moment, never later than now, by the staff (the admin asks after one).
    hold = AuditEvent.objects.get(action=DeliberationAction.MEETING, detail__transition="hold")
    assert timezone.localtime(hold.timestamp).date() == held.date and hold.actor_id == demo["staff"].pk
    assert held.history.order_by("history_date").first().history_date.date() < held.date
    steps = AuditEvent.objects.filter(action__in=[a.value for a in DeliberationAction]).order_by("timestamp", "pk")
    assert list(steps.values_list("pk", flat=True)) == sorted(steps.values_list("pk", flat=True))
    assert all(event.timestamp <= timezone.now() for event in steps)
    converted = AuditEvent.objects.get(action=DeliberationAction.RESOLUTION, detail__transition="to_opinion")
    assert timezone.localtime(converted.timestamp).date() == today - dt.timedelta(days=8)
    assert MEETINGS.todo_counts(demo["staff"])["to_record"] == 0

    # The public page shows the resolutions and the summary, not the minutes or the others line.
    page = client.get(reverse("deliberation_meeting", args=[held.pk])).content.decode()
    assert all(r.content in page for r in resolutions) and held.public_summary in page
    assert "已转为意见交办“区住房和城乡建设局”" in page and "已超期" in page
    assert held.minutes.splitlines()[0] not in page and held.others not in page
    assert NOISE_TITLE in client.get(reverse("deliberation_meeting", args=[planned.pk])).content.decode()

    # The staff's admin home lists the overdue resolution.
    client.force_login(demo["staff"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    overdue_link = reverse("deliberation_resolutions:index") + "?overdue=true"
    assert f'<a href="{overdue_link}">已超期</a>：<strong>1</strong>' in home

    # A second run adds nothing.
    before = counts()
    assert make(demo) == 0
    assert counts() == before

    # The demo reset clears the meetings (and the opinions they hold).
    reset_district(lambda *args: None)
    assert counts() == (0, 0, 0, 0)


def test_without_a_fitting_opinion_the_meeting_has_its_own_topic(demo):
    assert make(demo) == 2
    held = Meeting.objects.get(state=M.HELD)
    assert (held.title, held.opinion) == (ELEVATOR.title, None)
    assert held.resolutions.count() == 4 and held.resolutions.filter(state=R.DONE).count() == 1
    assert Opinion.objects.get().deliberation_resolution.meeting == held
