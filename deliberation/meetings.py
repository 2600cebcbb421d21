"""居民议事 on the one process mechanism (`workflows.process`).

A meeting (议事会):

    已安排 planned ──召开并记录（参会人员、会议纪要）──▶ 已召开 held ──办结（议定事项全部落实）──▶ 已办结 closed
       │  └─改期 (side)                                  └─记录议定事项 (side)
       └──取消（说明原因）──▶ 已取消 cancelled

A resolution (议定事项):

    待落实 open ──确认落实──▶ 已落实 done
       ├─记录进展 (side)
       └─转为意见交办 (side): an opinion (channel 居民议事) accepted and assigned to a department

Who runs a meeting and its resolutions (RUNNER): the staff of its station (and of the station
above a contact point), its street committee, the district admin — the same people who
moderate a discussion topic at the station (`duties.topics`). The auditor and editors read.

Residents take part by count only: no resident's name is stored. The minutes and the "others"
line are internal; the public page shows the public summary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from base.roles import Roles, roles_of
from content.models import Deputy, StationPage
from content.scoping import station_work_q, stations_for
from deliberation.models import (
    RESOLUTION_DEADLINE,
    DeliberationAction,
    Meeting,
    MeetingState,
    Progress,
    Resolution,
    ResolutionState,
)
from duties.topics import TOPICS
from workflows import opinions
from workflows.intake import IntakeError, Submission, submit
from workflows.models import Category, Channel, Department
from workflows.process import (
    REFUSAL,
    SIDE,
    Process,
    Todo,
    Transition,
    TransitionError,
    TransitionForm,
    required,
)

M, R = MeetingState, ResolutionState
RUNNER = "runner"
DUE_MESSAGE = "请填写跟进期限（议定事项须有落实日期）。"
CHANNEL_CONTACT = "居民议事"  # the opinion's "citizen": the station's staff are the contact


class DeliberationError(TransitionError):
    """Refused, with the reason in Chinese; nothing is stored."""


def _required(value, message: str):
    """`workflows.process.required`, refusing with a DeliberationError."""
    try:
        return required(value, message)
    except TransitionError:
        raise DeliberationError(message) from None


def meeting_capacities(roles: Roles) -> dict[str, Q]:
    return {RUNNER: station_work_q(roles)}


def resolution_capacities(roles: Roles) -> dict[str, Q]:
    return {RUNNER: station_work_q(roles, "meeting__")}


# --- Scheduling a meeting ------------------------------------------------------------------------


@dataclass
class Plan:
    """What the staff fill in to schedule a meeting."""

    station: StationPage
    title: str
    date: dt.date
    place: str
    description: str = ""
    opinion: object | None = None
    topic: object | None = None


def schedule(plan: Plan, *, user) -> Meeting:
    """A new planned meeting, audited; DeliberationError says why not."""
    title = (plan.title or "").strip()
    if not title:
        raise DeliberationError("请填写议题。")
    if len(title) > 60:
        raise DeliberationError("议题不能超过 60 字。")
    if plan.date is None:
        raise DeliberationError("请填写议事日期。")
    place = _required(plan.place, "请填写议事地点。")
    if plan.opinion is not None and plan.topic is not None:
        raise DeliberationError("议题来源只能选一个：群众意见或议题讨论。")
    if not runs_station(user, plan.station):
        raise DeliberationError(f"您不能为“{plan.station.title}”安排议事会。")
    for source, process, noun in ((plan.opinion, opinions.OPINIONS, "意见"), (plan.topic, TOPICS, "议题讨论")):
        if source is not None and not process.scope(type(source).objects.filter(pk=source.pk), user).exists():
            raise DeliberationError(f"该{noun}不在您的范围内，不能作为议题来源。")
    with transaction.atomic():
        meeting = Meeting(
            station=plan.station,
            title=title,
            description=(plan.description or "").strip(),
            date=plan.date,
            place=place[:120],
            opinion=plan.opinion,
            topic=plan.topic,
            created_by=user,
        )
        meeting._change_reason = "安排"
        meeting._history_user = user
        meeting.save()
        MEETINGS.created(meeting, user=user, station=plan.station.title)
    return meeting


def runs_station(user, station: StationPage) -> bool:
    """Whether `user` runs the meetings of `station`: the district admin; its street committee
    or its staff (not the district's readers, the editor and the auditor)."""
    roles = roles_of(user)
    if roles.is_district_admin:
        return True
    return not roles.district_wide and stations_for(roles).filter(pk=station.pk).exists()


def runnable_stations(user):
    """The stations whose meetings `user` runs (for the scheduling form)."""
    roles = roles_of(user)
    if roles.is_district_admin:
        return StationPage.objects.all()
    return StationPage.objects.none() if roles.district_wide else stations_for(roles)


# --- The meeting's transitions --------------------------------------------------------------------


class HoldForm(TransitionForm):
    """Who took part and what was said. Residents by count only: no names."""

    residents_count = forms.IntegerField(label="参会居民人数", min_value=0, max_value=10000)
    deputies = forms.ModelMultipleChoiceField(
        label="参会代表", queryset=Deputy.objects.order_by("name"), required=False
    )
    departments = forms.ModelMultipleChoiceField(
        label="参会部门", queryset=Department.objects.filter(is_active=True).order_by("name"), required=False
    )
    others = forms.CharField(label="其他参会人员", max_length=200, required=False, help_text="内部记录，不公开。")
    minutes = forms.CharField(
        label="会议纪要",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="内部记录，不公开。居民发言请勿写姓名、电话、门牌号。",
    )
    public_summary = forms.CharField(
        label="公开摘要",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="在站点页面公开，不得含居民个人信息。",
    )
    no_resolutions = forms.BooleanField(label="本次议事未形成议定事项", required=False)


class RescheduleForm(TransitionForm):
    date = forms.DateField(label="议事日期", widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label="议事地点", max_length=120)

    def initial_for(self, row):
        return {"date": row.date, "place": row.place}


class ReasonForm(TransitionForm):
    note = forms.CharField(label="原因", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(TransitionForm):
    """One resolution of the meeting: what, who follows it up, by when."""

    content = forms.CharField(label="议定事项", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    follow_up_by = forms.CharField(label="跟进人/责任单位", max_length=60)
    due_on = forms.DateField(
        label="跟进期限",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": DUE_MESSAGE},
    )


def _hold(meeting, *, residents_count=None, deputies=(), departments=(), others="", minutes="", **data):
    if meeting.date > timezone.localdate():
        raise DeliberationError(f"议事日期（{meeting.date:%Y-%m-%d}）还没到，召开后再记录。")
    if residents_count is None or int(residents_count) < 0:
        raise DeliberationError("请填写参会居民人数。")
    meeting.residents_count = int(residents_count)
    meeting.minutes = _required(minutes, "请填写会议纪要。")[:5000]
    meeting.others = (others or "").strip()[:200]
    meeting.public_summary = (data.get("public_summary") or "").strip()[:2000]
    meeting.no_resolutions = bool(data.get("no_resolutions"))
    meeting.deputies.set(list(deputies or ()))
    meeting.departments.set(list(departments or ()))
    return {
        "residents": meeting.residents_count,
        "deputies": len(deputies or ()),
        "departments": len(departments or ()),
    }


def _reschedule(meeting, *, date=None, place="", **_):
    if date is None:
        raise DeliberationError("请填写议事日期。")
    meeting.date = date
    meeting.place = _required(place, "请填写议事地点。")[:120]
    return {"date": date.isoformat(), "place": meeting.place}


def _cancel(meeting, *, note="", **_):
    meeting.cancel_reason = _required(note, "请说明取消的原因。")[:200]


def _resolve(meeting, *, user=None, content="", follow_up_by="", due_on=None, **_):
    resolution = add_resolution(meeting, user=user, content=content, follow_up_by=follow_up_by, due_on=due_on)
    return {"resolution": resolution.pk, "due_on": resolution.due_on.isoformat()}


def _close(meeting, **_):
    resolutions = list(meeting.resolutions.values_list("state", flat=True))
    if not resolutions and not meeting.no_resolutions:
        raise DeliberationError("还没有记录议定事项：请先记录议定事项，或在召开时注明本次议事未形成议定事项。")
    waiting = resolutions.count(R.OPEN)
    if waiting:
        raise DeliberationError(f"还有 {waiting} 项议定事项没有落实，全部落实后才能办结。")
    return {"resolutions": len(resolutions)}


def add_resolution(meeting: Meeting, *, user, content: str, follow_up_by: str, due_on: dt.date | None) -> Resolution:
    """Store one resolution of a held meeting (called from its "记录议定事项" step, with the
    meeting locked); DeliberationError says why not, and then nothing is stored."""
    if meeting.state != M.HELD:
        raise DeliberationError(f"议事会当前状态为“{meeting.get_state_display()}”，不能记录议定事项。")
    if meeting.no_resolutions:
        raise DeliberationError("该议事会记录为未形成议定事项。")
    content = _required(content, "请填写议定事项。")
    follow_up_by = _required(follow_up_by, "请填写跟进人或责任单位。")
    if not due_on:
        raise DeliberationError(DUE_MESSAGE)
    if due_on < meeting.date:
        raise DeliberationError(f"跟进期限不能早于议事日期（{meeting.date:%Y-%m-%d}）。")
    resolution = Resolution(
        meeting=meeting, content=content[:300], follow_up_by=follow_up_by[:60], due_on=due_on, created_by=user
    )
    resolution._change_reason = "议定"
    resolution._history_user = user
    resolution.save()
    RESOLUTIONS.created(resolution, user=user, meeting=meeting.title)
    return resolution


def _meetings_due() -> Q:
    return Q(state=M.PLANNED, date__lte=timezone.localdate())


def _ready_to_close() -> Q:
    resolutions = Resolution.objects.filter(meeting=OuterRef("pk"))
    return (
        Q(state=M.HELD)
        & ~Q(Exists(resolutions.filter(state=R.OPEN)))
        & (Q(Exists(resolutions)) | Q(no_resolutions=True))
    )


MEETINGS = Process(
    model=Meeting,
    noun="议事会",
    capacities_of=meeting_capacities,
    transition_action=DeliberationAction.MEETING,
    created_action=DeliberationAction.SCHEDULED,
    created_summary="安排",
    lock_related=("station",),
    transitions=[
        Transition(
            "hold",
            "召开并记录",
            (M.PLANNED,),
            M.HELD,
            (RUNNER,),
            _hold,
            HoldForm,
            todos=(Todo("to_record", "已到会期待记录的议事会", when=_meetings_due),),
        ),
        Transition("resolve", "记录议定事项", (M.HELD,), None, (RUNNER,), _resolve, ResolveForm, kind=SIDE),
        Transition(
            "close",
            "办结",
            (M.HELD,),
            M.CLOSED,
            (RUNNER,),
            _close,
            todos=(Todo("to_close", "议定事项已全部落实待办结", when=_ready_to_close),),
        ),
        Transition("reschedule", "改期", (M.PLANNED,), None, (RUNNER,), _reschedule, RescheduleForm, kind=SIDE),
        Transition("cancel", "取消", (M.PLANNED,), M.CANCELLED, (RUNNER,), _cancel, ReasonForm, kind=REFUSAL),
    ],
)


# --- The resolution's transitions ----------------------------------------------------------------


class DoneForm(TransitionForm):
    note = forms.CharField(label="落实情况", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ProgressForm(TransitionForm):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(label="进展情况", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def initial_for(self, row):
        return {"date": timezone.localdate()}


class ToOpinionForm(TransitionForm):
    """The resolution sent on as an opinion, accepted and assigned to a department."""

    category = forms.ModelChoiceField(label="分类", queryset=Category.objects.all(), empty_label="请选择")
    department = forms.ModelChoiceField(
        label="承办单位", queryset=Department.objects.filter(is_active=True).order_by("name"), empty_label="请选择"
    )


def _done(resolution, *, note="", **_):
    resolution.done_note = _required(note, "请写明落实情况。")[:500]
    resolution.done_on = timezone.localdate()


def _progress(resolution, *, user=None, date=None, text="", **_):
    text = _required(text, "请写明进展情况。")
    today = timezone.localdate()
    date = date or today
    if date > today:
        raise DeliberationError("进展日期不能晚于今天。")
    Progress.objects.create(resolution=resolution, date=date, text=text[:500], recorded_by=user)
    return {"date": date.isoformat()}


def _to_opinion(resolution, *, user=None, category=None, department=None, **_):
    if resolution.opinion_id:
        raise DeliberationError(f"该议定事项已转为意见 {resolution.opinion.receipt_no}。")
    if category is None or department is None:
        raise DeliberationError("请选择分类和承办单位。")
    meeting = resolution.meeting
    station = meeting.station
    content = (
        f"{meeting.date:%Y年%m月%d日}{station.title}居民议事会（议题：{meeting.title}）议定：{resolution.content}"
        f"\n跟进人/责任单位：{resolution.follow_up_by}；跟进期限：{resolution.due_on:%Y-%m-%d}。"
    )
    try:
        opinion, _created = submit(
            Submission(
                station=station,
                category=category,
                title=resolution.content[:60],
                content=content[:2000],
                citizen_name=CHANNEL_CONTACT,
                citizen_phone="",
                channel=Channel.DELIBERATION,
                received_on=meeting.date,
                entered_by=user,
            )
        )
        opinion = opinions.perform(opinion, "accept", user=user)
        opinion = opinions.perform(opinion, "assign", user=user, department=department)
    except (IntakeError, TransitionError) as error:
        raise DeliberationError(str(error)) from None
    resolution.opinion = opinion
    return {"receipt_no": opinion.receipt_no, "department": department.name}


RESOLUTIONS = Process(
    model=Resolution,
    noun="议定事项",
    capacities_of=resolution_capacities,
    transition_action=DeliberationAction.RESOLUTION,
    created_action=DeliberationAction.RESOLVED,
    created_summary="议定",
    lock_related=("meeting", "meeting__station"),
    transitions=[
        Transition(
            "complete",
            "确认落实",
            (R.OPEN,),
            R.DONE,
            (RUNNER,),
            _done,
            DoneForm,
            todos=(Todo("to_follow", "待落实的议定事项", state=R.OPEN),),
        ),
        Transition("progress", "记录进展", (R.OPEN,), None, (RUNNER,), _progress, ProgressForm, kind=SIDE),
        Transition("to_opinion", "转为意见交办", (R.OPEN,), None, (RUNNER,), _to_opinion, ToOpinionForm, kind=SIDE),
    ],
    todos=(Todo("overdue", "已超期", when=RESOLUTION_DEADLINE.overdue_q, capacities=(RUNNER,), query="overdue=true"),),
)
