"""Admin of 居民议事: the meetings (议事会) with their process's buttons — record the meeting,
its resolutions, close it — and the resolutions (议定事项) with theirs — progress, done,
sent on as an opinion; the to-dos on the admin home.

Station staff run their stations' meetings, a street committee its street's, the district
admin all of them; the auditor and editors read. Meetings and resolutions change only
through their transitions, and are never deleted.
"""

from __future__ import annotations

import django_filters

from django import forms
from django.core.exceptions import ValidationError

from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from base.policies import TransitionsOnlyPermissionPolicy
from base.viewsets import ModelInspectView, ScopedModelViewSet
from content.models import StationPage
from deliberation.meetings import MEETINGS, RESOLUTIONS, DeliberationError, Plan, runnable_stations, schedule
from deliberation.models import (
    RESOLUTION_DEADLINE,
    DeliberationAction,
    Meeting,
    MeetingState,
    Resolution,
    ResolutionState,
)
from deliberation.public_views import meeting_url
from duties.models import DiscussionTopic, TopicState
from duties.topics import TOPICS
from workflows.models import Opinion
from workflows.opinions import OPINIONS
from workflows.process_admin import ProcessDetailMixin, add_todo_panels, transition_urlpattern

register_permission_policy(Meeting, TransitionsOnlyPermissionPolicy(Meeting, MEETINGS.scope))
register_permission_policy(
    Resolution, TransitionsOnlyPermissionPolicy(Resolution, RESOLUTIONS.scope, created_elsewhere=True)
)


@hooks.register("register_audit_actions")
def register_audit_actions(registry):
    registry.register_choices(DeliberationAction)


# --- Meetings -------------------------------------------------------------------------------------


class MeetingForm(WagtailAdminModelForm):
    """Scheduling a meeting at a station the person runs; its topic its own, or taken from an
    opinion (by receipt number) or from a discussion topic at one of their stations."""

    opinion_receipt = forms.CharField(
        label="来源意见回执编号", max_length=20, required=False, help_text="议题来自群众意见时填写。"
    )

    class Meta:
        model = Meeting
        fields = ["station", "title", "description", "topic", "date", "place"]
        widgets = {
            "station": forms.Select,
            "topic": forms.Select,
            "date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = runnable_stations(self.for_user).order_by("path")
        self.fields["station"].error_messages["invalid_choice"] = "您只能为本人负责的站点安排议事会。"
        topics = TOPICS.scope(DiscussionTopic.objects.exclude(state=TopicState.WITHDRAWN), self.for_user)
        self.fields["topic"].queryset = topics.order_by("-created_at")
        self.fields["topic"].required = False

    def clean_opinion_receipt(self):
        receipt = (self.cleaned_data.get("opinion_receipt") or "").strip()
        if not receipt:
            return None
        opinion = OPINIONS.scope(Opinion.objects.all(), self.for_user).filter(receipt_no=receipt).first()
        if opinion is None:
            raise ValidationError("找不到该回执编号的意见（或不在您的范围内）。")
        return opinion

    def clean(self):
        data = super().clean()
        if data.get("opinion_receipt") and data.get("topic"):
            raise ValidationError("议题来源只能选一个：群众意见或议题讨论。")
        return data

    def _post_clean(self):
        # The model's own checks run in deliberation.meetings.schedule(); the form checks its fields.
        pass


class MeetingCreateView(generic.CreateView):
    """Scheduling goes through deliberation.meetings.schedule(): checked, stored and audited."""

    def save_instance(self):
        data = self.form.cleaned_data
        plan = Plan(
            station=data["station"],
            title=data["title"],
            date=data["date"],
            place=data["place"],
            description=data.get("description", ""),
            opinion=data.get("opinion_receipt"),
            topic=data.get("topic"),
        )
        return schedule(plan, user=self.request.user)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except DeliberationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)


class MeetingDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "deliberation/admin/meeting_detail.html"
    process = MEETINGS
    act_url_name = "deliberation_meetings:act"

    def get_context_data(self, **kwargs):
        meeting = self.object
        resolutions = list(meeting.resolutions.select_related("opinion").order_by("pk"))
        for resolution in resolutions:
            resolution.overdue = RESOLUTION_DEADLINE.is_overdue(resolution)
        return super().get_context_data(
            deputies=list(meeting.deputies.order_by("name")),
            departments=list(meeting.departments.order_by("name")),
            resolutions=resolutions,
            public_url=meeting_url(meeting) if meeting.state != MeetingState.CANCELLED else "",
            **kwargs,
        )


def _stations_with_meetings():
    return StationPage.objects.filter(deliberation_meetings__isnull=False).distinct().order_by("path")


class MeetingFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(label="状态", choices=MeetingState.choices)
    station = django_filters.ModelChoiceFilter(label="站点", queryset=lambda request: _stations_with_meetings())

    class Meta:
        model = Meeting
        fields = ["state", "station"]


class MeetingViewSet(ScopedModelViewSet):
    """议事会: the meetings of the stations the person runs (or reads)."""

    model = Meeting
    form_class = MeetingForm
    icon = "group"
    menu_label = "议事会"
    url_prefix = "deliberation/meetings"
    copy_view_enabled = False
    inspect_view_enabled = True
    add_view_class = MeetingCreateView
    inspect_view_class = MeetingDetailView
    inspect_view_fields = [
        "station",
        "title",
        "description",
        "source_label",
        "date",
        "place",
        "state",
        "residents_count",
        "others",
        "minutes",
        "public_summary",
        "no_resolutions",
        "cancel_reason",
    ]
    list_display = [
        "date",
        "title",
        Column("station", label="站点"),
        Column("state", label="状态", accessor="get_state_display"),
    ]
    filterset_class = MeetingFilterSet
    ordering = ["-date", "-pk"]

    def get_form_class(self, for_update=False):
        return MeetingForm

    def get_queryset(self, request):
        return Meeting.objects.select_related("station", "opinion", "topic")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(MEETINGS, self.get_url_name("inspect"))]


# --- Resolutions ----------------------------------------------------------------------------------


class ResolutionDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "deliberation/admin/resolution_detail.html"
    process = RESOLUTIONS
    act_url_name = "deliberation_resolutions:act"

    def get_context_data(self, **kwargs):
        resolution = self.object
        return super().get_context_data(
            progress=list(resolution.progress.order_by("date", "pk")),
            overdue=RESOLUTION_DEADLINE.is_overdue(resolution),
            opinion=resolution.opinion,
            **kwargs,
        )


class ResolutionFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(label="状态", choices=ResolutionState.choices)
    overdue = django_filters.BooleanFilter(label="超期", method="filter_overdue")

    class Meta:
        model = Resolution
        fields = ["state", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = RESOLUTION_DEADLINE.overdue_q()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class ResolutionViewSet(ScopedModelViewSet):
    """议定事项: what the meetings resolved, followed up until done."""

    model = Resolution
    icon = "tasks"
    menu_label = "议定事项"
    url_prefix = "deliberation/resolutions"
    form_fields = ["content"]  # never offered: recorded on the meeting
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = ResolutionDetailView
    inspect_view_fields = ["meeting", "content", "follow_up_by", "due_on", "state", "done_on", "done_note", "opinion"]
    list_display = [
        "content",
        Column("meeting", label="议事会"),
        "follow_up_by",
        "due_on",
        Column("state", label="状态", accessor="get_state_display"),
    ]
    filterset_class = ResolutionFilterSet
    ordering = ["due_on", "pk"]

    def get_queryset(self, request):
        return Resolution.objects.select_related("meeting", "opinion")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(RESOLUTIONS, self.get_url_name("inspect"))]


class DeliberationGroup(ViewSetGroup):
    menu_label = "居民议事"
    menu_icon = "group"
    menu_order = 350
    items = (MeetingViewSet("deliberation_meetings"), ResolutionViewSet("deliberation_resolutions"))


@hooks.register("register_admin_viewset")
def register_deliberation():
    return DeliberationGroup()


@hooks.register("construct_homepage_panels")
def add_deliberation_todos(request, panels):
    add_todo_panels(
        request,
        panels,
        (MEETINGS, "deliberation_meetings:index", 63),
        (RESOLUTIONS, "deliberation_resolutions:index", 64),
    )
