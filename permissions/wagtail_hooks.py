"""Admin screens of the permissions app: station staff assignments, staff requests, the
auditors' read-only audit log and history browser, and the admin-wide hooks that keep
choosers, action menus and the admin API inside each person's rights."""

import django_filters

from django import forms
from django.db.models import Q
from django.urls import include, path, reverse

from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.auth import LoginForm
from wagtail.admin.forms.workflows import WorkflowPageForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.contrib.search_promotions.forms import SearchPromotionsFormSet
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
from wagtail.models import Page, Site
from wagtail.permissions import policy_registry, register_permission_policy
from wagtail.sites.views import IndexView as SiteIndexView
from wagtail.users.forms import PagePermissionsForm

from base.audit_actions import actions
from base.models import AuditEvent
from base.policies import ReadOnlyPermissionPolicy, ScopedPermissionPolicy, TransitionsOnlyPermissionPolicy
from base.roles import roles_of
from base.viewsets import ModelInspectView, ScopedModelViewSet
from content.models import StationLevel
from content.scoping import scope_by_station, staffed_stations_for, stations_for
from permissions import history_browser
from permissions.admin_scope import DISTRICT_WIDE_REPORT_MENU_ITEMS
from permissions.models import (
    AccountAction,
    StaffRequest,
    StaffRequestAction,
    StationAssignment,
    assignable_accounts,
)
from permissions.staff_requests import STAFF_REQUESTS, file_request
from workflows.process_admin import ProcessDetailMixin, add_todo_panels, transition_urlpattern

register_permission_policy(AuditEvent, ReadOnlyPermissionPolicy(AuditEvent))
register_permission_policy(StationAssignment, ScopedPermissionPolicy(StationAssignment, scope_by_station))
register_permission_policy(StaffRequest, TransitionsOnlyPermissionPolicy(StaffRequest, STAFF_REQUESTS.scope))


@hooks.register("register_audit_actions")
def register_audit_actions(registry):
    registry.register_choices(AccountAction)
    registry.register_choices(StaffRequestAction)


# Wagtail's two workflow reports carry the same names as the workflow settings (工作流,
# 工作流任务): in the reports menu they say what they list.
REPORT_LABELS = {"workflows": "审核中的页面", "workflow-tasks": "审核任务进度"}


@hooks.register("construct_reports_menu")
def reports_a_person_can_open(request, menu_items):
    """No menu item leads to a 404: district-wide reports only for district-wide roles."""
    if not roles_of(request.user).district_wide:
        menu_items[:] = [item for item in menu_items if item.name not in DISTRICT_WIDE_REPORT_MENU_ITEMS]
    for item in menu_items:
        item.label = REPORT_LABELS.get(item.name, item.label)


# Wagtail's help menu links to its English guides on guide.wagtail.org ("What's new in Wagtail",
# "Editor Guide"): a foreign site in English. The keyboard shortcuts item stays.
FOREIGN_HELP_ITEMS = ("editor-guide", "whats-new-in-wagtail-")


@hooks.register("construct_help_menu")
def help_in_the_platforms_own_words(request, menu_items):
    menu_items[:] = [item for item in menu_items if not item.name.startswith(FOREIGN_HELP_ITEMS)]


# Labels Wagtail builds from Python names ("Port", "Site name", "Page") rather than from its
# translated strings: named in Chinese with the fields' own (translated) verbose names.
for _column in SiteIndexView.columns:
    if _column.name in ("port", "site_name", "root_page"):
        _column.label = Site._meta.get_field(_column.name).verbose_name
WorkflowPageForm.base_fields["page"].label = "页面"
LoginForm.base_fields["password"].label = "密码"
SearchPromotionsFormSet.form.base_fields["external_link_text"].label = "外部链接文字"
PagePermissionsForm.base_fields["page"].label = "页面"


@hooks.register("construct_page_chooser_queryset")
def choose_only_public_or_own_pages(pages, request):
    """Choosers list published pages (public anyway) and drafts the user may work on."""
    user = request.user
    if user.is_superuser:
        return pages
    workable = Page.objects.none()
    for grant in {perm.page for perm in policy_registry.get_by_type(Page).get_cached_permissions_for_user(user)}:
        workable |= Page.objects.descendant_of(grant, inclusive=True)
    return pages.filter(Q(live=True) | Q(pk__in=workable.values("pk")))


@hooks.register("construct_page_action_menu")
@hooks.register("construct_snippet_action_menu")
def auditors_get_no_save_buttons(menu_items, request, context):
    """The auditor reads an editor screen as it is: no save, publish or submit buttons
    (their POSTs would be refused anyway, see permissions.admin_scope)."""
    if roles_of(request.user).is_auditor:
        menu_items.clear()


class CollectionScopedAPIMixin:
    """The admin API's images and documents: only those in collections the user may use."""

    def get_queryset(self):
        policy = policy_registry.get_by_type(self.model)
        allowed = policy.instances_user_has_any_permission_for(self.request.user, ["choose", "change"])
        return super().get_queryset().filter(pk__in=allowed.values("pk"))


class ScopedImagesAdminAPIViewSet(CollectionScopedAPIMixin, ImagesAdminAPIViewSet):
    pass


class ScopedDocumentsAdminAPIViewSet(CollectionScopedAPIMixin, DocumentsAdminAPIViewSet):
    pass


@hooks.register("construct_admin_api", order=100)
def scope_media_in_admin_api(router):
    router.register_endpoint("images", ScopedImagesAdminAPIViewSet)
    router.register_endpoint("documents", ScopedDocumentsAdminAPIViewSet)


# --- Station staff --------------------------------------------------------------------------


def offer_staffed_stations(field, stations) -> None:
    """A station choice among `stations` that have staff: liaison stations and contact points
    (总站 and 中心站 are run by the district and the street committees), named with their street."""
    field.queryset = (
        stations.filter(level__in=[StationLevel.STATION, StationLevel.POINT]).select_related("street").order_by("path")
    )
    field.label_from_instance = lambda page: f"{page.street.name if page.street else ''} · {page.title}"


class StationAssignmentForm(WagtailAdminModelForm):
    """Only people holding the station staff role, only stations the editor may manage."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = assignable_accounts(self.for_user).order_by("username")
        offer_staffed_stations(self.fields["station"], stations_for(self.for_user))

    class Meta:
        model = StationAssignment
        fields = ["user", "station", "note"]
        widgets = {"station": forms.Select}


class StationAssignmentViewSet(ScopedModelViewSet):
    """Street committees assign staff to their own street's stations (分配站点工作人员)."""

    model = StationAssignment
    form_class = StationAssignmentForm
    icon = "group"
    menu_label = "站点工作人员"
    menu_order = 650
    add_to_settings_menu = True
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = ["user", "station", "note", "created_at"]
    search_fields = ["user__username", "user__display_name", "station__title"]
    list_export = ["user", "station", "note", "created_at"]
    export_filename = "station-staff"

    def get_form_class(self, for_update=False):
        return StationAssignmentForm

    def get_queryset(self, request):
        return StationAssignment.objects.select_related("user", "station")


@hooks.register("register_admin_viewset")
def register_station_assignment_viewset():
    return StationAssignmentViewSet("station_staff")


# --- Station staff requests (a declared process: permissions.staff_requests) ---------------


class StaffRequestForm(WagtailAdminModelForm):
    """A station asks for a person: only for a station the requester is staff of."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_staffed_stations(self.fields["station"], staffed_stations_for(self.for_user))

    def save(self, commit=True):
        return file_request(self.instance, self.for_user)

    class Meta:
        model = StaffRequest
        fields = ["station", "person_name", "post", "reason"]
        widgets = {"station": forms.Select}


class StaffRequestDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "workflows/admin/process_detail.html"
    process = STAFF_REQUESTS
    act_url_name = "station_staff_requests:act"


class StaffRequestViewSet(ScopedModelViewSet):
    """Station staff ask their street committee for a person (申请分配站点工作人员)."""

    model = StaffRequest
    form_class = StaffRequestForm
    icon = "user"
    menu_label = "站点工作人员申请"
    menu_order = 651
    add_to_settings_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = StaffRequestDetailView
    inspect_view_fields = ["station", "person_name", "post", "reason", "requested_by", "state", "decision_note"]
    list_display = [
        "station",
        "person_name",
        "post",
        Column("state", label="状态", accessor="get_state_display"),
        "requested_by",
        "created_at",
    ]
    list_filter = ["state"]
    search_fields = ["person_name", "station__title"]
    list_export = [
        "station",
        "person_name",
        "post",
        "reason",
        "get_state_display",
        "requested_by",
        "created_at",
        "decided_at",
    ]
    export_headings = {"get_state_display": "状态"}
    export_filename = "staff-requests"

    def get_form_class(self, for_update=False):
        return StaffRequestForm

    def get_queryset(self, request):
        return StaffRequest.objects.select_related("station", "requested_by")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(STAFF_REQUESTS, self.get_url_name("inspect"))]


@hooks.register("register_admin_viewset")
def register_staff_request_viewset():
    return StaffRequestViewSet("station_staff_requests")


@hooks.register("construct_homepage_panels")
def add_staff_request_todos(request, panels):
    add_todo_panels(request, panels, (STAFF_REQUESTS, "station_staff_requests:index", 55))


# --- The audit log ----------------------------------------------------------------------------


class AuditEventFilterSet(WagtailFilterSet):
    action = django_filters.ChoiceFilter(label="动作", choices=actions.choices)
    timestamp = django_filters.DateFromToRangeFilter(label="时间")

    class Meta:
        model = AuditEvent
        fields = ["action", "timestamp"]


class AuditEventViewSet(ScopedModelViewSet):
    model = AuditEvent
    icon = "history"
    menu_label = "审计记录"
    menu_order = 900
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    filterset_class = AuditEventFilterSet
    list_display = [
        "timestamp",
        "actor_username",
        Column("action", label="动作", accessor="get_action_display"),
        "object_type",
        "object_repr",
        "ip_address",
    ]
    search_fields = ["actor_username", "object_repr", "object_type"]
    list_export = [
        "timestamp",
        "actor_username",
        "get_action_display",
        "object_type",
        "object_id",
        "object_repr",
        "ip_address",
    ]
    export_headings = {"get_action_display": "动作"}
    export_filename = "audit-events"
    form_fields = ["action"]  # required by the viewset; the add/edit views are never reachable
    ordering = ["-timestamp", "-pk"]


@hooks.register("register_admin_viewset")
def register_audit_viewset():
    return AuditEventViewSet("audit_events")


# --- The auditors' history browser ----------------------------------------------------------


class HistoryMenuItem(MenuItem):
    def is_shown(self, request):
        return history_browser.may_browse(request.user)


@hooks.register("register_admin_urls")
def register_history_urls():
    return [path("history/", include((history_browser.urlpatterns, "history_browser")))]


@hooks.register("register_admin_menu_item")
def register_history_menu_item():
    return HistoryMenuItem("历史记录", reverse("history_browser:index"), icon_name="history", order=910)
