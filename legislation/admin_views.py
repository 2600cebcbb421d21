"""立法征询 in the admin, beyond the viewsets' own views: the compilation screen (汇总整理,
then 采纳情况), the Word and Excel exports of the compiled report, and the entry of comments
gathered offline or from the advisory team's experts.

Whoever may not see the consultation gets 404; the auditor reads the compilation and may
export it; only its runners (the contact point's staff, its street's committee, the district
admin) write. Every export is in the audit log.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic

from base import audit
from base.audit_actions import PersonalDataAction
from base.policies import policy_for
from content.scoping import stations_for
from legislation import exports
from legislation.comments import CommentError, CommentInput, check_comment, submit_comment
from legislation.compilation import CompilationError, adoption_figures, compilation, mark_adoption, save_compiled
from legislation.consultations import CONSULTATIONS, RUNNER
from legislation.models import (
    OFFLINE_CHANNELS,
    Adoption,
    Article,
    Comment,
    CommentChannel,
    CompiledOpinion,
    Consultation,
    ConsultationState,
    Expert,
)

ENTRY_CHANNELS = (*OFFLINE_CHANNELS, CommentChannel.EXPERT)


def consultation_in_scope(request, pk) -> Consultation:
    """The consultation if the person may see it, else 404."""
    if not policy_for(Consultation).user_has_permission(request.user, "view"):
        raise Http404
    consultations = CONSULTATIONS.scope(Consultation.objects.select_related("page", "station"), request.user)
    return get_object_or_404(consultations, pk=pk)


def runs(user, consultation: Consultation) -> bool:
    return RUNNER in CONSULTATIONS.capacities(user, consultation)


# --- 汇总整理 and 采纳情况 --------------------------------------------------------------------------


class CompiledForm(forms.Form):
    text = forms.CharField(label="汇总意见", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class AdoptionForm(forms.Form):
    adoption = forms.ChoiceField(
        label="采纳情况", choices=[c for c in Adoption.choices if c[0]], widget=forms.RadioSelect
    )
    final_text = forms.CharField(
        label="通过文本中对应的条文", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    adoption_note = forms.CharField(label="采纳说明（公开）", max_length=500, required=False)


class CompileView(TemplateView):
    """Every line of the compilation with its comments; a form per line for the compiled
    opinion while compiling, for the adoption once submitted."""

    template_name = "legislation/admin/compile.html"
    model = Consultation  # read by permissions.admin_scope

    def dispatch(self, request, pk, *args, **kwargs):
        self.consultation = consultation_in_scope(request, pk)
        self.runs = runs(request.user, self.consultation)
        if request.method == "POST" and not self.runs:
            raise Http404
        return super().dispatch(request, pk, *args, **kwargs)

    def get_context_data(self, **kwargs):
        consultation = self.consultation
        compiling = self.runs and consultation.state == ConsultationState.COMPILING
        marking = self.runs and consultation.state == ConsultationState.SUBMITTED
        rows = compilation(consultation, all_articles=compiling and self.request.GET.get("all") == "1")
        for row in rows:
            row.lines = exports.comment_lines(row)
            row.key = row.article.pk if row.article else "whole"
            if compiling:
                row.form = CompiledForm(initial={"text": row.compiled.text if row.compiled else ""}, prefix=row.key)
            elif marking and row.compiled is not None:
                compiled = row.compiled
                row.form = AdoptionForm(
                    initial={
                        "adoption": compiled.adoption,
                        "final_text": compiled.final_text,
                        "adoption_note": compiled.adoption_note,
                    },
                    prefix=row.key,
                )
        return super().get_context_data(
            consultation=consultation,
            rows=rows,
            compiling=compiling,
            marking=marking,
            figures=adoption_figures(consultation),
            detail_url=reverse("legislation_consultations:inspect", args=[consultation.pk]),
            **kwargs,
        )

    def post(self, request, pk):
        consultation = self.consultation
        key = request.POST.get("row", "")
        article = None
        if key != "whole":
            article = Article.objects.filter(consultation=consultation, pk=key if key.isdigit() else 0).first()
            if article is None:
                messages.error(request, "没有这一条。")
                return redirect(request.path)
        label = article.label if article else "整体意见"
        try:
            if consultation.state == ConsultationState.COMPILING:
                form = CompiledForm(request.POST, prefix=key)
                if not form.is_valid():
                    raise CompilationError("请填写汇总意见（不超过 5000 字）。")
                save_compiled(consultation, article, form.cleaned_data["text"], user=request.user)
            else:
                form = AdoptionForm(request.POST, prefix=key)
                if not form.is_valid():
                    raise CompilationError("请选择采纳、部分采纳或未采纳。")
                compiled = CompiledOpinion.objects.filter(consultation=consultation, article=article).first()
                if compiled is None:
                    raise CompilationError("这一条没有汇总意见。")
                data = form.cleaned_data
                mark_adoption(compiled, data["adoption"], data["final_text"], data["adoption_note"], user=request.user)
        except CompilationError as error:
            messages.error(request, f"{label}：{error}")
        else:
            messages.success(request, f"已保存{label}。")
        anchor = f"#row-{key}"
        return redirect(f"{request.path}{anchor}")


class ExportView(View):
    """The compiled report as a Word or Excel file (audited)."""

    model = Consultation
    formats = {
        "docx": (exports.as_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "xlsx": (exports.as_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    }

    def get(self, request, pk, fmt):
        consultation = consultation_in_scope(request, pk)
        if fmt not in self.formats:
            raise Http404
        build, content_type = self.formats[fmt]
        body = build(consultation)
        audit.record(
            PersonalDataAction.EXPORTED,
            request=request,
            obj=consultation,
            model=Consultation._meta.label,
            format=fmt,
        )
        response = HttpResponse(body, content_type=content_type)
        filename = f"consultation-{consultation.pk}-{timezone.localdate():%Y%m%d}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


# --- Entering comments gathered offline --------------------------------------------------------


def entry_consultations(user):
    """Consultations a person may enter comments for: theirs, open or being compiled."""
    handled = (ConsultationState.OPEN, ConsultationState.COMPILING)
    scoped = CONSULTATIONS.scope(Consultation.objects.filter(state__in=handled), user)
    return scoped.filter(station__in=stations_for(user).values("pk")).select_related("page")


class CommentEntryForm(WagtailAdminModelForm):
    """A comment from a forum, a letter, the hotline, the suggestion box or an expert."""

    article_number = forms.IntegerField(
        label="条文序号", required=False, min_value=1, help_text="第几条；对草案整体的意见不填。"
    )

    class Meta:
        model = Comment
        fields = ["consultation", "channel", "expert", "commenter_name", "commenter_phone", "received_on", "content"]
        widgets = {
            "consultation": forms.Select,
            "channel": forms.Select,
            "expert": forms.Select,
            "content": forms.Textarea(attrs={"rows": 6}),
            "received_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        consultation = self.fields["consultation"]
        consultation.queryset = entry_consultations(self.for_user).order_by("-pk")
        consultation.empty_label = "请选择"
        consultation.error_messages["invalid_choice"] = "只能为本人负责、正在征求意见或汇总整理中的征求意见稿录入意见。"
        channel = self.fields["channel"]
        channel.choices = [(c.value, c.label) for c in ENTRY_CHANNELS]
        self.fields["expert"].queryset = Expert.objects.filter(
            is_active=True, contact_point__station__in=stations_for(self.for_user).values("pk")
        ).select_related("contact_point")
        self.fields["expert"].required = False
        self.fields["commenter_name"].help_text = "可不填；专家顾问的意见署专家姓名。"
        self.fields["commenter_phone"].help_text = "可不填；填写后，提意见的人可凭回执编号和手机号后四位查询采纳情况。"
        self.fields["received_on"].required = True
        self.fields["received_on"].initial = timezone.localdate()
        self.order_fields(["consultation", "article_number", "channel", "expert"])

    def entry(self) -> CommentInput:
        data = self.cleaned_data
        return CommentInput(
            consultation=data["consultation"],
            article_number=data.get("article_number"),
            content=data.get("content") or "",
            name=data.get("commenter_name") or "",
            phone=data.get("commenter_phone") or "",
            channel=data.get("channel") or "",
            expert=data.get("expert"),
            received_on=data.get("received_on"),
            entered_by=self.for_user,
        )

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("consultation") is not None:
            try:
                check_comment(self.entry())
            except CommentError as error:
                raise ValidationError(str(error)) from None
        return data


class CommentEntryView(generic.CreateView):
    """The comment is stored by `comments.submit_comment`, never by the form."""

    def get_initial(self):
        initial = super().get_initial()
        consultation = self.request.GET.get("consultation", "")
        if consultation.isdigit():
            initial["consultation"] = consultation
        return initial

    def save_instance(self):
        comment, _created = submit_comment(self.form.entry())
        return comment

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except CommentError as error:  # entered meanwhile by someone else: checked again when stored
            form.add_error(None, str(error))
            return self.render_to_response(self.get_context_data(form=form))

    def get_success_message(self, instance):
        return f"已录入{instance.target_label}的意见（回执编号 {instance.receipt_no}）。"
