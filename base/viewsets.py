"""The admin viewsets every model of the platform is managed with.

`ScopedSnippetViewSet` and `ScopedModelViewSet` are Wagtail's two viewsets with named view
classes (below) that add three things, each read from one place:

- The listing, its exports and "select all" show only the rows in the model's scope, and the
  chooser lists and returns only those: the scope is the model's registered permission
  policy (`base.policies`), so it is written once. Views of one object (edit, delete,
  history, usage, inspect, revisions, preview, lock, workflow, chooser "chosen") answer 404
  outside the scope: `permissions.admin_scope` checks every admin URL that names an object
  against the same policy.
- Every CSV / Excel export is recorded in the audit log.
- The auditor (审计) opens the read-only views (history, inspect, usage, revision compare and
  preview, workflow history), which Wagtail reserves for editors.

A model without a scoped policy is district-wide: the first point leaves it unfiltered.
"""

from __future__ import annotations

from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from base import audit
from base.audit_actions import PersonalDataAction
from base.policies import scoped
from base.roles import roles_of
from base.spreadsheets import spreadsheet_cell

# --- What the views add -----------------------------------------------------------------------


class ScopedListingMixin:
    """The listing of the view's model holds only the rows in its scope."""

    def get_base_queryset(self, *args, **kwargs):
        if callable(self.queryset):  # the viewset's get_queryset(request), as snippets have it
            self.queryset = self.queryset(self.request)
        queryset = super().get_base_queryset(*args, **kwargs)
        if getattr(queryset, "model", None) is self.model:
            queryset = scoped(queryset, self.request.user)
        return queryset


class ScopedChoicesMixin:
    """A chooser offers (and a "chosen multiple" lookup returns) rows in scope only."""

    def get_object_list(self, *args, **kwargs):
        return scoped(super().get_object_list(*args, **kwargs), self.request.user)

    def get_objects(self, pks):
        return scoped(super().get_objects(pks), self.request.user)


class AuditedExportMixin:
    """Every CSV / Excel export of the listing is written to the audit log, and no CSV cell
    starts a formula (=, +, -, @, tab, CR): citizens type titles and contents. Wagtail
    already writes such XLSX cells as text."""

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: spreadsheet_cell(self.preprocess_field_value(field, value, self.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )

    def as_spreadsheet(self, queryset, spreadsheet_format):
        filters = {key: values for key, values in self.request.GET.lists() if key != "export"}
        audit.record(
            PersonalDataAction.EXPORTED,
            request=self.request,
            model=self.model._meta.label,
            format=spreadsheet_format,
            filters=filters,
        )
        return super().as_spreadsheet(queryset, spreadsheet_format)


class AuditorReadsMixin:
    """An auditor reading (GET) passes the view's permission check with "view" permission.

    Wagtail asks for add / change / delete permission on its history, revision-compare,
    revision-preview, workflow-history, inspect and usage views, because only editors used to
    read them. The auditor holds "view" permission only, and every non-GET request of theirs
    is refused before any view runs (permissions.admin_scope), so this opens reading only.
    """

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if request.method in ("GET", "HEAD") and roles_of(request.user).is_auditor:
            # Only the entry check changes: buttons that ask for "change" stay hidden.
            if getattr(self, "permission_required", None) is not None:
                self.permission_required = "view"
            if getattr(self, "any_permission_required", None) is not None:
                self.any_permission_required = ["view"]


# --- Snippets ---------------------------------------------------------------------------------


class SnippetIndexView(AuditedExportMixin, ScopedListingMixin, snippet_views.IndexView):
    pass


class SnippetHistoryView(AuditorReadsMixin, snippet_views.HistoryView):
    pass


class SnippetInspectView(AuditorReadsMixin, snippet_views.InspectView):
    pass


class SnippetUsageView(AuditorReadsMixin, snippet_views.UsageView):
    pass


class SnippetRevisionsCompareView(AuditorReadsMixin, snippet_views.RevisionsCompareView):
    pass


class SnippetPreviewRevisionView(AuditorReadsMixin, snippet_views.PreviewRevisionView):
    pass


class SnippetWorkflowHistoryView(AuditorReadsMixin, snippet_views.WorkflowHistoryView):
    pass


class SnippetWorkflowHistoryDetailView(AuditorReadsMixin, snippet_views.WorkflowHistoryDetailView):
    pass


class SnippetChooseView(ScopedChoicesMixin, snippet_chooser.ChooseView):
    pass


class SnippetChooseResultsView(ScopedChoicesMixin, snippet_chooser.ChooseResultsView):
    pass


class SnippetChosenMultipleView(ScopedChoicesMixin, snippet_chooser.SnippetChosenMultipleView):
    pass


class ScopedSnippetChooserViewSet(SnippetChooserViewSet):
    choose_view_class = SnippetChooseView
    choose_results_view_class = SnippetChooseResultsView
    chosen_multiple_view_class = SnippetChosenMultipleView


class ScopedSnippetViewSet(SnippetViewSet):
    """Every snippet of the platform: scoped listing and chooser, audited exports, auditor reads."""

    index_view_class = SnippetIndexView
    history_view_class = SnippetHistoryView
    inspect_view_class = SnippetInspectView
    usage_view_class = SnippetUsageView
    revisions_compare_view_class = SnippetRevisionsCompareView
    revisions_view_class = SnippetPreviewRevisionView
    workflow_history_view_class = SnippetWorkflowHistoryView
    workflow_history_detail_view_class = SnippetWorkflowHistoryDetailView
    chooser_viewset_class = ScopedSnippetChooserViewSet


# --- Other models ---------------------------------------------------------------------------


class ModelIndexView(AuditedExportMixin, ScopedListingMixin, generic.IndexView):
    pass


class ModelHistoryView(AuditorReadsMixin, history.HistoryView):
    pass


class ModelInspectView(AuditorReadsMixin, generic.InspectView):
    pass


class ModelUsageView(AuditorReadsMixin, usage.UsageView):
    pass


class ScopedModelViewSet(ModelViewSet):
    """Every non-snippet model managed in the admin, with the same three additions."""

    index_view_class = ModelIndexView
    history_view_class = ModelHistoryView
    inspect_view_class = ModelInspectView
    usage_view_class = ModelUsageView

    def get_queryset(self, request):
        """The listing's rows before scoping (None: all of them), as SnippetViewSet has it:
        a viewset adds its select_related here."""
        return None

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(queryset=self.get_queryset, **kwargs)
