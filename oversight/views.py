"""Staff pages of the dashboards: 一屏统览 (the dashboard), 大屏 (the monitoring room's screen),
答复评价明细 (the reply rounds the satisfaction rate counts) and the on-demand refresh."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.forms.utils import flatatt
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from base import audit
from base.roles import MANAGE_STREET, roles_of
from content.models import Street
from oversight import sections
from oversight.charts import escape
from oversight.dashboard import (
    NoDashboard,
    PeriodForm,
    default_period,
    may_see_dashboard,
    opinion_dashboard,
    scope_for,
    street_choices,
)
from oversight.models import OversightAction, RollupRun
from oversight.rollups import current_run, last_run, refresh_task
from workflows.models import OpinionReply
from workflows.opinion_admin import OpinionFilterSet
from workflows.opinions import OPINIONS
from workflows.stats import RATED_ROUND, SATISFIED_ROUND

BIG_SCREEN_REFRESH_SECONDS = 300
BIG_SCREEN_CHARTS = ("rates", "channel", "overdue")  # what fits one 1920×1080 screen
REFRESH_AT_MOST_EVERY = dt.timedelta(minutes=1)


def may_refresh(user) -> bool:
    """The district admin and street committees may ask for fresh figures (the auditor reads)."""
    roles = roles_of(user)
    if roles.is_district_admin:
        return True
    return not roles.district_wide and not roles.superuser and bool(roles.granted_ids(MANAGE_STREET, Street))


class PlainSelect(forms.Select):
    """A select whose options are written without a template each: the district's street
    chooser lists every street (over a thousand in a district of 20,000 stations)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) in chosen else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in self.choices
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{options}</select>')  # noqa: S308 - escaped above


class ScopeForm(forms.Form):
    """The street to look at (a station is reached from its street's table, by its name)."""

    street = forms.TypedChoiceField(label="街道", coerce=int, required=False, empty_value=None, widget=PlainSelect)

    def __init__(self, *args, choices, district_wide: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = ([("", "全区")] if district_wide else []) + list(choices)


class DashboardMixin:
    """The scope and period asked for (GET), refused with a message or a 404."""

    def dispatch(self, request, *args, **kwargs):
        if not may_see_dashboard(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def scope(self):
        try:
            scope = scope_for(
                self.request.user,
                _int(self.request.GET.get("street")),
                _int(self.request.GET.get("station")),
                self.street_choices,
            )
        except NoDashboard:
            raise Http404 from None
        if scope is None:  # a street or station the person may not see: nothing about it
            raise Http404
        if self.request.GET.get("parts") == "all":
            scope = dataclasses.replace(scope, all_parts=True)
        return scope

    @cached_property
    def street_choices(self) -> list[tuple[int, str]]:
        return street_choices(self.request.user)

    @cached_property
    def period_form(self) -> PeriodForm:
        return PeriodForm(self.request.GET or None)

    @cached_property
    def period(self) -> tuple[dt.date, dt.date]:
        form = self.period_form
        if form.is_bound and form.is_valid():
            return form.cleaned_data["start"], form.cleaned_data["end"]
        return default_period()

    def dashboard_context(self) -> dict:
        start, end = self.period
        return {
            "board": opinion_dashboard(self.scope, start, end),
            "computed": current_run(),
            "period_errors": self.period_form.non_field_errors() if self.period_form.is_bound else [],
            "period_form": self.period_form,
        }


def _int(value):
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return -1  # not an id: no scope matches it


class DashboardView(DashboardMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "oversight/dashboard.html"
    page_title = "一屏统览"
    header_icon = "table"

    def get_page_subtitle(self):
        return self.scope.label

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.dashboard_context())
        roles = roles_of(self.request.user)
        if self.street_choices:
            context["scope_form"] = ScopeForm(
                initial={"street": self.scope.street.pk if self.scope.street else ""},
                choices=self.street_choices,
                district_wide=roles.district_wide,
            )
        start, end = self.period
        context["period_query"] = f"start={start:%Y-%m}&end={end:%Y-%m}"
        context["sections"] = sections.build_all(self.scope, start, end, self.request.user)
        context["may_refresh"] = may_refresh(self.request.user)
        context["screen_url"] = f"{reverse('oversight_dashboard:screen')}?{self.request.GET.urlencode()}"
        return context


class BigScreenView(DashboardMixin, TemplateView):
    """大屏: the dashboard's headline and charts on one 1920×1080 screen, reloading itself."""

    template_name = "oversight/big_screen.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dashboard = self.dashboard_context()
        board, run = dashboard["board"], dashboard["computed"]
        context.update(
            title="一屏统览",
            scope_label=board.scope.label,
            computed_at=run.finished_at if run else None,
            headline=board.headline,
            charts=[chart for chart in board.charts if chart.key in BIG_SCREEN_CHARTS],
            refresh_seconds=BIG_SCREEN_REFRESH_SECONDS,
        )
        return context


class RefreshView(View):
    """Fresh figures now: the refresh is queued for the background worker (run at once where no
    worker is configured); audited; at most once a minute."""

    def post(self, request):
        if not may_refresh(request.user):
            raise Http404
        run = last_run()
        back = request.POST.get("next") or reverse("oversight_dashboard:index")
        if not back.startswith("/admin/"):
            back = reverse("oversight_dashboard:index")
        if run and timezone.now() - run.finished_at < REFRESH_AT_MOST_EVERY:
            messages.info(request, f"统计数据刚在 {timezone.localtime(run.finished_at):%H:%M:%S} 刷新过，请稍后再试。")
            return redirect(back)
        audit.record(OversightAction.REFRESH_REQUESTED, request=request)
        refresh_task.enqueue(RollupRun.Trigger.ON_DEMAND)
        messages.success(request, "已提交刷新，统计数据将在片刻后更新。")
        return redirect(back)


class ReplyFilterForm(forms.Form):
    """What the reply rounds listing adds to the opinions listing's own filters (the opinions
    are chosen by `OpinionFilterSet`, under the same names the dashboard's links use)."""

    rated = forms.NullBooleanField(required=False)
    satisfied = forms.NullBooleanField(required=False)

    def filter(self, rounds):
        data = self.cleaned_data
        if data.get("rated") is not None:
            rounds = rounds.filter(RATED_ROUND if data["rated"] else ~RATED_ROUND)
        if data.get("satisfied") is not None:
            rounds = rounds.filter(SATISFIED_ROUND if data["satisfied"] else ~SATISFIED_ROUND)
        return rounds


class ReplyRoundsView(WagtailAdminTemplateMixin, TemplateView):
    """答复评价明细: each round's reply and its rating, for the opinions the person may see."""

    template_name = "oversight/reply_rounds.html"
    page_title = "答复评价明细"
    header_icon = "list-ul"
    per_page = 50

    def dispatch(self, request, *args, **kwargs):
        if not may_see_dashboard(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ReplyFilterForm(self.request.GET)
        visible = OPINIONS.scope(OPINIONS.model.objects.all(), self.request.user)
        opinions = OpinionFilterSet(self.request.GET, queryset=visible, request=self.request)
        if form.is_valid() and opinions.is_valid():
            rounds = form.filter(OpinionReply.objects.filter(opinion__in=opinions.qs.order_by().values("pk")))
        else:
            rounds = OpinionReply.objects.none()
            context["filter_error"] = "筛选条件有误，请从统览页面的链接进入。"
        rounds = rounds.select_related("opinion", "department").order_by("-opinion__created_at", "opinion_id", "round")
        page = Paginator(rounds, self.per_page).get_page(self.request.GET.get("p"))
        query = self.request.GET.copy()
        query.pop("p", None)
        context.update(page=page, count=page.paginator.count, query=query.urlencode())
        return context
