"""Admin viewsets whose every view is limited to the rows a user may see.

A viewset using `ScopedViewSetMixin` says once, in `scope_queryset(queryset, user)`, which
rows a user may reach (normally through `permissions.scoping`). The listing, its exports
and bulk selections use it as their queryset; every view that loads one object (edit,
delete, copy, history, usage, inspect, revisions, preview, lock, workflow, chooser
"chosen") answers 404 for an object outside it; the chooser lists only rows inside it, and
its "chosen multiple" lookup returns only rows inside it.
"""

from __future__ import annotations

from django.http import Http404

from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.users.views.groups import GroupViewSet as WagtailGroupViewSet
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from permissions.admin_scope import is_auditor


class _ScopedObject:
    scope = None  # set per view class: callable(queryset, user) -> queryset

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if obj is not None and obj.pk is not None:
            visible = type(self).scope(type(obj)._default_manager.filter(pk=obj.pk), self.request.user)
            if not visible.exists():
                raise Http404
        return obj


class _ScopedObjectList:
    scope = None

    def get_object_list(self, *args, **kwargs):
        return type(self).scope(super().get_object_list(*args, **kwargs), self.request.user)


class _ScopedChosenMultiple:
    scope = None

    def get_objects(self, pks):
        return type(self).scope(super().get_objects(pks), self.request.user)


class _ScopedListing:
    scope = None

    def get_base_queryset(self, *args, **kwargs):
        queryset = super().get_base_queryset(*args, **kwargs)
        # Only listings of the viewset's own model (not, say, a history view's log entries).
        if getattr(queryset, "model", None) is getattr(self, "model", object()):
            queryset = type(self).scope(queryset, self.request.user)
        return queryset


def scoped_view_class(view_class, scope):
    """`view_class` with listings, object loading and chooser lists limited by `scope`."""
    mixins = []
    if hasattr(view_class, "get_base_queryset"):
        mixins.append(_ScopedListing)
    if hasattr(view_class, "get_object"):
        mixins.append(_ScopedObject)
    if hasattr(view_class, "get_object_list"):
        mixins.append(_ScopedObjectList)
    if hasattr(view_class, "get_objects"):
        mixins.append(_ScopedChosenMultiple)
    if not mixins:
        return view_class
    return type(f"Scoped{view_class.__name__}", (*mixins, view_class), {"scope": staticmethod(scope)})


class _ScopedConstructMixin:
    def construct_view(self, view_class, **kwargs):
        return super().construct_view(scoped_view_class(view_class, self.scope_queryset), **kwargs)


def _read_view_classes() -> tuple[type, ...]:
    from wagtail.admin.views.generic import history, models, preview, usage

    return (
        history.HistoryView,
        history.WorkflowHistoryView,
        history.WorkflowHistoryDetailView,
        models.InspectView,
        models.RevisionsCompareView,
        preview.PreviewRevision,
        usage.UsageView,
    )


class _AuditorReads:
    """An auditor reading (GET) passes the view's permission check with "view" permission.

    Wagtail asks for add / change / delete permission on its history, revision-compare,
    revision-preview, workflow-history and usage views, because only editors used to read
    them. The auditor holds "view" permission only, and every non-GET request of theirs is
    refused before any view runs (permissions.admin_scope), so this opens reading only.
    """

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if request.method in ("GET", "HEAD") and is_auditor(request.user):
            # Only the entry check changes: buttons that ask for "change" stay hidden.
            if self.permission_required is not None:
                self.permission_required = "view"
            if self.any_permission_required is not None:
                self.any_permission_required = ["view"]


class AuditorReadableViewSetMixin:
    """Mix into a SnippetViewSet or ModelViewSet: auditors may open its read-only views."""

    def construct_view(self, view_class, **kwargs):
        if issubclass(view_class, _read_view_classes()) and hasattr(view_class, "permission_required"):
            view_class = type(f"AuditorReadable{view_class.__name__}", (_AuditorReads, view_class), {})
        return super().construct_view(view_class, **kwargs)


class ScopedChooserViewSet(_ScopedConstructMixin, ChooserViewSet):
    scope_queryset = None  # given by the owning viewset


class ScopedSnippetChooserViewSet(_ScopedConstructMixin, SnippetChooserViewSet):
    scope_queryset = None  # given by the owning snippet viewset


class ScopedViewSetMixin(AuditorReadableViewSetMixin, _ScopedConstructMixin):
    """Mix into a ModelViewSet or SnippetViewSet and define `scope_queryset`."""

    chooser_viewset_class = ScopedSnippetChooserViewSet

    def scope_queryset(self, queryset, user):
        raise NotImplementedError

    def get_queryset(self, request):
        return self.scope_queryset(self.model._default_manager.all(), request.user)

    @property
    def chooser_viewset(self):
        viewset = super().chooser_viewset
        viewset.scope_queryset = self.scope_queryset
        return viewset


class _AuditedExport:
    def as_spreadsheet(self, queryset, spreadsheet_format):
        from permissions import audit
        from permissions.models import AuditEvent

        filters = {key: values for key, values in self.request.GET.lists() if key != "export"}
        audit.record(
            AuditEvent.Action.PERSONAL_DATA_EXPORTED,
            request=self.request,
            model=self.model._meta.label,
            format=spreadsheet_format,
            filters=filters,
        )
        return super().as_spreadsheet(queryset, spreadsheet_format)


class AuditedExportViewSetMixin:
    """Every CSV / Excel export of the viewset's listing is written to the audit log."""

    def construct_view(self, view_class, **kwargs):
        if hasattr(view_class, "as_spreadsheet"):
            view_class = type(f"Audited{view_class.__name__}", (_AuditedExport, view_class), {})
        return super().construct_view(view_class, **kwargs)


class UserViewSet(AuditorReadableViewSetMixin, WagtailUserViewSet):
    """Wagtail's user screens; the auditor reads each user's history and usage."""


class GroupViewSet(AuditorReadableViewSetMixin, WagtailGroupViewSet):
    """Wagtail's group (role) screens; the auditor reads each group's history and usage."""
