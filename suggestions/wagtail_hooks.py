"""Admin screens of deputy suggestions: the liaison office's pre-review queue (the process's
buttons and to-dos), each suggestion with its co-signers and every round of pre-review
compared with the one before."""

from django.urls import reverse

from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.permissions import register_permission_policy

from base.policies import TransitionsOnlyPermissionPolicy
from base.viewsets import ModelInspectView, ScopedModelViewSet
from duties.models import DiscussionTopic
from suggestions.drafting import SUGGESTIONS
from suggestions.models import Suggestion, SuggestionAction
from suggestions.portal import round_changes
from workflows.models import Opinion
from workflows.process_admin import ProcessDetailMixin, ProcessTodoPanel, transition_urlpattern

register_permission_policy(
    Suggestion, TransitionsOnlyPermissionPolicy(Suggestion, SUGGESTIONS.scope, created_elsewhere=True)
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
            rounds=rounds, cosigners=list(self.object.cosigners.select_related("deputy")), **kwargs
        )


class SuggestionViewSet(ScopedModelViewSet):
    """代表建议: the liaison office's pre-review (受理立案, 退回修改, 转为批评和意见)."""

    model = Suggestion
    icon = "doc-full"
    menu_label = "代表建议"
    add_to_admin_menu = True
    menu_order = 330
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
    ]
    list_display = [
        "title",
        Column("number", label="编号"),
        "lead",
        Column("kind", label="类别", accessor="get_kind_display"),
        Column("state", label="状态", accessor="get_state_display"),
        "submitted_at",
    ]
    list_filter = ["state", "kind", "type", "year"]
    search_fields = ["title", "problem", "lead__name"]
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return Suggestion.objects.select_related("lead")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(SUGGESTIONS, self.get_url_name("inspect"))]


@hooks.register("register_admin_viewset")
def register_suggestions():
    return SuggestionViewSet("suggestions")


@hooks.register("construct_homepage_panels")
def add_suggestion_todos(request, panels):
    if request.user.has_perm("suggestions.view_suggestion"):
        panel = ProcessTodoPanel(SUGGESTIONS, request.user, "suggestions:index", order=58)
        if panel.has_work():
            panels.append(panel)
