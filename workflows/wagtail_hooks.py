"""Admin registration: the holiday calendar, departments, categories and the opinion loop."""

from django.urls import reverse

from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from permissions.scoping import scope_opinions
from permissions.viewsets import AuditorReadableViewSetMixin
from workflows.models import CalendarDay, Category, Department, Opinion
from workflows.opinion_admin import (
    BulkAssignAction,
    OpinionPermissionPolicy,
    OpinionViewSet,
    overdue_rollup,
    todo_counts,
)


class CalendarDayViewSet(AuditorReadableViewSetMixin, SnippetViewSet):
    model = CalendarDay
    icon = "date"
    menu_label = "节假日调整"
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    ordering = ["-date"]


class DepartmentViewSet(AuditorReadableViewSetMixin, SnippetViewSet):
    model = Department
    icon = "group"
    menu_label = "承办单位"
    list_display = ["name", "email", "is_active", "sort_order"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    copy_view_enabled = False


class CategoryViewSet(AuditorReadableViewSetMixin, SnippetViewSet):
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


register_permission_policy(Opinion, OpinionPermissionPolicy(Opinion, scope_opinions))
register_snippet(OpinionViewSet)
register_snippet(LoopSettingsGroup)
hooks.register("register_bulk_action", BulkAssignAction)


class TodoPanel(Component):
    """我的待办 on the admin home: what waits for this person, each linked to the listing."""

    name = "opinion_todos"
    order = 50
    template_name = "workflows/admin/todo_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        counts = todo_counts(self.user)
        index = reverse("opinions:list")
        items = [
            ("待受理", counts["to_accept"], f"{index}?state=submitted"),
            ("待交办", counts["to_assign"], f"{index}?state=accepted"),
            ("重办待交办", counts["to_reassign"], f"{index}?state=reopened"),
            ("待签收", counts["to_sign"], f"{index}?state=assigned"),
            ("待答复", counts["to_reply"], f"{index}?state=signed"),
            ("已评价待办结", counts["to_close"], f"{index}?state=evaluated"),
            ("已超期", counts["overdue"], f"{index}?overdue=true"),
            ("待审核公开", counts["to_publish"], f"{index}?publication=pending"),
        ]
        from permissions.scoping import scope_opinions
        from workflows.stats import loop_rates

        rollup = overdue_rollup(self.user) if counts["overdue"] else []
        return {
            "items": items,
            "rollup": rollup,
            "rollup_total": sum(row["count"] for row in rollup),
            "rates": loop_rates(scope_opinions(Opinion.objects.all(), self.user)),
        }


@hooks.register("construct_homepage_panels")
def add_todo_panel(request, panels):
    if request.user.has_perm("workflows.view_opinion"):
        panels.append(TodoPanel(request.user))


class CalendarCoveragePanel(Component):
    """A warning on the admin home while the months ahead fall in a year whose statutory
    holidays nobody has entered: deadlines there would count Spring Festival as workdays."""

    name = "calendar_coverage"
    order = 40
    template_name = "workflows/admin/calendar_coverage_panel.html"

    def __init__(self, years):
        self.years = years

    def get_context_data(self, parent_context=None):
        return {"years": self.years, "calendar_url": reverse("wagtailsnippets_workflows_calendarday:list")}


@hooks.register("construct_homepage_panels")
def add_calendar_coverage_panel(request, panels):
    from workflows.workdays import years_without_holiday_data

    if request.user.has_perm("workflows.view_opinion") or request.user.has_perm("workflows.change_calendarday"):
        years = years_without_holiday_data()
        if years:
            panels.append(CalendarCoveragePanel(years))
