"""Staff screens for opinions in the Wagtail admin (群众意见办理).

The listing, its filters and exports, the detail page with the timeline and the action
forms, staff entry on a citizen's behalf, and bulk assignment. Every queryset goes through
`permissions.scoping.scope_opinions`; names and phone numbers are masked everywhere except
where a person with a need reveals them on the detail page, which is audited.
"""

from __future__ import annotations

import datetime as dt
import uuid

import django_filters

from django import forms
from django.contrib import messages
from django.db import models
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View

from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views.snippets import CreateView, IndexView, InspectView, SnippetViewSet

from permissions import audit
from permissions.history_browser import spreadsheet_cell
from permissions.masking import mask_name, mask_phone
from permissions.models import AuditEvent
from permissions.policies import ScopedPermissionPolicy
from permissions.scoping import departments_for, is_district_wide, scope_opinions, stations_for, streets_for
from permissions.viewsets import AuditedExportViewSetMixin, ScopedViewSetMixin
from workflows import opinions
from workflows.intake import MOBILE, IntakeError, Submission, normalise_phone, submit
from workflows.models import (
    Category,
    Channel,
    Department,
    Opinion,
    OpinionPhoto,
    OpinionState,
    Outcome,
    Publication,
    Rating,
)

S = OpinionState
OPEN_DEADLINE_STATES = (S.ASSIGNED, S.SIGNED)


def overdue_q(today=None):
    today = today or timezone.localdate()
    return Q(state__in=OPEN_DEADLINE_STATES, deadline__lt=today)


class OpinionPermissionPolicy(ScopedPermissionPolicy):
    """Opinions are never edited or deleted as rows: they change only through transitions."""

    def user_has_permission(self, user, action):
        if action in ("change", "delete"):
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


# --- Listing --------------------------------------------------------------------------------


class OpinionFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(label="状态", choices=OpinionState.choices)
    street = django_filters.ModelChoiceFilter(label="街道", queryset=lambda request: streets_for(request.user))
    station = django_filters.ModelChoiceFilter(
        label="站点",
        queryset=lambda request: stations_for(request.user).order_by("path"),
    )
    category = django_filters.ModelChoiceFilter(label="分类", queryset=Category.objects.all())
    department = django_filters.ModelChoiceFilter(label="承办单位", queryset=Department.objects.all())
    overdue = django_filters.BooleanFilter(label="超期", method="filter_overdue")
    is_key = django_filters.BooleanFilter(label="重点督办")
    created_at = django_filters.DateFromToRangeFilter(label="提交日期")
    publication = django_filters.ChoiceFilter(label="公开", choices=Publication.choices)

    class Meta:
        model = Opinion
        fields = [
            "state",
            "street",
            "station",
            "category",
            "department",
            "overdue",
            "is_key",
            "created_at",
            "publication",
        ]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())


class OverdueColumn(Column):
    cell_template_name = "workflows/admin/overdue_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["overdue"] = instance.is_overdue(parent_context.get("today"))
        return context


# --- Staff entry on a citizen's behalf --------------------------------------------------------


class StaffOpinionForm(WagtailAdminModelForm):
    """代录: walk-in, phone, letter and deputy-forwarded opinions entered by staff."""

    channel = forms.ChoiceField(
        label="渠道",
        choices=[(c.value, c.label) for c in Channel if c not in (Channel.ONLINE, Channel.QR)],
    )
    citizen_phone = forms.CharField(label="手机号码", max_length=20, help_text="11 位中国大陆手机号码")
    # One key per rendered form: the same form posted twice (double click, retry) is one opinion.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=40, required=False)

    def clean_citizen_phone(self):
        phone = normalise_phone(self.cleaned_data["citizen_phone"])
        if not MOBILE.match(phone):
            raise forms.ValidationError("请填写 11 位中国大陆手机号码。")
        return phone

    class Meta:
        model = Opinion
        fields = [
            "station",
            "channel",
            "received_by_deputy",
            "received_on",
            "category",
            "title",
            "content",
            "citizen_name",
            "citizen_phone",
            "publish_consent",
        ]
        widgets = {
            "station": forms.Select,
            "received_by_deputy": forms.Select,
            "received_on": forms.DateInput(attrs={"type": "date"}),
            "content": forms.Textarea,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations_for(self.for_user).select_related("street").order_by("path")
        self.fields["received_by_deputy"].help_text = "接待日由代表当面收到的意见，请选择该代表。"
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("channel") == Channel.DEPUTY and not cleaned.get("received_by_deputy"):
            self.add_error("received_by_deputy", "代表转交的意见请选择接待代表。")
        received_on = cleaned.get("received_on")
        if received_on and received_on > timezone.localdate():
            self.add_error("received_on", "接待日期不能晚于今天。")
        if cleaned.get("channel") in (Channel.DEPUTY, Channel.WALK_IN) and not received_on:
            self.add_error("received_on", "来访和代表转交的意见请填写接待日期。")
        return cleaned

    def _post_clean(self):
        # The model's own validation runs inside intake.submit(); the form checks its fields.
        pass

    def save(self, commit=True):
        data = self.cleaned_data
        try:
            key = staff_idempotency_key(self.for_user, data.get("idempotency_key"))
            opinion, _created = submit(
                Submission.from_cleaned_data(data, entered_by=self.for_user, idempotency_key=key)
            )
        except IntakeError as error:
            raise forms.ValidationError(str(error)) from error
        self.instance = opinion
        return opinion


def staff_idempotency_key(user, key: str | None) -> str | None:
    """The stored key of a staff entry: namespaced by the person entering it, so a key posted
    by someone else can never lead to an opinion they did not enter."""
    key = (key or "").strip()[:40]
    return f"staff:{user.pk}:{key}" if key and user is not None and user.pk else None


class StaffOpinionCreateView(CreateView):
    """代录. Lands on the new opinion's detail page, which shows its receipt number; a form
    posted again lands on the same page and stores nothing."""

    def post(self, request, *args, **kwargs):
        key = staff_idempotency_key(request.user, request.POST.get("idempotency_key"))
        existing = Opinion.objects.filter(idempotency_key=key).first() if key else None
        if existing is not None:
            messages.success(request, self.get_success_message(existing))
            return redirect(self.receipt_url(existing))
        return super().post(request, *args, **kwargs)

    @staticmethod
    def receipt_url(opinion: Opinion) -> str:
        return reverse("opinions:inspect", args=[opinion.pk])

    def get_success_url(self):
        return self.receipt_url(self.object)

    def get_success_buttons(self):
        return []  # opinions are never edited as rows: no "edit" button

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except forms.ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)

    def get_success_message(self, instance):
        return f"已登记，回执编号 {instance.receipt_no}。"


# --- The detail page: timeline, replies, actions ---------------------------------------------


class TransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


def transition_form(name: str, opinion: Opinion, data=None):
    """The form for one transition, with the fields it needs."""
    fields: dict[str, forms.Field] = {}
    if name == "accept":
        fields["category"] = forms.ModelChoiceField(
            label="分类", queryset=Category.objects.all(), initial=opinion.category_id
        )
    elif name == "reject":
        fields["reason"] = forms.CharField(label="不予受理理由", max_length=200)
    elif name == "mark_duplicate":
        fields["original"] = forms.CharField(label="原意见回执编号", max_length=20)
    elif name in ("escalate", "supervise"):
        fields["note"] = forms.CharField(label="说明", max_length=200, required=name == "escalate")
    elif name == "assign":
        fields["department"] = forms.ModelChoiceField(
            label="承办单位", queryset=Department.objects.filter(is_active=True)
        )
        fields["workdays"] = forms.IntegerField(
            label="办理时限（工作日）", min_value=1, max_value=90, initial=opinion.category.deadline_workdays
        )
    elif name == "reply":
        fields["outcome"] = forms.ChoiceField(label="办理结果", choices=Outcome.choices)
        fields["text"] = forms.CharField(label="答复内容", max_length=4000, widget=forms.Textarea)
    elif name == "evaluate":
        fields["rating"] = forms.ChoiceField(label="回访评价", choices=Rating.choices)
    elif name == "close":
        fields["reason"] = forms.CharField(label="办结说明", max_length=200, required=False)
    elif name == "request_publication":
        fields["summary"] = forms.CharField(
            label="公开摘要（不得含个人信息）", max_length=200, initial=opinion.public_summary or opinion.title
        )
        fields["public_reply"] = forms.CharField(
            label="公开答复（删去姓名、电话、门牌等个人信息）",
            max_length=opinions.PUBLIC_REPLY_MAX,
            widget=forms.Textarea,
            initial=opinion.public_reply or opinion.reply_text,
            help_text="公开页面只显示这段答复，不显示原答复。",
        )
    elif name == "refuse_publication":
        fields["note"] = forms.CharField(label="理由", max_length=200, required=False)
    form_class = type(f"{name.title()}Form", (TransitionForm,), fields)
    return form_class(data, initial={"version": opinion.version}, prefix=name)


def transition_kwargs(name: str, form, opinion: Opinion, user) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    if name == "mark_duplicate":
        original = scope_opinions(Opinion.objects.all(), user).filter(receipt_no=data["original"].strip()).first()
        if original is None:
            raise opinions.TransitionError("找不到该回执编号的意见（或不在您的范围内）。")
        data["original"] = original
    return data


# Timeline: each audit record with the field changes of the history row its save wrote.
TIMELINE_HIDDEN_FIELDS = {"version", "updated_at", "idempotency_key"}
# An audit record from before records named their history row is paired with the nearest
# unpaired row written before it, at most this long before (the save comes first, in the
# same transaction).
TIMELINE_PAIRING_WINDOW = dt.timedelta(minutes=5)


def may_see_personal_data(held: set[str]) -> bool:
    """Contact details and photos: for those who work the opinion (station staff, the street
    committee, the district admin, the assigned department), not for readers district-wide."""
    return bool(held & {opinions.STAFF, opinions.HANDLER})


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


class _FieldValues:
    """Stored values as people read them: labels of choices, names of related rows."""

    def __init__(self, changes):
        self.fields = {f.name: f for f in Opinion._meta.fields}
        wanted: dict[type, set] = {}
        for name, old, new in changes:
            field = self.fields.get(name)
            if isinstance(field, models.ForeignKey):
                wanted.setdefault(field.related_model, set()).update(v for v in (old, new) if v is not None)
        # One query per related model, whatever the number of rows.
        self.related = {
            model: model._base_manager.in_bulk([pk for pk in pks if not isinstance(pk, models.Model)])
            for model, pks in wanted.items()
        }

    def label(self, name) -> str:
        field = self.fields.get(name)
        return str(field.verbose_name) if field is not None else name

    def show(self, name, value) -> str:
        field = self.fields.get(name)
        if value in (None, ""):
            return ""
        if isinstance(field, models.ForeignKey):
            related = value if isinstance(value, models.Model) else self.related[field.related_model].get(value)
            return str(related) if related is not None else f"（已删除 #{value}）"
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m-%d")
        return str(value)


def _state_label(code) -> str:
    return OpinionState(code).label if code in OpinionState.values else str(code or "")


def _event_summary(event) -> str:
    """What happened, in Chinese: 提交, or the transition with the states it moved between."""
    if event.action == AuditEvent.Action.OPINION_SUBMITTED:
        return "提交"
    detail = event.detail or {}
    transition = opinions.TRANSITIONS.get(detail.get("transition"))
    name = transition.label if transition else str(detail.get("transition", ""))
    before, after = detail.get("from_state"), detail.get("to_state")
    if before == after:
        return f"{name}（状态仍为{_state_label(after)}）"
    return f"{_state_label(before)} → {_state_label(after)}（{name}）"


class OpinionDetailView(InspectView):
    template_name = "workflows/admin/opinion_detail.html"

    def get_page_title(self):
        return f"{self.object.receipt_no} · {self.object.get_state_display()}"

    @cached_property
    def capacities(self):
        return opinions.capacities(self.request.user, self.object)

    def may_reveal(self):
        return may_see_personal_data(self.capacities)

    def get_context_data(self, **kwargs):
        from permissions.masking import reveal

        context = super().get_context_data(**kwargs)
        opinion = self.object
        revealed = self.request.GET.get("reveal") == "1" and self.may_reveal()
        photos = list(opinion.photos.all())
        context.update(
            opinion=opinion,
            citizen_name=reveal(self.request, opinion, "citizen_name") if revealed else mask_name(opinion.citizen_name),
            citizen_phone=(
                reveal(self.request, opinion, "citizen_phone") if revealed else mask_phone(opinion.citizen_phone)
            ),
            may_reveal=self.may_reveal() and not revealed,
            overdue=opinion.is_overdue(),
            replies=opinion.replies.select_related("department", "replied_by"),
            supervision_cases=opinion.supervision_cases.select_related("opened_by"),
            photos=photos,
            may_view_photos=may_see_personal_data(self.capacities),
            # What the public will read (or reads), for the approver to check before approving.
            publication_shown=opinion.publication in (Publication.PENDING, Publication.APPROVED),
            timeline=self.timeline(),
            actions=[
                {
                    "transition": t,
                    "form": transition_form(t.name, opinion),
                    "url": reverse("opinions:act", args=[opinion.pk, t.name]),
                }
                for t in opinions.available(self.request.user, opinion)
            ],
        )
        return context

    def timeline(self):
        """Audit records of the opinion, each with the field changes of its history row
        (against the row before it); history rows no audit record claims are shown too."""
        events = list(
            AuditEvent.objects.filter(
                object_type=Opinion._meta.label,
                object_id=str(self.object.pk),
                action__in=[AuditEvent.Action.OPINION_SUBMITTED, AuditEvent.Action.OPINION_TRANSITION],
            ).order_by("timestamp", "pk")
        )
        records = list(self.object.history.select_related("history_user").order_by("history_date", "history_id"))
        paired = _pair_history(events, records)
        previous = {record.history_id: records[i - 1] if i else None for i, record in enumerate(records)}
        deltas = {}
        for record in records:
            before = previous[record.history_id]
            deltas[record.history_id] = (
                [c for c in record.diff_against(before).changes if c.field not in TIMELINE_HIDDEN_FIELDS]
                if before is not None
                else []
            )
        values = _FieldValues((c.field, c.old, c.new) for changes in deltas.values() for c in changes)

        def changes_of(record):
            if record is None:
                return []
            return [
                {"field": values.label(c.field), "old": values.show(c.field, c.old), "new": values.show(c.field, c.new)}
                for c in deltas[record.history_id]
            ]

        rows = [
            {
                "timestamp": event.timestamp,
                "actor": event.actor_username,
                "summary": _event_summary(event),
                "note": (event.detail or {}).get("note", ""),
                "changes": changes_of(paired.get(event.pk)),
            }
            for event in events
        ]
        claimed = {record.history_id for record in paired.values()}
        for record in records:
            if record.history_id in claimed:
                continue
            changes = changes_of(record)
            if not changes:
                continue
            rows.append(
                {
                    "timestamp": record.history_date,
                    "actor": record.history_user.get_username() if record.history_user else "",
                    "summary": "字段修改（无办理记录）"
                    + (f"：{record.history_change_reason}" if record.history_change_reason else ""),
                    "note": "",
                    "changes": changes,
                }
            )
        rows.sort(key=lambda row: row["timestamp"])
        return rows


class TransitionView(View):
    """POST one transition from the detail page; errors come back as a clear message."""

    def post(self, request, pk, name):
        opinion = get_object_or_404(scope_opinions(Opinion.objects.all(), request.user), pk=pk)
        if name not in opinions.TRANSITIONS:
            raise Http404
        form = transition_form(name, opinion, request.POST)
        detail = reverse("opinions:inspect", args=[pk])
        if not form.is_valid():
            problems = "；".join(
                f"{form.fields[f].label if f in form.fields else ''}{' '.join(e)}" for f, e in form.errors.items()
            )
            messages.error(request, f"未能{opinions.TRANSITIONS[name].label}：{problems}")
            return redirect(detail)
        try:
            opinions.perform(
                opinion,
                name,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                **transition_kwargs(name, form, opinion, request.user),
            )
        except opinions.TransitionError as error:
            messages.error(request, str(error))
            return redirect(detail)
        messages.success(request, f"已{opinions.TRANSITIONS[name].label}。")
        return redirect(detail)


class PhotoView(View):
    """A citizen's photo, to those who work the opinion (like the contact details); each
    view is audited. Readers district-wide (editors, auditors) see that photos exist only."""

    def get(self, request, pk):
        photo = get_object_or_404(
            OpinionPhoto.objects.filter(opinion__in=scope_opinions(Opinion.objects.all(), request.user)).select_related(
                "opinion"
            ),
            pk=pk,
        )
        if not may_see_personal_data(opinions.capacities(request.user, photo.opinion)):
            # A plain 403 (Wagtail would turn PermissionDenied into a redirect to the dashboard).
            return HttpResponseForbidden("只有办理该意见的工作人员和承办单位可以查看群众上传的照片。")
        audit.record(AuditEvent.Action.PERSONAL_DATA_VIEWED, request=request, obj=photo.opinion, field="photo")
        response = FileResponse(photo.file.open("rb"))
        response["Cache-Control"] = "private, no-store"
        return response


# --- Bulk assignment ------------------------------------------------------------------------


class BulkAssignForm(forms.Form):
    department = forms.ModelChoiceField(label="承办单位", queryset=Department.objects.filter(is_active=True))
    workdays = forms.IntegerField(label="办理时限（工作日）", min_value=1, max_value=90, required=False)


class BulkAssignAction(SnippetBulkAction):
    display_name = "批量交办"
    action_type = "assign"
    aria_label = "交办所选意见"
    template_name = "workflows/admin/bulk_assign.html"
    action_priority = 10
    form_class = BulkAssignForm
    models = [Opinion]

    def check_perm(self, obj):
        return obj.state in (S.ACCEPTED, S.REOPENED) and opinions.STAFF in opinions.capacities(self.request.user, obj)

    def get_execution_context(self):
        return {**self.cleaned_form.cleaned_data, "user": self.request.user, "request": self.request}

    @classmethod
    def execute_action(cls, objects, user=None, request=None, department=None, workdays=None, **kwargs):
        done, refused = 0, []
        for opinion in objects:
            try:
                opinions.perform(opinion, "assign", user=user, department=department, workdays=workdays)
                done += 1
            except opinions.TransitionError as error:
                refused.append(f"{opinion.receipt_no}：{error}")
        if refused and request is not None:
            messages.warning(request, "以下意见未交办：" + "；".join(refused))
        return done, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return f"已交办 {num_parent_objects} 条意见。"


# --- The viewset ------------------------------------------------------------------------------


class OpinionIndexView(IndexView):
    """The listing. Its CSV cells never start a formula (=, +, -, @, tab, CR): titles and
    contents are typed by citizens. Wagtail already writes such XLSX cells as text."""

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: spreadsheet_cell(self.preprocess_field_value(field, value, self.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )


class OpinionViewSet(AuditedExportViewSetMixin, ScopedViewSetMixin, SnippetViewSet):
    model = Opinion
    admin_url_namespace = "opinions"
    base_url_path = "opinions"
    icon = "mail"
    menu_label = "群众意见"
    menu_order = 100
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = OpinionDetailView
    index_view_class = OpinionIndexView
    add_view_class = StaffOpinionCreateView
    filterset_class = OpinionFilterSet
    # Receipt numbers and titles, matched in the database (opinions are not in the search index).
    search_fields = ["receipt_no", "title"]
    search_backend_name = None
    list_per_page = 50
    list_display = [
        "receipt_no",
        "title",
        Column("state", label="状态", accessor="get_state_display"),
        Column("station", label="所在站点"),
        Column("department", label="承办单位"),
        "deadline",
        OverdueColumn("overdue", label="超期"),
        Column("masked_citizen", label="群众", accessor="masked_citizen"),
        "created_at",
    ]
    list_export = [
        "receipt_no",
        "title",
        "state_label",
        "street",
        "station",
        "category",
        "channel_label",
        "department",
        "deadline",
        "overdue_label",
        "outcome_label",
        "rating_label",
        "masked_citizen_name",
        "masked_citizen_phone",
        "created_at",
        "closed_at",
    ]
    export_headings = {
        "receipt_no": "回执编号",
        "title": "标题",
        "state_label": "状态",
        "street": "街道",
        "station": "所在站点",
        "category": "分类",
        "channel_label": "渠道",
        "department": "承办单位",
        "deadline": "答复期限",
        "overdue_label": "超期",
        "outcome_label": "办理结果",
        "rating_label": "评价",
        "masked_citizen_name": "群众（脱敏）",
        "masked_citizen_phone": "电话（脱敏）",
        "created_at": "提交时间",
        "closed_at": "办结时间",
    }
    export_filename = "opinions"
    ordering = ["-created_at", "-pk"]

    def get_form_class(self, for_update=False):
        return StaffOpinionForm

    def scope_queryset(self, queryset, user):
        return scope_opinions(queryset, user).select_related("station", "department", "street", "category")

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("act/<int:pk>/<slug:name>/", TransitionView.as_view(), name="act"),
            path("photo/<int:pk>/", PhotoView.as_view(), name="photo"),
        ]


# --- "My to-dos" on the admin home ------------------------------------------------------------


NOTHING = Q(pk__isnull=True)  # a condition no row meets


def todo_counts(user) -> dict[str, int]:
    """The counts of the admin home's 我的待办, in one query: only what this user may act on
    (the same capacities as opinions.capacities). An editor sees publications to approve,
    an auditor nothing; overdue items are those the user handles or must chase."""
    from permissions.roles import Role, role_group_name

    scoped = scope_opinions(Opinion.objects.all(), user)
    mine = Q(department__in=departments_for(user).values("pk"))
    if is_district_wide(user):
        names = set(user.groups.values_list("name", flat=True))
        admin = user.is_superuser or role_group_name(Role.DISTRICT_ADMIN) in names
        staff_rows = Q() if admin else NOTHING
        publish_rows = Q() if admin or role_group_name(Role.EDITOR) in names else NOTHING
    else:
        publish_rows = Q(street__in=streets_for(user).values("pk"))
        staff_rows = Q(station__in=stations_for(user).values("pk")) | publish_rows
    return scoped.aggregate(
        to_accept=Count("pk", filter=Q(state=S.SUBMITTED) & staff_rows),
        to_assign=Count("pk", filter=Q(state=S.ACCEPTED) & staff_rows),
        to_reassign=Count("pk", filter=Q(state=S.REOPENED) & staff_rows),
        to_sign=Count("pk", filter=Q(state=S.ASSIGNED) & mine),
        to_reply=Count("pk", filter=Q(state=S.SIGNED) & mine),
        to_close=Count("pk", filter=Q(state=S.EVALUATED) & staff_rows),
        overdue=Count("pk", filter=overdue_q() & (staff_rows | mine)),
        to_publish=Count("pk", filter=Q(publication=Publication.PENDING) & publish_rows),
    )


def overdue_rollup(user) -> list[dict]:
    """Overdue counts per street within the user's scope (district total = their sum)."""
    return list(
        scope_opinions(Opinion.objects.filter(overdue_q()), user)
        .values("street__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "street__name")
    )
