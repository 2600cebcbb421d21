"""Duty records (履职记录): how they are entered, and their verification, declared on
`workflows.process`.

    staff / platform ──登记──▶ 已核实 verified ──作废（说明理由）──▶ 已作废 void
    deputy ──自报──▶ 待核实 pending ──核实──▶ 已核实 verified
                        │  └──退回（说明理由）──▶ 已退回 returned ──修改后重新提交──▶ 待核实
                        └──────────撤回（代表本人，待核实或已退回时）──────────▶ 已撤回 withdrawn

Station staff and street committees record their own stations' activities, which count at
once; a deputy's self-report counts once the street committee of the station verifies it
(or the district admin does). Every entry and every step leaves an audit record and a
history row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django import forms
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from base.roles import Roles, roles_of
from content.models import Deputy, Membership, StationPage
from content.scoping import staffed_stations_for, streets_for
from duties.models import (
    DutyItem,
    DutyParticipant,
    DutyRecord,
    DutyRecordPhoto,
    ParticipantRole,
    RecordAction,
    RecordSource,
    RecordState,
)
from workflows.intake import MAX_PHOTOS, IntakeError, clean_photo
from workflows.process import (
    NOTHING,
    REFUSAL,
    SIDE,
    Process,
    Todo,
    Transition,
    TransitionError,
    TransitionForm,
    required,
)

S = RecordState
VERIFIER = "verifier"  # the street committee of the record's street; the district admin everywhere
RECORDER = "recorder"  # staff of the record's station
REPORTER = "reporter"  # a deputy taking part in the record


class RecordError(TransitionError):
    """A record refused, with the reason in Chinese; nothing is stored."""


def deputy_of(user) -> Deputy | None:
    """The deputy whose account this is (代表e站), if any."""
    if user is None or not user.is_authenticated:
        return None
    return Deputy.objects.filter(account_link__user=user).first()


def record_capacities(roles: Roles) -> dict[str, Q]:
    if roles.district_wide:
        everywhere = Q() if roles.is_district_admin else NOTHING
        return {VERIFIER: everywhere, RECORDER: everywhere, REPORTER: NOTHING}
    own = DutyParticipant.objects.filter(deputy__account_link__user=roles.user).values("record_id")
    return {
        VERIFIER: Q(street__in=streets_for(roles).values("pk")),
        RECORDER: Q(station__in=staffed_stations_for(roles).values("pk")),
        REPORTER: Q(pk__in=own),
    }


def stations_to_record_for(user):
    """The stations whose activities this person may record as staff."""
    roles = roles_of(user)
    if roles.is_district_admin:
        return StationPage.objects.all()
    if roles.district_wide:
        return StationPage.objects.none()
    return StationPage.objects.filter(
        Q(street__in=streets_for(roles).values("pk")) | Q(pk__in=staffed_stations_for(roles).values("pk"))
    )


# --- Entering a record -----------------------------------------------------------------------


@dataclass
class Entry:
    """What someone enters: one activity, its lead and co-participants."""

    item: DutyItem
    date: dt.date
    station: StationPage
    text: str
    lead: Deputy
    others: Iterable[Deputy] = ()
    photos: list = field(default_factory=list)  # uploaded files: the same checks as opinions' photos


def check(entry: Entry, source: str, today: dt.date | None = None) -> list[Deputy]:
    """The entry's deputies, lead first, or RecordError saying what is wrong with it."""
    today = today or timezone.localdate()
    if entry.date > today:
        raise RecordError(f"履职日期 {entry.date:%Y-%m-%d} 晚于今天，不能登记尚未发生的活动。")
    if entry.item.scheme.year != entry.date.year:
        raise RecordError(
            f"{entry.date.year}年的积分办法中没有“{entry.item.name}”这一事项（它属于{entry.item.scheme.year}年的办法）。"
        )
    if source == RecordSource.SELF and not entry.item.self_reportable:
        raise RecordError(f"“{entry.item.name}”不能由代表自报，请联系所在街道人大工委登记。")
    if not (entry.text or "").strip():
        raise RecordError("请填写履职内容。")
    others = [d for d in dict.fromkeys(entry.others) if d.pk != entry.lead.pk]
    deputies = [entry.lead, *others]
    members = set(
        Membership.objects.current(on=entry.date)
        .filter(station=entry.station, deputy__in=deputies)
        .values_list("deputy_id", flat=True)
    )
    for deputy in deputies:
        if deputy.term_start and entry.date < deputy.term_start:
            raise RecordError(
                f"{deputy.name}本届任期自 {deputy.term_start:%Y-%m-%d} 开始，{entry.date:%Y-%m-%d} 的活动不能计入。"
            )
        if deputy.pk not in members:
            raise RecordError(
                f"{deputy.name} {entry.date:%Y-%m-%d} 不在“{entry.station.title}”驻站，不能登记为该站点的履职。"
            )
    return deputies


PHOTO_HELP = (
    f"最多 {MAX_PHOTOS} 张（签到表、活动现场），每张不超过 5 MB，支持 JPG、PNG、WebP；照片中的位置信息会被删除。"
)


def clean_photos(entry: Entry) -> list:
    """The entry's photos re-encoded without metadata, or RecordError (checked before
    anything is stored, like an opinion's photos)."""
    if len(entry.photos) > MAX_PHOTOS:
        raise RecordError(f"最多上传 {MAX_PHOTOS} 张照片。")
    try:
        return [clean_photo(upload) for upload in entry.photos]
    except IntakeError as error:
        raise RecordError(str(error)) from None


def _store(
    entry: Entry, deputies: list[Deputy], *, source: str, state: str, user, auto_key=None, photos=()
) -> DutyRecord:
    record = DutyRecord(
        item=entry.item,
        date=entry.date,
        station=entry.station,
        street_id=entry.station.street_id,
        text=entry.text.strip(),
        source=source,
        state=state,
        recorded_by=user,
        auto_key=auto_key,
        verified_at=timezone.now() if state == S.VERIFIED else None,
    )
    record._change_reason = RecordSource(source).label
    if user is not None:
        record._history_user = user
    record.save()
    for deputy in deputies:
        role = ParticipantRole.LEAD if deputy is deputies[0] else ParticipantRole.CO
        DutyParticipant.objects.create(record=record, deputy=deputy, role=role)
    for photo in photos:
        DutyRecordPhoto.objects.create(record=record, file=photo, width=photo.width, height=photo.height)
    DUTY_RECORDS.created(
        record,
        user=user,
        username="" if user else "系统",
        source=source,
        item=entry.item.name,
        deputies=[d.name for d in deputies],
    )
    return record


@transaction.atomic
def record_by_staff(entry: Entry, user, today: dt.date | None = None) -> DutyRecord:
    """An activity recorded by station staff, a street committee or the district admin for a
    station of theirs: it counts at once."""
    if not stations_to_record_for(user).filter(pk=entry.station.pk).exists():
        raise RecordError(f"您不能为“{entry.station.title}”登记履职记录。")
    deputies = check(entry, RecordSource.STAFF, today)
    photos = clean_photos(entry)
    return _store(entry, deputies, source=RecordSource.STAFF, state=S.VERIFIED, user=user, photos=photos)


@transaction.atomic
def report_by_deputy(entry: Entry, user, today: dt.date | None = None) -> DutyRecord:
    """A deputy's self-report (自报): the deputy leads it or takes part; it waits for the
    street committee's verification."""
    deputy = deputy_of(user)
    if deputy is None:
        raise RecordError("您的账号没有关联代表，不能自报履职。")
    deputies = check(entry, RecordSource.SELF, today)
    if deputy.pk not in {d.pk for d in deputies}:
        raise RecordError("自报的履职记录须包括您本人。")
    photos = clean_photos(entry)
    return _store(entry, deputies, source=RecordSource.SELF, state=S.PENDING, user=user, photos=photos)


def record_automatically(entry: Entry, auto_key: str) -> DutyRecord | None:
    """A record of something the platform knows (a confirmed reception duty, an opinion
    received or followed to its close). The same fact is recorded once: `auto_key` names it,
    and a second attempt returns None and stores nothing."""
    if DutyRecord.objects.filter(auto_key=auto_key).exists():
        return None
    deputies = check(entry, RecordSource.AUTO)
    try:
        with transaction.atomic():
            return _store(entry, deputies, source=RecordSource.AUTO, state=S.VERIFIED, user=None, auto_key=auto_key)
    except IntegrityError:  # recorded meanwhile by a concurrent attempt
        return None


# --- Transitions -----------------------------------------------------------------------------


class ReasonForm(TransitionForm):
    note = forms.CharField(label="理由", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class ResubmitForm(TransitionForm):
    text = forms.CharField(label="履职内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))

    def initial_for(self, row) -> dict:
        return {"text": row.text}


def _verify(record, **_):
    record.verified_at = timezone.now()
    record.reason = ""


def _return(record, *, note="", **_):
    record.reason = required(note, "请说明退回的理由。")[:200]


def _resubmit(record, *, text="", **_):
    record.text = required(text, "请填写履职内容。")


def _void(record, *, note="", **_):
    record.reason = required(note, "请说明作废的理由。")[:200]


DUTY_RECORDS = Process(
    model=DutyRecord,
    noun="履职记录",
    capacities_of=record_capacities,
    transition_action=RecordAction.TRANSITION,
    created_action=RecordAction.CREATED,
    created_summary="登记",
    transitions=[
        Transition(
            "verify",
            "核实",
            (S.PENDING,),
            S.VERIFIED,
            (VERIFIER,),
            _verify,
            todos=(Todo("to_verify", "待核实的履职记录", state=S.PENDING),),
        ),
        Transition("return", "退回", (S.PENDING,), S.RETURNED, (VERIFIER,), _return, ReasonForm, kind=REFUSAL),
        Transition(
            "resubmit",
            "重新提交",
            (S.RETURNED,),
            S.PENDING,
            (REPORTER,),
            _resubmit,
            ResubmitForm,
            todos=(Todo("returned", "被退回的履职自报", state=S.RETURNED),),
        ),
        Transition("withdraw", "撤回", (S.PENDING, S.RETURNED), S.WITHDRAWN, (REPORTER,), kind=SIDE),
        Transition("void", "作废", (S.VERIFIED,), S.VOID, (VERIFIER,), _void, ReasonForm, kind=REFUSAL),
    ],
)
