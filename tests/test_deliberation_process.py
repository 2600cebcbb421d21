"""居民议事: a station schedules a residents' deliberation meeting, records who took part and
what was resolved, follows each resolution up until it is done, and may send one on as an
opinion assigned to a department. Meetings and resolutions are declared on the one process
mechanism, so the generated contract (tests/process_contract.py) covers every transition,
button and to-do."""

from __future__ import annotations

import datetime as dt

import pytest

from django.urls import reverse

from base.models import AuditEvent
from base.roles import Role, department_group_name, role_group_name
from deliberation.meetings import (
    DUE_MESSAGE,
    MEETINGS,
    RESOLUTIONS,
    RUNNER,
    DeliberationError,
    Plan,
    schedule,
)
from deliberation.models import DeliberationAction, Meeting, MeetingState, Progress, Resolution, ResolutionState
from tests import process_contract as contract
from tests.conftest import make_deputy, new_opinion, role_user, station_user, street_user
from workflows import opinions
from workflows.models import Category, Channel, Department, Opinion, OpinionAction, OpinionState

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)
M, R = MeetingState, ResolutionState


@pytest.fixture
def world(two_streets, street, fixed_today):
    fixed_today(TODAY)
    return {
        **two_streets,
        "street": street,
        "staff": station_user(two_streets["station"]),
        "secretary": street_user(street),
        "outsider": street_user(two_streets["other_street"], "qingbo-secretary"),
        "staff_b": station_user(two_streets["other_station"], "qingbo-staff"),
        "department": Department.objects.create(name="区城管局"),
        "deputy": make_deputy("王芳"),
    }


def new_meeting(world, user=None, **overrides):
    fields = {
        "station": world["station"],
        "title": "东平巷夜间停车怎么管",
        "date": TODAY - dt.timedelta(days=1),
        "place": "东平巷社区议事厅",
        "description": "小区晚上车位不够，占道停车影响消防通道。",
    }
    return schedule(Plan(**(fields | overrides)), user=user or world["staff"])


def hold_data(world, **overrides):
    return {
        "residents_count": 23,
        "deputies": [world["deputy"]],
        "departments": [world["department"]],
        "others": "物业公司项目经理",
        "minutes": "居民围绕夜间停车发言，建议错时共享周边单位车位。",
        "public_summary": "23 位居民参加，议定错时共享车位。",
        **overrides,
    }


RESOLVED = {"content": "协调周边单位夜间错时共享车位", "follow_up_by": "东平巷社区居委会"}


def held(world, **overrides):
    return MEETINGS.perform(new_meeting(world), "hold", user=world["staff"], **hold_data(world, **overrides))


def resolve(world, meeting, **overrides):
    """A resolution of the held meeting, recorded through the meeting's side step."""
    data = {**RESOLVED, "due_on": TODAY + dt.timedelta(days=30), **overrides}
    MEETINGS.perform(meeting.pk, "resolve", user=world["staff"], **data)
    return Resolution.objects.filter(meeting_id=meeting.pk).latest("pk")


# --- The contract of both processes -------------------------------------------------------------


class MeetingDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(MEETINGS, "deliberation_meetings:inspect")
        self.world = world

    def bring(self, state):
        staff = self.world["staff"]
        meeting = new_meeting(self.world)
        if state in (M.HELD, M.CLOSED):
            meeting = MEETINGS.perform(meeting, "hold", user=staff, **hold_data(self.world))
            # Held, its one resolution done: ready to close, and open to further resolutions.
            RESOLUTIONS.perform(resolve(self.world, meeting), "complete", user=staff, note="已与两家单位签约。")
            meeting = Meeting.objects.get(pk=meeting.pk)
        if state == M.CLOSED:
            meeting = MEETINGS.perform(meeting, "close", user=staff)
        if state == M.CANCELLED:
            meeting = MEETINGS.perform(meeting, "cancel", user=staff, note="台风预警，改期另行通知。")
        assert meeting.state == state
        return meeting

    def actor(self, capacity):
        return self.world["staff"]

    def outsider(self):
        return self.world["outsider"]

    def data(self, transition, row):
        return {
            "hold": hold_data(self.world),
            "resolve": {**RESOLVED, "due_on": TODAY + dt.timedelta(days=10)},
            "reschedule": {"date": TODAY + dt.timedelta(days=7), "place": "东平巷小区凉亭"},
            "cancel": {"note": "台风预警。"},
        }.get(transition.name, {})


class ResolutionDriver(contract.Driver):
    def __init__(self, world):
        super().__init__(RESOLUTIONS, "deliberation_resolutions:inspect")
        self.world = world
        self.meeting = held(world)

    def bring(self, state):
        resolution = resolve(self.world, self.meeting)
        if state == R.DONE:
            resolution = RESOLUTIONS.perform(resolution, "complete", user=self.world["staff"], note="已落实。")
        assert resolution.state == state
        return resolution

    def actor(self, capacity):
        return self.world["staff"]

    def outsider(self):
        return self.world["outsider"]

    def data(self, transition, row):
        return {
            "complete": {"note": "已与两家单位签约，夜间开放 40 个车位。"},
            "progress": {"date": TODAY, "text": "已走访两家单位。"},
            "to_opinion": {"category": Category.objects.get(name="交通出行"), "department": self.world["department"]},
        }.get(transition.name, {})

    def waiting(self, todo, transition):
        resolution = self.bring(R.OPEN)
        if todo.key == "overdue":
            Resolution.objects.filter(pk=resolution.pk).update(due_on=TODAY - dt.timedelta(days=1))
        return resolution


CASES = contract.cases(MEETINGS, "meetings") + contract.cases(RESOLUTIONS, "resolutions")


@pytest.mark.parametrize(("check", "kind", "case"), CASES, ids=contract.case_ids(CASES))
def test_the_process_contract_holds_for_meetings_and_resolutions(world, client, check, kind, case):
    driver = MeetingDriver(world) if kind == "meetings" else ResolutionDriver(world)
    contract.run(driver, client, check, case, [RUNNER])


# --- Scheduling, holding, closing ---------------------------------------------------------------


def test_staff_schedule_a_meeting_in_the_admin_and_it_is_audited(client, world):
    client.force_login(world["staff"])
    response = client.post(
        reverse("deliberation_meetings:add"),
        {
            "station": world["station"].pk,
            "title": "加装电梯费用怎么分摊",
            "description": "",
            "opinion_receipt": "",
            "topic": "",
            "date": "2026-12-05",
            "place": "东平巷社区议事厅",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get()
    assert (meeting.state, meeting.street, meeting.created_by) == (M.PLANNED, world["street"], world["staff"])
    assert AuditEvent.objects.filter(action=DeliberationAction.SCHEDULED, object_id=str(meeting.pk)).count() == 1


def test_staff_cannot_schedule_at_another_streets_station(client, world):
    with pytest.raises(DeliberationError, match="您不能为“清波联络站”安排议事会"):
        new_meeting(world, station=world["other_station"])
    client.force_login(world["staff"])
    response = client.post(
        reverse("deliberation_meetings:add"),
        {"station": world["other_station"].pk, "title": "越权", "date": "2026-12-05", "place": "别处"},
    )
    assert response.status_code == 200
    assert "您只能为本人负责的站点安排议事会" in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_meeting_is_recorded_only_after_its_date_and_with_minutes(world):
    future = new_meeting(world, date=TODAY + dt.timedelta(days=3))
    with pytest.raises(DeliberationError, match="还没到"):
        MEETINGS.perform(future, "hold", user=world["staff"], **hold_data(world))
    meeting = new_meeting(world)
    with pytest.raises(DeliberationError, match="请填写会议纪要"):
        MEETINGS.perform(meeting, "hold", user=world["staff"], **hold_data(world, minutes=" "))
    assert Meeting.objects.get(pk=meeting.pk).state == M.PLANNED
    assert not Meeting.objects.get(pk=meeting.pk).deputies.exists()


def test_a_meeting_closes_only_when_every_resolution_is_done_or_none_was_made(world):
    staff = world["staff"]
    meeting = held(world)
    with pytest.raises(DeliberationError, match="还没有记录议定事项"):
        MEETINGS.perform(meeting.pk, "close", user=staff)
    first, second = resolve(world, meeting), resolve(world, meeting, content="楼道堆物清理")
    RESOLUTIONS.perform(first, "complete", user=staff, note="已落实。")
    with pytest.raises(DeliberationError, match="还有 1 项议定事项没有落实"):
        MEETINGS.perform(meeting.pk, "close", user=staff)
    RESOLUTIONS.perform(second, "complete", user=staff, note="已清理。")
    assert MEETINGS.perform(meeting.pk, "close", user=staff).state == M.CLOSED
    # A meeting recorded as resolving nothing closes at once, and takes no resolution.
    other = held(world, no_resolutions=True)
    with pytest.raises(DeliberationError, match="未形成议定事项"):
        resolve(world, other)
    assert MEETINGS.perform(other.pk, "close", user=staff).state == M.CLOSED


# --- A resolution needs its follow-up date ---------------------------------------------------------


def test_a_resolution_without_a_follow_up_date_is_refused_and_nothing_is_stored(client, world):
    meeting = held(world)
    audits = AuditEvent.objects.filter(action__startswith="deliberation_").count()
    with pytest.raises(DeliberationError, match=DUE_MESSAGE):
        MEETINGS.perform(meeting.pk, "resolve", user=world["staff"], **RESOLVED, due_on=None)
    # The same from the meeting's page in the admin.
    client.force_login(world["staff"])
    meeting = Meeting.objects.get(pk=meeting.pk)
    response = client.post(
        reverse("deliberation_meetings:act", args=[meeting.pk, "resolve"]),
        {"resolve-version": meeting.version, "resolve-content": RESOLVED["content"], "resolve-follow_up_by": "居委会"},
        follow=True,
    )
    assert DUE_MESSAGE in response.content.decode()
    assert not Resolution.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="deliberation_").count() == audits
    assert Meeting.objects.get(pk=meeting.pk).version == meeting.version


# --- A resolution becomes an opinion assigned to a department ------------------------------------


def test_a_resolution_becomes_an_opinion_assigned_to_the_department_with_the_link_kept(client, world):
    staff = world["staff"]
    meeting = held(world)
    resolution = resolve(world, meeting)
    client.force_login(staff)
    response = client.post(
        reverse("deliberation_resolutions:act", args=[resolution.pk, "to_opinion"]),
        {
            "to_opinion-version": resolution.version,
            "to_opinion-category": Category.objects.get(name="交通出行").pk,
            "to_opinion-department": world["department"].pk,
        },
        follow=True,
    )
    assert "已转为意见交办。" in response.content.decode()
    resolution.refresh_from_db()
    opinion = resolution.opinion
    assert opinion is not None and opinion.deliberation_resolution == resolution
    assert (opinion.state, opinion.department, opinion.channel) == (
        OpinionState.ASSIGNED,
        world["department"],
        Channel.DELIBERATION,
    )
    assert opinion.station_id == world["station"].pk and opinion.deadline is not None
    assert opinion.citizen_phone == "" and "东平巷夜间停车怎么管" in opinion.content
    # The audit trail: the opinion's intake, acceptance and assignment by the staff member, and
    # the resolution's step naming the opinion.
    steps = list(
        AuditEvent.objects.filter(object_type="workflows.Opinion", object_id=str(opinion.pk))
        .order_by("pk")
        .values_list("action", "detail__transition", "actor")
    )
    assert steps == [
        (OpinionAction.SUBMITTED, None, staff.pk),
        (OpinionAction.TRANSITION, "accept", staff.pk),
        (OpinionAction.TRANSITION, "assign", staff.pk),
    ]
    event = AuditEvent.objects.get(action=DeliberationAction.RESOLUTION, detail__transition="to_opinion")
    assert (event.detail["receipt_no"], event.detail["department"]) == (opinion.receipt_no, "区城管局")
    # Both admin pages link to each other's side: the resolution and meeting to the opinion.
    page = client.get(reverse("deliberation_resolutions:inspect", args=[resolution.pk])).content.decode()
    assert reverse("opinions:inspect", args=[opinion.pk]) in page and opinion.receipt_no in page
    page = client.get(reverse("deliberation_meetings:inspect", args=[meeting.pk])).content.decode()
    assert reverse("opinions:inspect", args=[opinion.pk]) in page
    # Sent on once only.
    with pytest.raises(DeliberationError, match=f"已转为意见 {opinion.receipt_no}"):
        RESOLUTIONS.perform(
            resolution.pk, "to_opinion", user=staff, category=opinion.category, department=opinion.department
        )
    assert Opinion.objects.count() == 1
    # The public page of the meeting shows the resolution's progress and the opinion's state.
    RESOLUTIONS.perform(resolution.pk, "progress", user=staff, date=TODAY, text="区城管局已到现场查看。")
    public = client.get(reverse("deliberation_meeting", args=[meeting.pk])).content.decode()
    assert "已转为意见交办“区城管局”，办理状态：已交办" in public
    assert "区城管局已到现场查看。" in public
    assert Progress.objects.get().recorded_by == staff


def test_the_department_handles_the_opinion_like_any_other(world):
    """The opinion is in the department's queue: its handler signs for it."""
    handler = role_user(
        "cg-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(world["department"])
    )
    resolution = resolve(world, held(world))
    RESOLUTIONS.perform(
        resolution, "to_opinion", user=world["staff"], category=Category.objects.first(), department=world["department"]
    )
    opinion = Resolution.objects.get(pk=resolution.pk).opinion
    assert opinions.perform(opinion, "sign", user=handler).state == OpinionState.SIGNED


# --- Overdue resolutions on the admin home ------------------------------------------------------------


def test_an_overdue_resolution_shows_in_its_stations_to_do_and_not_another_streets(client, world):
    resolution = resolve(world, held(world), due_on=TODAY)
    assert RESOLUTIONS.todo_counts(world["staff"])["overdue"] == 0
    Resolution.objects.filter(pk=resolution.pk).update(due_on=TODAY - dt.timedelta(days=1))
    for user, count in ((world["staff"], 1), (world["secretary"], 1), (world["staff_b"], 0), (world["outsider"], 0)):
        assert RESOLUTIONS.todo_counts(user)["overdue"] == count, user
    client.force_login(world["staff"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    overdue_link = reverse("deliberation_resolutions:index") + "?overdue=true"
    assert f'<a href="{overdue_link}">已超期</a>：<strong>1</strong>' in home
    listing = client.get(overdue_link).content.decode()
    assert RESOLVED["content"] in listing
    client.force_login(world["staff_b"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert overdue_link not in home


# --- Another station's staff -----------------------------------------------------------------------


def test_station_b_staff_neither_see_nor_act_on_station_as_meeting(client, world):
    meeting = held(world)
    resolution = resolve(world, meeting)
    client.force_login(world["staff_b"])
    for url in (
        reverse("deliberation_meetings:inspect", args=[meeting.pk]),
        reverse("deliberation_meetings:history", args=[meeting.pk]),
        reverse("deliberation_resolutions:inspect", args=[resolution.pk]),
    ):
        assert client.get(url).status_code == 404, url
    before = (Meeting.objects.get(pk=meeting.pk).version, Resolution.objects.get(pk=resolution.pk).version)
    for url, data in (
        (reverse("deliberation_meetings:act", args=[meeting.pk, "resolve"]), {"resolve-version": meeting.version}),
        (reverse("deliberation_resolutions:act", args=[resolution.pk, "complete"]), {"complete-note": "越权"}),
    ):
        assert client.post(url, data).status_code in (403, 404), url
    after = (Meeting.objects.get(pk=meeting.pk).version, Resolution.objects.get(pk=resolution.pk).version)
    assert before == after
    for url in (reverse("deliberation_meetings:index"), reverse("deliberation_resolutions:index")):
        response = client.get(url)
        assert response.status_code == 200
        assert "东平巷夜间停车怎么管" not in response.content.decode()
        assert RESOLVED["content"] not in response.content.decode()


def test_the_auditor_reads_but_changes_nothing_and_a_handler_sees_no_meetings(client, world):
    meeting = held(world)
    auditor = role_user("auditor", role_group_name(Role.AUDITOR))
    client.force_login(auditor)
    page = client.get(reverse("deliberation_meetings:inspect", args=[meeting.pk]))
    assert page.status_code == 200 and "data-transition" not in page.content.decode()
    response = client.post(
        reverse("deliberation_meetings:act", args=[meeting.pk, "cancel"]),
        {"cancel-version": meeting.version, "cancel-note": "x"},
    )
    assert response.status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).state == M.HELD
    handler = role_user(
        "cg-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(world["department"])
    )
    client.force_login(handler)
    assert client.get(reverse("deliberation_meetings:index")).status_code in (302, 403)
    assert client.get(reverse("deliberation_meetings:inspect", args=[meeting.pk])).status_code in (302, 403, 404)


def test_a_meeting_takes_its_topic_from_an_opinion_of_the_staffs_own_station(client, world):
    own = new_opinion(world["station"], title="东平巷夜间停车难")
    elsewhere = new_opinion(world["other_station"], title="清波街噪音")
    client.force_login(world["staff"])
    form = {"station": world["station"].pk, "title": "夜间停车", "date": "2026-12-05", "place": "议事厅", "topic": ""}
    response = client.post(reverse("deliberation_meetings:add"), {**form, "opinion_receipt": elsewhere.receipt_no})
    assert "找不到该回执编号的意见（或不在您的范围内）" in response.content.decode()
    assert not Meeting.objects.exists()
    with pytest.raises(DeliberationError, match="该意见不在您的范围内"):
        new_meeting(world, opinion=elsewhere)
    response = client.post(reverse("deliberation_meetings:add"), {**form, "opinion_receipt": own.receipt_no})
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.opinion == own
    page = client.get(reverse("deliberation_meetings:inspect", args=[meeting.pk])).content.decode()
    assert f"群众意见 {own.receipt_no}" in page
