"""Admin of district-to-street tasks (区街联动): the district's tasks (任务下达), each street's
part with the process's buttons (街道办理), the at-a-glance table of every street's state
(联动统览), the report attachments, and the to-dos on the admin home.

The district admin issues and edits tasks and acts on every street's part; a street
committee sees and acts on its own street's parts only (never the task list); the auditor
reads everything. Tasks are never deleted: once issued, they are the record.
"""

from __future__ import annotations

import django_filters

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import TemplateView

from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from base import audit
from base.policies import TransitionsOnlyPermissionPolicy, policy_for
from base.roles import roles_of
from base.viewsets import ModelInspectView, ScopedModelViewSet
from content.models import Street
from content.scoping import streets_for
from coordination.models import (
    STREET_TASK_DEADLINE,
    CoordinationAction,
    StreetTask,
    StreetTaskState,
    Task,
    TaskAttachment,
    TaskKind,
)
from coordination.street_tasks import STREET_TASKS, follow_deadline, issue
from workflows.process_admin import ProcessDetailMixin, add_todo_panels, transition_urlpattern
from workflows.storage import private_file_response


class TaskPermissionPolicy(ModelPermissionPolicy):
    """Tasks are district-wide (model permissions: the district admin's; the auditor reads)
    and never deleted: the streets' reports hang off them."""

    def user_has_permission(self, user, action):
        return action != "delete" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


register_permission_policy(Task, TaskPermissionPolicy(Task))
register_permission_policy(
    StreetTask, TransitionsOnlyPermissionPolicy(StreetTask, STREET_TASKS.scope, created_elsewhere=True)
)


@hooks.register("register_audit_actions")
def register_audit_actions(registry):
    registry.register_choices(CoordinationAction)


@hooks.register("before_demo_district_reset")
def clear_demo_coordination():
    """Street tasks hold their streets (PROTECT): they go, with their reports, before the demo
    district is rebuilt; the tasks with them."""
    StreetTask.objects.all().delete()
    Task.objects.all().delete()


def street_tasks_of(user):
    """The street tasks a person may see, with what every listing shows (no query per row)."""
    rows = StreetTask.objects.select_related("task", "street").annotate(last_reported_at=Max("reports__reported_at"))
    return STREET_TASKS.scope(rows, user)


# --- Tasks ------------------------------------------------------------------------------------------


class TaskForm(WagtailAdminModelForm):
    """A task and the streets it goes to: all of them, or those ticked; streets may be added later."""

    all_streets = forms.BooleanField(label="下达全部街道", required=False)
    streets = forms.ModelMultipleChoiceField(
        label="下达街道",
        queryset=Street.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Task
        fields = ["title", "kind", "year", "description", "due_on"]
        widgets = {
            "kind": forms.Select,
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        streets = Street.objects.order_by("name")
        if self.instance.pk:
            streets = streets.exclude(coordination_tasks__task=self.instance)
            self.fields["streets"].label = "追加街道"
            self.fields["all_streets"].label = "追加其余全部街道"
        self.fields["streets"].queryset = streets
        if not self.instance.pk:
            self.fields["year"].initial = timezone.localdate().year

    def clean_due_on(self):
        due_on = self.cleaned_data.get("due_on")
        if due_on and "due_on" in self.changed_data and due_on < timezone.localdate():
            raise ValidationError("完成期限不能早于今天。")
        return due_on

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("all_streets") and not data.get("streets"):
            self.add_error("streets", "请选择下达的街道，或勾选“下达全部街道”。")
        return data

    def chosen_streets(self):
        if self.cleaned_data.get("all_streets"):
            return list(self.fields["streets"].queryset)
        return list(self.cleaned_data.get("streets") or [])

    def save(self, commit=True):
        task = super().save(commit=False)
        before = Task.objects.filter(pk=task.pk).values_list("due_on", flat=True).first() if task.pk else None
        if not task.pk:
            task.created_by = self.for_user
        with transaction.atomic():
            task.save()
            issue(task, self.chosen_streets(), user=self.for_user)
            if before is not None and before != task.due_on:
                follow_deadline(task, before, user=self.for_user)
        return task


class TaskDetailView(ModelInspectView):
    """A task with every street's state: the district's view at a glance of one task."""

    template_name = "coordination/admin/task_detail.html"

    def get_context_data(self, **kwargs):
        rows = street_tasks_of(self.request.user).filter(task=self.object).order_by("street__name")
        return super().get_context_data(rows=list(rows), **kwargs)


class TaskViewSet(ScopedModelViewSet):
    """任务下达: the district's tasks for the streets."""

    model = Task
    form_class = TaskForm
    icon = "tasks"
    menu_label = "任务下达"
    url_prefix = "coordination/tasks"
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = TaskDetailView
    inspect_view_fields = ["title", "kind", "year", "description", "due_on", "created_by", "created_at"]
    list_display = [
        "title",
        Column("kind", label="类型", accessor="get_kind_display"),
        "year",
        "due_on",
        "created_at",
    ]
    list_filter = ["year", "kind"]
    search_fields = ["title", "description"]
    ordering = ["-year", "-created_at"]

    def get_form_class(self, for_update=False):
        return TaskForm


# --- Each street's part -------------------------------------------------------------------------------


class StreetTaskFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(label="状态", choices=StreetTaskState.choices)
    street = django_filters.ModelChoiceFilter(
        label="街道", queryset=lambda request: streets_for(request.user).order_by("name")
    )
    kind = django_filters.ChoiceFilter(label="类型", field_name="task__kind", choices=TaskKind.choices)
    year = django_filters.NumberFilter(label="年度", field_name="task__year")
    overdue = django_filters.BooleanFilter(label="超期", method="filter_overdue")

    class Meta:
        model = StreetTask
        fields = ["state", "street", "kind", "year", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = STREET_TASK_DEADLINE.overdue_q()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class OverdueColumn(Column):
    cell_template_name = "coordination/admin/overdue_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["overdue"] = instance.is_overdue
        context["due_on"] = instance.due_on
        return context


class StreetTaskDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "coordination/admin/street_task_detail.html"
    process = STREET_TASKS
    act_url_name = "coordination_street_tasks:act"

    def get_page_title(self):
        return f"{self.object.task.title} · {self.object.street.name}"

    def get_context_data(self, **kwargs):
        reports = self.object.reports.select_related("reported_by").prefetch_related("attachments")
        return super().get_context_data(task=self.object.task, reports=list(reports), **kwargs)


class AttachmentView(View):
    """A report's attachment, to those who may see its street task; each opening is audited."""

    def get(self, request, pk):
        if not policy_for(StreetTask).user_has_permission(request.user, "view"):
            raise Http404
        visible = STREET_TASKS.scope(StreetTask.objects.all(), request.user)
        attachment = get_object_or_404(
            TaskAttachment.objects.select_related("report"), report__street_task__in=visible, pk=pk
        )
        audit.record(
            CoordinationAction.ATTACHMENT_VIEWED,
            request=request,
            obj=attachment.report.street_task,
            attachment=attachment.pk,
            name=attachment.original_name,
        )
        response = private_file_response(attachment.file)
        response["Content-Disposition"] = content_disposition_header(True, attachment.original_name)
        return response


class StreetTaskViewSet(ScopedModelViewSet):
    """街道办理: each street's part in the district's tasks, with the process's buttons."""

    model = StreetTask
    icon = "clipboard-list"
    menu_label = "街道办理"
    url_prefix = "coordination/street-tasks"
    form_fields = ["due_on"]  # never offered: the policy refuses add and change (issued with the task)
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = StreetTaskDetailView
    inspect_view_fields = [
        "task",
        "street",
        "state",
        "due_on",
        "accepted_at",
        "submitted_at",
        "completed_at",
        "return_reason",
        "reminded_at",
        "reminder_count",
    ]
    filterset_class = StreetTaskFilterSet
    list_display = [
        Column("task", label="任务", accessor="task.title"),
        "street",
        Column("state", label="状态", accessor="get_state_display"),
        OverdueColumn("due_on", label="完成期限"),
        Column("last_reported_at", label="最近报告"),
        Column("reminder_count", label="催办次数"),
    ]
    search_fields = ["task__title", "street__name"]
    search_backend_name = None
    ordering = ["due_on", "task_id", "street__name"]

    def get_queryset(self, request):
        return StreetTask.objects.select_related("task", "street").annotate(
            last_reported_at=Max("reports__reported_at")
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            transition_urlpattern(STREET_TASKS, self.get_url_name("inspect")),
            path("attachment/<int:pk>/", AttachmentView.as_view(), name="attachment"),
        ]


# --- 联动统览: every task × every street, on one screen -----------------------------------------------


class OverviewView(TemplateView):
    """One row per task, one column per street: each cell the street's state, its last report
    and its deadline, red when overdue. Each person sees the rows of their scope."""

    template_name = "coordination/admin/overview.html"

    def dispatch(self, request, *args, **kwargs):
        if not policy_for(StreetTask).user_has_permission(request.user, "view"):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        rows = list(street_tasks_of(self.request.user).order_by("-task__year", "-task__created_at", "street__name"))
        streets = sorted({row.street for row in rows}, key=lambda street: street.name)
        tasks, cells = [], {}
        for row in rows:
            if row.task not in tasks:
                tasks.append(row.task)
            cells[(row.task_id, row.street_id)] = row
        table = [(task, [cells.get((task.pk, street.pk)) for street in streets]) for task in tasks]
        overdue = sum(1 for row in rows if row.is_overdue)
        return super().get_context_data(
            streets=streets,
            table=table,
            overdue=overdue,
            page_title="区街联动统览",
            district=roles_of(self.request.user).is_district_admin,
            **kwargs,
        )


class OverviewMenuItem(MenuItem):
    def is_shown(self, request):
        return policy_for(StreetTask).user_has_permission(request.user, "view")


class OverviewViewSet(ViewSet):
    icon = "table"
    menu_label = "联动统览"
    url_prefix = "coordination/overview"
    menu_item_class = OverviewMenuItem

    def get_urlpatterns(self):
        return [path("", OverviewView.as_view(), name="index")]


class CoordinationGroup(ViewSetGroup):
    menu_label = "区街联动"
    menu_icon = "tasks"
    menu_order = 350
    items = (
        OverviewViewSet("coordination_overview"),
        TaskViewSet("coordination_tasks"),
        StreetTaskViewSet("coordination_street_tasks"),
    )


@hooks.register("register_admin_viewset")
def register_coordination():
    return CoordinationGroup()


@hooks.register("construct_homepage_panels")
def add_street_task_todos(request, panels):
    add_todo_panels(request, panels, (STREET_TASKS, "coordination_street_tasks:index", 63))
