"""项目征集（点菜）: anyone proposes a livelihood project for a round while it is collecting
nominations; staff moderate, merge duplicates (keeping the links), adopt them into candidates
or decline them, and every nomination gets an answer, shown on the round's public page.

    待审核 ─公开─▶ 已公开，待筛选 ─列为候选项目─▶ 列为候选项目
       │                │        ├─合并到另一条─▶ 已合并
       └─不予受理（理由）─▶ 不予受理   └─未列入候选（理由）─▶ 未列入候选

The round's runner (区管理员; a street committee for its street's rounds) handles them. The
round cannot publish its candidates while a nomination waits for its answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from base.roles import Roles
from livelihood.models import (
    Candidate,
    LivelihoodAction,
    Nomination,
    NominationSource,
    NominationState,
    ProjectRound,
    RoundState,
)
from livelihood.rounds import runner_q
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

N = NominationState
MODERATOR = "moderator"
MOBILE = re.compile(r"^1[3-9]\d{9}$")


class NominationError(TransitionError):
    """A nomination refused, with the reason in Chinese; nothing stored."""


def nomination_capacities(roles: Roles) -> dict[str, Q]:
    return {MODERATOR: runner_q(roles, "round__")}


# --- Submitting ---------------------------------------------------------------------------------


@dataclass
class Proposal:
    round: ProjectRound
    title: str
    need: str
    place: str
    scale: str
    nominator_name: str
    nominator_phone: str
    idempotency_key: str = ""
    station: object = None
    source: str = NominationSource.PUBLIC
    deputy: object = None


def check(proposal: Proposal) -> None:
    if proposal.round.state != RoundState.NOMINATING:
        raise NominationError(f"{proposal.round.title}现在不征集项目（{proposal.round.get_state_display()}）。")
    title, need = proposal.title.strip(), proposal.need.strip()
    if not 4 <= len(title) <= 60:
        raise NominationError("项目名称写 4 到 60 个字。")
    if not 10 <= len(need) <= 2000:
        raise NominationError("请把群众的需求写清楚：10 到 2000 字。")
    if not proposal.place.strip():
        raise NominationError("请写明项目的地点或范围。")
    if not proposal.nominator_name.strip():
        raise NominationError("请填写姓名。")
    if proposal.source == NominationSource.PUBLIC and not MOBILE.match(proposal.nominator_phone):
        raise NominationError("请填写 11 位中国大陆手机号码，例如 13812345678。")
    station = proposal.station
    if station is not None and proposal.round.street_id and station.street_id != proposal.round.street_id:
        raise NominationError(f"{station.title}不属于{proposal.round.scope_label}，请在本街道的站点提交。")


def nominate(proposal: Proposal) -> tuple[Nomination, bool]:
    """Store the nomination (waiting for moderation) and return (nomination, created); the same
    idempotency key sent twice gives back the one stored the first time."""
    key = proposal.idempotency_key or None
    if key:
        existing = Nomination.objects.filter(idempotency_key=key, round=proposal.round).first()
        if existing is not None:
            return existing, False
    check(proposal)
    try:
        with transaction.atomic():
            row = Nomination(
                round=proposal.round,
                station=proposal.station,
                source=proposal.source,
                deputy=proposal.deputy,
                title=proposal.title.strip(),
                need=proposal.need.strip(),
                place=proposal.place.strip(),
                scale=proposal.scale.strip(),
                nominator_name=proposal.nominator_name.strip(),
                nominator_phone=proposal.nominator_phone,
                idempotency_key=key,
            )
            row._change_reason = "项目提名"
            row.save()
            who = {NominationSource.PUBLIC: "群众", NominationSource.DEPUTY: "代表", NominationSource.STATION: "联络站"}
            NOMINATIONS.created(row, username=who[proposal.source], round=proposal.round.title)
    except IntegrityError:  # the same key stored meanwhile by a concurrent double submit
        existing = Nomination.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False
    return row, True


# --- Handling -------------------------------------------------------------------------------------


class AnswerForm(TransitionForm):
    answer = forms.CharField(label="答复（公开显示）", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


def _answered(nomination: Nomination, answer: str) -> None:
    nomination.answer = required(answer, "请写明给提名人的答复。")
    nomination.answered_at = timezone.now()


def _reject(nomination, *, answer="", **_):
    _answered(nomination, answer)


def _decline(nomination, *, answer="", **_):
    _answered(nomination, answer)


class MergeForm(TransitionForm):
    into = forms.ModelChoiceField(label="合并到", queryset=Nomination.objects.none(), empty_label="请选择")
    answer = forms.CharField(label="补充说明（可选）", max_length=1000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = mergeable(self.row)


def mergeable(nomination: Nomination):
    """Where a nomination may be merged: the same round's other public ones, not merged away."""
    return Nomination.objects.filter(round_id=nomination.round_id, state__in=(N.LISTED, N.ADOPTED)).exclude(
        pk=nomination.pk
    )


def _merge(nomination, *, into=None, answer="", **_):
    if into is None or not mergeable(nomination).filter(pk=into.pk).exists():
        raise NominationError("请选择同一轮中已公开的另一条提名。")
    nomination.merged_into = into
    text = f"与“{into.title}”内容相同或相近，已合并办理。"
    _answered(nomination, f"{text}{answer.strip()}" if answer and answer.strip() else text)
    return {"into": into.pk}


class AdoptForm(TransitionForm):
    candidate = forms.ModelChoiceField(label="列为候选项目", queryset=Candidate.objects.none(), empty_label="请选择")
    answer = forms.CharField(label="补充说明（可选）", max_length=1000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = Candidate.objects.filter(round_id=self.row.round_id)


def _adopt(nomination, *, candidate=None, answer="", **_):
    if candidate is None or candidate.round_id != nomination.round_id:
        raise NominationError("请选择本轮的候选项目（先在“候选项目”中添加）。")
    nomination.candidate = candidate
    text = f"已列为候选项目“{candidate.title}”，将提交人代会票决。"
    _answered(nomination, f"{text}{answer.strip()}" if answer and answer.strip() else text)
    return {"candidate": candidate.number}


NOMINATIONS = Process(
    model=Nomination,
    noun="项目提名",
    capacities_of=nomination_capacities,
    transition_action=LivelihoodAction.NOMINATION,
    created_action=LivelihoodAction.NOMINATED,
    transitions=[
        Transition(
            "list",
            "公开",
            (N.SUBMITTED,),
            N.LISTED,
            (MODERATOR,),
            todos=(Todo("to_moderate", "待审核的民生实事提名"),),
        ),
        Transition("reject", "不予受理", (N.SUBMITTED,), N.REJECTED, (MODERATOR,), _reject, AnswerForm, kind=REFUSAL),
        Transition(
            "adopt",
            "列为候选项目",
            (N.LISTED,),
            N.ADOPTED,
            (MODERATOR,),
            _adopt,
            AdoptForm,
            todos=(Todo("to_answer", "待答复的民生实事提名"),),
        ),
        Transition("merge", "合并", (N.LISTED,), N.MERGED, (MODERATOR,), _merge, MergeForm, kind=SIDE),
        Transition("decline", "未列入候选", (N.LISTED,), N.DECLINED, (MODERATOR,), _decline, AnswerForm, kind=REFUSAL),
    ],
)

UNANSWERED = (N.SUBMITTED, N.LISTED)
PUBLIC_STATES = (N.LISTED, N.ADOPTED, N.MERGED, N.DECLINED)
