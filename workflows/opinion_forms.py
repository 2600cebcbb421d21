"""The forms of the opinion loop's transitions, as staff fill them in on the detail page."""

from __future__ import annotations

from django import forms

from workflows.models import Category, Department, Opinion, Outcome, Rating
from workflows.process import TransitionError, TransitionForm

PUBLIC_REPLY_MAX = 4000  # as long as the reply it is made from


class AcceptForm(TransitionForm):
    category = forms.ModelChoiceField(label="分类", queryset=Category.objects.all())

    def initial_for(self, row):
        return {"category": row.category_id}


class RejectForm(TransitionForm):
    reason = forms.CharField(label="不予受理理由", max_length=200)


class DuplicateForm(TransitionForm):
    original = forms.CharField(label="原意见回执编号", max_length=20)

    def perform_kwargs(self):
        data = super().perform_kwargs()
        visible = self.process.scope(Opinion.objects.all(), self.user)
        original = visible.filter(receipt_no=data["original"].strip()).first()
        if original is None:
            raise TransitionError("找不到该回执编号的意见（或不在您的范围内）。")
        data["original"] = original
        return data


class EscalateForm(TransitionForm):
    note = forms.CharField(label="说明", max_length=200)


class SuperviseForm(TransitionForm):
    note = forms.CharField(label="说明", max_length=200, required=False)


class AssignForm(TransitionForm):
    department = forms.ModelChoiceField(label="承办单位", queryset=Department.objects.filter(is_active=True))
    workdays = forms.IntegerField(label="办理时限（工作日）", min_value=1, max_value=90)

    def initial_for(self, row):
        return {"workdays": row.category.deadline_workdays}


class ReplyForm(TransitionForm):
    outcome = forms.ChoiceField(label="办理结果", choices=Outcome.choices)
    text = forms.CharField(label="答复内容", max_length=4000, widget=forms.Textarea)


class EvaluateForm(TransitionForm):
    rating = forms.ChoiceField(label="回访评价", choices=Rating.choices)


class CloseForm(TransitionForm):
    reason = forms.CharField(label="办结说明", max_length=200, required=False)


class RequestPublicationForm(TransitionForm):
    summary = forms.CharField(label="公开摘要（不得含个人信息）", max_length=200)
    public_reply = forms.CharField(
        label="公开答复（删去姓名、电话、门牌等个人信息）",
        max_length=PUBLIC_REPLY_MAX,
        widget=forms.Textarea,
        help_text="公开页面只显示这段答复，不显示原答复。",
    )

    def initial_for(self, row):
        return {"summary": row.public_summary or row.title, "public_reply": row.public_reply or row.reply_text}


class RefusePublicationForm(TransitionForm):
    note = forms.CharField(label="理由", max_length=200, required=False)
