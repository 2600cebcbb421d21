"""The ballot's two admin screens, under a round (/admin/livelihood/rounds/<pk>/…), for those
running it (RUNNER: the district admin, the street committee of a street's round):

- 签到 (sign-in/): staff find a deputy on the roll by name and hand over a paper ballot
  (`ballot.issue(…, "paper")`); online ballots the deputies take on their phones (代表e站);
- 纸质选票录入 (paper/): one person's entry of one paper ballot sheet (`ballot.enter_paper`),
  stored once two people's entries agree.

Both read for anyone who may see the round (the auditor too); every change is a POST (CSRF),
and refusals come back as the ballot's own Chinese messages.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from base.ids import parse_id
from base.policies import policy_for
from livelihood import ballot
from livelihood.ballot import BallotError
from livelihood.models import Elector, ProjectRound, RoundState
from livelihood.results import sign_in_figures
from livelihood.rounds import ROUNDS, RUNNER

LISTED = 30  # deputies shown per search


class RoundScreen(TemplateView):
    """A screen of one round: 404 unless the round is in the viewer's scope; POST only for
    those running it."""

    model = ProjectRound  # read by permissions.admin_scope, which checks the round's scope too

    def dispatch(self, request, pk, *args, **kwargs):
        if not policy_for(ProjectRound).user_has_permission(request.user, "view"):
            raise Http404
        rounds = ROUNDS.scope(ProjectRound.objects.select_related("street"), request.user)
        self.round = get_object_or_404(rounds, pk=pk)
        self.runs = RUNNER in ROUNDS.capacities(request.user, self.round)
        if request.method == "POST" and not self.runs:
            raise Http404
        return super().dispatch(request, pk, *args, **kwargs)

    def here(self):
        return redirect(self.request.path)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            round=self.round,
            runs=self.runs,
            balloting=self.round.state == RoundState.BALLOTING,
            figures=sign_in_figures(self.round),
            detail_url=reverse("livelihood_rounds:inspect", args=[self.round.pk]),
            sign_in_url=reverse("livelihood_rounds:sign_in", args=[self.round.pk]),
            paper_url=reverse("livelihood_rounds:paper", args=[self.round.pk]),
            **kwargs,
        )


class SignInView(RoundScreen):
    """签到·发纸质选票: search the roll by name, hand a paper ballot to one deputy."""

    template_name = "livelihood/admin/sign_in.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "").strip()[:30]
        electors = Elector.objects.filter(round=self.round).select_related("deputy").order_by("deputy__name")
        if query:
            electors = electors.filter(deputy__name__contains=query)
        else:
            electors = electors.filter(issued="")
        return super().get_context_data(query=query, electors=list(electors[:LISTED]), **kwargs)

    def post(self, request, pk):
        elector_id = parse_id(request.POST.get("elector", ""))
        elector = Elector.objects.filter(round=self.round, pk=elector_id).select_related("deputy").first()
        if elector is None:
            messages.error(request, "请从本轮有表决权的代表名单中选择。")
            return self.here()
        try:
            ballot.issue(self.round, elector.deputy, "paper", user=request.user)
        except BallotError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{elector.deputy.name}已签到，请发给一张纸质选票。")
        return self.here()


class PaperForm(forms.Form):
    sheet = forms.IntegerField(label="选票编号", min_value=1, max_value=999999, help_text="选票上印的编号。")
    choices = forms.TypedMultipleChoiceField(
        label="选票上所选的项目",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="照选票如实勾选；多选的选票照样录入，计为无效票。",
    )
    spoiled = forms.BooleanField(label="无法辨认或作废", required=False)

    def __init__(self, *args, round: ProjectRound, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choices"].choices = [
            (c.number, f"{c.number}. {c.title}") for c in round.candidates.order_by("number")
        ]


class PaperEntryView(RoundScreen):
    """纸质选票录入: each sheet entered by two people; stored when their entries agree."""

    template_name = "livelihood/admin/paper.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", PaperForm(round=self.round))
        return super().get_context_data(**kwargs)

    def post(self, request, pk):
        form = PaperForm(request.POST, round=self.round)
        if not form.is_valid():
            messages.error(request, "请填写选票编号，并照选票勾选项目。")
            return self.render_to_response(self.get_context_data(form=form))
        sheet = form.cleaned_data["sheet"]
        try:
            stored = ballot.enter_paper(
                self.round, sheet, form.cleaned_data["choices"], user=request.user, spoiled=form.cleaned_data["spoiled"]
            )
        except BallotError as error:
            messages.error(request, str(error))
            return self.render_to_response(self.get_context_data(form=form))
        if stored:
            messages.success(request, f"第{sheet}号纸质选票：两人一致，已入箱。")
        else:
            messages.warning(request, f"第{sheet}号纸质选票已录入，等待另一人录入核对；两人一致后入箱。")
        return self.here()
