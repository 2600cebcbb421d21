"""The opinion loop as one state machine (受理 → 交办 → 签收 → 答复 → 评价 → 办结).

Every change of an opinion's state goes through `perform()`: it checks the current state and
the actor's capacity for this opinion, runs in one transaction, locks the row and claims its
version (so when two people act at once exactly one wins and the other gets `Conflict`),
saves once (one django-simple-history row) and writes one audit record (who, when, from,
to, note). Notifications go out after the commit.

                       ┌──────────── 不予受理 rejected
    待受理 submitted ──┼──────────── 重复 duplicate
        │ 受理         │
        ▼              │  上报 escalate: same state, the parent station's queue
    已受理 accepted ───┘
        │ 交办 (承办单位 + 工作日期限)
        ▼
    已交办 assigned ──签收──▶ 已签收 signed ──答复──▶ 已答复 replied
        ▲                                                │ 评价 / 回访
        │ 交办                                            ▼
     重办 reopened ◀──── 不满意（新一轮 + 督办） ──── 已评价 evaluated
                                                          │ 办结
                                                          ▼
                                                    已办结 closed
    (已答复 with no rating after N days may be closed with that reason recorded)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from permissions import audit
from permissions.models import AuditEvent
from workflows.models import (
    Opinion,
    OpinionReply,
    OpinionState,
    Outcome,
    Publication,
    Rating,
    SupervisionCase,
)

S = OpinionState

# Capacities an actor can hold towards one opinion.
STAFF = "staff"  # station staff of its station, its street committee, district admin: runs the queue
SUPERVISOR = "supervisor"  # its street committee or the district: supervises (督办)
HANDLER = "handler"  # a handler of the department it is assigned to
CITIZEN = "citizen"  # whoever holds the receipt's rating link
PUBLISHER = "publisher"  # an editor, its street committee or the district: approves publication
SYSTEM = "system"  # scheduled sweeps


class TransitionError(Exception):
    """Refused, with a message in Chinese for the person who tried."""


class Conflict(TransitionError):
    """Someone else moved the opinion first."""


class NotAllowed(TransitionError):
    """The actor may not do this to this opinion."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    capacities: tuple[str, ...]


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("accept", "受理", (S.SUBMITTED,), (STAFF,)),
        Transition("reject", "不予受理", (S.SUBMITTED,), (STAFF,)),
        Transition("mark_duplicate", "标记重复", (S.SUBMITTED, S.ACCEPTED), (STAFF,)),
        Transition("escalate", "上报", (S.SUBMITTED, S.ACCEPTED), (STAFF,)),
        Transition("assign", "交办", (S.ACCEPTED, S.REOPENED), (STAFF,)),
        Transition("sign", "签收", (S.ASSIGNED,), (HANDLER,)),
        Transition("reply", "答复", (S.SIGNED,), (HANDLER,)),
        Transition("evaluate", "评价", (S.REPLIED,), (CITIZEN, STAFF)),
        Transition("close", "办结", (S.EVALUATED, S.REPLIED), (STAFF, SYSTEM)),
        Transition(
            "supervise",
            "督办",
            (S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.SIGNED, S.REPLIED, S.EVALUATED, S.REOPENED),
            (SUPERVISOR, SYSTEM),  # the sweep supervises overdue items (超期督办)
        ),
        Transition("request_publication", "申请公开", (S.REPLIED, S.EVALUATED, S.CLOSED), (STAFF,)),
        Transition("approve_publication", "批准公开", (S.REPLIED, S.EVALUATED, S.CLOSED), (PUBLISHER,)),
        Transition("refuse_publication", "不予公开", (S.REPLIED, S.EVALUATED, S.CLOSED), (PUBLISHER,)),
    )
}


def rating_wait_days() -> int:
    return getattr(settings, "LIANLUO_RATING_WAIT_DAYS", 7)


def capacities(user, opinion: Opinion) -> set[str]:
    """What `user` may do to `opinion`, derived from the same grants as every listing."""
    from permissions.roles import Role, role_group_name
    from permissions.scoping import departments_for, is_district_wide, stations_for, streets_for

    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    names = set(user.groups.values_list("name", flat=True))
    found = set()
    if user.is_superuser or role_group_name(Role.DISTRICT_ADMIN) in names:
        found |= {STAFF, SUPERVISOR, PUBLISHER}
    elif role_group_name(Role.EDITOR) in names:
        found.add(PUBLISHER)
    if not is_district_wide(user):
        if opinion.street_id and streets_for(user).filter(pk=opinion.street_id).exists():
            found |= {STAFF, SUPERVISOR, PUBLISHER}
        elif stations_for(user).filter(pk=opinion.station_id).exists():
            found.add(STAFF)
    if opinion.department_id and departments_for(user).filter(pk=opinion.department_id).exists():
        found.add(HANDLER)
    return found


def available(user, opinion: Opinion) -> list[Transition]:
    """The transitions `user` could perform on `opinion` now (for buttons)."""
    held = capacities(user, opinion)
    return [t for t in TRANSITIONS.values() if opinion.state in t.sources and held & set(t.capacities)]


def perform(
    opinion: Opinion | int,
    name: str,
    *,
    user=None,
    capacity: str | None = None,
    expected_version: int | None = None,
    note: str = "",
    **data,
) -> Opinion:
    """Run transition `name` on the opinion, or raise a TransitionError saying why not.

    `user` is the staff member acting; a citizen (rating link) or a sweep acts with
    `capacity=CITIZEN` / `capacity=SYSTEM` and no user. `expected_version` is the version
    the actor saw: if someone changed the opinion since, the attempt is a Conflict.
    """
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionError("没有这个操作。")
    pk = opinion.pk if isinstance(opinion, Opinion) else opinion
    with transaction.atomic():
        current = Opinion.objects.select_for_update().select_related("station").get(pk=pk)
        held = {capacity} if capacity in (CITIZEN, SYSTEM) and user is None else capacities(user, current)
        if not held:  # someone with no part in this opinion learns nothing about it, not even its state
            raise NotAllowed(f"您没有权限对该意见执行“{transition.label}”。")
        if expected_version is not None and current.version != expected_version:
            raise Conflict(f"该意见刚被他人处理（当前状态：{current.get_state_display()}），请刷新后再试。")
        if current.state not in transition.sources:
            raise Conflict(f"该意见当前状态为“{current.get_state_display()}”，不能{transition.label}。")
        if not held & set(transition.capacities):
            raise NotAllowed(f"您没有权限对该意见执行“{transition.label}”。")
        before = current.state
        extra = _APPLY[name](current, user=user, note=note, held=held, **data)
        # Claim the version: with the row lock this is redundant, without one it still
        # guarantees that of two concurrent attempts exactly one saves.
        claimed = Opinion.objects.filter(pk=pk, version=current.version).update(version=F("version") + 1)
        if not claimed:
            raise Conflict("该意见刚被他人处理，请刷新后再试。")
        current.version += 1
        current._change_reason = transition.label
        if user is not None:
            current._history_user = user
        current.save()
        # The history row this save wrote (the row is locked, so it is the newest): the
        # audit record names it, and the admin timeline pairs the two by it.
        history_id = current.history.order_by("-history_id").values_list("history_id", flat=True).first()
        audit.record(
            AuditEvent.Action.OPINION_TRANSITION,
            actor=user,
            obj=current,
            username="" if user else ("群众" if capacity == CITIZEN else "系统"),
            transition=name,
            from_state=before,
            to_state=current.state,
            note=note,
            history_id=history_id,
            **(extra or {}),
        )
        transaction.on_commit(lambda: _notify(current, name))
    return current


# --- What each transition does (called with the row locked) --------------------------------


def _required(value, message):
    if value in (None, "") or (isinstance(value, str) and not value.strip()):
        raise TransitionError(message)
    return value.strip() if isinstance(value, str) else value


def _accept(o, *, category=None, **_):
    if category is not None:
        o.category = category


def _reject(o, *, reason="", **_):
    o.reject_reason = _required(reason, "不予受理必须填写理由。")[:200]
    o.closed_at = timezone.now()
    _end_supervision(o)


def _mark_duplicate(o, *, original=None, **_):
    original = _required(original, "请填写重复的原意见回执编号。")
    if original.pk == o.pk:
        raise TransitionError("不能标记为与自身重复。")
    o.duplicate_of = original
    o.closed_at = timezone.now()
    _end_supervision(o)
    return {"original": original.receipt_no}


def _escalate(o, *, note="", **_):
    from content.models import StationPage

    parent = StationPage.objects.filter(pk=o.station.get_parent().pk).first()
    if parent is None:
        raise TransitionError("该站点已是最高一级，无法再上报。")
    _required(note, "上报必须说明原因。")
    moved_from = o.station
    o.station = parent
    o.street_id = parent.street_id
    return {"from_station": moved_from.title, "to_station": parent.title}


def _assign(o, *, department=None, workdays=None, today=None, **_):
    from workflows.workdays import WorkdayCalendar

    department = _required(department, "请选择承办单位。")
    if not department.is_active:
        raise TransitionError("该承办单位已停用。")
    days = int(workdays or o.category.deadline_workdays)
    if not 1 <= days <= 90:
        raise TransitionError("办理时限须在 1 到 90 个工作日之间。")
    start = today or timezone.localdate()
    calendar = WorkdayCalendar.load(start, start + dt.timedelta(days=days * 2 + 60))
    o.department = department
    o.assigned_at = timezone.now()
    o.deadline = calendar.add_workdays(start, days)
    o.signed_at = None
    o.reminded_at = None
    o.overdue_notified_at = None
    return {"department": department.name, "deadline": o.deadline.isoformat(), "workdays": days}


def _sign(o, **_):
    o.signed_at = timezone.now()


def _reply(o, *, user=None, outcome="", text="", **_):
    if outcome not in Outcome.values:
        raise TransitionError("请选择办理结果：已解决、部分解决或解释说明。")
    text = _required(text, "答复内容不能为空。")
    if len(text) > 4000:
        raise TransitionError("答复内容不能超过 4000 字。")
    o.outcome, o.reply_text, o.replied_at = outcome, text, timezone.now()
    reply = OpinionReply(
        opinion=o,
        round=o.round,
        department=o.department,
        outcome=outcome,
        text=text,
        replied_by=user,
        replied_at=o.replied_at,
    )
    if user is not None:
        reply._history_user = user
    reply.save()


def _evaluate(o, *, user=None, rating="", held=(), **_):
    if rating not in Rating.values:
        raise TransitionError("请选择：满意、基本满意或不满意。")
    by_visit = user is not None and CITIZEN not in held
    o.rating, o.rated_at, o.rating_by_visit = rating, timezone.now(), by_visit
    # Saved one by one (not a queryset update) so the reply's field history shows the rating.
    for reply in OpinionReply.objects.filter(opinion=o, round=o.round):
        reply.rating = rating
        if user is not None:
            reply._history_user = user
        reply.save(update_fields=["rating"])
    if rating != Rating.UNSATISFIED:
        o.state = S.EVALUATED
        return {"rating": rating, "return_visit": by_visit}
    # 不满意: a new round (重办) and a supervision case, in this same transaction; the
    # reply of the round just rated stays in OpinionReply.
    SupervisionCase.objects.create(opinion=o, round=o.round, reason=SupervisionCase.Reason.UNSATISFIED, opened_by=user)
    o.round += 1
    o.is_key = True
    o.signed_at = o.replied_at = None
    o.outcome, o.reply_text, o.rating = "", "", ""
    o.public_reply = ""  # it was made from the reply just rejected
    o.deadline = None
    withdrawn = o.publication in (Publication.PENDING, Publication.APPROVED)
    if withdrawn:
        # A published result whose reply the citizen rejected is no longer a result: it
        # leaves the station page and /results/ until the new round is published again.
        o.publication, o.published_at = Publication.NONE, None
    return {"rating": rating, "return_visit": by_visit, "new_round": o.round, "publication_withdrawn": withdrawn}


def _close(o, *, user=None, reason="", held=(), today=None, **_):
    if o.state == S.REPLIED:
        waited = (today or timezone.localdate()) - timezone.localtime(o.replied_at).date()
        if waited.days < rating_wait_days():
            raise TransitionError(f"答复后 {rating_wait_days()} 天内请等待群众评价，或先做回访。")
        reason = reason or f"答复后 {rating_wait_days()} 天未评价"
    o.close_reason = (reason or "").strip()[:200]
    o.closed_at = timezone.now()
    _end_supervision(o)
    return {"reason": o.close_reason}


def _supervise(o, *, user=None, note="", reason=SupervisionCase.Reason.KEY_ITEM, **_):
    if reason not in SupervisionCase.Reason.values:
        raise TransitionError("督办原因不正确。")
    SupervisionCase.objects.create(opinion=o, round=o.round, reason=reason, note=note[:200], opened_by=user)
    o.is_key = True
    o.reminded_at = timezone.now()
    return {"reason": reason}


def _end_supervision(o) -> None:
    """An opinion that leaves the loop ends its open supervision cases (saved one by one so
    each keeps a history row)."""
    now = timezone.now()
    for case in SupervisionCase.objects.filter(opinion=o, closed_at__isnull=True):
        case.closed_at = now
        case.save(update_fields=["closed_at"])


PUBLIC_REPLY_MAX = 4000  # as long as the reply it is made from


def _request_publication(o, *, summary="", public_reply="", **_):
    if not o.publish_consent:
        raise TransitionError("群众未同意公开，不能公开。")
    if o.publication in (Publication.PENDING, Publication.APPROVED):
        raise Conflict("已在公开流程中。")
    o.public_summary = _required(summary, "请填写公开摘要（不含个人信息）。")[:200]
    # The reply as the public reads it: the department's text with names, phone numbers
    # and addresses taken out. Public pages show this, never reply_text.
    public_reply = _required(public_reply, "请填写公开答复（删去姓名、电话、门牌等个人信息）。")
    if len(public_reply) > PUBLIC_REPLY_MAX:
        raise TransitionError(f"公开答复不能超过 {PUBLIC_REPLY_MAX} 字。")
    o.public_reply = public_reply
    o.publication = Publication.PENDING


def _approve_publication(o, **_):
    if o.publication != Publication.PENDING:
        raise Conflict("该意见没有待审核的公开申请。")
    if not o.public_reply.strip():  # a request made before public replies existed
        raise TransitionError("该申请没有公开答复，请不予公开后重新申请公开。")
    o.publication = Publication.APPROVED
    o.published_at = timezone.now()


def _refuse_publication(o, *, note="", **_):
    if o.publication != Publication.PENDING:
        raise Conflict("该意见没有待审核的公开申请。")
    o.publication = Publication.REFUSED


_TARGETS = {
    "accept": S.ACCEPTED,
    "reject": S.REJECTED,
    "mark_duplicate": S.DUPLICATE,
    "assign": S.ASSIGNED,
    "sign": S.SIGNED,
    "reply": S.REPLIED,
    "close": S.CLOSED,
}


def _with_target(name, apply):
    def run(o, **kwargs):
        extra = apply(o, **kwargs)
        if name in _TARGETS:
            o.state = _TARGETS[name]
        elif name == "evaluate" and o.state == S.REPLIED:
            o.state = S.REOPENED  # _evaluate set EVALUATED unless the rating was 不满意
        return extra

    return run


_APPLY = {
    name: _with_target(name, fn)
    for name, fn in {
        "accept": _accept,
        "reject": _reject,
        "mark_duplicate": _mark_duplicate,
        "escalate": _escalate,
        "assign": _assign,
        "sign": _sign,
        "reply": _reply,
        "evaluate": _evaluate,
        "close": _close,
        "supervise": _supervise,
        "request_publication": _request_publication,
        "approve_publication": _approve_publication,
        "refuse_publication": _refuse_publication,
    }.items()
}


def _notify(opinion: Opinion, name: str) -> None:
    from workflows import notifications

    notifications.after_transition(opinion, name)
