"""筛选论证 in the admin: the responsible department's handlers (or the round's runner) cost and
assess a candidate project while the round is collecting or screening nominations, at
/admin/livelihood/candidates/<pk>/assess/ (a button on the candidate's page). Anyone else who
may not see the candidate gets 404; the auditor reads it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from base.policies import policy_for
from livelihood.implementation import ProjectError
from livelihood.models import Candidate
from livelihood.project_admin import candidate_scope
from livelihood.screening import OPEN_FOR_ASSESSMENT, assess, may_assess


class AssessmentForm(forms.Form):
    budget = forms.DecimalField(label="预算（万元）", min_value=0, max_digits=10, decimal_places=2)
    assessment = forms.CharField(
        label="论证意见（与候选项目一同公布）",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="是否可行、实施条件、工期、风险与资金来源。",
    )


class AssessView(TemplateView):
    template_name = "livelihood/admin/assess.html"
    model = Candidate  # read by permissions.admin_scope, which checks the candidate's scope too

    def dispatch(self, request, pk, *args, **kwargs):
        if not policy_for(Candidate).user_has_permission(request.user, "view"):
            raise Http404
        candidates = candidate_scope(Candidate.objects.select_related("round", "department"), request.user)
        self.candidate = get_object_or_404(candidates, pk=pk)
        self.may_assess = may_assess(request.user, self.candidate)
        if request.method == "POST" and not self.may_assess:
            raise Http404
        return super().dispatch(request, pk, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        candidate = self.candidate
        initial = {"budget": candidate.budget, "assessment": candidate.assessment}
        return super().get_context_data(
            candidate=candidate,
            form=form or AssessmentForm(initial=initial),
            may_assess=self.may_assess and candidate.round.state in OPEN_FOR_ASSESSMENT,
            candidate_url=reverse("livelihood_candidates:inspect", args=[candidate.pk]),
            **kwargs,
        )

    def post(self, request, pk):
        form = AssessmentForm(request.POST)
        if form.is_valid():
            try:
                assess(self.candidate, user=request.user, **form.cleaned_data)
            except ProjectError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"已保存“{self.candidate.title}”的论证意见。")
                return redirect(request.path)
        else:
            messages.error(request, "未能保存：请填写预算（大于 0 的万元数）和论证意见。")
        return self.render_to_response(self.get_context_data(form=form))
