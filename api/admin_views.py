"""The key admin (开放接口密钥): the district admin issues a key to a client system (shown once,
on the page that answers the form) and revokes it; each step is in the audit log.

Only the district admin holds `api.add_apikey` / `api.change_apikey`; the auditor reads
(`api.view_apikey`); nobody below the district opens these screens.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.generic import TemplateView

from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from api.models import ApiKey, Open311Action
from base import audit
from base.viewsets import ModelIndexView, ScopedModelViewSet

NAMESPACE = "open311_keys"  # the viewset's name: its URLs are open311_keys:index, :add, :revoke…


class ApiKeyForm(WagtailAdminModelForm):
    class Meta:
        model = ApiKey
        fields = ["client_name", "note"]


class ApiKeyCreateView(generic.CreateView):
    """Issuing a key: the answer is the page showing the key, once; it is never shown again."""

    def save_instance(self):
        self.raw_key = self.form.instance.set_new_key()
        self.form.instance.created_by = self.request.user
        instance = super().save_instance()
        audit.record(Open311Action.KEY_ISSUED, request=self.request, obj=instance, prefix=instance.prefix)
        return instance

    def save_action(self):
        response = TemplateResponse(
            self.request,
            "api/admin/key_issued.html",
            {
                "key": self.object,
                "raw_key": self.raw_key,
                "index_url": reverse(f"{NAMESPACE}:index"),
                "header_title": "接口密钥已签发",
                "page_title": "接口密钥已签发",
                "header_icon": "key",
            },
        )
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyIndexView(ModelIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.is_active and self.request.user.has_perm("api.change_apikey"):
            url = reverse(f"{NAMESPACE}:revoke", args=[instance.pk])
            buttons.append(MenuItem("吊销", url=url, icon_name="cross", priority=25))
        return buttons


class ApiKeyRevokeView(WagtailAdminTemplateMixin, TemplateView):
    """吊销: asks for confirmation (GET), then revokes (POST). The key stops working at once."""

    model = ApiKey  # permissions.admin_scope reads the model of a view with a pk
    template_name = "api/admin/key_revoke.html"
    header_icon = "key"
    page_title = "吊销接口密钥"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("api.change_apikey"):
            raise PermissionDenied
        self.object = get_object_or_404(ApiKey, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(key=self.object, index_url=reverse(f"{NAMESPACE}:index"), **kwargs)

    def post(self, request, *args, **kwargs):
        if self.object.is_active:
            self.object.revoke(request.user)
            audit.record(Open311Action.KEY_REVOKED, request=request, obj=self.object, prefix=self.object.prefix)
            messages.success(request, f"已吊销“{self.object}”：该系统再用这个密钥提交会被拒绝（403）。")
        return redirect(f"{NAMESPACE}:index")


class ApiKeyViewSet(ScopedModelViewSet):
    """开放接口密钥: one key per client system that sends opinions through Open311."""

    model = ApiKey
    form_class = ApiKeyForm
    icon = "key"
    menu_label = "开放接口密钥"
    menu_order = 660
    add_to_settings_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    add_view_class = ApiKeyCreateView
    index_view_class = ApiKeyIndexView
    inspect_view_fields = [
        "client_name",
        "note",
        "prefix",
        "created_by",
        "created_at",
        "revoked_by",
        "revoked_at",
        "last_used_at",
    ]
    list_display = [
        "client_name",
        "prefix",
        Column("status", label="状态", accessor="status_label"),
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    search_fields = ["client_name", "prefix"]
    ordering = ["-created_at"]

    def get_form_class(self, for_update=False):
        return ApiKeyForm

    def get_queryset(self, request):
        return ApiKey.objects.select_related("created_by", "revoked_by")

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("revoke/<int:pk>/", ApiKeyRevokeView.as_view(), name="revoke"),
        ]
