"""Replies to deputy suggestions and the deputy's rating.

    已交办 assigned ──答复（主办单位，已签收，先与代表沟通）──▶ 已答复 replied
    已答复 ──评价 满意 / 基本满意（领衔代表）──▶ 办结 closed
           └──评价 不满意──▶ 重新办理 reopened（较短的期限）──再次答复──▶ 已答复 …

Co-handlers (协办) send their opinion to the lead department first (提交协办意见, a step of
their own part). Only the lead department replies, and only after signing for it and
contacting the deputy: the way (沟通方式) and the date are recorded with the reply. A reply
is A 已解决或基本解决, B 正在解决或列入计划解决 (with the date promised) or C 因条件限制留作参考
说明. Every reply is kept: a second reply after 不满意 stands beside the first. A B reply
whose promised date has passed shows in the office's to-dos until someone follows it up.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from suggestions.assignment import ASSIGNMENTS, HANDLER, statutory_deadline
from suggestions.drafting import AUTHOR, LEAD_HANDLER, OFFICE, SUGGESTIONS, SuggestionError
from suggestions.models import (
    AssignmentRole,
    AssignmentState,
    ContactMethod,
    ReplyCategory,
    SuggestionReply,
    SuggestionState,
)
from workflows.attachments import clean_attachment as clean_upload
from workflows.intake import IntakeError
from workflows.models import Rating
from workflows.process import SIDE, Branch, Todo, Transition, TransitionForm, required

S, A = SuggestionState, AssignmentState


def reopen_months() -> int:
    return getattr(settings, "LIANLUO_SUGGESTION_REOPEN_MONTHS", 1)


def clean_attachment(upload) -> ContentFile:
    """A PDF as it is, or an image re-encoded without metadata (workflows.attachments)."""
    try:
        return clean_upload(upload)
    except IntakeError as error:
        raise SuggestionError(str(error)) from None


# --- The lead department's reply ---------------------------------------------------------------------


class ReplyForm(TransitionForm):
    category = forms.ChoiceField(label="答复类别", choices=ReplyCategory.choices, widget=forms.RadioSelect)
    text = forms.CharField(label="答复内容", max_length=10000, widget=forms.Textarea(attrs={"rows": 8}))
    attachment = forms.FileField(label="附件（可选）", required=False, help_text="答复函 PDF 或图片，不超过 10 MB。")
    contact_method = forms.ChoiceField(label="答复前与代表的沟通方式", choices=ContactMethod.choices)
    contacted_on = forms.DateField(label="沟通日期", widget=forms.DateInput(attrs={"type": "date"}))
    promised_on = forms.DateField(
        label="承诺解决日期（B类必填）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _reply(
    suggestion,
    *,
    user,
    category="",
    text="",
    attachment=None,
    contact_method="",
    contacted_on=None,
    promised_on=None,
    today=None,
    **_,
):
    today = today or timezone.localdate()
    lead = suggestion.assignments.exclude(state=A.RELEASED).filter(role=AssignmentRole.LEAD).first()
    if lead is None:
        raise SuggestionError("这件建议目前没有主办单位。")
    if lead.state in (A.ASSIGNED, A.ADJUST):
        raise SuggestionError(f"{lead.department.name}还没有签收这件建议，请先签收。")
    if category not in ReplyCategory.values:
        raise SuggestionError("请选择答复类别（A、B 或 C）。")
    text = required(text, "请填写答复内容。")
    if contact_method not in ContactMethod.values or contacted_on is None:
        raise SuggestionError("答复前须与领衔代表沟通：请填写沟通方式和日期。")
    if contacted_on > today:
        raise SuggestionError("沟通日期不能晚于今天。")
    if suggestion.assigned_at and contacted_on < timezone.localdate(suggestion.assigned_at):
        raise SuggestionError("沟通日期不能早于交办日期。")
    if category == ReplyCategory.B:
        if promised_on is None:
            raise SuggestionError("B类答复须写明承诺解决的日期。")
        if promised_on <= today:
            raise SuggestionError("承诺解决的日期须晚于今天。")
    else:
        promised_on = None
    number = (suggestion.replies.aggregate(last=Max("number"))["last"] or 0) + 1
    reply = SuggestionReply(
        suggestion=suggestion,
        number=number,
        department=lead.department,
        category=category,
        text=text,
        contact_method=contact_method,
        contacted_on=contacted_on,
        promised_on=promised_on,
        replied_by=user,
        due_on=suggestion.deadline,
    )
    if attachment:
        reply.attachment = clean_attachment(attachment)
    reply.save()
    return {"reply": number, "category": category, "department": lead.department.name}


class RatingForm(TransitionForm):
    rating = forms.ChoiceField(label="您对答复是否满意？", choices=Rating.choices, widget=forms.RadioSelect)


def _rate(suggestion, *, rating="", today=None, **_):
    if rating not in Rating.values:
        raise SuggestionError("请选择满意、基本满意或不满意。")
    reply = suggestion.replies.order_by("-number").first()
    reply.rating, reply.rated_at = rating, timezone.now()
    reply.save()
    if rating == Rating.UNSATISFIED:
        suggestion.deadline = statutory_deadline(today or timezone.localdate(), reopen_months())
    return {"rating": rating, "reply": reply.number}


def _after_rating(suggestion) -> str:
    return S.REOPENED if suggestion.replies.order_by("-number").first().rating == Rating.UNSATISFIED else S.CLOSED


def _promise_passed() -> Q:
    """Closed suggestions whose latest reply is a B reply past its promised date, not yet followed up."""
    passed = SuggestionReply.objects.filter(
        suggestion=OuterRef("pk"),
        category=ReplyCategory.B,
        promised_on__lt=timezone.localdate(),
        followed_up_at__isnull=True,
    )
    return Q(Exists(passed), state=S.CLOSED)


class FollowUpForm(TransitionForm):
    note = forms.CharField(label="跟踪情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


def _follow_up(suggestion, *, note="", **_):
    note = required(note, "请写明跟踪了解到的落实情况。")
    reply = suggestion.replies.filter(category=ReplyCategory.B, followed_up_at__isnull=True).order_by("-number").first()
    if reply is None or reply.promised_on is None or reply.promised_on >= timezone.localdate():
        raise SuggestionError("这件建议没有到期待跟踪的B类承诺。")
    reply.followed_up_at = timezone.now()
    reply.save()
    return {"reply": reply.number, "promised_on": reply.promised_on.isoformat()}


SUGGESTIONS.extend(
    Transition(
        "reply",
        "答复",
        (S.ASSIGNED, S.REOPENED),
        S.REPLIED,
        (LEAD_HANDLER,),
        _reply,
        ReplyForm,
        todos=(Todo("to_reply", "待答复的代表建议"),),
    ),
    Transition(
        "rate",
        "评价答复",
        (S.REPLIED,),
        Branch(_after_rating, (S.CLOSED, S.REOPENED)),
        (AUTHOR,),
        _rate,
        RatingForm,
        todos=(Todo("to_rate", "待评价的建议答复"),),
    ),
    Transition(
        "follow_up",
        "跟踪承诺事项",
        (S.CLOSED,),
        None,
        (OFFICE,),
        _follow_up,
        FollowUpForm,
        todos=(Todo("promise_passed", "B类承诺已到期待跟踪", when=_promise_passed),),
        kind=SIDE,
    ),
)


# --- A co-handler's opinion to the lead department ---------------------------------------------------


class CoOpinionForm(TransitionForm):
    opinion = forms.CharField(label="协办意见", max_length=3000, widget=forms.Textarea(attrs={"rows": 5}))


def _opine(row, *, opinion="", **_):
    if row.role != AssignmentRole.CO:
        raise SuggestionError("主办单位直接答复，不提交协办意见。")
    row.opinion = required(opinion, "请填写协办意见。")
    row.opinion_at = timezone.now()


ASSIGNMENTS.extend(
    Transition(
        "send_opinion",
        "提交协办意见",
        (A.SIGNED,),
        A.OPINED,
        (HANDLER,),
        _opine,
        CoOpinionForm,
        todos=(Todo("to_opine", "待提交的协办意见", when=Q(state=A.SIGNED, role=AssignmentRole.CO)),),
    ),
)
