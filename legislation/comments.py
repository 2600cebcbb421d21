"""Comments on a draft (立法意见): taken in, and moderated as a process.

`submit_comment()` is the one way a comment is stored: from the public form (anyone, on a
phone; the opinions' checks: an 11-digit mobile number, the limits per address and per phone
in the view, a double submit stored once) or entered by staff — a forum (座谈会), a letter, the
hotline, the suggestion box, or an expert of the contact point's advisory team (专家顾问), whose
name and title are shown with the comment. Staff-entered comments are published as entered
(the staff member is the moderator); public ones wait for moderation:

    待审核 ─公开─▶ 已公开 ─不公开（仍汇总）─▶ 不公开
       ├─不公开（仍汇总）─▶ 不公开            (公开、不公开的) ─合并重复意见─▶ 已合并
       └─无效意见（理由）─▶ 无效

A comment is refused, with the reason and nothing stored, outside the comment window, on an
article the draft does not have, when empty or over 2,000 characters, and when staff enter
the same offline comment twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from django import forms
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from content.scoping import station_work_q
from legislation.models import (
    PUBLIC_CHANNELS,
    Article,
    Comment,
    CommentChannel,
    CommentState,
    Consultation,
    ConsultationState,
    Expert,
    LegislationAction,
)
from workflows.intake import MOBILE, normalise_phone
from workflows.process import REFUSAL, SIDE, Process, Todo, Transition, TransitionError, TransitionForm, required

CS = CommentState
MODERATOR = "moderator"
MIN_CONTENT, MAX_CONTENT = 5, 2000
HANDLED = (ConsultationState.OPEN, ConsultationState.COMPILING)  # when comments may be entered and moderated


class CommentError(TransitionError):
    """A comment refused, with the reason in Chinese; nothing stored."""


def comment_capacities(roles) -> dict[str, Q]:
    return {MODERATOR: station_work_q(roles, "consultation__")}


@dataclass
class CommentInput:
    consultation: Consultation
    article_number: int | None  # None: on the draft as a whole
    content: str
    name: str = ""
    phone: str = ""
    channel: str = CommentChannel.ONLINE
    expert: Expert | None = None
    received_on: dt.date | None = None  # offline and expert comments: when it was received
    entered_by: object = None
    idempotency_key: str = ""


def _window(consultation: Consultation) -> str:
    page = consultation.page
    return f"{page.opens_on:%Y年%-m月%-d日}至{page.closes_on:%Y年%-m月%-d日}"


def _check(entry: CommentInput, today: dt.date) -> tuple[Article | None, str, str]:
    """The article, the cleaned content and phone; CommentError for anything wrong."""
    consultation, page = entry.consultation, entry.consultation.page
    public = entry.channel in PUBLIC_CHANNELS
    if entry.channel not in CommentChannel.values:
        raise CommentError("意见渠道无效。")
    if public:
        if not consultation.accepts_comments(today):
            raise CommentError(f"这份征求意见稿的意见征集时间为{_window(consultation)}，现在不能提交意见。")
    else:
        if consultation.state not in HANDLED:
            raise CommentError(f"立法征询当前为“{consultation.get_state_display()}”，不能再录入意见。")
        received = entry.received_on
        if received is None:
            raise CommentError("请填写收到意见的日期。")
        if received > today:
            raise CommentError("收到日期不能晚于今天。")
        if not page.opens_on <= received <= page.closes_on:
            raise CommentError(f"收到日期不在意见征集时间（{_window(consultation)}）内，不能录入。")
    article = None
    if entry.article_number is not None:
        article = Article.objects.filter(consultation=consultation, number=entry.article_number).first()
        if article is None:
            raise CommentError(f"这份征求意见稿没有第 {entry.article_number} 条，请重新选择条文。")
    content = (entry.content or "").strip()
    if not content:
        raise CommentError("请填写意见内容。")
    if len(content) < MIN_CONTENT:
        raise CommentError(f"请把意见写清楚（至少 {MIN_CONTENT} 个字）。")
    if len(content) > MAX_CONTENT:
        raise CommentError(f"意见内容不能超过 {MAX_CONTENT} 字（现在 {len(content)} 字），请精简或分条提交。")
    name = (entry.name or "").strip()
    if len(name) > 30:
        raise CommentError("姓名不能超过 30 字。")
    phone = normalise_phone(entry.phone)
    if public:
        if not name:
            raise CommentError("请填写姓名。")
        if not MOBILE.match(phone):
            raise CommentError("请填写 11 位中国大陆手机号码，例如 13812345678。")
    elif phone and not MOBILE.match(phone):
        raise CommentError("手机号码可不填；填写的须是 11 位中国大陆手机号码。")
    if entry.channel == CommentChannel.EXPERT:
        expert = entry.expert
        if expert is None or expert.contact_point.station_id != consultation.station_id or not expert.is_active:
            raise CommentError("请选择本联系点在聘的专家顾问。")
    elif entry.expert is not None:
        raise CommentError("只有“专家顾问”渠道的意见才署专家姓名。")
    return article, content, phone


def fingerprint(entry: CommentInput, article: Article | None, content: str) -> str:
    """What makes two staff entries the same comment: the draft, the article, the channel,
    who said it and what (spacing ignored)."""
    parts = [
        str(entry.consultation.pk),
        str(article.pk if article else ""),
        entry.channel,
        str(entry.expert.pk if entry.expert else ""),
        (entry.name or "").strip(),
        re.sub(r"\s+", "", content),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def new_receipt_no() -> str:
    """LF + date + 6 random digits: not guessable in sequence, readable over the phone."""
    return f"LF{timezone.localdate():%y%m%d}{secrets.randbelow(10**6):06d}"


def check_comment(entry: CommentInput, today: dt.date | None = None) -> tuple[Article | None, str, str, str]:
    """Everything submit_comment() checks before storing: (article, content, phone, the
    fingerprint of a staff entry), or CommentError — also for the same offline comment
    entered twice."""
    article, content, phone = _check(entry, today or timezone.localdate())
    mark = "" if entry.channel in PUBLIC_CHANNELS else fingerprint(entry, article, content)
    if mark:
        twin = Comment.objects.filter(consultation=entry.consultation, fingerprint=mark).first()
        if twin is not None:
            raise CommentError(f"这条意见已经录入（回执编号 {twin.receipt_no}），不要重复录入。")
    return article, content, phone, mark


def submit_comment(entry: CommentInput, today: dt.date | None = None) -> tuple[Comment, bool]:
    """Store the comment and return (comment, created); CommentError and nothing stored
    when anything is wrong. The same idempotency key sent twice gives back the first."""
    key = entry.idempotency_key or None
    if key:
        existing = Comment.objects.filter(idempotency_key=key, consultation=entry.consultation).first()
        if existing is not None:
            return existing, False
    today = today or timezone.localdate()
    article, content, phone, mark = check_comment(entry, today)
    public = entry.channel in PUBLIC_CHANNELS
    for _attempt in range(5):
        try:
            with transaction.atomic():
                comment = Comment(
                    consultation=entry.consultation,
                    article=article,
                    receipt_no=new_receipt_no(),
                    content=content,
                    channel=entry.channel,
                    commenter_name=(entry.name or "").strip(),
                    commenter_phone=phone,
                    phone_last4=phone[-4:] if phone else "",
                    expert=entry.expert if entry.channel == CommentChannel.EXPERT else None,
                    received_on=today if public else entry.received_on,
                    entered_by=None if public else entry.entered_by,
                    fingerprint=mark,
                    idempotency_key=key,
                    state=CS.SUBMITTED if public else CS.PUBLISHED,
                )
                comment._change_reason = "提交立法意见" if public else "录入立法意见"
                if entry.entered_by is not None:
                    comment._history_user = entry.entered_by
                comment.save()
                COMMENTS.created(
                    comment,
                    user=None if public else entry.entered_by,
                    username="群众",
                    channel=entry.channel,
                    article=comment.target_label,
                )
            return comment, True
        except IntegrityError:
            if key:
                existing = Comment.objects.filter(idempotency_key=key).first()
                if existing is not None:
                    return existing, False
            # Otherwise a receipt number collided: draw another.
    raise CommentError("系统繁忙，请稍后再试。")


def lookup(receipt_no: str, phone_last4: str) -> Comment | None:
    """The comment for a receipt number and the last four digits of its phone, else None."""
    receipt_no, phone_last4 = (receipt_no or "").strip().upper(), (phone_last4 or "").strip()
    if not receipt_no or not re.fullmatch(r"\d{4}", phone_last4):
        return None
    return Comment.objects.filter(receipt_no=receipt_no, phone_last4=phone_last4).first()


# --- Moderation -----------------------------------------------------------------------------------


def _while_handled(comment: Comment) -> None:
    consultation = comment.consultation
    if consultation.state not in HANDLED:
        raise CommentError(f"立法征询当前为“{consultation.get_state_display()}”，意见不能再处理。")


def _publish(comment, **_):
    _while_handled(comment)


class NoteForm(TransitionForm):
    note = forms.CharField(label="处理说明", max_length=200, required=False)

    def perform_kwargs(self) -> dict:
        return {"reason": self.cleaned_data["note"]}


class ReasonForm(NoteForm):
    note = forms.CharField(label="理由", max_length=200)


def _withhold(comment, *, reason="", **_):
    _while_handled(comment)
    comment.note = (reason or "").strip()[:200]


def _reject(comment, *, reason="", **_):
    _while_handled(comment)
    comment.note = required(reason, "请写明意见无效的理由，例如与草案无关。")[:200]


def mergeable(comment: Comment):
    """The comments a comment may be merged into: the same draft and article, counted, not merged away."""
    return (
        Comment.objects.filter(consultation_id=comment.consultation_id, article_id=comment.article_id)
        .filter(state__in=(CS.PUBLISHED, CS.WITHHELD))
        .exclude(pk=comment.pk)
    )


class MergeForm(TransitionForm):
    into = forms.ModelChoiceField(label="合并到", queryset=Comment.objects.none(), empty_label="请选择")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = mergeable(self.row).order_by("created_at")
        self.fields["into"].label_from_instance = lambda c: f"{c.receipt_no}：{c.content[:40]}"


def _merge(comment, *, into=None, **_):
    _while_handled(comment)
    if into is None or not mergeable(comment).filter(pk=into.pk).exists():
        raise CommentError("请选择同一条文下已审核的另一条意见。")
    comment.merged_into = into
    comment.note = f"与 {into.receipt_no} 内容相同，已合并汇总。"
    return {"into": into.receipt_no}


COMMENTS = Process(
    model=Comment,
    noun="立法意见",
    capacities_of=comment_capacities,
    transition_action=LegislationAction.COMMENT,
    created_action=LegislationAction.COMMENTED,
    lock_related=("consultation",),
    transitions=[
        Transition(
            "publish",
            "公开",
            (CS.SUBMITTED,),
            CS.PUBLISHED,
            (MODERATOR,),
            _publish,
            todos=(Todo("to_moderate", "待审核的立法意见"),),
        ),
        Transition(
            "withhold",
            "不公开（仍汇总）",
            (CS.SUBMITTED, CS.PUBLISHED),
            CS.WITHHELD,
            (MODERATOR,),
            _withhold,
            NoteForm,
            kind=SIDE,
        ),
        Transition(
            "merge",
            "合并重复意见",
            (CS.SUBMITTED, CS.PUBLISHED, CS.WITHHELD),
            CS.MERGED,
            (MODERATOR,),
            _merge,
            MergeForm,
            kind=SIDE,
        ),
        Transition("reject", "无效意见", (CS.SUBMITTED,), CS.REJECTED, (MODERATOR,), _reject, ReasonForm, kind=REFUSAL),
    ],
)
