"""Admin registration: the holiday calendar, departments, categories and the opinion loop."""

from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html

from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from base.calendar import years_without_holiday_data
from base.models import CalendarDay
from base.policies import TransitionsOnlyPermissionPolicy
from base.viewsets import ScopedSnippetViewSet
from workflows import public_views
from workflows.models import Category, Department, Opinion, OpinionAction
from workflows.opinion_admin import BulkAssignAction, OpinionTodoPanel, OpinionViewSet
from workflows.opinions import OPINIONS

register_permission_policy(Opinion, TransitionsOnlyPermissionPolicy(Opinion, OPINIONS.scope))


@hooks.register("register_audit_actions")
def register_audit_actions(actions):
    actions.register_choices(OpinionAction)


@hooks.register("insert_global_admin_css")
def admin_css():
    """The staff screens' own styles: the processes' action forms, listings' receipt numbers."""
    return format_html('<link rel="stylesheet" href="{}">', static("css/admin.css"))


@hooks.register("register_station_page_urls")
def station_opinion_form_url():
    """Every station page takes opinions at <station>/opinion/."""
    return [path("opinion/", public_views.station_opinion_form, name="opinion")]


@hooks.register("construct_station_page_context")
def add_station_results(station, request, context):
    """A station page shows its latest published results (晾晒)."""
    context["results"] = public_views.station_results(station)


@hooks.register("before_demo_district_reset")
def clear_demo_opinions():
    """Opinions hold their stations (PROTECT): they go before the demo district is rebuilt."""
    Opinion.objects.filter(duplicate_of__isnull=False).update(duplicate_of=None)
    Opinion.objects.all().delete()


class CalendarDayViewSet(ScopedSnippetViewSet):
    model = CalendarDay
    icon = "date"
    menu_label = "节假日调整"
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    ordering = ["-date"]


class DepartmentViewSet(ScopedSnippetViewSet):
    model = Department
    icon = "group"
    menu_label = "承办单位"
    list_display = ["name", "email", "is_active", "sort_order"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    copy_view_enabled = False


class CategoryViewSet(ScopedSnippetViewSet):
    model = Category
    icon = "tag"
    menu_label = "意见分类"
    list_display = ["name", "deadline_workdays", "sort_order"]
    copy_view_enabled = False


class LoopSettingsGroup(SnippetViewSetGroup):
    menu_label = "办理设置"
    menu_icon = "cogs"
    menu_order = 300
    items = (DepartmentViewSet, CategoryViewSet, CalendarDayViewSet)


register_snippet(OpinionViewSet)
register_snippet(LoopSettingsGroup)
hooks.register("register_bulk_action", BulkAssignAction)


@hooks.register("construct_homepage_panels")
def add_todo_panel(request, panels):
    if request.user.has_perm("workflows.view_opinion"):
        panels.append(OpinionTodoPanel(request.user))


class CalendarCoveragePanel(Component):
    """A warning on the admin home while the months ahead fall in a year whose statutory
    holidays nobody has entered: deadlines there would count Spring Festival as workdays."""

    name = "calendar_coverage"
    order = 40
    template_name = "workflows/admin/calendar_coverage_panel.html"

    def __init__(self, years):
        self.years = years

    def get_context_data(self, parent_context=None):
        return {"years": self.years, "calendar_url": reverse("wagtailsnippets_base_calendarday:list")}


@hooks.register("construct_homepage_panels")
def add_calendar_coverage_panel(request, panels):
    """For those who can enter the holidays (the district admin), not for everyone it concerns."""
    if request.user.has_perm("base.change_calendarday"):
        years = years_without_holiday_data()
        if years:
            panels.append(CalendarCoveragePanel(years))
