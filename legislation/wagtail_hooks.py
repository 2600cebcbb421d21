"""Admin of legislative consultation (立法联系点): the contact points (district admin), the
experts of their advisory teams, the consultations with the process's buttons, the comments
with moderation and offline entry, the compilation screen and the exports; the to-dos on the
admin home.

Who sees what: the district admin everything; a street committee its street's contact
points' consultations and comments; the contact point's staff their own; the auditor reads
everything. Commenters' names and phones are masked; a moderator may reveal them (logged).
"""

from __future__ import annotations

from django import forms
from django.db.models import Count, Q
from django.urls import path

from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from base.masking import mask_name, mask_phone, reveal
from base.policies import ScopedPermissionPolicy, TransitionsOnlyPermissionPolicy
from base.roles import roles_of
from base.viewsets import ModelInspectView, ScopedModelViewSet
from content.models import StationPage
from content.scoping import stations_for
from legislation.admin_views import CommentEntryForm, CommentEntryView, CompileView, ExportView
from legislation.comments import COMMENTS, MODERATOR
from legislation.compilation import adoption_figures
from legislation.consultations import CONSULTATIONS, OVERDUE
from legislation.models import COUNTED, Comment, CommentState, Consultation, ContactPoint, Expert, LegislationAction
from workflows.process_admin import ProcessDetailMixin, add_todo_panels, transition_urlpattern


def expert_scope(queryset, user):
    if roles_of(user).district_wide:
        return queryset
    return queryset.filter(contact_point__station__in=stations_for(user).values("pk"))


register_permission_policy(
    Consultation, TransitionsOnlyPermissionPolicy(Consultation, CONSULTATIONS.scope, created_elsewhere=True)
)
register_permission_policy(Comment, TransitionsOnlyPermissionPolicy(Comment, COMMENTS.scope))
register_permission_policy(Expert, ScopedPermissionPolicy(Expert, expert_scope))


@hooks.register("register_audit_actions")
def register_audit_actions(registry):
    registry.register_choices(LegislationAction)


# --- Contact points and experts -------------------------------------------------------------------


class ContactPointForm(WagtailAdminModelForm):
    class Meta:
        model = ContactPoint
        fields = ["station", "designated_by", "designated_on", "note"]
        widgets = {"station": forms.Select, "designated_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = StationPage.objects.order_by("path")
        self.fields["station"].empty_label = "请选择"


class ContactPointViewSet(ScopedModelViewSet):
    """基层立法联系点: which stations are designated, by whom (the district admin keeps the list)."""

    model = ContactPoint
    form_class = ContactPointForm
    icon = "pick"
    menu_label = "联系点名单"
    url_prefix = "legislation/contact-points"
    copy_view_enabled = False
    list_display = ["station", "designated_by", "designated_on"]
    search_fields = ["designated_by"]
    ordering = ["station__path"]

    def get_form_class(self, for_update=False):
        return ContactPointForm

    def get_queryset(self, request):
        return ContactPoint.objects.select_related("station")


class ExpertForm(WagtailAdminModelForm):
    class Meta:
        model = Expert
        fields = ["contact_point", "name", "title", "is_active"]
        widgets = {"contact_point": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        points = ContactPoint.objects.select_related("station").order_by("station__path")
        if not roles_of(self.for_user).district_wide:
            points = points.filter(station__in=stations_for(self.for_user).values("pk"))
        self.fields["contact_point"].queryset = points
        self.fields["contact_point"].empty_label = "请选择"
        self.fields["contact_point"].error_messages["invalid_choice"] = "只能为本人负责的立法联系点添加专家顾问。"


class ExpertViewSet(ScopedModelViewSet):
    """专家顾问: the experts of a contact point's advisory team."""

    model = Expert
    form_class = ExpertForm
    icon = "user"
    menu_label = "专家顾问"
    url_prefix = "legislation/experts"
    copy_view_enabled = False
    list_display = ["name", "title", "contact_point", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "title"]
    ordering = ["contact_point", "name"]

    def get_form_class(self, for_update=False):
        return ExpertForm

    def get_queryset(self, request):
        return Expert.objects.select_related("contact_point__station")


# --- Consultations ----------------------------------------------------------------------------------


class ConsultationDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "legislation/admin/consultation_detail.html"
    process = CONSULTATIONS
    act_url_name = "legislation_consultations:act"

    def get_context_data(self, **kwargs):
        consultation = self.object
        states = dict(
            Comment.objects.filter(consultation=consultation)
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        )
        articles = consultation.articles.annotate(
            counted=Count("comments", filter=Q(comments__state__in=COUNTED))
        ).order_by("position")
        return super().get_context_data(
            page=consultation.page,
            state_counts=[(label, states.get(value, 0)) for value, label in CommentState.choices],
            articles=articles,
            figures=adoption_figures(consultation),
            overdue=OVERDUE.is_overdue(consultation),
            runs=bool(self.held),
            **kwargs,
        )


class ConsultationViewSet(ScopedModelViewSet):
    """立法征询: a draft's consultation, created with its page under a contact point."""

    model = Consultation
    icon = "doc-full"
    menu_label = "立法征询"
    url_prefix = "legislation/consultations"
    add_view_enabled = False
    copy_view_enabled = False
    form_fields = ["submitted_to"]  # never offered: the policy refuses add and change (the page holds the draft)
    inspect_view_enabled = True
    inspect_view_class = ConsultationDetailView
    inspect_view_fields = ["page", "station", "state", "return_by", "submitted_on", "submitted_to", "passed_title"]
    list_display = [
        "title",
        "station",
        Column("state", label="状态", accessor="get_state_display"),
        "return_by",
    ]
    list_filter = ["state"]
    ordering = ["-pk"]

    def get_queryset(self, request):
        return Consultation.objects.select_related("page", "station")

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            transition_urlpattern(CONSULTATIONS, self.get_url_name("inspect")),
            path("<int:pk>/compile/", CompileView.as_view(), name="compile"),
            path("<int:pk>/export/<slug:fmt>/", ExportView.as_view(), name="export"),
        ]


# --- Comments -------------------------------------------------------------------------------------


def masked_name(comment: Comment) -> str:
    return str(comment.expert) if comment.expert_id else mask_name(comment.commenter_name)


class CommentDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "legislation/admin/comment_detail.html"
    process = COMMENTS
    act_url_name = "legislation_comments:act"

    def get_context_data(self, **kwargs):
        comment = self.object
        may_reveal = MODERATOR in self.held and bool(comment.commenter_name or comment.commenter_phone)
        revealed = self.request.GET.get("reveal") == "1" and may_reveal
        if revealed:
            name = reveal(self.request, comment, "commenter_name") if comment.commenter_name else ""
            phone = reveal(self.request, comment, "commenter_phone") if comment.commenter_phone else ""
        else:
            name, phone = mask_name(comment.commenter_name), mask_phone(comment.commenter_phone)
        return super().get_context_data(
            commenter_name=name,
            commenter_phone=phone,
            may_reveal=may_reveal and not revealed,
            merged=list(comment.merged.order_by("created_at")),
            **kwargs,
        )


class CommentViewSet(ScopedModelViewSet):
    """立法意见: moderate what the public sent; enter what came offline or from the experts."""

    model = Comment
    form_class = CommentEntryForm
    icon = "openquote"
    menu_label = "立法意见"
    url_prefix = "legislation/comments"
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = CommentDetailView
    add_view_class = CommentEntryView
    inspect_view_fields = [
        "receipt_no",
        "consultation",
        "article",
        "content",
        "channel",
        "expert",
        "received_on",
        "state",
        "note",
        "merged_into",
        "created_at",
    ]
    list_display = [
        "receipt_no",
        Column("target", label="条文", accessor="target_label"),
        Column("who", label="提出人", accessor=masked_name),
        Column("channel", label="渠道", accessor="get_channel_display"),
        Column("state", label="状态", accessor="get_state_display"),
        "created_at",
    ]
    list_filter = ["consultation", "state", "channel"]
    search_fields = ["receipt_no", "content"]
    ordering = ["-created_at"]

    def get_form_class(self, for_update=False):
        return CommentEntryForm

    def get_queryset(self, request):
        return Comment.objects.select_related("article", "expert", "consultation")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(COMMENTS, self.get_url_name("inspect"))]


class LegislationGroup(ViewSetGroup):
    menu_label = "立法联系点"
    menu_icon = "doc-full"
    menu_order = 355
    items = (
        ConsultationViewSet("legislation_consultations"),
        CommentViewSet("legislation_comments"),
        ExpertViewSet("legislation_experts"),
        ContactPointViewSet("legislation_contact_points"),
    )


@hooks.register("register_admin_viewset")
def register_legislation():
    return LegislationGroup()


@hooks.register("construct_homepage_panels")
def add_legislation_todos(request, panels):
    add_todo_panels(
        request,
        panels,
        (CONSULTATIONS, "legislation_consultations:index", 70),
        (COMMENTS, "legislation_comments:index", 71),
    )
