"""Drafting, co-signing and pre-review of deputy suggestions, declared on `workflows.process`.

    lead deputy ──起草──▶ 草稿 draft ──提交预审（附议代表都已确认）──▶ 待预审 review
                                                                       │
        退回修改 returned ◀──退回（写明意见）── 代表工委 ──受理立案──▶ 已立案 filed（编号）
              └──修改后再次提交预审──▶ 待预审              └──转为批评和意见（写明理由）──▶ 已立案
    lead deputy ──撤回（草稿、待预审、退回修改时）──▶ 已撤回 withdrawn

Co-signers (附议代表) are rows of their own with their own small process: each confirms
(确认附议) or declines (不附议) in their own 代表e站; the lead cannot submit while anyone
is still to answer. Changing a draft's text asks the co-signers again (the platform moves
their answers back to 待确认), so nobody has co-signed a text they have not seen.

Each submission keeps the text as submitted in a `ReviewRound`, so every round of
pre-review can be compared with the one before. Filing numbers the suggestion in its year's
series of its kind (大会期间 / 闭会期间), one number per suggestion, never two the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from base.roles import Roles
from content.models import Deputy
from duties.models import DiscussionTopic
from suggestions.models import (
    AssignmentRole,
    AssignmentState,
    CoSigner,
    CosignState,
    ReviewDecision,
    ReviewRound,
    Suggestion,
    SuggestionAction,
    SuggestionAssignment,
    SuggestionKind,
    SuggestionState,
    SuggestionType,
)
from workflows.models import Category, Department, Opinion
from workflows.process import (
    NOTHING,
    REFUSAL,
    SIDE,
    SYSTEM,
    Process,
    Todo,
    Transition,
    TransitionError,
    TransitionForm,
    required,
)

S, C = SuggestionState, CosignState
AUTHOR = "author"  # the lead deputy
COSIGNER = "cosigner"  # a deputy asked to co-sign (reads the suggestion)
OFFICE = "office"  # the standing committee's liaison office (代表工委): the district admin role
HANDLING = "handling"  # a handler of a department assigned to it (主办 or 协办), not released
LEAD_HANDLER = "lead_handler"  # a handler of its lead department (主办), not released


class SuggestionError(TransitionError):
    """A suggestion refused, with the reason in Chinese; nothing is stored."""


def _own(roles: Roles, path: str) -> Q:
    return NOTHING if roles.district_wide else Q(**{f"{path}account_link__user": roles.user})


def suggestion_capacities(roles: Roles) -> dict[str, Q]:
    cosigned = CoSigner.objects.filter(deputy__account_link__user=roles.user).values("suggestion_id")
    handled = SuggestionAssignment.objects.filter(
        department__in=Department.objects.handled_by(roles).values("pk")
    ).exclude(state=AssignmentState.RELEASED)
    return {
        AUTHOR: _own(roles, "lead__"),
        COSIGNER: NOTHING if roles.district_wide else Q(pk__in=cosigned),
        OFFICE: Q() if roles.is_district_admin else NOTHING,
        HANDLING: Q(pk__in=handled.values("suggestion_id")),
        LEAD_HANDLER: Q(pk__in=handled.filter(role=AssignmentRole.LEAD).values("suggestion_id")),
    }


def cosigner_capacities(roles: Roles) -> dict[str, Q]:
    return {COSIGNER: _own(roles, "deputy__"), OFFICE: Q() if roles.is_district_admin else NOTHING}


# --- Writing a draft ------------------------------------------------------------------------------


@dataclass
class Draft:
    """What the lead deputy writes."""

    kind: str
    title: str
    category: Category
    problem: str
    measures: str
    cosigners: Iterable[Deputy] = ()
    source_opinion: Opinion | None = None
    source_topic: DiscussionTopic | None = None


def check_draft(lead: Deputy, draft: Draft) -> list[Deputy]:
    """The draft's co-signers, or SuggestionError naming every problem."""
    errors = []
    if draft.kind not in SuggestionKind.values:
        errors.append("请选择大会期间或闭会期间。")
    title = (draft.title or "").strip()
    if len(title) < 4:
        errors.append("请填写标题（至少 4 个字）。")
    elif len(title) > 80:
        errors.append("标题不能超过 80 字。")
    if len((draft.problem or "").strip()) < 20:
        errors.append("请把问题和理由写清楚（至少 20 个字）。")
    if len((draft.measures or "").strip()) < 10:
        errors.append("请写出具体的建议措施（至少 10 个字）。")
    if draft.category is None:
        errors.append("请选择分类。")
    if not lead.is_active:
        errors.append(f"{lead.name}不是在任代表，不能领衔提出建议。")
    cosigners = list(dict.fromkeys(draft.cosigners))
    for deputy in cosigners:
        if deputy.pk == lead.pk:
            errors.append("领衔代表不必再附议。")
        elif not deputy.is_active:
            errors.append(f"{deputy.name}不是在任代表，不能附议。")
    opinion = draft.source_opinion
    if opinion is not None and lead.pk not in (opinion.received_by_deputy_id, opinion.originator_id):
        errors.append("只能从您本人接待收集的意见或您的直通车事项起草建议。")
    topic = draft.source_topic
    if topic is not None and topic.deputy_id != lead.pk:
        errors.append("只能从您本人发起的议题起草建议。")
    if errors:
        raise SuggestionError(" ".join(errors))
    return [d for d in cosigners if d.pk != lead.pk]


@transaction.atomic
def start_draft(lead: Deputy, user, draft: Draft) -> Suggestion:
    """A new draft by `lead`, with its co-signers asked; SuggestionError says why not."""
    cosigners = check_draft(lead, draft)
    suggestion = Suggestion(
        year=timezone.localdate().year,
        kind=draft.kind,
        title=draft.title.strip(),
        category=draft.category,
        problem=draft.problem.strip(),
        measures=draft.measures.strip(),
        lead=lead,
        source_opinion=draft.source_opinion,
        source_topic=draft.source_topic,
    )
    suggestion._change_reason = "起草"
    suggestion._history_user = user
    suggestion.save()
    for deputy in cosigners:
        CoSigner.objects.create(suggestion=suggestion, deputy=deputy)
    SUGGESTIONS.created(suggestion, user=user, cosigners=[d.name for d in cosigners])
    return suggestion


TEXT_FIELDS = ("kind", "title", "category_id", "problem", "measures")


@transaction.atomic
def revise(suggestion: Suggestion, user, draft: Draft) -> Suggestion:
    """The lead's changes to a draft (or to a suggestion returned by pre-review).

    In a draft, co-signers may be added or removed, and a changed text asks those who have
    already answered again; after a return only the text changes (the co-signers stand).
    """
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if AUTHOR not in SUGGESTIONS.capacities(user, suggestion):
        raise SuggestionError("只有领衔代表可以修改建议。")
    if suggestion.state not in (S.DRAFT, S.RETURNED):
        raise SuggestionError(f"该建议当前状态为“{suggestion.get_state_display()}”，不能修改。")
    cosigners = check_draft(suggestion.lead, draft)
    before = {name: getattr(suggestion, name) for name in TEXT_FIELDS}
    suggestion.kind, suggestion.title, suggestion.category = draft.kind, draft.title.strip(), draft.category
    suggestion.problem, suggestion.measures = draft.problem.strip(), draft.measures.strip()
    changed = before != {name: getattr(suggestion, name) for name in TEXT_FIELDS}
    if suggestion.state == S.DRAFT:
        wanted = {d.pk for d in cosigners}
        current = {row.deputy_id: row for row in suggestion.cosigners.all()}
        for deputy_id, row in current.items():
            if deputy_id not in wanted:
                row.delete()
            elif changed and row.state != C.INVITED:
                COSIGNS.perform(row, "ask_again", capacity=SYSTEM, username="系统（草稿已修改）")
        for deputy in cosigners:
            if deputy.pk not in current:
                CoSigner.objects.create(suggestion=suggestion, deputy=deputy)
    elif {d.pk for d in cosigners} != set(suggestion.cosigners.values_list("deputy_id", flat=True)):
        raise SuggestionError("提交预审后不能再增减附议代表。")
    suggestion._change_reason = "修改"
    suggestion._history_user = user
    suggestion.save()
    return suggestion


# --- Transitions of a suggestion -----------------------------------------------------------------


def _submit(suggestion, **_):
    waiting = [row.deputy.name for row in suggestion.cosigners.select_related("deputy") if row.state == C.INVITED]
    if waiting:
        raise SuggestionError(f"还有附议代表未确认：{'、'.join(waiting)}。全部确认（或不附议）后才能提交。")
    number = (suggestion.rounds.aggregate(last=Max("number"))["last"] or 0) + 1
    ReviewRound.objects.create(
        suggestion=suggestion,
        number=number,
        title=suggestion.title,
        problem=suggestion.problem,
        measures=suggestion.measures,
    )
    suggestion.submitted_at = timezone.now()
    return {"round": number}


def _decide(suggestion, user, decision: str, comment: str = "") -> int:
    current = suggestion.rounds.order_by("-number").first()
    current.decision, current.comment = decision, comment
    current.decided_by, current.decided_at = user, timezone.now()
    current.save()
    return current.number


def _return(suggestion, *, user, note="", **_):
    comment = required(note, "请写明退回修改的意见。")
    suggestion.review_comment = comment
    return {"round": _decide(suggestion, user, ReviewDecision.RETURNED, comment)}


def next_serial(year: int, kind: str) -> int:
    """The next number of the year's series of this kind. Called with the suggestion locked;
    two filings at once meet the unique constraint and the second draws again."""
    last = Suggestion.objects.filter(year=year, kind=kind).aggregate(last=Max("serial"))["last"]
    return (last or 0) + 1


def _file(suggestion, user, decision: str, comment: str = "") -> dict:
    suggestion.year = timezone.localdate().year
    suggestion.filed_at = timezone.now()
    for _attempt in range(5):
        suggestion.serial = next_serial(suggestion.year, suggestion.kind)
        try:
            with transaction.atomic():
                Suggestion.objects.filter(pk=suggestion.pk).update(serial=suggestion.serial, year=suggestion.year)
            break
        except IntegrityError:
            continue
    else:
        raise SuggestionError("编号冲突，请稍后再试。")
    return {"round": _decide(suggestion, user, decision, comment), "number": suggestion.number}


def _accept(suggestion, *, user, note="", **_):
    suggestion.review_comment = ""
    return _file(suggestion, user, ReviewDecision.ACCEPTED, note)


def _convert(suggestion, *, user, note="", **_):
    reason = required(note, "请写明转为批评和意见的理由。")[:300]
    suggestion.type, suggestion.conversion_reason = SuggestionType.CRITICISM, reason
    return _file(suggestion, user, ReviewDecision.CONVERTED, reason)


class CommentForm(TransitionForm):
    note = forms.CharField(label="预审意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class OptionalCommentForm(TransitionForm):
    note = forms.CharField(
        label="备注（可选）", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(TransitionForm):
    note = forms.CharField(label="理由", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


SUGGESTIONS = Process(
    model=Suggestion,
    noun="建议",
    capacities_of=suggestion_capacities,
    transition_action=SuggestionAction.TRANSITION,
    created_action=SuggestionAction.DRAFTED,
    created_summary="起草",
    lock_related=("lead",),
    transitions=[
        Transition(
            "submit",
            "提交预审",
            (S.DRAFT, S.RETURNED),
            S.REVIEW,
            (AUTHOR,),
            _submit,
            todos=(Todo("returned", "退回修改的建议", state=S.RETURNED),),
        ),
        Transition(
            "accept",
            "受理立案",
            (S.REVIEW,),
            S.FILED,
            (OFFICE,),
            _accept,
            OptionalCommentForm,
            todos=(Todo("to_review", "待预审的代表建议"),),
        ),
        Transition("return", "退回修改", (S.REVIEW,), S.RETURNED, (OFFICE,), _return, CommentForm, kind=REFUSAL),
        Transition("convert", "转为批评和意见", (S.REVIEW,), S.FILED, (OFFICE,), _convert, ReasonForm, kind=SIDE),
        Transition("withdraw", "撤回", (S.DRAFT, S.REVIEW, S.RETURNED), S.WITHDRAWN, (AUTHOR,), kind=SIDE),
    ],
)


# --- Co-signing ------------------------------------------------------------------------------------


def _cosign(row, **_):
    if row.suggestion.state != S.DRAFT:
        raise SuggestionError(f"该建议当前状态为“{row.suggestion.get_state_display()}”，不再征集附议。")
    if not row.deputy.is_active:
        raise SuggestionError(f"{row.deputy.name}不是在任代表，不能附议。")
    row.confirmed_at = timezone.now()


def _decline(row, **_):
    if row.suggestion.state != S.DRAFT:
        raise SuggestionError(f"该建议当前状态为“{row.suggestion.get_state_display()}”，不再征集附议。")
    row.confirmed_at = None


def _ask_again(row, **_):
    row.confirmed_at = None


COSIGNS = Process(
    model=CoSigner,
    noun="附议",
    capacities_of=cosigner_capacities,
    transition_action=SuggestionAction.COSIGN,
    lock_related=("suggestion", "deputy"),
    transitions=[
        Transition(
            "confirm",
            "确认附议",
            (C.INVITED,),
            C.CONFIRMED,
            (COSIGNER,),
            _cosign,
            todos=(Todo("to_cosign", "待确认的附议"),),
        ),
        Transition("decline", "不附议", (C.INVITED,), C.DECLINED, (COSIGNER,), _decline, kind=REFUSAL),
        Transition("ask_again", "重新征求附议", (C.CONFIRMED, C.DECLINED), C.INVITED, (SYSTEM,), _ask_again, kind=SIDE),
    ],
)
