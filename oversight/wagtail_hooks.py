"""The dashboards in the admin: the menu 一屏统览, its pages, and its panel on the admin home."""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.viewsets.base import ViewSet

from oversight.dashboard import NoDashboard, default_period, default_scope, may_see_dashboard, opinion_dashboard
from oversight.models import OversightAction
from oversight.report_views import MonthlyReportView, ReportsView, YearlyReportView
from oversight.rollups import current_run
from oversight.views import BigScreenView, DashboardView, RefreshView, ReplyRoundsView


@hooks.register("register_audit_actions")
def register_audit_actions(registry):
    registry.register_choices(OversightAction)


@hooks.register("insert_global_admin_css")
def charts_css():
    return format_html('<link rel="stylesheet" href="{}">', static("css/charts.css"))


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_dashboard(request.user)


class DashboardViewSet(ViewSet):
    icon = "table"
    menu_label = "一屏统览"
    menu_order = 90
    add_to_admin_menu = True
    url_prefix = "oversight/dashboard"
    menu_item_class = DashboardMenuItem

    def get_urlpatterns(self):
        return [
            path("", DashboardView.as_view(), name="index"),
            path("screen/", BigScreenView.as_view(), name="screen"),
            path("refresh/", RefreshView.as_view(), name="refresh"),
            path("reports/", ReportsView.as_view(), name="reports"),
            path("reports/monthly/", MonthlyReportView.as_view(), name="report_monthly"),
            path("reports/yearly/", YearlyReportView.as_view(), name="report_yearly"),
        ]


class ReplyRoundsViewSet(ViewSet):
    url_prefix = "oversight/replies"

    def get_urlpatterns(self):
        return [path("", ReplyRoundsView.as_view(), name="index")]


@hooks.register("register_admin_viewset")
def register_dashboard():
    return [DashboardViewSet("oversight_dashboard"), ReplyRoundsViewSet("oversight_replies")]


class DashboardPanel(Component):
    """The admin home's summary: the headline figures of the person's own scope over the last
    twelve months, read from the rollup tables, and when they were counted."""

    name = "oversight_dashboard"
    order = 40
    template_name = "oversight/home_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        scope = default_scope(self.user)
        start, end = default_period()
        board = opinion_dashboard(scope, start, end, headline_only=True)
        return {
            "board": board,
            "computed": current_run(),
            "dashboard_url": reverse("oversight_dashboard:index"),
        }


@hooks.register("construct_homepage_panels")
def add_dashboard_panel(request, panels):
    if not may_see_dashboard(request.user):
        return
    try:
        default_scope(request.user)
    except NoDashboard:
        return
    panels.append(DashboardPanel(request.user))
