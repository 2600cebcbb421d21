"""项目实施与监督 in the admin: one screen per chosen project, under its candidate
(/admin/livelihood/candidates/<pk>/project/), and the supervision groups' inspections with the
INSPECTIONS process's button (答复发现的问题) for the responsible department.

The project screen shows the plan (milestones), the progress reports and the inspections, and
offers, each to those the implementation allows:

- 添加计划节点 (title, due date): the round's runner or the department's handlers;
- 报告实施进展 (date, %, 万元, text, milestone reached, up to 3 photos): `report_progress`;
- 确定监督组 (deputies of the round's roll, the leader): `set_group`, the runner only;
- 记录监督活动 (date, form, deputies of the group, findings, problems, photos):
  `record_inspection`.

Refusals come back as the implementation's Chinese messages and nothing is stored. Who may
open it: the runner (district admin, the street committee of a street's round), the handlers
of the responsible department (their department's chosen projects only), the auditor
(reading); everyone else gets 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from wagtail.admin.ui.tables import Column

from base.policies import policy_for
from base.viewsets import ModelInspectView, ScopedModelViewSet
from content.models import Deputy
from livelihood.implementation import (
    IMPLEMENTED,
    INSPECTIONS,
    Progress,
    ProjectError,
    Visit,
    handles,
    is_chosen,
    record_inspection,
    report_progress,
    runs,
    set_group,
)
from livelihood.models import BallotCount, Candidate, Inspection, Milestone, RoundState
from livelihood.project_forms import InspectionForm, ProjectForm
from livelihood.rounds import ROUNDS
from livelihood.screening import OPEN_FOR_ASSESSMENT
from workflows.models import Department
from workflows.process import NOTHING
from workflows.process_admin import ProcessDetailMixin, transition_urlpattern

# --- Scope -----------------------------------------------------------------------------------------


def chosen_q() -> Q:
    """The chosen projects of every round being implemented (or done): one query."""
    terms = NOTHING
    for round_id, numbers in BallotCount.objects.filter(round__state__in=IMPLEMENTED).values_list("round_id", "chosen"):
        if numbers:
            terms |= Q(round_id=round_id, number__in=numbers)
    return terms


def implementing_q() -> Q:
    """The chosen projects of the rounds being implemented now (实施中): one query. The
    dashboard's progress figures count these (oversight.work_section)."""
    terms = chosen_q()
    return NOTHING if terms == NOTHING else terms & Q(round__state=RoundState.IMPLEMENTING)


def milestone_overdue_q(today=None) -> Q:
    """A milestone past its due date and not done (到期未完成)."""
    return Q(due_on__lt=today or timezone.localdate(), done_on__isnull=True)


def with_overdue_milestone_q(today=None) -> Q:
    """A project with a milestone past its due date and not done."""
    overdue = Milestone.objects.filter(milestone_overdue_q(today), candidate=OuterRef("pk"))
    return Q(Exists(overdue))


def department_projects(queryset, user):
    """The chosen projects whose responsible department the user handles for."""
    handled = Department.objects.handled_by(user)
    if not handled.exists():
        return queryset.none()
    terms = chosen_q()
    if terms == NOTHING:
        return queryset.none()
    return queryset.filter(terms, department__in=handled.values("pk"))


def candidate_scope(queryset, user):
    """A candidate is reached through its round (its runner; district-wide roles read), and by
    its responsible department's handlers while it is being assessed, and once chosen."""
    rounds = queryset.filter(round__in=ROUNDS.scope(ROUNDS.model.objects.all(), user).values("pk"))
    screening = queryset.filter(
        department__in=Department.objects.handled_by(user).values("pk"), round__state__in=OPEN_FOR_ASSESSMENT
    )
    return (rounds | screening | department_projects(queryset, user)).distinct()


# --- The project screen ------------------------------------------------------------------------------


class MilestoneForm(ProjectForm):
    title = forms.CharField(label="节点", max_length=80)
    due_on = forms.DateField(label="计划完成", widget=forms.DateInput(attrs={"type": "date"}))


class ProgressForm(ProjectForm):
    reported_on = forms.DateField(label="报告日期", widget=forms.DateInput(attrs={"type": "date"}))
    progress = forms.IntegerField(label="完成进度（%）", min_value=0, max_value=100)
    spent = forms.DecimalField(label="累计完成投资（万元）", min_value=0, max_digits=10, decimal_places=2)
    text = forms.CharField(label="进展情况", max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))
    milestone = forms.ModelChoiceField(
        label="完成的节点（可选）", queryset=Milestone.objects.none(), required=False, empty_label="无"
    )

    def __init__(self, *args, candidate, **kwargs):
        super().__init__(*args, candidate=candidate, **kwargs)
        self.fields["milestone"].queryset = candidate.milestones.filter(done_on__isnull=True)
        self.fields["milestone"].error_messages["invalid_choice"] = "请选择这个项目计划中尚未完成的节点。"


def roll_of(candidate):
    return Deputy.objects.filter(livelihood_rolls__round_id=candidate.round_id).order_by("name")


class GroupForm(ProjectForm):
    deputies = forms.ModelMultipleChoiceField(
        label="监督组代表", queryset=Deputy.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    leader = forms.ModelChoiceField(
        label="组长", queryset=Deputy.objects.none(), required=False, empty_label="暂不指定"
    )

    def __init__(self, *args, candidate, **kwargs):
        super().__init__(*args, candidate=candidate, **kwargs)
        roll = roll_of(candidate)
        self.fields["deputies"].queryset = roll
        self.fields["leader"].queryset = roll
        self.fields["deputies"].error_messages["invalid_choice"] = "请从本轮有表决权的代表名单中选择。"
        self.fields["deputies"].error_messages["invalid_pk_value"] = "请从本轮有表决权的代表名单中选择。"
        self.fields["leader"].error_messages["invalid_choice"] = "组长须是监督组的代表。"


FORMS = {"milestone": MilestoneForm, "progress": ProgressForm, "group": GroupForm, "inspection": InspectionForm}


def form_problems(form) -> str:
    return "；".join(
        f"{form.fields[name].label if name in form.fields else ''}{' '.join(errors)}"
        for name, errors in form.errors.items()
    )


class ProjectView(TemplateView):
    """项目实施与监督: the plan, the reports and the inspections of one chosen project."""

    template_name = "livelihood/admin/project.html"
    model = Candidate  # read by permissions.admin_scope, which checks the candidate's scope too

    def dispatch(self, request, pk, *args, **kwargs):
        if not policy_for(Candidate).user_has_permission(request.user, "view"):
            raise Http404
        candidates = candidate_scope(Candidate.objects.select_related("round", "department"), request.user)
        self.candidate = get_object_or_404(candidates, pk=pk)
        if not is_chosen(self.candidate):
            raise Http404
        self.runs = runs(request.user, self.candidate.round)
        self.handles = handles(request.user, self.candidate)
        if request.method == "POST" and not (self.runs or self.handles):
            raise Http404
        return super().dispatch(request, pk, *args, **kwargs)

    def bound(self, name, data=None, files=None):
        return FORMS[name](data, files, candidate=self.candidate)

    def get_context_data(self, **kwargs):
        candidate = self.candidate
        open_ = candidate.round.state != RoundState.CLOSED
        forms_ = {name: kwargs.pop(f"{name}_form", None) or self.bound(name) for name in FORMS}
        if not forms_["progress"].is_bound:
            forms_["progress"].initial.setdefault("reported_on", timezone.localdate())
        group = list(candidate.supervisors.order_by("name"))
        return super().get_context_data(
            candidate=candidate,
            round=candidate.round,
            milestones=list(candidate.milestones.all()),
            reports=list(candidate.reports.select_related("milestone").prefetch_related("photos")),
            inspections=list(candidate.inspections.prefetch_related("deputies", "photos")),
            group=group,
            leader=candidate.supervision_leader,
            may_plan=open_ and (self.runs or self.handles),
            may_report=open_ and (self.runs or self.handles),
            may_group=open_ and self.runs,
            may_inspect=open_ and self.runs and bool(group),
            forms=forms_,
            public_url=reverse("livelihood_project", args=[candidate.round_id, candidate.number]),
            candidate_url=reverse("livelihood_candidates:inspect", args=[candidate.pk]),
            **kwargs,
        )

    def refused(self, name, form, message):
        messages.error(self.request, message)
        return self.render_to_response(self.get_context_data(**{f"{name}_form": form}))

    def post(self, request, pk):
        name = request.POST.get("action", "")
        if name not in FORMS:
            raise Http404
        form = self.bound(name, request.POST, request.FILES)
        if not form.is_valid():
            return self.refused(name, form, f"未能保存：{form_problems(form)}")
        try:
            done = getattr(self, f"do_{name}")(form.cleaned_data, request.FILES.getlist("photos"))
        except ProjectError as error:
            return self.refused(name, form, str(error))
        messages.success(request, done)
        return redirect(request.path)

    def do_milestone(self, data, _photos) -> str:
        if not (self.runs or self.handles):
            raise ProjectError("只有本轮的组织者或责任单位的经办人能修改实施计划。")
        if self.candidate.round.state == RoundState.CLOSED:
            raise ProjectError("本轮已完成，不再修改实施计划。")
        milestone = Milestone(candidate=self.candidate, title=data["title"].strip(), due_on=data["due_on"])
        milestone._change_reason = "添加计划节点"
        milestone.save()
        return f"已添加计划节点“{milestone.title}”。"

    def do_progress(self, data, photos) -> str:
        report = Progress(data["reported_on"], data["progress"], data["spent"], data["text"], data["milestone"], photos)
        row = report_progress(self.candidate, report, user=self.request.user)
        return f"已报告实施进展：完成 {row.progress}%。"

    def do_group(self, data, _photos) -> str:
        set_group(self.candidate, data["deputies"], data["leader"], user=self.request.user)
        return "已确定监督组。"

    def do_inspection(self, data, photos) -> str:
        visit = Visit(data["date"], data["kind"], data["deputies"], data["findings"], data["problems"], photos)
        row = record_inspection(self.candidate, visit, user=self.request.user)
        if row.problems:
            return "已记录监督活动，发现的问题已交责任单位答复。"
        return "已记录监督活动。"


# --- Inspections: the department answers the problems raised --------------------------------------


class InspectionDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "livelihood/admin/inspection_detail.html"
    process = INSPECTIONS
    act_url_name = "livelihood_inspections:act"

    def get_context_data(self, **kwargs):
        inspection = self.object
        return super().get_context_data(
            deputies=list(inspection.deputies.order_by("name")),
            photos=list(inspection.photos.all()),
            project_url=reverse("livelihood_candidates:project", args=[inspection.candidate_id]),
            **kwargs,
        )


class InspectionViewSet(ScopedModelViewSet):
    """监督问题答复: the supervision groups' inspections; the department answers the problems."""

    model = Inspection
    icon = "search"
    menu_label = "监督问题答复"
    url_prefix = "livelihood/inspections"
    form_fields = ["findings"]  # never offered: the policy refuses add and change (recorded on the project)
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = InspectionDetailView
    inspect_view_fields = ["candidate", "date", "kind", "findings", "problems", "state", "answer", "answered_at"]
    list_display = [
        "candidate",
        "date",
        Column("kind", label="形式", accessor="get_kind_display"),
        Column("department", label="责任单位", accessor="candidate.department"),
        Column("state", label="状态", accessor="get_state_display"),
    ]
    list_filter = ["state", "kind"]
    search_fields = ["candidate__title", "findings", "problems"]
    ordering = ["-date", "-pk"]

    def get_queryset(self, request):
        return Inspection.objects.select_related("candidate", "candidate__department")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(INSPECTIONS, self.get_url_name("inspect"))]
