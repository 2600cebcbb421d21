"""One history browser for auditors: every change ever made, in one timeline.

Four sources are merged in the database with one UNION query, filtered before the union
and paginated after it, so a page costs the same few queries however long the history is:

- 字段历史: the django-simple-history rows of every domain model (who, when, created /
  changed / deleted), each with a field-level diff against the previous row of that object;
- 页面修订: Wagtail revisions of pages and snippets, each diffed against the previous one;
- 后台操作: Wagtail's own log of admin actions (publish, unpublish, workflow submitted /
  approved / rejected, lock, move, delete…);
- 审计记录: base.AuditEvent (sign-ins, failed sign-ins, role and permission changes,
  views and exports of personal data, opinion transitions).

How the union works: every source is annotated to the same ten columns (ALIASES: kind, id,
timestamp, user id, username, action, step (the transition of a process's audit record, so
the list says 受理 or 交办 and not only 意见办理), object type label, object id, object repr; text,
bigint and timestamp columns in the same order, with `Value(…, CharField())` constants and
`Cast` where a source's column has another type), filtered on its *own* indexed columns
(history_date, history_user_id, the tracked pk, page_id, object_id…) before the union, and
only then combined with `UNION ALL`, ordered by timestamp and sliced for the page. A
source the filters rule out (e.g. an action only audit events have) is left out of the
union altogether. Usernames of a page's rows are resolved afterwards in one query.

Filters: source, object type, object id, user, action, date range. Read-only: GET only,
and the auditor role is refused every other method before any view runs
(`permissions.admin_scope`). Exports (CSV with BOM, XLSX) are audited like every other
export of personal data. Superusers, auditors (审计) and district administrators
(区管理员（代表工委）, who answer for the district's data and already edit all of it) may browse.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from simple_history.models import registered_models

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import BigIntegerField, Case, CharField, F, ForeignKey, IntegerField, Q, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Concat, Lower
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from wagtail.log_actions import registry as wagtail_log_actions
from wagtail.models import ModelLogEntry, PageLogEntry, Revision

from base import audit
from base.audit_actions import PersonalDataAction
from base.audit_actions import actions as audit_actions
from base.history import LONGEST_SHOWN, FieldValues, shorten
from base.ids import parse_id
from base.models import AuditEvent
from base.roles import roles_of
from base.spreadsheets import spreadsheet_cell
from workflows.process import process_for_action

ALIASES = ("h_kind", "h_id", "h_ts", "h_user", "h_username", "h_action", "h_step", "h_type", "h_object", "h_repr")
HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
HISTORY_CODES = {name: code for code, name in HISTORY_ACTIONS.items()}
PAGE_LABEL = "wagtailcore.page"
# Fields that name a row well enough for the listing (first one a model has wins).
REPR_FIELDS = ("name", "title", "username")
SOURCES = [
    ("history", "字段历史"),
    ("revision", "页面与片段修订"),
    ("log", "后台操作日志"),
    ("audit", "审计记录"),
]
# Our own names first (with every registered audit action); Wagtail's log action registry
# (translated) fills in the rest.
OWN_ACTION_LABELS = {
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
}
LABEL_RE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
PER_PAGE = 50
EXPORT_LIMIT = 100_000
EXPORT_BATCH = 2000
EXPORT_HEADER = ["时间", "来源", "操作人", "动作", "对象类型", "对象编号", "对象"]


def may_browse(user) -> bool:
    roles = roles_of(user)
    return roles.is_auditor or roles.is_district_admin


def action_labels() -> dict[str, str]:
    return {
        **{action: str(label) for action, label in wagtail_log_actions.get_choices()},
        **OWN_ACTION_LABELS,
        **dict(audit_actions.choices()),
    }


def historical_models() -> dict[str, type]:
    """label_lower of the tracked model → its historical model."""
    found = {}
    for model in registered_models.values():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager:
            found[model._meta.label_lower] = getattr(model, manager).model
    return found


def type_name(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def object_types() -> list[tuple[str, str]]:
    """Every object type the timeline can show, with its Chinese name."""
    labels = set(historical_models()) | {PAGE_LABEL}
    return sorted(((label, type_name(label)) for label in labels), key=lambda item: item[1])


def index_url(**params) -> str:
    return reverse("history_browser:index") + "?" + urlencode(params)


# --- The union --------------------------------------------------------------------------------


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

    def action_source(self) -> str:
        """Which source an action filter belongs to ("" when there is none)."""
        if not self.action:
            return ""
        if self.action in HISTORY_CODES:
            return "history"
        if self.action == "revision":
            return "revision"
        if self.action in audit_actions:
            return "audit"
        return "log"

    def wants(self, source: str) -> bool:
        return self.source in ("", source) and self.action_source() in ("", source)


class NoRows(Exception):
    """The filters rule a source out (e.g. a non-numeric id for an integer key)."""


def _native(field, value):
    if isinstance(field, IntegerField | ForeignKey):  # an id: ASCII digits in the database's range
        number = parse_id(value)
        if number is None:
            raise NoRows
        return number
    try:
        return field.to_python(value)
    except ValidationError:
        raise NoRows from None


def _users_named(username: str):
    return get_user_model().objects.filter(username=username).values("pk")


def _common(filters: Filters, timestamp: str, user: str | None) -> Q:
    """Date range and user, on the source's own (indexed) columns."""
    condition = Q()
    if filters.date_from:
        start = timezone.make_aware(dt.datetime.combine(filters.date_from, dt.time.min))
        condition &= Q(**{f"{timestamp}__gte": start})
    if filters.date_to:
        end = timezone.make_aware(dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min))
        condition &= Q(**{f"{timestamp}__lt": end})
    if filters.username and user:
        condition &= Q(**{f"{user}__in": _users_named(filters.username)})
    return condition


def _content_type_is(prefix: str, label: str) -> Q:
    app_label, _, model = label.partition(".")
    return Q(**{f"{prefix}__app_label": app_label, f"{prefix}__model": model})


def _content_type_label(prefix: str):
    return Concat(F(f"{prefix}__app_label"), Value("."), F(f"{prefix}__model"), output_field=CharField())


def _text(value: str):
    """A text constant, typed (CAST) so that PostgreSQL never sees an untyped parameter in the union."""
    return Cast(Value(value, output_field=CharField()), CharField())


def _history_source(label: str, model, filters: Filters):
    tracked = model.instance_type._meta.pk
    condition = _common(filters, "history_date", "history_user_id")
    if filters.object_id:
        condition &= Q(**{tracked.attname: _native(tracked, filters.object_id)})
    if filters.action:
        condition &= Q(history_type=HISTORY_CODES[filters.action])
    names = [name for name in REPR_FIELDS if any(f.name == name for f in model._meta.fields)]
    return model.objects.filter(condition).annotate(
        h_kind=_text(f"h:{label}"),
        h_id=Cast("history_id", BigIntegerField()),
        h_ts=F("history_date"),
        h_user=Cast("history_user_id", BigIntegerField()),
        h_username=_text(""),
        h_action=Case(
            *[When(history_type=code, then=_text(name)) for code, name in HISTORY_ACTIONS.items()],
            default=_text(""),
            output_field=CharField(),
        ),
        h_step=_text(""),
        h_type=_text(label),
        h_object=Cast(tracked.attname, CharField()),
        h_repr=Cast(names[0], CharField()) if names else _text(""),
    )


def _revision_source(filters: Filters):
    condition = _common(filters, "created_at", "user_id")
    if filters.object_type:
        condition &= _content_type_is("base_content_type", filters.object_type) | _content_type_is(
            "content_type", filters.object_type
        )
    if filters.object_id:
        condition &= Q(object_id=filters.object_id)
    return Revision.objects.filter(condition).annotate(
        h_kind=_text("revision"),
        h_id=Cast("pk", BigIntegerField()),
        h_ts=F("created_at"),
        h_user=Cast("user_id", BigIntegerField()),
        h_username=_text(""),
        h_action=_text("revision"),
        h_step=_text(""),
        h_type=_content_type_label("base_content_type"),
        h_object=Cast("object_id", CharField()),
        h_repr=Cast("object_str", CharField()),
    )


def _page_log_source(filters: Filters):
    if filters.object_type and filters.object_type != PAGE_LABEL:
        type_condition = _content_type_is("content_type", filters.object_type)
    else:
        type_condition = Q()
    object_id = filters.object_id and _native(PageLogEntry._meta.get_field("page"), filters.object_id)
    return _log_source(PageLogEntry, "pagelog", filters, type_condition, "page_id", object_id, _text(PAGE_LABEL))


def _model_log_source(filters: Filters):
    type_condition = _content_type_is("content_type", filters.object_type) if filters.object_type else Q()
    return _log_source(
        ModelLogEntry,
        "modellog",
        filters,
        type_condition,
        "object_id",
        filters.object_id,
        _content_type_label("content_type"),
    )


def _log_source(model, kind, filters: Filters, type_condition, object_column, object_id, type_expression):
    """Wagtail's admin action log (pages or other models) in the timeline's nine columns."""
    condition = _common(filters, "timestamp", "user_id") & type_condition
    if object_id:
        condition &= Q(**{object_column: object_id})
    if filters.action:
        condition &= Q(action=filters.action)
    return model.objects.filter(condition).annotate(
        h_kind=_text(kind),
        h_id=Cast("pk", BigIntegerField()),
        h_ts=F("timestamp"),
        h_user=Cast("user_id", BigIntegerField()),
        h_username=_text(""),
        h_action=Cast("action", CharField()),
        h_step=_text(""),
        h_type=type_expression,
        h_object=Cast(object_column, CharField()),
        h_repr=Cast("label", CharField()),
    )


def _audit_source(filters: Filters):
    condition = _common(filters, "timestamp", None)
    if filters.username:
        # Failed sign-ins have no actor, only the username that was tried.
        condition &= Q(actor_username=filters.username) | Q(actor_id__in=_users_named(filters.username))
    if filters.object_type:
        condition &= Q(object_type__iexact=filters.object_type)
    if filters.object_id:
        condition &= Q(object_id=filters.object_id)
    if filters.action:
        condition &= Q(action=filters.action)
    return AuditEvent.objects.filter(condition).annotate(
        h_kind=_text("audit"),
        h_id=Cast("pk", BigIntegerField()),
        h_ts=F("timestamp"),
        h_user=Cast("actor_id", BigIntegerField()),
        h_username=Cast("actor_username", CharField()),
        h_action=Cast("action", CharField()),
        h_step=Coalesce(Cast(KT("detail__transition"), CharField()), _text("")),
        h_type=Lower("object_type"),
        h_object=Cast("object_id", CharField()),
        h_repr=Cast("object_repr", CharField()),
    )


def _sources(filters: Filters):
    if filters.wants("history"):
        for label, model in sorted(historical_models().items()):
            if not filters.object_type or filters.object_type == label:
                yield lambda label=label, model=model: _history_source(label, model, filters)
    if filters.wants("revision"):
        yield lambda: _revision_source(filters)
    if filters.wants("log"):
        yield lambda: _page_log_source(filters)
        yield lambda: _model_log_source(filters)
    if filters.wants("audit"):
        yield lambda: _audit_source(filters)


def timeline(filters: Filters):
    """The filtered, newest-first UNION of every source (a lazy queryset of dicts)."""
    shaped = []
    for build in _sources(filters):
        try:
            shaped.append(build().values(*ALIASES).order_by())
        except NoRows:
            continue
    if not shaped:
        return AuditEvent.objects.none().annotate(**{alias: _text("") for alias in ALIASES}).values(*ALIASES)
    first, *rest = shaped
    return first.union(*rest, all=True).order_by("-h_ts", "-h_id", "h_kind")


def with_usernames(rows: list[dict], labels: dict[str, str] | None = None) -> list[dict]:
    """Fill in the username of each row in one query, and the labels and links."""
    labels = labels if labels is not None else action_labels()
    ids = {row["h_user"] for row in rows if row["h_user"] and not row["h_username"]}
    # Always one query, so a page costs the same whether or not it shows staff entries.
    # (An empty id list would skip the query; -1 matches nobody and keeps the count fixed.)
    names = dict(get_user_model().objects.filter(pk__in=ids or [-1]).values_list("pk", "username"))
    for row in rows:
        if not row["h_username"]:
            row["h_username"] = names.get(row["h_user"], "")
        row["action_label"] = labels.get(row["h_action"], row["h_action"])
        step = step_label(row["h_action"], row["h_step"])
        if step:
            row["action_label"] = f"{row['action_label']} · {step}"
        row["source_label"] = _source_label(row["h_kind"])
        row["type_label"] = type_name(row["h_type"]) if row["h_type"] else ""
        row["detail_url"] = reverse("history_browser:detail", args=[row["h_kind"], row["h_id"]])
        row["object_url"] = (
            index_url(object_type=row["h_type"], object_id=row["h_object"]) if row["h_type"] and row["h_object"] else ""
        )
    return rows


def step_label(action: str, transition: str) -> str:
    """The Chinese name of a process's transition recorded by an audit record ("" if none)."""
    process = process_for_action(action) if transition else None
    step = process.by_name.get(transition) if process is not None else None
    return step.label if step is not None else transition


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

    def __init__(self, *args, labels: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        types = object_types()
        # A link from any row ("this object's full history") may name a type outside the
        # list (an image, a user group): accept any well-formed model label.
        wanted = (self.data.get("object_type") or "").strip()
        if LABEL_RE.match(wanted) and wanted not in dict(types):
            types.append((wanted, type_name(wanted)))
        self.fields["object_type"].choices = [("", "全部")] + types
        self.fields["action"].choices = [("", "全部")] + sorted(labels.items(), key=lambda item: (item[1], item[0]))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("“从”的日期不能晚于“到”。")
        return data

    def filters(self) -> Filters:
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
    labels = action_labels()
    params = request.GET.copy()
    export = params.pop("export", [""])[-1]
    params.pop("p", None)
    form = FilterForm(params, labels=labels)
    valid = form.is_valid()  # an unbound-looking empty query is valid: everything
    filters = form.filters() if valid else Filters()
    if valid and export == "csv":
        return export_csv(request, timeline(filters), filters, labels)
    if valid and export == "xlsx":
        return export_xlsx(request, timeline(filters), filters, labels)
    # Invalid filters show the errors and no rows, never the unfiltered timeline.
    rows = timeline(filters) if valid else AuditEvent.objects.none()
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
    entries = with_usernames(list(page.object_list), labels) if valid else []
    return render(
        request,
        "permissions/history/index.html",
        {"form": form, "page_obj": page, "entries": entries, "query": urlencode(filters.as_query()), "valid": valid},
    )


def _audit_export(request, filters: Filters, fmt: str):
    action = PersonalDataAction.EXPORTED
    audit.record(action, request=request, what="history", format=fmt, filters=filters.as_query())


def _export_rows(rows, labels):
    """Lines of the export, usernames resolved per batch (one query per 2,000 rows)."""
    batch = []
    for row in rows[:EXPORT_LIMIT].iterator(chunk_size=EXPORT_BATCH):
        batch.append(row)
        if len(batch) == EXPORT_BATCH:
            yield from _lines(batch, labels)
            batch = []
    yield from _lines(batch, labels)


def _lines(batch, labels):
    for row in with_usernames(batch, labels):
        yield [
            timezone.localtime(row["h_ts"]).strftime("%Y-%m-%d %H:%M:%S"),
            row["source_label"],
            spreadsheet_cell(row["h_username"]),
            spreadsheet_cell(row["action_label"]),
            spreadsheet_cell(row["h_type"]),
            spreadsheet_cell(row["h_object"]),
            spreadsheet_cell(row["h_repr"]),
        ]


def _filename(ext: str) -> str:
    return f"history-{timezone.localtime():%Y%m%d-%H%M}.{ext}"


def export_csv(request, rows, filters: Filters, labels):
    _audit_export(request, filters, "csv")

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff"  # Excel opens UTF-8 Chinese correctly with a BOM
        yield writer.writerow(EXPORT_HEADER)
        for line in _export_rows(rows, labels):
            yield writer.writerow(line)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


def export_xlsx(request, rows, filters: Filters, labels):
    _audit_export(request, filters, "xlsx")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("历史记录")
    sheet.append(EXPORT_HEADER)
    for line in _export_rows(rows, labels):
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    return response


@require_GET
def detail(request, kind: str, pk: int):
    """One entry and what it changed."""
    if not may_browse(request.user):
        return _forbidden(request)
    if kind.startswith("h:"):
        model = historical_models().get(kind[2:])
        if model is None:
            raise Http404
        record = model.objects.select_related("history_user").filter(history_id=pk).first()
        if record is None:
            raise Http404
        tracked = model.instance_type._meta
        context = {
            "title": f"{tracked.verbose_name} · {record.history_object}",
            "changes": _history_diff(record),
            "when": record.history_date,
            "user": record.history_user,
            "action": HISTORY_ACTIONS[record.history_type],
            "object_type": kind[2:],
            "object_id": str(getattr(record, tracked.pk.attname)),
        }
    elif kind == "revision":
        revision = Revision.objects.select_related("user", "base_content_type").filter(pk=pk).first()
        if revision is None:
            raise Http404
        ct = revision.base_content_type
        context = {
            "title": f"修订 · {revision.object_str}",
            "changes": _revision_diff(revision),
            "when": revision.created_at,
            "user": revision.user,
            "action": "revision",
            "object_type": f"{ct.app_label}.{ct.model}",
            "object_id": revision.object_id,
        }
    elif kind in ("pagelog", "modellog", "audit"):
        model = {"pagelog": PageLogEntry, "modellog": ModelLogEntry, "audit": AuditEvent}[kind]
        entry = model.objects.filter(pk=pk).first()
        if entry is None:
            raise Http404
        data = entry.detail if kind == "audit" else entry.data
        context = {
            "title": entry.object_repr if kind == "audit" else entry.label,
            "data": json.dumps(data, ensure_ascii=False, indent=2, default=str),
            "when": entry.timestamp,
            "user": entry.actor_username if kind == "audit" else entry.user,
            "action": entry.action,
        }
        if kind == "audit":
            context.update(object_type=entry.object_type.lower(), object_id=entry.object_id, ip=entry.ip_address)
        elif kind == "pagelog":
            context.update(object_type=PAGE_LABEL, object_id=str(entry.page_id))
        elif entry.content_type_id:
            ct = entry.content_type
            context.update(object_type=f"{ct.app_label}.{ct.model}", object_id=entry.object_id)
        if kind != "audit" and entry.revision_id:
            context["revision_url"] = reverse("history_browser:detail", args=["revision", entry.revision_id])
    else:
        raise Http404
    context["action_label"] = action_labels().get(context["action"], context["action"])
    if context.get("object_type") and context.get("object_id"):
        context["object_url"] = index_url(object_type=context["object_type"], object_id=context["object_id"])
        context["object_type_name"] = type_name(context["object_type"])
    return render(request, "permissions/history/detail.html", context)


def _history_diff(record) -> list[dict]:
    own = {field.name for field in record.instance_type._meta.fields}
    tracked = [f for f in record._meta.fields if f.name in own]
    if record.history_type == "-":  # deleted: what the row held
        held = [(f.name, getattr(record, f.attname)) for f in tracked]
        changes = [(name, value, None) for name, value in held if value not in (None, "")]
    elif record.prev_record is None:  # created: what it was created with
        held = [(f.name, getattr(record, f.attname)) for f in tracked]
        changes = [(name, None, value) for name, value in held if value not in (None, "")]
    else:
        changes = [(c.field, c.old, c.new) for c in record.diff_against(record.prev_record).changes]
    values = FieldValues(record.instance_type, changes, show_ids=True, longest=LONGEST_SHOWN)
    return [values.change(name, old, new) for name, old, new in changes]


BOOKKEEPING = {
    "latest_revision_created_at",
    "draft_title",
    "latest_revision",
    "live_revision",
    "has_unpublished_changes",
}


def _flatten(content: dict, prefix: str = "") -> dict:
    """Revision content as flat "field" / "field.key" → value (lists stay whole, as JSON)."""
    flat = {}
    for key, value in (content or {}).items():
        if not prefix and key in BOOKKEEPING:
            continue
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


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

    def label(key):
        head, _, rest = key.partition(".")
        return names.get(head, head) + (f".{rest}" if rest else "")

    return [{"field": label(key), "old": shorten(before.get(key)), "new": shorten(after.get(key))} for key in changed]


urlpatterns = [
    path("", index, name="index"),
    path("<str:kind>/<int:pk>/", detail, name="detail"),
]
