"""Admin of livelihood projects (民生实事): the rounds (票决轮次) with the process's buttons, the
ballot's figures and its count; the nominations (项目征集, livelihood.nomination_admin); their
candidate projects, and for the chosen ones the implementation and supervision screen and the
inspections' answers (livelihood.project_admin); the sign-in and paper-entry screens of the
ballot (livelihood.ballot_admin); the to-dos on the admin home; the portal's link.

A street committee sees, creates and edits its own street's rounds only; the district admin
all of them; the auditor reads; a department's handlers read their department's chosen
projects and report on them. The numbers on the ballot (N, M) and the round's street stand
once the ballot has opened; candidates change only until they are published.
"""

from __future__ import annotations

import django_filters

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from base.filters import ConditionFilter
from base.policies import ScopedPermissionPolicy, TransitionsOnlyPermissionPolicy
from base.roles import MANAGE_STREET, roles_of
from base.viewsets import ModelInspectView, ScopedModelViewSet
from content.models import Street
from content.scoping import streets_for
from livelihood.assessment_admin import AssessView
from livelihood.ballot_admin import PaperEntryView, SignInView
from livelihood.implementation import INSPECTIONS, is_chosen
from livelihood.models import Candidate, Inspection, LivelihoodAction, Nomination, ProjectRound, RoundState
from livelihood.nomination_admin import NominationViewSet, nomination_scope
from livelihood.nominations import NOMINATIONS
from livelihood.project_admin import (
    InspectionViewSet,
    ProjectView,
    candidate_scope,
    implementing_q,
    with_overdue_milestone_q,
)
from livelihood.results import BALLOT_OPENED, CANDIDATES_OPEN, result_of, sign_in_figures
from livelihood.rounds import ROUNDS
from livelihood.screening import OPEN_FOR_ASSESSMENT
from workflows.process import NOTHING
from workflows.process_admin import ProcessDetailMixin, add_todo_panels, transition_urlpattern


class RoundPermissionPolicy(ScopedPermissionPolicy):
    """Rounds are never deleted: their ballots, roll and count are the record."""

    def user_has_permission(self, user, action):
        return action != "delete" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


register_permission_policy(ProjectRound, RoundPermissionPolicy(ProjectRound, ROUNDS.scope))
register_permission_policy(Candidate, ScopedPermissionPolicy(Candidate, candidate_scope))
register_permission_policy(Nomination, TransitionsOnlyPermissionPolicy(Nomination, nomination_scope))
register_permission_policy(
    Inspection, TransitionsOnlyPermissionPolicy(Inspection, INSPECTIONS.scope, created_elsewhere=True)
)


@hooks.register("register_audit_actions")
def register_audit_actions(registry):
    registry.register_choices(LivelihoodAction)


@hooks.register("register_portal_links")
def portal_livelihood_link():
    return [("民生实事票决", reverse("livelihood_portal:index"))]


# --- Rounds -----------------------------------------------------------------------------------

FROZEN_FIELDS = ("seats", "candidate_count", "street")


class RoundForm(WagtailAdminModelForm):
    """A round's fields. A street committee chooses among its own streets only (never 全区);
    from the ballot's opening on, N, M and the street stand."""

    class Meta:
        model = ProjectRound
        fields = [
            "year",
            "street",
            "title",
            "seats",
            "candidate_count",
            "nomination_opens",
            "nomination_closes",
            "candidates_on",
            "ballot_on",
            "results_on",
            "evaluation_on",
        ]
        widgets = {"street": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.district = roles_of(self.for_user).is_district_admin
        street = self.fields["street"]
        street.error_messages["invalid_choice"] = "街道人大工委只能管理本街道的民生实事轮次。"
        if self.district:
            street.empty_label = "全区"
        else:
            street.queryset = roles_of(self.for_user).granted(MANAGE_STREET, Street).order_by("name")
            street.empty_label = None

    def clean_street(self):
        street = self.cleaned_data.get("street")
        if street is None and not self.district:
            raise ValidationError("街道人大工委只能管理本街道的民生实事轮次，全区的轮次由区人大常委会代表工委管理。")
        return street

    def clean(self):
        data = super().clean()
        if self.instance.pk and self.instance.state in BALLOT_OPENED:
            for name in FROZEN_FIELDS:
                if name in self.changed_data:
                    state = self.instance.get_state_display()
                    self.add_error(name, f"票决已经开始（{state}），不能再修改{self.fields[name].label}。")
        year, street = data.get("year"), data.get("street")
        if year and street is None and "street" not in self.errors:
            others = ProjectRound.objects.filter(year=year, street__isnull=True).exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("year", f"{year}年已有全区的民生实事轮次。")
        seats, count = data.get("seats"), data.get("candidate_count")
        if seats and count and seats > count:
            self.add_error("seats", f"票决项目数 {seats} 不能多于候选项目数 {count}。")
        return data


class RoundDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "livelihood/admin/round_detail.html"
    process = ROUNDS
    act_url_name = "livelihood_rounds:act"

    def get_context_data(self, **kwargs):
        round = self.object
        balloting = round.state == RoundState.BALLOTING
        return super().get_context_data(
            candidates=list(round.candidates.select_related("department").order_by("number")),
            roll_size=round.entitled if round.entitled is not None else round.electors.count(),
            balloting=balloting,
            figures=sign_in_figures(round) if balloting else None,
            result=result_of(round),
            candidates_open=round.state in CANDIDATES_OPEN,
            runs=bool(self.held),
            **kwargs,
        )


class RoundViewSet(ScopedModelViewSet):
    """票决轮次: the year's round of the district or of one street."""

    model = ProjectRound
    form_class = RoundForm
    icon = "list-ol"
    menu_label = "票决轮次"
    url_prefix = "livelihood/rounds"
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = RoundDetailView
    inspect_view_fields = [
        "year",
        "title",
        "seats",
        "candidate_count",
        "nomination_opens",
        "nomination_closes",
        "candidates_on",
        "ballot_on",
        "results_on",
        "evaluation_on",
        "state",
        "entitled",
        "ballot_opened_at",
        "ballot_closed_at",
    ]
    list_display = [
        "year",
        Column("scope_label", label="范围"),
        "title",
        Column("state", label="状态", accessor="get_state_display"),
    ]
    list_filter = ["state", "year"]
    search_fields = ["title"]
    ordering = ["-year", "street__name"]

    def get_form_class(self, for_update=False):
        return RoundForm

    def get_queryset(self, request):
        return ProjectRound.objects.select_related("street")

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            transition_urlpattern(ROUNDS, self.get_url_name("inspect")),
            path("<int:pk>/sign-in/", SignInView.as_view(), name="sign_in"),
            path("<int:pk>/paper/", PaperEntryView.as_view(), name="paper"),
        ]


# --- Candidates -------------------------------------------------------------------------------


def closed_message(round: ProjectRound) -> str:
    return f"{round.title}当前为“{round.get_state_display()}”，候选项目已经公布，不能再增加、修改或删除。"


class CandidateForm(WagtailAdminModelForm):
    """A candidate of a round the person may reach, while its candidates are still open."""

    class Meta:
        model = Candidate
        fields = ["round", "number", "title", "description", "budget", "department", "location"]
        widgets = {"round": forms.Select, "department": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rounds = ROUNDS.scope(ProjectRound.objects.select_related("street"), self.for_user)
        self.fields["round"].queryset = rounds.order_by("-year", "street__name")
        if self.instance.pk:
            self.fields["round"].disabled = True  # a candidate stays in its round

    def clean(self):
        data = super().clean()
        round = self.instance.round if self.instance.pk else data.get("round")
        if round is not None and round.state not in CANDIDATES_OPEN:
            raise ValidationError(closed_message(round))
        return data


class CandidateCreateView(generic.CreateView):
    def get_initial(self):
        initial = super().get_initial()
        round = self.request.GET.get("round", "")
        if round.isdigit():
            initial["round"] = round
        return initial


class CandidateDeleteView(generic.DeleteView):
    def form_valid(self, form):
        if self.object.round.state not in CANDIDATES_OPEN:
            messages.error(self.request, closed_message(self.object.round))
            return redirect(reverse("livelihood_rounds:inspect", args=[self.object.round_id]))
        return super().form_valid(form)


class CandidateDetailView(ModelInspectView):
    """A candidate's fields; a chosen project links to its implementation and supervision."""

    template_name = "livelihood/admin/candidate_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            chosen=is_chosen(self.object), screening=self.object.round.state in OPEN_FOR_ASSESSMENT, **kwargs
        )


class CandidateFilterSet(WagtailFilterSet):
    """The listing's filters, and those of the dashboard's progress figures
    (oversight.work_section): the projects being implemented, of the district's rounds or
    of one street's, with a milestone past due."""

    stage = django_filters.ChoiceFilter(label="阶段", choices=[("implementing", "实施中的项目")], method="filter_stage")
    street = django_filters.ModelChoiceFilter(
        label="街道", field_name="round__street", queryset=lambda request: streets_for(request.user).order_by("name")
    )
    district_level = django_filters.BooleanFilter(label="全区的轮次", field_name="round__street", lookup_expr="isnull")
    milestone_overdue = ConditionFilter(label="有到期未完成的节点", condition=with_overdue_milestone_q)

    class Meta:
        model = Candidate
        fields = ["round"]

    def filter_stage(self, queryset, name, value):
        if value != "implementing":
            return queryset
        terms = implementing_q()
        return queryset.none() if terms == NOTHING else queryset.filter(terms)


class CandidateViewSet(ScopedModelViewSet):
    """候选项目: the projects on a round's ballot, in their places."""

    model = Candidate
    form_class = CandidateForm
    icon = "clipboard-list"
    menu_label = "候选项目"
    url_prefix = "livelihood/candidates"
    copy_view_enabled = False
    inspect_view_enabled = True
    add_view_class = CandidateCreateView
    delete_view_class = CandidateDeleteView
    inspect_view_class = CandidateDetailView
    inspect_view_fields = [
        "round",
        "number",
        "title",
        "description",
        "budget",
        "department",
        "location",
        "assessment",
        "assessed_at",
    ]
    list_display = ["round", "number", "title", "budget", "department"]
    filterset_class = CandidateFilterSet
    search_fields = ["title", "description"]
    ordering = ["round", "number"]

    def get_form_class(self, for_update=False):
        return CandidateForm

    def get_queryset(self, request):
        return Candidate.objects.select_related("round", "department")

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/project/", ProjectView.as_view(), name="project"),
            path("<int:pk>/assess/", AssessView.as_view(), name="assess"),
        ]


class LivelihoodGroup(ViewSetGroup):
    menu_label = "民生实事"
    menu_icon = "list-ol"
    menu_order = 340
    items = (
        RoundViewSet("livelihood_rounds"),
        NominationViewSet("livelihood_nominations"),
        CandidateViewSet("livelihood_candidates"),
        InspectionViewSet("livelihood_inspections"),
    )


@hooks.register("register_admin_viewset")
def register_livelihood():
    return LivelihoodGroup()


@hooks.register("construct_homepage_panels")
def add_round_todos(request, panels):
    add_todo_panels(
        request,
        panels,
        (ROUNDS, "livelihood_rounds:index", 60),
        (NOMINATIONS, "livelihood_nominations:index", 61),
        (INSPECTIONS, "livelihood_inspections:index", 62),
    )
