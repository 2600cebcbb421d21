"""Admin of station evaluation (站点评星): the monthly evaluations with the process's buttons
and the scores table (月度评星), the district's scheme (评星办法), and the to-dos on the admin
home. Imported by `oversight.apps.OversightConfig.ready()`, which registers its hooks.

The district admin edits the scheme and approves; a street committee reviews its own street's
evaluations; station staff start and fill their own station's self-assessment and score the
stations they are assigned to; the auditor reads everything. Evaluations are never edited as
rows nor deleted: they change through their process only.
"""

from __future__ import annotations

import datetime as dt

import django_filters

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from base import audit
from base.policies import TransitionsOnlyPermissionPolicy
from base.roles import roles_of
from base.viewsets import ModelInspectView, ScopedModelViewSet
from content.models import StationPage
from content.scoping import streets_for
from oversight.evaluation import (
    EVALUATED_LEVELS,
    EVALUATIONS,
    PEER,
    PEER_READER,
    EvaluationError,
    compute_score,
    first_of_month,
    indicator_rows,
    month_label,
    staffed_station_ids,
    start,
)
from oversight.models import (
    EvaluationAction,
    EvaluationScheme,
    EvaluationState,
    ScoreKind,
    StationEvaluation,
)
from workflows.process_admin import ProcessDetailMixin, add_todo_panels, transition_urlpattern


class SchemePermissionPolicy(ModelPermissionPolicy):
    """Schemes are the district's (model permissions) and never deleted: evaluations keep theirs."""

    def user_has_permission(self, user, action):
        return action != "delete" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


register_permission_policy(EvaluationScheme, SchemePermissionPolicy(EvaluationScheme))
register_permission_policy(StationEvaluation, TransitionsOnlyPermissionPolicy(StationEvaluation, EVALUATIONS.scope))


@hooks.register("register_audit_actions")
def register_evaluation_audit_actions(registry):
    registry.register_choices(EvaluationAction)


@hooks.register("before_demo_district_reset")
def clear_demo_evaluations():
    """Evaluations hold their stations (PROTECT): they go before the demo district is rebuilt."""
    StationEvaluation.objects.all().delete()


# --- The scheme ---------------------------------------------------------------------------------------


class SchemeForm(WagtailAdminModelForm):
    """The scheme with its items; each save is recorded in the audit log (the field changes
    are in the scheme's history)."""

    def clean(self):
        data = super().clean()
        formset = self.formsets.get("items")
        if formset is not None:
            chosen = [
                form.cleaned_data.get("facility")
                for form in formset.forms
                if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
            ]
            if len(chosen) != len(set(chosen)):
                raise ValidationError("同一个九有标准项只能设置一次满分（有重复的评分项）。")
        return data

    def save(self, commit=True):
        scheme = super().save(commit=commit)
        if commit:
            audit.record(EvaluationAction.SCHEME_SAVED, actor=self.for_user, obj=scheme, year=scheme.year)
        return scheme


class EvaluationSchemeViewSet(ScopedModelViewSet):
    """评星办法: the district's scheme of each year."""

    model = EvaluationScheme
    icon = "form"
    menu_label = "评星办法"
    url_prefix = "oversight/evaluation-schemes"
    edit_handler = ObjectList(EvaluationScheme.panels, base_form_class=SchemeForm)
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = [
        "year",
        "reception_points",
        "on_time_points",
        "attendance_points",
        "self_weight",
        "peer_weight",
        "peer_count",
        "star1",
        "star2",
        "star3",
        "star4",
        "star5",
        "note",
    ]
    list_display = [
        "year",
        Column("self_weight", label="自评权重"),
        Column("peer_weight", label="互评权重"),
        Column("peer_count", label="互评站点数"),
        Column("thresholds", label="星级分数线", accessor="thresholds_label"),
    ]
    ordering = ["-year"]


# --- The evaluations ----------------------------------------------------------------------------------


class StartForm(WagtailAdminModelForm):
    """开始自评: a station (the person's own, or any for the district admin) and a month."""

    month = forms.DateField(
        label="月份",
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text="评定的月份，默认本月。",
    )

    class Meta:
        model = StationEvaluation
        fields = ["station", "month"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        roles = roles_of(self.for_user)
        stations = StationPage.objects.filter(level__in=EVALUATED_LEVELS, street__isnull=False).order_by("path")
        if not roles.is_district_admin:
            stations = stations.filter(pk__in=staffed_station_ids(roles))
        self.fields["station"].queryset = stations
        self.fields["station"].label = "站点"
        self.fields["month"].initial = first_of_month(timezone.localdate())

    def clean(self):
        data = super().clean()
        station, month = data.get("station"), data.get("month")
        if station and month:
            data["month"] = month = first_of_month(month)
            if StationEvaluation.objects.filter(station=station, month=month).exists():
                raise ValidationError(f"{station.title}{month_label(month)}的自评已经存在，不能重复填报。")
        return data

    def validate_unique(self):
        """The one message above says it (the model's constraint would say it again)."""

    def save(self, commit=True):
        try:
            self.instance = start(self.cleaned_data["station"], self.cleaned_data["month"], user=self.for_user)
        except EvaluationError as error:
            raise ValidationError(str(error)) from None
        return self.instance


class StartView(generic.CreateView):
    """开始自评: the new evaluation opens on its own page, where the self-assessment is filled."""

    def get_success_url(self):
        return reverse("oversight_evaluations:inspect", args=[self.object.pk])

    def get_success_buttons(self):
        return []

    def get_success_message(self, instance):
        return f"已开始{instance}的自评。"


class StationEvaluationFilterSet(WagtailFilterSet):
    month = django_filters.ChoiceFilter(label="月份", choices=lambda: _month_choices(), method="filter_month")
    street = django_filters.ModelChoiceFilter(
        label="街道", queryset=lambda request: streets_for(request.user).order_by("name")
    )
    state = django_filters.ChoiceFilter(label="状态", choices=EvaluationState.choices)
    stars = django_filters.ChoiceFilter(
        label="星级", choices=[(n, f"{n} 星" if n else "未达星级") for n in range(5, -1, -1)]
    )

    class Meta:
        model = StationEvaluation
        fields = ["month", "street", "state", "stars"]

    def filter_month(self, queryset, name, value):
        try:
            month = dt.date.fromisoformat(f"{value}-01")
        except ValueError:
            return queryset.none()
        return queryset.filter(month=month)


def _month_choices():
    months = StationEvaluation.objects.order_by("-month").values_list("month", flat=True).distinct()[:36]
    return [(f"{month:%Y-%m}", month_label(month)) for month in months]


class StationEvaluationDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "oversight/evaluation/detail.html"
    process = EVALUATIONS
    act_url_name = "oversight_evaluations:act"

    def get_page_title(self):
        return f"{self.object.station.title} · {self.object.month_label}评星"

    def get_context_data(self, **kwargs):
        row = self.object
        score = compute_score(row)
        scores = list(row.scores.select_related("scorer_station", "facility"))
        assignments = list(row.peer_assignments.select_related("scorer_station"))
        if self.held and self.held <= {PEER, PEER_READER}:
            # A peer station reads the evaluation to score it: its own scores, not the other peers'.
            mine = set(staffed_station_ids(roles_of(self.request.user)))
            assignments = [a for a in assignments if a.scorer_station_id in mine]
        peers = [a.scorer_station for a in assignments]
        table = []
        for item in score.items:
            facility = item["facility"]
            by_peer = {
                s.scorer_station_id: s.points for s in scores if s.kind == ScoreKind.PEER and s.facility == facility
            }
            table.append({**item, "peer_points": [by_peer.get(p.pk) for p in peers]})
        return super().get_context_data(
            score=score,
            table=table,
            peers=peers,
            assignments=assignments,
            adjustments=[s for s in scores if s.kind == ScoreKind.STREET],
            indicators=indicator_rows(row, row.scheme) if row.submitted_at else [],
            scheme=row.scheme,
            **kwargs,
        )


class StationEvaluationViewSet(ScopedModelViewSet):
    """月度评星: every station's monthly evaluation, with the process's buttons."""

    model = StationEvaluation
    icon = "pick"
    menu_label = "月度评星"
    url_prefix = "oversight/evaluations"
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = StationEvaluationDetailView
    add_view_class = StartView
    inspect_view_fields = ["station", "street", "month", "state", "self_note", "return_reason", "review_note"]
    filterset_class = StationEvaluationFilterSet
    list_display = [
        Column("station", label="站点", accessor="station.title"),
        "street",
        Column("month", label="月份", accessor="month_label"),
        Column("state", label="状态", accessor="get_state_display"),
        Column("final_score", label="评定得分"),
        Column("stars", label="星级", accessor="stars_label"),
    ]
    search_fields = ["station__title", "street__name"]
    search_backend_name = None
    ordering = ["-month", "street__sort_order", "station__path"]

    def get_queryset(self, request):
        return StationEvaluation.objects.select_related("station", "street")

    def get_form_class(self, for_update=False):
        return StartForm

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(EVALUATIONS, self.get_url_name("inspect"))]


class EvaluationGroup(ViewSetGroup):
    menu_label = "站点评星"
    menu_icon = "pick"
    menu_order = 360
    items = (
        StationEvaluationViewSet("oversight_evaluations"),
        EvaluationSchemeViewSet("oversight_evaluation_schemes"),
    )


@hooks.register("register_admin_viewset")
def register_evaluation():
    return EvaluationGroup()


@hooks.register("construct_homepage_panels")
def add_evaluation_todos(request, panels):
    add_todo_panels(request, panels, (EVALUATIONS, "oversight_evaluations:index", 64))
