"""A declared process in the Wagtail admin: its buttons and forms, the view that performs a
transition, the timeline of a row, and "我的待办" on the admin home. All of it is read from
the process's declaration (`workflows.process`); nothing here knows a particular process.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.views import View

from wagtail.admin.ui.components import Component

from base.history import FieldValues
from base.models import AuditEvent
from base.policies import policy_for
from workflows.process import KINDS, Process, TransitionError

# --- The detail page: actions and timeline ----------------------------------------------------


class ProcessDetailMixin:
    """Mixed into a row's inspect view: `held` (the viewer's capacities on the row), the
    forms of the transitions they may perform now, and the row's timeline."""

    process: Process = None
    act_url_name = ""  # the viewset's "act" URL (see transition_urlpattern)

    @cached_property
    def held(self) -> set[str]:
        return self.process.capacities(self.request.user, self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = self.object
        context.update(
            actions=[
                {
                    "transition": t,
                    "form": t.form_class(process=self.process, transition=t, row=row, user=self.request.user),
                    "url": reverse(self.act_url_name, args=[row.pk, t.name]),
                }
                # The next step first, side steps after it, refusals last.
                for t in sorted(self.process.available(self.request.user, row, held=self.held), key=_button_order)
            ],
            timeline=timeline(self.process, row),
        )
        return context


def _button_order(transition) -> int:
    return KINDS.index(transition.kind)


class TransitionView(View):
    """POST one transition from a row's detail page; errors come back as a clear message."""

    process: Process = None
    detail_url_name = ""

    def post(self, request, pk, name):
        process = self.process
        if not policy_for(process.model).user_has_permission(request.user, "view"):
            raise Http404  # the role has nothing to do with this process at all
        row = get_object_or_404(process.scope(process.model._default_manager.all(), request.user), pk=pk)
        transition = process.by_name.get(name)
        if transition is None:
            raise Http404
        form = transition.form_class(
            request.POST, request.FILES, process=process, transition=transition, row=row, user=request.user
        )
        detail = reverse(self.detail_url_name, args=[pk])
        if not form.is_valid():
            problems = "；".join(
                f"{form.fields[f].label if f in form.fields else ''}{' '.join(e)}" for f, e in form.errors.items()
            )
            messages.error(request, f"未能{transition.label}：{problems}")
            return redirect(detail)
        try:
            process.perform(
                row,
                name,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                **form.perform_kwargs(),
            )
        except TransitionError as error:
            messages.error(request, str(error))
            return redirect(detail)
        messages.success(request, f"已{transition.label}。")
        return redirect(detail)


def transition_urlpattern(process: Process, detail_url_name: str):
    """The "act" URL a process's viewset adds to its own URLs."""
    view = TransitionView.as_view(process=process, detail_url_name=detail_url_name)
    return path("act/<int:pk>/<slug:name>/", view, name="act")


# --- The timeline: each audit record with the field changes of its history row --------------

TIMELINE_HIDDEN_FIELDS = {"version", "updated_at", "idempotency_key"}
# An audit record from before records named their history row is paired with the nearest
# unpaired row written before it, at most this long before (the save comes first, in the
# same transaction).
TIMELINE_PAIRING_WINDOW = dt.timedelta(minutes=5)


def _pair_history(events, records) -> dict[int, object]:
    """{audit event pk: its history row}. By the row id the transition recorded; for older
    records by the nearest unclaimed row written before them, so one stray row shifts nothing."""
    by_id = {record.history_id: record for record in records}
    paired, claimed = {}, set()
    for event in events:
        record = by_id.get((event.detail or {}).get("history_id"))
        if record is not None and record.history_id not in claimed:
            paired[event.pk] = record
            claimed.add(record.history_id)
    for event in events:
        if event.pk in paired:
            continue
        earliest = event.timestamp - TIMELINE_PAIRING_WINDOW
        nearest = max(
            (r for r in records if r.history_id not in claimed and earliest <= r.history_date <= event.timestamp),
            key=lambda r: (r.history_date, r.history_id),
            default=None,
        )
        if nearest is not None:
            paired[event.pk] = nearest
            claimed.add(nearest.history_id)
    return paired


def _summary(process: Process, event) -> str:
    """What happened, in Chinese: the creation, or the transition with the states it moved between."""
    if event.action == process.created_action:
        return process.created_summary
    detail = event.detail or {}
    transition = process.by_name.get(detail.get("transition"))
    name = transition.label if transition else str(detail.get("transition", ""))
    states = dict(process.model._meta.get_field("state").choices)
    before, after = detail.get("from_state"), detail.get("to_state")
    if before == after:
        return f"{name}（状态仍为{states.get(after, after or '')}）"
    return f"{states.get(before, before or '')} → {states.get(after, after or '')}（{name}）"


def timeline(process: Process, row) -> list[dict]:
    """The row's audit records, each with the field changes of its history row (against the
    row before it); history rows no audit record claims are shown too."""
    actions = [action for action in (process.created_action, process.transition_action) if action]
    events = list(
        AuditEvent.objects.filter(
            object_type=process.model._meta.label, object_id=str(row.pk), action__in=actions
        ).order_by("timestamp", "pk")
    )
    records = list(row.history.select_related("history_user").order_by("history_date", "history_id"))
    paired = _pair_history(events, records)
    deltas = {}
    for i, record in enumerate(records):
        before = records[i - 1] if i else None
        deltas[record.history_id] = (
            [c for c in record.diff_against(before).changes if c.field not in TIMELINE_HIDDEN_FIELDS]
            if before is not None
            else []
        )
    values = FieldValues(process.model, ((c.field, c.old, c.new) for changes in deltas.values() for c in changes))

    def changes_of(record):
        if record is None:
            return []
        return [values.change(c.field, c.old, c.new) for c in deltas[record.history_id]]

    rows = [
        {
            "timestamp": event.timestamp,
            "actor": event.actor_username,
            "summary": _summary(process, event),
            "note": (event.detail or {}).get("note", ""),
            "changes": changes_of(paired.get(event.pk)),
        }
        for event in events
    ]
    claimed = {record.history_id for record in paired.values()}
    for record in records:
        changes = changes_of(record) if record.history_id not in claimed else []
        if changes:
            reason = f"：{record.history_change_reason}" if record.history_change_reason else ""
            rows.append(
                {
                    "timestamp": record.history_date,
                    "actor": record.history_user.get_username() if record.history_user else "",
                    "summary": f"字段修改（无办理记录）{reason}",
                    "note": "",
                    "changes": changes,
                }
            )
    rows.sort(key=lambda row: row["timestamp"])
    return rows


# --- "我的待办" on the admin home ---------------------------------------------------------------


class ProcessTodoPanel(Component):
    """The process's to-dos for this person, each linked to the listing filtered to its rows."""

    template_name = "workflows/admin/todo_panel.html"

    def __init__(self, process: Process, user, list_url_name: str, order: int = 50):
        self.process, self.user, self.list_url_name, self.order = process, user, list_url_name, order
        self.name = f"{process.model._meta.model_name}_todos"

    @cached_property
    def counts(self) -> dict[str, int]:
        return self.process.todo_counts(self.user)

    def has_work(self) -> bool:
        return any(self.counts.values())

    def get_context_data(self, parent_context=None):
        counts = self.counts
        index = reverse(self.list_url_name)
        return {
            "heading": f"我的待办 · {self.process.model._meta.verbose_name}",
            "heading_id": f"{self.name}-heading",
            "counts": counts,
            "items": [
                (todo.label, counts[todo.key], f"{index}?{todo.link_query()}" if todo.link_query() else index)
                for todo, _transition in self.process.todo_entries()
            ],
        }


def add_todo_panels(request, panels, *entries: tuple[Process, str, int]) -> None:
    """Add to the admin home each process's to-do panel that has work for this person: each
    entry is (process, its listing's URL name, the panel's order). Someone who may not view the
    process's rows gets no panel for it."""
    for process, list_url_name, order in entries:
        meta = process.model._meta
        if request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}"):
            panel = ProcessTodoPanel(process, request.user, list_url_name, order)
            if panel.has_work():
                panels.append(panel)
