"""One history browser for auditors: every change ever made, in one timeline.

Four sources are merged in the database with one UNION query, filtered before the union
and paginated after it, so a page costs the same few queries however long the history is:

- 字段历史: the django-simple-history rows of every domain model (who, when, created /
  changed / deleted), each with a field-level diff against the previous row of that object;
- 页面修订: Wagtail revisions of pages and snippets, each diffed against the previous one;
- 后台操作: Wagtail's own log of admin actions (publish, unpublish, workflow submitted /
  approved / rejected, lock, move, delete…);
- 审计记录: permissions.AuditEvent (sign-ins, failed sign-ins, role and permission changes,
  views and exports of personal data, opinion transitions).

Filters: source, object type, object id, user, action, date range. Read-only: GET only,
and the auditor role is refused every other method before any view runs. Exports are
audited like every other export of personal data.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass

from simple_history.models import registered_models

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import CharField, F, IntegerField, Q, Value
from django.db.models.functions import Cast, Concat, Lower
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from wagtail.models import ModelLogEntry, PageLogEntry, Revision

from permissions import audit
from permissions.models import AuditEvent
from permissions.roles import Role, role_group_name

ALIASES = ("h_kind", "h_id", "h_ts", "h_user", "h_username", "h_action", "h_type", "h_object", "h_repr")
HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
SOURCES = [
    ("history", "字段历史"),
    ("revision", "页面与片段修订"),
    ("log", "后台操作日志"),
    ("audit", "审计记录"),
]
ACTION_LABELS = {
    "created": "新建",
    "changed": "修改",
    "deleted": "删除",
    "revision": "保存修订",
    "wagtail.create": "新建",
    "wagtail.edit": "编辑",
    "wagtail.publish": "发布",
    "wagtail.unpublish": "取消发布",
    "wagtail.delete": "删除",
    "wagtail.move": "移动",
    "wagtail.copy": "复制",
    "wagtail.lock": "锁定",
    "wagtail.unlock": "解锁",
    "wagtail.workflow.start": "提交审核",
    "wagtail.workflow.approve": "审核通过",
    "wagtail.workflow.reject": "审核退回",
    "wagtail.workflow.cancel": "取消审核",
    "wagtail.workflow.resume": "重新提交审核",
    **{choice.value: choice.label for choice in AuditEvent.Action},
}
PER_PAGE = 50
EXPORT_LIMIT = 100_000


def may_browse(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    allowed = {role_group_name(Role.AUDITOR), role_group_name(Role.DISTRICT_ADMIN)}
    return user.groups.filter(name__in=allowed).exists()


def historical_models() -> dict[str, type]:
    """label_lower of the tracked model → its historical model."""
    found = {}
    for model in registered_models.values():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager:
            found[model._meta.label_lower] = getattr(model, manager).model
    return found


def object_types() -> list[tuple[str, str]]:
    """Every object type the timeline can show, with its Chinese name."""
    labels = set(historical_models()) | {"wagtailcore.page"}
    named = []
    for label in labels:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        named.append((label, str(model._meta.verbose_name)))
    return sorted(named, key=lambda item: item[1])


# --- The union --------------------------------------------------------------------------------


def _history_source(label: str, model):
    pk_name = model.instance_type._meta.pk.attname
    return model.objects.annotate(
        h_kind=Value(f"h:{label}", output_field=CharField()),
        h_id=Cast("history_id", IntegerField()),
        h_ts=F("history_date"),
        h_user=Cast("history_user_id", IntegerField()),
        h_username=Value("", output_field=CharField()),
        h_action=_history_action(),
        h_type=Value(label, output_field=CharField()),
        h_object=Cast(pk_name, CharField()),
        h_repr=Value("", output_field=CharField()),
    )


def _history_action():
    from django.db.models import Case, When

    return Case(
        *[When(history_type=code, then=Value(name)) for code, name in HISTORY_ACTIONS.items()],
        output_field=CharField(),
    )


def _content_type_label(prefix: str):
    return Concat(F(f"{prefix}__app_label"), Value("."), F(f"{prefix}__model"), output_field=CharField())


def _revision_source():
    return Revision.objects.annotate(
        h_kind=Value("revision", output_field=CharField()),
        h_id=Cast("pk", IntegerField()),
        h_ts=F("created_at"),
        h_user=Cast("user_id", IntegerField()),
        h_username=Value("", output_field=CharField()),
        h_action=Value("revision", output_field=CharField()),
        h_type=_content_type_label("base_content_type"),
        h_object=Cast("object_id", CharField()),
        h_repr=Cast("object_str", CharField()),
    )


def _page_log_source():
    return PageLogEntry.objects.annotate(
        h_kind=Value("pagelog", output_field=CharField()),
        h_id=Cast("pk", IntegerField()),
        h_ts=F("timestamp"),
        h_user=Cast("user_id", IntegerField()),
        h_username=Value("", output_field=CharField()),
        h_action=F("action"),
        h_type=Value("wagtailcore.page", output_field=CharField()),
        h_object=Cast("page_id", CharField()),
        h_repr=Cast("label", CharField()),
    )


def _model_log_source():
    return ModelLogEntry.objects.annotate(
        h_kind=Value("modellog", output_field=CharField()),
        h_id=Cast("pk", IntegerField()),
        h_ts=F("timestamp"),
        h_user=Cast("user_id", IntegerField()),
        h_username=Value("", output_field=CharField()),
        h_action=F("action"),
        h_type=_content_type_label("content_type"),
        h_object=Cast("object_id", CharField()),
        h_repr=Cast("label", CharField()),
    )


def _audit_source():
    return AuditEvent.objects.annotate(
        h_kind=Value("audit", output_field=CharField()),
        h_id=Cast("pk", IntegerField()),
        h_ts=F("timestamp"),
        h_user=Cast("actor_id", IntegerField()),
        h_username=F("actor_username"),
        h_action=F("action"),
        h_type=Lower("object_type"),
        h_object=F("object_id"),
        h_repr=F("object_repr"),
    )


@dataclass
class Filters:
    source: str = ""
    object_type: str = ""
    object_id: str = ""
    username: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_query(self) -> dict:
        return {key: str(value) for key, value in self.__dict__.items() if value not in ("", None)}


def timeline(filters: Filters):
    """The filtered, newest-first UNION of every source (a queryset of dicts)."""
    sources = []
    if filters.source in ("", "history"):
        for label, model in historical_models().items():
            if filters.object_type and filters.object_type != label:
                continue
            sources.append(_history_source(label, model))
    if filters.source in ("", "revision"):
        sources.append(_revision_source())
    if filters.source in ("", "log"):
        sources += [_page_log_source(), _model_log_source()]
    if filters.source in ("", "audit"):
        sources.append(_audit_source())

    condition = Q()
    if filters.object_type:
        condition &= Q(h_type=filters.object_type)
    if filters.object_id:
        condition &= Q(h_object=filters.object_id)
    if filters.action:
        condition &= Q(h_action=filters.action)
    if filters.date_from:
        start = timezone.make_aware(dt.datetime.combine(filters.date_from, dt.time.min))
        condition &= Q(h_ts__gte=start)
    if filters.date_to:
        end = timezone.make_aware(dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min))
        condition &= Q(h_ts__lt=end)
    if filters.username:
        user_ids = list(get_user_model().objects.filter(username=filters.username).values_list("pk", flat=True))
        condition &= Q(h_username=filters.username) | Q(h_user__in=user_ids)

    shaped = [source.filter(condition).values(*ALIASES).order_by() for source in sources]
    if not shaped:
        return AuditEvent.objects.none().values(*ALIASES)
    first, *rest = shaped
    return first.union(*rest, all=True).order_by("-h_ts", "-h_id")


def with_usernames(rows: list[dict]) -> list[dict]:
    """Fill in the username of each row in one query."""
    ids = {row["h_user"] for row in rows if row["h_user"] and not row["h_username"]}
    # Always one query, so a page costs the same whether or not it shows staff entries.
    # (An empty id list would skip the query; -1 matches nobody and keeps the count fixed.)
    names = dict(get_user_model().objects.filter(pk__in=ids or [-1]).values_list("pk", "username"))
    for row in rows:
        if not row["h_username"]:
            row["h_username"] = names.get(row["h_user"], "")
        row["action_label"] = ACTION_LABELS.get(row["h_action"], row["h_action"])
        row["source_label"] = _source_label(row["h_kind"])
        row["detail_url"] = reverse("history_browser:detail", args=[row["h_kind"], row["h_id"]])
        row["object_url"] = (
            reverse("history_browser:index") + f"?object_type={row['h_type']}&object_id={row['h_object']}"
            if row["h_type"] and row["h_object"]
            else ""
        )
    return rows


def _source_label(kind: str) -> str:
    if kind.startswith("h:"):
        return "字段历史"
    return {"revision": "修订", "pagelog": "后台操作", "modellog": "后台操作", "audit": "审计记录"}.get(kind, kind)


# --- Views ----------------------------------------------------------------------------------


class FilterForm(forms.Form):
    source = forms.ChoiceField(label="来源", required=False, choices=[("", "全部")] + SOURCES)
    object_type = forms.ChoiceField(label="对象类型", required=False)
    object_id = forms.CharField(label="对象编号", required=False, max_length=64)
    username = forms.CharField(label="操作人（用户名）", required=False, max_length=150)
    action = forms.ChoiceField(label="动作", required=False)
    date_from = forms.DateField(label="从", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="到", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "全部")] + object_types()
        self.fields["action"].choices = [("", "全部")] + sorted(ACTION_LABELS.items(), key=lambda item: item[1])

    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            source=data["source"],
            object_type=data["object_type"],
            object_id=data["object_id"].strip(),
            username=data["username"].strip(),
            action=data["action"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )


def _forbidden(request):
    return render(request, "permissions/history/forbidden.html", status=403)


@require_GET
def index(request):
    if not may_browse(request.user):
        return _forbidden(request)
    form = FilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else Filters()
    rows = timeline(filters)
    if request.GET.get("export") == "csv":
        return export_csv(request, rows, filters)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
    entries = with_usernames(list(page.object_list))
    query = "&".join(f"{key}={value}" for key, value in filters.as_query().items())
    return render(
        request,
        "permissions/history/index.html",
        {"form": form, "page_obj": page, "entries": entries, "query": query, "filters": filters},
    )


def export_csv(request, rows, filters: Filters):
    audit.record(AuditEvent.Action.PERSONAL_DATA_EXPORTED, request=request, what="history", filters=filters.as_query())

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff"  # Excel opens UTF-8 Chinese correctly with a BOM
        yield writer.writerow(["时间", "来源", "操作人", "动作", "对象类型", "对象编号", "对象"])
        batch = []
        for row in rows[:EXPORT_LIMIT].iterator(chunk_size=2000):
            batch.append(row)
            if len(batch) == 2000:
                yield from _csv_rows(writer, batch)
                batch = []
        yield from _csv_rows(writer, batch)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="history.csv"'
    return response


def _csv_rows(writer, batch):
    for row in with_usernames(batch):
        yield writer.writerow(
            [
                timezone.localtime(row["h_ts"]).strftime("%Y-%m-%d %H:%M:%S"),
                row["source_label"],
                row["h_username"],
                row["action_label"],
                row["h_type"],
                row["h_object"],
                row["h_repr"],
            ]
        )


@require_GET
def detail(request, kind: str, pk: int):
    """One entry and what it changed."""
    if not may_browse(request.user):
        return _forbidden(request)
    if kind.startswith("h:"):
        model = historical_models().get(kind[2:])
        if model is None:
            raise Http404
        record = model.objects.filter(history_id=pk).first()
        if record is None:
            raise Http404
        context = {
            "title": f"{model.instance_type._meta.verbose_name} · {record.history_object}",
            "changes": _history_diff(record),
        }
        context.update(when=record.history_date, user=record.history_user, action=HISTORY_ACTIONS[record.history_type])
        context["object_type"], context["object_id"] = (
            kind[2:],
            str(getattr(record, model.instance_type._meta.pk.attname)),
        )
    elif kind == "revision":
        revision = Revision.objects.select_related("user", "base_content_type").filter(pk=pk).first()
        if revision is None:
            raise Http404
        context = {"title": f"修订 · {revision.object_str}", "changes": _revision_diff(revision)}
        context.update(when=revision.created_at, user=revision.user, action="revision")
        ct = revision.base_content_type
        context["object_type"], context["object_id"] = f"{ct.app_label}.{ct.model}", revision.object_id
    elif kind in ("pagelog", "modellog", "audit"):
        model = {"pagelog": PageLogEntry, "modellog": ModelLogEntry, "audit": AuditEvent}[kind]
        entry = model.objects.filter(pk=pk).first()
        if entry is None:
            raise Http404
        data = entry.detail if kind == "audit" else entry.data
        context = {
            "title": str(entry),
            "data": json.dumps(data, ensure_ascii=False, indent=2, default=str),
            "when": entry.timestamp,
            "user": getattr(entry, "actor", None) or getattr(entry, "user", None),
            "action": entry.action,
        }
    else:
        raise Http404
    context["action_label"] = ACTION_LABELS.get(context["action"], context["action"])
    return render(request, "permissions/history/detail.html", context)


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    return text if len(text) <= 500 else text[:500] + "…"


def _history_diff(record) -> list[dict]:
    previous = record.prev_record
    model = record.instance_type
    names = {field.attname: field.verbose_name for field in model._meta.fields}
    names.update({field.name: field.verbose_name for field in model._meta.fields})
    if previous is None:
        fields = [f for f in record._meta.fields if f.name in names]
        return [
            {"field": str(names[f.name]), "old": "", "new": _display(getattr(record, f.attname))}
            for f in fields
            if getattr(record, f.attname) not in (None, "")
        ]
    delta = record.diff_against(previous)
    return [
        {"field": str(names.get(change.field, change.field)), "old": _display(change.old), "new": _display(change.new)}
        for change in delta.changes
    ]


BOOKKEEPING = {
    "latest_revision_created_at",
    "draft_title",
    "latest_revision",
    "live_revision",
    "has_unpublished_changes",
}


def _flatten(content: dict) -> dict:
    return {key: value for key, value in (content or {}).items() if key not in BOOKKEEPING}


def _revision_diff(revision) -> list[dict]:
    previous = (
        Revision.objects.filter(
            base_content_type_id=revision.base_content_type_id,
            object_id=revision.object_id,
            created_at__lte=revision.created_at,
        )
        .exclude(pk=revision.pk)
        .filter(Q(created_at__lt=revision.created_at) | Q(pk__lt=revision.pk))
        .order_by("-created_at", "-pk")
        .first()
    )
    model = revision.content_type.model_class()
    names = {}
    if model is not None:
        names = {
            field.name: str(field.verbose_name) for field in model._meta.get_fields() if hasattr(field, "verbose_name")
        }
    before = _flatten(previous.content) if previous else {}
    after = _flatten(revision.content)
    changed = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
    return [
        {"field": names.get(key, key), "old": _display(before.get(key)), "new": _display(after.get(key))}
        for key in changed
    ]


urlpatterns = [
    path("", index, name="index"),
    path("<str:kind>/<int:pk>/", detail, name="detail"),
]
