"""Admin screens of deputies' duties: records (scoped, changed only through their
transitions), the yearly points schemes and their items (district admin), deputies'
accounts, and the "待核实" to-do on the admin home."""

import django_filters

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.views import View

from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from base.filters import ConditionFilter, TreeFilter
from base.policies import TransitionsOnlyPermissionPolicy, policy_for
from base.roles import Role
from base.viewsets import ModelInspectView, ScopedModelViewSet
from content.models import Deputy
from content.scoping import stations_for, streets_for
from duties import (
    publication,
    reports,  # noqa: F401 - registers the points report's hooks
    topic_views,
)
from duties.models import (
    AutoSource,
    DeputyAccount,
    DiscussionTopic,
    DutyAttendance,
    DutyItem,
    DutyRecord,
    DutyRecordPhoto,
    DutyScheme,
    RecordAction,
    RecordSource,
    RecordState,
    TopicAction,
    TopicReply,
)
from duties.records import (
    DUTY_RECORDS,
    PHOTO_HELP,
    Entry,
    RecordError,
    check,
    clean_photos,
    record_by_staff,
    stations_to_record_for,
)
from duties.topics import REPLIES, TOPICS, public_topics
from workflows.process_admin import ProcessDetailMixin, add_todo_panels, transition_urlpattern
from workflows.public_views import MultipleFileField
from workflows.storage import private_file_response


class PastYearsReadOnlyPolicy(ModelPermissionPolicy):
    """Items of a past year's scheme are kept as they were: last year's totals (and what was
    published from them) are never changed by editing its rules."""

    def user_has_permission_for_instance(self, user, action, instance):
        if action in ("change", "delete") and instance.scheme.year < timezone.localdate().year:
            return False
        return super().user_has_permission_for_instance(user, action, instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)


register_permission_policy(DutyRecord, TransitionsOnlyPermissionPolicy(DutyRecord, DUTY_RECORDS.scope))
register_permission_policy(DutyItem, PastYearsReadOnlyPolicy(DutyItem))
register_permission_policy(
    DiscussionTopic, TransitionsOnlyPermissionPolicy(DiscussionTopic, TOPICS.scope, created_elsewhere=True)
)
register_permission_policy(
    TopicReply, TransitionsOnlyPermissionPolicy(TopicReply, REPLIES.scope, created_elsewhere=True)
)


hooks.register("construct_deputy_page_context", publication.deputy_page_points)
# Every station page lists its discussion topics and takes replies at <station>/topics/<pk>/.
hooks.register("register_station_page_urls", topic_views.station_topic_urls)


@hooks.register("construct_station_page_context")
def add_station_topics(station, request, context):
    context["discussion_topics"] = public_topics(station)


@hooks.register("before_demo_district_reset")
def clear_demo_duties():
    """Duty records hold their stations and deputies (PROTECT): they go before the demo
    district is rebuilt, with the attendances and deputies' accounts."""
    DutyAttendance.objects.all().delete()
    DiscussionTopic.objects.all().delete()
    DutyRecord.objects.all().delete()
    DeputyAccount.objects.all().delete()


@hooks.register("register_audit_actions")
def register_audit_actions(registry):
    registry.register_choices(RecordAction)
    registry.register_choices(TopicAction)


# --- Records ------------------------------------------------------------------------------------


def item_label(item: DutyItem) -> str:
    return f"{item.scheme.year}年 · {item.number}. {item.name}"


class DutyRecordForm(WagtailAdminModelForm):
    """Staff record an activity of their own stations; it counts at once."""

    lead = forms.ModelChoiceField(label="牵头代表", queryset=Deputy.objects.none())
    others = forms.ModelMultipleChoiceField(
        label="参与代表",
        queryset=Deputy.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="牵头代表以外一同参加的代表。",
    )
    photos = MultipleFileField(label="照片（可选）", required=False, help_text=PHOTO_HELP)

    class Meta:
        model = DutyRecord
        fields = ["item", "date", "station", "text"]
        widgets = {"station": forms.Select, "item": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stations = stations_to_record_for(self.for_user)
        self.fields["station"].queryset = stations.select_related("street").order_by("path")
        self.fields["station"].label_from_instance = lambda page: (
            f"{page.street.name} · {page.title}" if page.street_id else page.title
        )
        self.fields["item"].queryset = DutyItem.objects.select_related("scheme").order_by("-scheme__year", "number")
        self.fields["item"].label_from_instance = item_label
        deputies = Deputy.objects.filter(is_active=True, memberships__station__in=stations.values("pk")).distinct()
        self.fields["lead"].queryset = deputies.order_by("name")
        self.fields["others"].queryset = deputies.order_by("name")

    def entry(self) -> Entry:
        data = self.cleaned_data
        return Entry(
            data["item"],
            data["date"],
            data["station"],
            data["text"],
            data["lead"],
            data.get("others") or (),
            data.get("photos") or [],
        )

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                check(self.entry(), RecordSource.STAFF)
                clean_photos(self.entry())
            except RecordError as error:
                raise ValidationError(str(error)) from None
        return data

    def save(self, commit=True):
        try:
            self.instance = record_by_staff(self.entry(), self.for_user)
        except RecordError as error:  # the station was taken away meanwhile
            raise ValidationError(str(error)) from None
        return self.instance


class DutyRecordFilterSet(WagtailFilterSet):
    """The records listing's filters; the dashboard's figures (oversight.duty_section) link
    here with the names the opinions listing uses for the same things."""

    state = django_filters.ChoiceFilter(label="状态", choices=RecordState.choices)
    source = django_filters.ChoiceFilter(label="来源", choices=RecordSource.choices)
    date = django_filters.DateFromToRangeFilter(label="日期")
    street = django_filters.ModelChoiceFilter(label="街道", queryset=lambda request: streets_for(request.user))
    station = django_filters.ModelChoiceFilter(
        label="站点", queryset=lambda request: stations_for(request.user).order_by("path")
    )
    station_tree = TreeFilter(
        label="站点（含下级联络点）",
        field_name="station",
        queryset=lambda request: stations_for(request.user).order_by("path"),
    )
    district_level = django_filters.BooleanFilter(label="区级（不属街道）", field_name="street", lookup_expr="isnull")
    reception = ConditionFilter(label="接待日到岗（自动登记）", condition=Q(item__auto_source=AutoSource.RECEPTION))

    class Meta:
        model = DutyRecord
        fields = ["state", "source", "date", "street", "station", "station_tree", "district_level", "reception"]


class DutyRecordDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "duties/admin/record_detail.html"
    process = DUTY_RECORDS
    act_url_name = "duty_records:act"

    def get_context_data(self, **kwargs):
        return super().get_context_data(photos=list(self.object.photos.all()), **kwargs)


class RecordPhotoView(View):
    """A record's photo, to those who may see the record."""

    def get(self, request, pk):
        if not policy_for(DutyRecord).user_has_permission(request.user, "view"):
            raise Http404
        records = DUTY_RECORDS.scope(DutyRecord.objects.all(), request.user)
        photo = get_object_or_404(DutyRecordPhoto.objects.filter(record__in=records), pk=pk)
        return private_file_response(photo.file)


class DutyRecordViewSet(ScopedModelViewSet):
    """履职记录: what each deputy did, where and when; self-reports wait for verification."""

    model = DutyRecord
    form_class = DutyRecordForm
    icon = "list-ul"
    menu_label = "履职记录"
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = DutyRecordDetailView
    inspect_view_fields = ["item", "date", "station", "participant_names", "text", "source", "state", "reason"]
    list_display = [
        "date",
        Column("item", label="履职事项", accessor="item"),
        "station",
        Column("participant_names", label="代表"),
        Column("source", label="来源", accessor="get_source_display"),
        Column("state", label="状态", accessor="get_state_display"),
    ]
    filterset_class = DutyRecordFilterSet
    search_fields = ["text", "station__title"]
    list_export = ["date", "item", "station", "participant_names", "text", "get_source_display", "get_state_display"]
    export_headings = {"participant_names": "代表", "get_source_display": "来源", "get_state_display": "状态"}
    export_filename = "duty-records"
    ordering = ["-date", "-pk"]

    def get_form_class(self, for_update=False):
        return DutyRecordForm

    def get_queryset(self, request):
        return DutyRecord.objects.select_related("item", "station").prefetch_related("participants__deputy")

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            transition_urlpattern(DUTY_RECORDS, self.get_url_name("inspect")),
            path("photo/<int:pk>/", RecordPhotoView.as_view(), name="photo"),
        ]


# --- Discussion topics and residents' replies ------------------------------------------------------


class TopicDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "workflows/admin/process_detail.html"
    process = TOPICS
    act_url_name = "discussion_topics:act"


class DiscussionTopicViewSet(ScopedModelViewSet):
    """议题讨论: topics deputies opened at the user's stations; staff may take one down."""

    model = DiscussionTopic
    icon = "comment"
    menu_label = "议题讨论"
    form_fields = ["title"]  # never offered: the policy refuses add and change (opened in 代表e站)
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = TopicDetailView
    inspect_view_fields = ["title", "deputy", "station", "description", "closes_on", "state", "summary", "reason"]
    list_display = [
        "title",
        "deputy",
        "station",
        "closes_on",
        Column("state", label="状态", accessor="get_state_display"),
    ]
    list_filter = ["state"]
    search_fields = ["title", "description"]
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return DiscussionTopic.objects.select_related("deputy", "station")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(TOPICS, self.get_url_name("inspect"))]


class ReplyDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "workflows/admin/process_detail.html"
    process = REPLIES
    act_url_name = "topic_replies:act"


class TopicReplyViewSet(ScopedModelViewSet):
    """议题回复: residents' replies, published (公开) or refused by the station's staff or street
    committee; names and phones masked."""

    model = TopicReply
    icon = "comment"
    menu_label = "议题回复审核"
    form_fields = ["content"]  # never offered: the policy refuses add and change (sent by residents)
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = ReplyDetailView
    inspect_view_fields = ["topic", "content", "masked_resident_name", "masked_resident_phone", "state", "reason"]
    list_display = [
        Column("content", label="回复内容", accessor="content"),
        "topic",
        Column("masked_resident_name", label="居民"),
        "created_at",
        Column("state", label="状态", accessor="get_state_display"),
    ]
    list_filter = ["state"]
    search_fields = ["content", "topic__title"]
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return TopicReply.objects.select_related("topic")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(REPLIES, self.get_url_name("inspect"))]


# --- Schemes, items and accounts (district admin) ----------------------------------------------


class DutySchemeViewSet(ScopedModelViewSet):
    model = DutyScheme
    icon = "form"
    menu_label = "积分办法"
    form_fields = ["year", "title", "note"]
    list_display = ["year", "title"]
    copy_view_enabled = False
    inspect_view_enabled = True


class InstancePermissionMixin:
    """Edit and delete ask the policy about this item, not only about items in general."""

    def user_has_permission(self, permission):
        instance = getattr(self, "object", None) or self.get_object()
        return self.user_has_permission_for_instance(permission, instance)


class DutyItemEditView(InstancePermissionMixin, generic.EditView):
    pass


class DutyItemDeleteView(InstancePermissionMixin, generic.DeleteView):
    pass


class DutyItemViewSet(ScopedModelViewSet):
    model = DutyItem
    icon = "list-ol"
    menu_label = "履职事项"
    form_fields = [
        "scheme",
        "number",
        "group",
        "name",
        "description",
        "base_points",
        "repeat_points",
        "yearly_cap",
        "lead_weight",
        "co_weight",
        "self_reportable",
        "voter_report",
        "auto_source",
    ]
    list_display = [
        Column("scheme", label="年度", accessor="scheme.year"),
        "number",
        "name",
        Column("group", label="类别", accessor="get_group_display"),
        "base_points",
        "repeat_points",
        "yearly_cap",
    ]
    list_filter = ["scheme", "group"]
    search_fields = ["name"]
    copy_view_enabled = False
    inspect_view_enabled = True
    edit_view_class = DutyItemEditView
    delete_view_class = DutyItemDeleteView

    def get_queryset(self, request):
        return DutyItem.objects.select_related("scheme")


class DeputyAccountForm(WagtailAdminModelForm):
    """A deputy's account: only accounts holding the deputy role, not linked yet."""

    class Meta:
        model = DeputyAccount
        fields = ["deputy", "user"]
        widgets = {"user": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = self.fields["user"].queryset.filter(groups__name=Role.DEPUTY.label, is_active=True)
        linked = DeputyAccount.objects.exclude(pk=self.instance.pk).values("user")
        self.fields["user"].queryset = users.exclude(pk__in=linked).order_by("username")


class DeputyAccountViewSet(ScopedModelViewSet):
    model = DeputyAccount
    form_class = DeputyAccountForm
    icon = "user"
    menu_label = "代表账号"
    list_display = ["deputy", "user"]
    search_fields = ["deputy__name", "user__username"]
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return DeputyAccountForm


class DutiesGroup(ViewSetGroup):
    menu_label = "代表履职"
    menu_icon = "group"
    menu_order = 320
    items = (
        DutyRecordViewSet("duty_records"),
        DiscussionTopicViewSet("discussion_topics"),
        TopicReplyViewSet("topic_replies"),
        DutySchemeViewSet("duty_schemes"),
        DutyItemViewSet("duty_items"),
        DeputyAccountViewSet("deputy_accounts"),
    )


@hooks.register("register_admin_viewset")
def register_duties_group():
    return DutiesGroup()


@hooks.register("construct_homepage_panels")
def add_duty_record_todos(request, panels):
    add_todo_panels(request, panels, (DUTY_RECORDS, "duty_records:index", 56), (REPLIES, "topic_replies:index", 57))
