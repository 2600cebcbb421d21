"""Staff screens for opinions in the Wagtail admin (群众意见办理).

The listing, its filters and exports, the detail page (its timeline and action forms come
from the process declaration, `workflows.opinions.OPINIONS`), staff entry on a citizen's
behalf, and bulk assignment. Every queryset is limited to the process's scope; names and
phone numbers are masked everywhere except where a person with a need reveals them on the
detail page, which is audited.
"""

from __future__ import annotations

import uuid

import django_filters

from django import forms
from django.contrib import messages
from django.db.models import Count, F, Q
from django.forms.utils import flatatt
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.templatetags.l10n import unlocalize
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.timezone import template_localtime
from django.views import View

from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views.snippets import CreateView

from base import audit
from base.audit_actions import PersonalDataAction
from base.filters import ConditionFilter, TreeFilter
from base.masking import mask_name, mask_phone, reveal
from base.viewsets import ScopedSnippetViewSet, SnippetIndexView, SnippetInspectView
from content.scoping import stations_for, streets_for
from workflows.intake import MOBILE, IntakeError, Submission, normalise_phone, submit
from workflows.models import (
    OPINION_DEADLINE,
    Category,
    Channel,
    Department,
    Opinion,
    OpinionPhoto,
    OpinionState,
    Outcome,
    Publication,
)
from workflows.opinions import HANDLER, OPINIONS, STAFF
from workflows.process import TransitionError
from workflows.process_admin import ProcessDetailMixin, ProcessTodoPanel, transition_urlpattern
from workflows.stats import IN_LOOP, REPLIED
from workflows.storage import private_file_response

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
    overdue = ConditionFilter(label="超期", condition=OPINION_DEADLINE.overdue_q)
    is_key = django_filters.BooleanFilter(label="重点督办")
    created_at = django_filters.DateFromToRangeFilter(label="提交日期")
    publication = django_filters.ChoiceFilter(label="公开", choices=Publication.choices)
    # The dashboards' figures link here with the same conditions they count (workflows.stats).
    channel = django_filters.ChoiceFilter(label="渠道", choices=Channel.choices)
    outcome = django_filters.ChoiceFilter(label="办理结果", choices=Outcome.choices)
    in_loop = ConditionFilter(label="进入办理", condition=IN_LOOP)
    is_open = ConditionFilter(
        label="办理中（未办结）",
        condition=~Q(state__in=(OpinionState.CLOSED, OpinionState.REJECTED, OpinionState.DUPLICATE)),
    )
    replied = ConditionFilter(label="已答复", condition=REPLIED)
    district_level = django_filters.BooleanFilter(label="区级（不属街道）", field_name="street", lookup_expr="isnull")
    station_tree = TreeFilter(
        label="站点（含下级联络点）",
        field_name="station",
        queryset=lambda request: stations_for(request.user).order_by("path"),
    )

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
            "channel",
            "outcome",
            "in_loop",
            "is_open",
            "replied",
            "district_level",
            "station_tree",
        ]


# The listing's cells are written without the template engine. Its 50 rows × 10 columns were
# 500 template renders (and a "more" menu per row), a third of the page's time at 100,000
# opinions (issue 16, part 6); the markup is that of Wagtail's cell templates.


def _shown(value) -> str:
    """A value as `{{ value }}` shows it in a template: in local time, localised, escaped."""
    return conditional_escape(localize(template_localtime(value)))


def _class_attr(classname: str | None) -> str:
    return format_html(' class="{}"', classname) if classname else ""


class PlainColumn(Column):
    """Wagtail's `Column`, its cell (`tables/cell.html`: `<td>value</td>`) written directly."""

    def render_cell_html(self, instance, parent_context):
        value = self.get_value(instance)
        if value is None:
            value = ""
        elif isinstance(value, int) and not isinstance(value, bool):
            value = unlocalize(value)
        elif not str(value).strip():
            value = self.empty_value_display
        return format_html("<td{}>{}</td>", _class_attr(self.classname), _shown(value))


class ReceiptColumn(TitleColumn):
    """The title column (the receipt number, linked to the opinion's page), its cell
    (`tables/title_cell.html`) written directly; with buttons to show, as Wagtail writes it."""

    def render_cell_html(self, instance, parent_context):
        context = self.get_cell_context_data(instance, parent_context)
        if context.get("buttons") or not context["link_url"] or context["label_id"]:
            return super().render_cell_html(instance, parent_context)
        title = context["value"]
        if context["title_id"]:
            title = format_html('<span id="{}">{}</span>', context["title_id"], _shown(title))
        return format_html(
            '<td class="{}title"><div class="title-wrapper"><a{}>{}</a></div></td>',
            f"{self.classname} " if self.classname else "",
            flatatt(context["link_attrs"]),
            _shown(title),
        )


class OverdueColumn(PlainColumn):
    def render_cell_html(self, instance, parent_context):
        overdue = instance.is_overdue(parent_context.get("today"))
        return format_html("<td>{}</td>", OVERDUE_TAG if overdue else "")


OVERDUE_TAG = format_html('<span class="w-status w-status--label">{}</span>', "超期")


# --- Staff entry on a citizen's behalf --------------------------------------------------------


class StaffOpinionForm(WagtailAdminModelForm):
    """代录: walk-in, phone, letter and deputy-forwarded opinions entered by staff."""

    channel = forms.ChoiceField(
        label="渠道",
        # A resident's own channels are theirs; a deliberation's resolution becomes an opinion
        # from the meeting's page (deliberation), not here; other systems send theirs through Open311.
        choices=[
            (c.value, c.label)
            for c in Channel
            if c not in (Channel.ONLINE, Channel.QR, Channel.DELIBERATION, Channel.OPEN_API)
        ],
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


def may_see_personal_data(held: set[str]) -> bool:
    """Contact details and photos: for those who work the opinion (station staff, the street
    committee, the district admin, the assigned department), not for readers district-wide."""
    return bool(held & {STAFF, HANDLER})


class OpinionDetailView(ProcessDetailMixin, SnippetInspectView):
    template_name = "workflows/admin/opinion_detail.html"
    process = OPINIONS
    act_url_name = "opinions:act"

    def get_page_title(self):
        return f"{self.object.receipt_no} · {self.object.get_state_display()}"

    def get_page_subtitle(self):
        return self.object.title  # the receipt number is in the title already

    def may_reveal(self):
        return may_see_personal_data(self.held)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        opinion = self.object
        revealed = self.request.GET.get("reveal") == "1" and self.may_reveal()
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
            photos=list(opinion.photos.all()),
            may_view_photos=may_see_personal_data(self.held),
            # What the public will read (or reads), for the approver to check before approving.
            publication_shown=opinion.publication in (Publication.PENDING, Publication.APPROVED),
        )
        return context


class PhotoView(View):
    """A citizen's photo, to those who work the opinion (like the contact details); each
    view is audited. Readers district-wide (editors, auditors) see that photos exist only."""

    def get(self, request, pk):
        photo = get_object_or_404(
            OpinionPhoto.objects.filter(opinion__in=OPINIONS.scope(Opinion.objects.all(), request.user)).select_related(
                "opinion"
            ),
            pk=pk,
        )
        if not may_see_personal_data(OPINIONS.capacities(request.user, photo.opinion)):
            # A plain 403 (Wagtail would turn PermissionDenied into a redirect to the dashboard).
            return HttpResponseForbidden("只有办理该意见的工作人员和承办单位可以查看群众上传的照片。")
        audit.record(PersonalDataAction.VIEWED, request=request, obj=photo.opinion, field="photo")
        return private_file_response(photo.file)


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
        return obj.state in OPINIONS.by_name["assign"].sources and STAFF in OPINIONS.capacities(self.request.user, obj)

    def get_execution_context(self):
        return {**self.cleaned_form.cleaned_data, "user": self.request.user, "request": self.request}

    @classmethod
    def execute_action(cls, objects, user=None, request=None, department=None, workdays=None, **kwargs):
        done, refused = 0, []
        for opinion in objects:
            try:
                OPINIONS.perform(opinion, "assign", user=user, department=department, workdays=workdays)
                done += 1
            except TransitionError as error:
                refused.append(f"{opinion.receipt_no}：{error}")
        if refused and request is not None:
            messages.warning(request, "以下意见未交办：" + "；".join(refused))
        return done, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return f"已交办 {num_parent_objects} 条意见。"


# --- The viewset ------------------------------------------------------------------------------


class OpinionIndexView(SnippetIndexView):
    """The listing; its first column, the receipt number, never wraps."""

    def _get_title_column(self, field_name, column_class=ReceiptColumn, **kwargs):
        return super()._get_title_column(field_name, column_class, classname="nowrap", **kwargs)

    def _get_custom_column(self, field_name, column_class=PlainColumn, **kwargs):
        return super()._get_custom_column(field_name, column_class, **kwargs)

    def get_list_more_buttons(self, instance):
        # An opinion is never edited, copied or deleted as a row (its policy refuses it): its
        # "more" menu would hold only 检查, the page its receipt number links to already.
        return []

    def as_spreadsheet(self, queryset, spreadsheet_format):
        # The export's columns name the station, the street and the category.
        return super().as_spreadsheet(queryset.select_related("station", "street", "category"), spreadsheet_format)


class OpinionViewSet(ScopedSnippetViewSet):
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
        PlainColumn("state", label="状态", accessor="get_state_display"),
        PlainColumn("station", label="所在站点", accessor="station_title"),
        PlainColumn("department", label="承办单位"),
        "deadline",
        OverdueColumn("overdue", label="超期"),
        PlainColumn("masked_citizen", label="群众", accessor="masked_citizen"),
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

    def get_queryset(self, request):
        # Scoped by the listing (OPINIONS.scope, through the registered policy). The page shows
        # the station's title (read with the row: a station page is a model of some 45 fields,
        # fifty of them cost more than the rest of the query) and the department; the export
        # adds the station, the street and the category (OpinionIndexView.as_spreadsheet).
        return Opinion.objects.select_related("department").annotate(station_title=F("station__title"))

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            transition_urlpattern(OPINIONS, self.get_url_name("inspect")),
            path("photo/<int:pk>/", PhotoView.as_view(), name="photo"),
        ]


# --- "My to-dos" on the admin home ------------------------------------------------------------


def todo_counts(user) -> dict[str, int]:
    """The counts of the admin home's 我的待办: only what this user may act on. An editor
    sees publications to approve, an auditor nothing; overdue items are those the user
    handles or must chase."""
    return OPINIONS.todo_counts(user)


def overdue_rollup(user) -> list[dict]:
    """Overdue counts per street within the user's scope (district total = their sum)."""
    return list(
        OPINIONS.scope(Opinion.objects.filter(OPINION_DEADLINE.overdue_q()), user)
        .values("street__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "street__name")
    )


class OpinionTodoPanel(ProcessTodoPanel):
    """The loop's to-dos and, when items are late, the overdue roll-up (the rates are on the
    dashboard panel, read from the rollup tables: oversight)."""

    def __init__(self, user):
        super().__init__(OPINIONS, user, "opinions:list")

    def get_context_data(self, parent_context=None):
        context = super().get_context_data(parent_context)
        rollup = overdue_rollup(self.user) if context["counts"]["overdue"] else []
        return {
            **context,
            "rollup": rollup,
            "rollup_total": sum(row["count"] for row in rollup),
        }
