"""Duty records the platform makes from what it already knows (平台自动记录):

- a reception day a deputy was on duty for and whose attendance was confirmed (到岗确认);
- an opinion a deputy received at a reception day or forwarded (接待代表 on the opinion);
- an opinion that deputy followed through to 销号 (the opinion closed).

Each fact has one key (`auto_key`), so it is recorded once however often it is confirmed or
saved; each counts under the item of the year's scheme that names it as its `auto_source`.
When the year's scheme has no such item, or the deputy did not sit in the station that day,
nothing is recorded (the reason is logged) — the opinion or the attendance itself stands.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from content.models import Deputy, Membership, ReceptionSchedule
from content.reception import occurrences_between
from duties.models import AutoSource, DutyAttendance, DutyItem
from duties.records import Entry, RecordError, deputy_of, record_automatically, stations_to_record_for

log = logging.getLogger(__name__)


def item_for(source: str, year: int) -> DutyItem | None:
    return DutyItem.objects.select_related("scheme").filter(scheme__year=year, auto_source=source).first()


def _record(source: str, day: dt.date, station, text: str, deputy: Deputy, key: str):
    item = item_for(source, day.year)
    if item is None:
        log.info("no %s item in the %s scheme: %s not recorded", source, day.year, key)
        return None
    try:
        return record_automatically(Entry(item, day, station, text, deputy), key)
    except RecordError as error:
        log.info("%s not recorded: %s", key, error)
        return None


# --- Reception days ------------------------------------------------------------------------------


def may_confirm(user, schedule: ReceptionSchedule, deputy: Deputy) -> bool:
    """The deputy on duty themselves, or staff of the station (its street committee, its
    station staff, the district admin)."""
    own = deputy_of(user)
    if own is not None and own.pk == deputy.pk:
        return True
    return stations_to_record_for(user).filter(pk=schedule.station_id).exists()


def confirm_attendance(schedule: ReceptionSchedule, day: dt.date, deputy: Deputy, user) -> DutyAttendance:
    """Confirm that `deputy` attended the reception of `schedule` on `day`, and record the duty.

    Refused (RecordError, in Chinese) when the person may not confirm it, the day is still to
    come, the schedule has no reception that day, or the deputy was not on duty for it.
    Confirming again returns the first confirmation and records nothing more."""
    if not may_confirm(user, schedule, deputy):
        raise RecordError("您不能确认这次接待的到岗情况。")
    if day > timezone.localdate():
        raise RecordError(f"{day:%Y-%m-%d} 的接待还没有到，不能确认到岗。")
    if not any(o.date == day for o in occurrences_between([schedule], day, day)):
        raise RecordError(f"“{schedule.station.title}”{day:%Y-%m-%d} 没有这项接待安排。")
    if deputy.pk not in {d.pk for d in schedule.duty_deputies.all()}:
        raise RecordError(f"{deputy.name}不是这次接待的值班代表。")
    existing = DutyAttendance.objects.filter(schedule=schedule, date=day, deputy=deputy).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            attendance = DutyAttendance.objects.create(schedule=schedule, date=day, deputy=deputy, confirmed_by=user)
    except IntegrityError:  # confirmed meanwhile by someone else
        return DutyAttendance.objects.get(schedule=schedule, date=day, deputy=deputy)
    text = f"{schedule.station.title}接待日到岗接待（{schedule.start_time:%H:%M}–{schedule.end_time:%H:%M}）"
    key = f"reception:{schedule.pk}:{day:%Y%m%d}:{deputy.pk}"
    record = _record(AutoSource.RECEPTION, day, schedule.station, text, deputy, key)
    if record is not None:
        attendance.record = record
        attendance.save(update_fields=["record"])
    return attendance


# --- Opinions ------------------------------------------------------------------------------------


def opinion_received(opinion) -> None:
    """An opinion entered with the deputy who received it (来访、代表转交)."""
    if opinion.received_by_deputy_id is None:
        return
    day = opinion.received_on or timezone.localdate(opinion.created_at)
    text = f"收集群众意见 {opinion.receipt_no}（{opinion.category}）"
    _record(
        AutoSource.OPINION_RECEIVED,
        day,
        opinion.station,
        text,
        opinion.received_by_deputy,
        f"opinion_received:{opinion.pk}",
    )


def opinion_closed(opinion) -> None:
    """An opinion the deputy received has reached 销号: the deputy followed it to the end."""
    if opinion.received_by_deputy_id is None or opinion.closed_at is None:
        return
    text = f"跟踪群众意见 {opinion.receipt_no} 至办结销号"
    _record(
        AutoSource.OPINION_CLOSED,
        timezone.localdate(opinion.closed_at),
        opinion.station,
        text,
        opinion.received_by_deputy,
        f"opinion_closed:{opinion.pk}",
    )


# --- Livelihood projects (民生实事) ----------------------------------------------------------------


def first_seat(deputy: Deputy, day: dt.date):
    """The deputy's first live station that day, where a fact of theirs without a station of
    its own (a vote at the congress session, a project's inspection) is recorded."""
    seat = (
        Membership.objects.current(day)
        .filter(deputy=deputy, station__live=True)
        .select_related("station")
        .order_by("station__path")
        .first()
    )
    return seat.station if seat is not None else None


def livelihood_fact(source: str, day: dt.date, deputy: Deputy, text: str, key: str):
    """A deputy's part in the livelihood projects (signing in for the vote, an inspection of a
    chosen project), recorded once under the year's item that counts it, if there is one."""
    station = first_seat(deputy, day)
    if station is None:
        log.info("%s has no station on %s: %s not recorded", deputy, day, key)
        return None
    return _record(source, day, station, text, deputy, key)
