"""The auditors' read-only view of the audit log in the Wagtail admin."""

from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from permissions.models import AuditEvent
from permissions.policies import ReadOnlyPermissionPolicy

register_permission_policy(AuditEvent, ReadOnlyPermissionPolicy(AuditEvent))


class AuditEventViewSet(ModelViewSet):
    model = AuditEvent
    icon = "history"
    menu_label = "审计记录"
    menu_order = 900
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["timestamp", "actor_username", "action", "object_type", "object_repr", "ip_address"]
    list_filter = ["action", "timestamp"]
    search_fields = ["actor_username", "object_repr", "object_type"]
    list_export = ["timestamp", "actor_username", "action", "object_type", "object_id", "object_repr", "ip_address"]
    export_filename = "audit-events"
    form_fields = ["action"]  # required by the viewset; the add/edit views are never reachable
    ordering = ["-timestamp", "-pk"]


@hooks.register("register_admin_viewset")
def register_audit_viewset():
    return AuditEventViewSet("audit_events")
