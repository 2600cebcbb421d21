"""The opinion loop (受理 → 交办 → 签收 → 答复 → 评价 → 办结), declared on `workflows.process`.

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

`OPINIONS` is the whole declaration; `perform`, `capacities`, `available` and
`TRANSITIONS` below are its parts under the names the rest of the code uses.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from base.calendar import WorkdayCalendar
from base.roles import HANDLE_DEPARTMENT, MANAGE_STATION, MANAGE_STREET, Roles
from content.models import StationPage, Street
from content.scoping import staffed_stations_for
from workflows import notifications
from workflows import opinion_forms as form
from workflows.models import (
    OPINION_DEADLINE,
    Department,
    Opinion,
    OpinionAction,
    OpinionReply,
    OpinionState,
    Outcome,
    Publication,
    Rating,
    SupervisionCase,
)
from workflows.process import (
    CITIZEN,
    EVERYTHING,
    NOTHING,
    REFUSAL,
    SIDE,
    SYSTEM,
    Branch,
    Conflict,
    NotAllowed,  # noqa: F401  (callers catch opinions.NotAllowed)
    Process,
    Todo,
    Transition,
    TransitionError,
    any_of,
    required,
)

S = OpinionState

# Capacities an actor can hold towards one opinion (besides CITIZEN and SYSTEM, who act
# without an account: whoever holds the receipt's rating link, and the scheduled sweeps).
STAFF = "staff"  # station staff of its station, its street committee, district admin: runs the queue
SUPERVISOR = "supervisor"  # its street committee or the district: supervises (督办)
HANDLER = "handler"  # a handler of the department it is assigned to
PUBLISHER = "publisher"  # an editor, its street committee or the district: approves publication


def opinion_capacities(roles: Roles) -> dict[str, Q]:
    """On which opinions a person holds each capacity.

    Each condition is on the opinion's own columns and names the granted ids, `street_id IN
    (9)`, and a kind of grant the person does not hold is left out (NOTHING) rather than
    written as an empty subquery: a street committee's listing is then `street_id = 9`, which
    the index (street, -created_at, -id) serves in order, instead of an OR of subqueries that
    made both databases read and sort every row of the street (PostgreSQL: every row of the
    table). The rows are the same as those of the subqueries `streets_for(roles)`,
    `Department.objects.handled_by(roles)`: the same grants, and an opinion's street and
    department are foreign keys (PROTECT), so an id granted on a row since deleted matches
    nothing either way. The stations below a staffed station are found by their page path,
    so that alternative stays a subquery (`content.scoping.staffed_stations_for`)."""
    if roles.is_district_admin:
        staff = supervisor = publisher = EVERYTHING
    else:
        staff = supervisor = NOTHING
        publisher = EVERYTHING if roles.is_editor else NOTHING
    if not roles.district_wide:
        street = _granted_q("street", roles, MANAGE_STREET, Street)
        stations = NOTHING
        if roles.granted_ids(MANAGE_STATION, StationPage):
            stations = Q(station__in=staffed_stations_for(roles).values("pk"))
        staff = any_of((street, stations))
        supervisor = publisher = street
    handler = _granted_q("department", roles, HANDLE_DEPARTMENT, Department)
    return {STAFF: staff, SUPERVISOR: supervisor, HANDLER: handler, PUBLISHER: publisher}


def _granted_q(field: str, roles: Roles, permission: str, model) -> Q:
    """Opinions whose `field` is a row the person holds `permission` on (NOTHING if none)."""
    if roles.superuser:  # every row: the grants are not read
        return Q(**{f"{field}__in": roles.granted(permission, model).values("pk")})
    ids = roles.granted_ids(permission, model)
    return Q(**{f"{field}__in": ids}) if ids else NOTHING


def rating_wait_days() -> int:
    return getattr(settings, "LIANLUO_RATING_WAIT_DAYS", 7)


def unrated_close_reason() -> str:
    """Why a reply nobody rated within the wait was closed (the sweep closes it)."""
    return f"答复后 {rating_wait_days()} 天未评价"


# --- What each transition does to the opinion (called with the row locked) -----------------


def _accept(o, *, category=None, **_):
    if category is not None:
        o.category = category


def _reject(o, *, reason="", **_):
    o.reject_reason = required(reason, "不予受理必须填写理由。")[:200]
    o.closed_at = timezone.now()
    _end_supervision(o)


def _mark_duplicate(o, *, original=None, **_):
    original = required(original, "请填写重复的原意见回执编号。")
    if original.pk == o.pk:
        raise TransitionError("不能标记为与自身重复。")
    o.duplicate_of = original
    o.closed_at = timezone.now()
    _end_supervision(o)
    return {"original": original.receipt_no}


def _escalate(o, *, note="", **_):
    parent = StationPage.objects.filter(pk=o.station.get_parent().pk).first()
    if parent is None:
        raise TransitionError("该站点已是最高一级，无法再上报。")
    required(note, "上报必须说明原因。")
    moved_from = o.station
    o.station = parent
    o.street_id = parent.street_id
    return {"from_station": moved_from.title, "to_station": parent.title}


def _assign(o, *, department=None, workdays=None, today=None, **_):
    department = required(department, "请选择承办单位。")
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
    text = required(text, "答复内容不能为空。")
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


def _after_rating(o) -> str:
    """An unsatisfied rating opened a new round (重办), whose rating is still empty."""
    return S.EVALUATED if o.rating else S.REOPENED


def _close(o, *, user=None, reason="", held=(), today=None, **_):
    if o.state == S.REPLIED:
        waited = (today or timezone.localdate()) - timezone.localtime(o.replied_at).date()
        if waited.days < rating_wait_days():
            raise TransitionError(f"答复后 {rating_wait_days()} 天内请等待群众评价，或先做回访。")
        reason = reason or unrated_close_reason()
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


def _request_publication(o, *, summary="", public_reply="", **_):
    if not o.publish_consent:
        raise TransitionError("群众未同意公开，不能公开。")
    if o.publication in (Publication.PENDING, Publication.APPROVED):
        raise Conflict("已在公开流程中。")
    o.public_summary = required(summary, "请填写公开摘要（不含个人信息）。")[:200]
    # The reply as the public reads it: the department's text with names, phone numbers
    # and addresses taken out. Public pages show this, never reply_text.
    public_reply = required(public_reply, "请填写公开答复（删去姓名、电话、门牌等个人信息）。")
    if len(public_reply) > form.PUBLIC_REPLY_MAX:
        raise TransitionError(f"公开答复不能超过 {form.PUBLIC_REPLY_MAX} 字。")
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


# --- The declaration ----------------------------------------------------------------------

STILL_OPEN = (S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.SIGNED, S.REPLIED, S.EVALUATED, S.REOPENED)
RESULT_STATES = (S.REPLIED, S.EVALUATED, S.CLOSED)  # a reply exists: it may be published

OPINIONS = Process(
    model=Opinion,
    noun="意见",
    capacities_of=opinion_capacities,
    transition_action=OpinionAction.TRANSITION,
    created_action=OpinionAction.SUBMITTED,
    on_created=notifications.submitted,
    lock_related=("station",),
    transitions=[
        Transition(
            "accept",
            "受理",
            (S.SUBMITTED,),
            S.ACCEPTED,
            (STAFF, SYSTEM),  # SYSTEM: a deputy's 直通车 item is accepted as it is raised
            _accept,
            form.AcceptForm,
            todos=(Todo("to_accept", "待受理", state=S.SUBMITTED),),
        ),
        Transition("reject", "不予受理", (S.SUBMITTED,), S.REJECTED, (STAFF,), _reject, form.RejectForm, kind=REFUSAL),
        Transition(
            "mark_duplicate",
            "标记重复",
            (S.SUBMITTED, S.ACCEPTED),
            S.DUPLICATE,
            (STAFF,),
            _mark_duplicate,
            form.DuplicateForm,
            kind=REFUSAL,
        ),
        Transition(
            "escalate",
            "上报",
            (S.SUBMITTED, S.ACCEPTED),
            None,  # same state, the parent station's queue
            (STAFF,),
            _escalate,
            form.EscalateForm,
            notify=notifications.escalated,
            kind=SIDE,
        ),
        Transition(
            "assign",
            "交办",
            (S.ACCEPTED, S.REOPENED),
            S.ASSIGNED,
            (STAFF, SYSTEM),  # SYSTEM: to the department the deputy chose (直通车)
            _assign,
            form.AssignForm,
            todos=(
                Todo("to_assign", "待交办", state=S.ACCEPTED),
                Todo("to_reassign", "重办待交办", state=S.REOPENED),
            ),
            notify=notifications.assigned,
        ),
        Transition(
            "sign",
            "签收",
            (S.ASSIGNED,),
            S.SIGNED,
            (HANDLER,),
            _sign,
            todos=(Todo("to_sign", "待签收", state=S.ASSIGNED),),
        ),
        Transition(
            "reply",
            "答复",
            (S.SIGNED,),
            S.REPLIED,
            (HANDLER,),
            _reply,
            form.ReplyForm,
            todos=(Todo("to_reply", "待答复", state=S.SIGNED),),
            notify=notifications.replied,
        ),
        Transition(
            "evaluate",
            "评价",
            (S.REPLIED,),
            Branch(_after_rating, among=(S.EVALUATED, S.REOPENED)),
            (CITIZEN, STAFF),
            _evaluate,
            form.EvaluateForm,
            notify=notifications.rated,
        ),
        Transition(
            "close",
            "办结",
            (S.EVALUATED, S.REPLIED),
            S.CLOSED,
            (STAFF, SYSTEM),
            _close,
            form.CloseForm,
            todos=(Todo("to_close", "已评价待办结", state=S.EVALUATED),),
        ),
        Transition(
            "supervise",
            "督办",
            STILL_OPEN,
            None,
            (SUPERVISOR, SYSTEM),  # the sweep supervises overdue items (超期督办)
            _supervise,
            form.SuperviseForm,
            notify=notifications.supervised,
            kind=SIDE,
        ),
        Transition(
            "request_publication",
            "申请公开",
            RESULT_STATES,
            None,
            (STAFF,),
            _request_publication,
            form.RequestPublicationForm,
            notify=notifications.publication_requested,
            kind=SIDE,
        ),
        Transition(
            "approve_publication",
            "批准公开",
            RESULT_STATES,
            None,
            (PUBLISHER,),
            _approve_publication,
            todos=(
                Todo("to_publish", "待审核公开", when=Q(publication=Publication.PENDING), query="publication=pending"),
            ),
        ),
        Transition(
            "refuse_publication",
            "不予公开",
            RESULT_STATES,
            None,
            (PUBLISHER,),
            _refuse_publication,
            form.RefusePublicationForm,
            kind=REFUSAL,
        ),
    ],
    # Overdue items: for those who handle them and those who must chase them.
    todos=(
        Todo("overdue", "已超期", when=OPINION_DEADLINE.overdue_q, capacities=(STAFF, HANDLER), query="overdue=true"),
    ),
)

TRANSITIONS = OPINIONS.by_name
perform = OPINIONS.perform
capacities = OPINIONS.capacities
available = OPINIONS.available
