"""Admin screens of deputy suggestions: the liaison office's pre-review queue (the process's
buttons and to-dos), each suggestion with its co-signers and every round of pre-review
compared with the one before."""

import django_filters

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views import View

from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from base.policies import TransitionsOnlyPermissionPolicy, policy_for
from base.viewsets import ModelInspectView, ScopedModelViewSet
from duties.models import DiscussionTopic
from suggestions import reports  # noqa: F401 - registers the year-end report's hooks
from suggestions.assignment import ASSIGNMENTS
from suggestions.drafting import SUGGESTIONS
from suggestions.models import ReplyCategory, Suggestion, SuggestionAction, SuggestionAssignment, SuggestionReply
from suggestions.portal import round_changes
from suggestions.statistics import (
    SATISFIED,
    filed_q,
    latest_category,
    latest_rating,
    led_by_q,
    overdue_q,
    replied_q,
)
from workflows.models import Department, Opinion
from workflows.process_admin import ProcessDetailMixin, add_todo_panels, transition_urlpattern
from workflows.storage import private_file_response

register_permission_policy(
    Suggestion, TransitionsOnlyPermissionPolicy(Suggestion, SUGGESTIONS.scope, created_elsewhere=True)
)
register_permission_policy(
    SuggestionAssignment,
    TransitionsOnlyPermissionPolicy(SuggestionAssignment, ASSIGNMENTS.scope, created_elsewhere=True),
)


@hooks.register("register_portal_links")
def portal_suggestions_link():
    return [("代表建议", reverse("suggestion_portal:index"))]


@hooks.register("portal_follow_ups")
def draft_from(row):
    """An opinion or 直通车 item, or a closed topic, of the deputy's: start a suggestion from it."""
    if isinstance(row, Opinion):
        return [("据此起草建议", f"{reverse('suggestion_portal:new')}?opinion={row.pk}")]
    if isinstance(row, DiscussionTopic):
        return [("据此起草代表建议", f"{reverse('suggestion_portal:new')}?topic={row.pk}")]
    return []


@hooks.register("register_audit_actions")
def register_audit_actions(registry):
    registry.register_choices(SuggestionAction)


@hooks.register("before_demo_district_reset")
def clear_demo_suggestions():
    """Suggestions hold their deputies (PROTECT): they go before the demo district is rebuilt."""
    Suggestion.objects.all().delete()


class SuggestionDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "suggestions/admin/suggestion_detail.html"
    process = SUGGESTIONS
    act_url_name = "suggestions:act"

    def get_page_title(self):
        return self.object.number or "代表建议（未立案）"

    def get_context_data(self, **kwargs):
        rounds = list(self.object.rounds.select_related("decided_by").order_by("number"))
        for before, after in zip([None, *rounds], rounds, strict=False):
            after.changes = round_changes(before, after)
        return super().get_context_data(
            rounds=rounds,
            cosigners=list(self.object.cosigners.select_related("deputy")),
            assignments=list(self.object.assignments.select_related("department")),
            replies=list(self.object.replies.select_related("department")),
            key_group=list(self.object.key_group.all()),
            supervision_records=list(self.object.supervision_records.all()),
            **kwargs,
        )


def _boolean(queryset, condition, value):
    if value is None:
        return queryset
    return queryset.filter(condition) if value else queryset.exclude(condition)


class SuggestionFilterSet(WagtailFilterSet):
    """The listing's filters, and those of the dashboard's figures (oversight.work_section):
    each selects exactly the suggestions one figure of the year-end report counts."""

    filed = django_filters.BooleanFilter(label="已立案", method="filter_filed")
    lead_department = django_filters.ModelChoiceFilter(
        label="主办单位", queryset=Department.objects.order_by("name"), method="filter_lead_department"
    )
    replied = django_filters.BooleanFilter(label="已答复", method="filter_replied")
    reply_category = django_filters.ChoiceFilter(
        label="最近一次答复类别", choices=ReplyCategory.choices, method="filter_reply_category"
    )
    rating = django_filters.ChoiceFilter(
        label="代表评价",
        choices=[("rated", "已评价"), ("satisfied", "最近一次评价满意或基本满意")],
        method="filter_rating",
    )
    overdue = django_filters.BooleanFilter(label="逾期未答复", method="filter_overdue")

    class Meta:
        model = Suggestion
        fields = ["is_key", "state", "kind", "type", "year"]

    def filter_filed(self, queryset, name, value):
        return _boolean(queryset, filed_q(), value)

    def filter_lead_department(self, queryset, name, value):
        return queryset.filter(led_by_q(value.pk)) if value else queryset

    def filter_replied(self, queryset, name, value):
        return _boolean(queryset, replied_q(), value)

    def filter_reply_category(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(replied_q()).alias(latest_category=latest_category()).filter(latest_category=value)

    def filter_rating(self, queryset, name, value):
        if not value:
            return queryset
        queryset = queryset.filter(assigned_at__isnull=False).alias(latest_rating=latest_rating())
        if value == "satisfied":
            return queryset.filter(latest_rating__in=SATISFIED)
        return queryset.filter(latest_rating__isnull=False)

    def filter_overdue(self, queryset, name, value):
        return _boolean(queryset, overdue_q(), value)


class SuggestionViewSet(ScopedModelViewSet):
    """代表建议: the liaison office's pre-review (受理立案, 退回修改, 转为批评和意见)."""

    model = Suggestion
    icon = "doc-full"
    menu_label = "建议预审与交办"
    form_fields = ["title"]  # never offered: the policy refuses add and change (drafted in 代表e站)
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = SuggestionDetailView
    inspect_view_fields = [
        "title",
        "kind",
        "type",
        "category",
        "lead",
        "problem",
        "measures",
        "state",
        "conversion_reason",
        "source_opinion",
        "source_topic",
        "deadline",
        "published_at",
        "is_key",
        "key_leader",
    ]
    list_display = [
        "title",
        Column("key", label="重点督办", accessor="key_label"),
        Column("number", label="编号"),
        "lead",
        Column("kind", label="类别", accessor="get_kind_display"),
        Column("state", label="状态", accessor="get_state_display"),
        "submitted_at",
    ]
    filterset_class = SuggestionFilterSet
    search_fields = ["title", "problem", "lead__name"]
    ordering = ["-is_key", "-created_at"]  # key suggestions (重点督办) first

    def get_queryset(self, request):
        return Suggestion.objects.select_related("lead")

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            transition_urlpattern(SUGGESTIONS, self.get_url_name("inspect")),
            path("attachment/<int:pk>/", ReplyAttachmentView.as_view(), name="attachment"),
        ]


class ReplyAttachmentView(View):
    """A reply's attachment, to those who may see the suggestion."""

    def get(self, request, pk):
        if not policy_for(Suggestion).user_has_permission(request.user, "view"):
            raise Http404
        suggestions = SUGGESTIONS.scope(Suggestion.objects.all(), request.user)
        with_files = SuggestionReply.objects.filter(suggestion__in=suggestions).exclude(attachment="")
        reply = get_object_or_404(with_files, pk=pk)
        return private_file_response(reply.attachment)


class AssignmentDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "workflows/admin/process_detail.html"
    process = ASSIGNMENTS
    act_url_name = "suggestion_assignments:act"


class AssignmentViewSet(ScopedModelViewSet):
    """承办与签收: each department's part in the suggestions assigned to it (签收, 申请调整), and
    the office's decisions on requests to be taken off one."""

    model = SuggestionAssignment
    icon = "tasks"
    menu_label = "承办与签收"
    form_fields = ["role"]  # never offered: the policy refuses add and change (made by 交办)
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = AssignmentDetailView
    inspect_view_fields = ["suggestion", "department", "role", "state", "reason", "assigned_at", "signed_at"]
    list_display = [
        "suggestion",
        "department",
        Column("role", label="承办方式", accessor="get_role_display"),
        Column("state", label="状态", accessor="get_state_display"),
        Column("deadline", label="办理期限", accessor="suggestion.deadline"),
    ]
    list_filter = ["state", "role"]
    search_fields = ["suggestion__title", "department__name"]
    ordering = ["-assigned_at"]

    def get_queryset(self, request):
        return SuggestionAssignment.objects.select_related("suggestion", "department")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(ASSIGNMENTS, self.get_url_name("inspect"))]


class SuggestionsGroup(ViewSetGroup):
    menu_label = "代表建议"
    menu_icon = "doc-full"
    menu_order = 330
    items = (SuggestionViewSet("suggestions"), AssignmentViewSet("suggestion_assignments"))


@hooks.register("register_admin_viewset")
def register_suggestions():
    return SuggestionsGroup()


@hooks.register("construct_homepage_panels")
def add_suggestion_todos(request, panels):
    add_todo_panels(
        request, panels, (SUGGESTIONS, "suggestions:index", 58), (ASSIGNMENTS, "suggestion_assignments:index", 59)
    )
