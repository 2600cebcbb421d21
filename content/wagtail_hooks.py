"""Admin registration for the station network's snippets."""

from wagtail.admin.filters import WagtailFilterSet
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from content.models import Deputy, Facility, Street
from permissions.policies import ScopedPermissionPolicy
from permissions.scoping import scope_by_street
from permissions.viewsets import AuditorReadableViewSetMixin, ScopedViewSetMixin


def scope_streets(queryset, user):
    return scope_by_street(queryset, user, street_field="pk")


# Every part of the admin that asks the policy registry about one street gets the scoped answer.
register_permission_policy(Street, ScopedPermissionPolicy(Street, scope_streets))


class DeputyFilterSet(WagtailFilterSet):
    class Meta:
        model = Deputy
        fields = ["congress_level", "gender", "is_active"]


class DeputyViewSet(AuditorReadableViewSetMixin, SnippetViewSet):
    model = Deputy
    icon = "user"
    menu_label = "代表"
    list_display = ["name", "congress_level", "term", "occupation", "is_active"]
    list_per_page = 50
    search_fields = ["name", "occupation", "constituency"]
    filterset_class = DeputyFilterSet
    ordering = ["name"]
    copy_view_enabled = False


class StreetViewSet(ScopedViewSetMixin, SnippetViewSet):
    """A street committee sees (and chooses) only its own streets, in every view."""

    model = Street
    icon = "site"
    menu_label = "街道"
    list_display = ["name", "slug", "division_code", "sort_order"]
    search_fields = ["name"]
    copy_view_enabled = False

    def scope_queryset(self, queryset, user):
        return scope_streets(queryset, user)


class FacilityViewSet(AuditorReadableViewSetMixin, SnippetViewSet):
    model = Facility
    icon = "list-ul"
    menu_label = "设施标准项"
    list_display = ["name", "description", "sort_order"]


class StationNetworkGroup(SnippetViewSetGroup):
    menu_label = "联络站网络"
    menu_icon = "site"
    menu_order = 200
    items = (DeputyViewSet, StreetViewSet, FacilityViewSet)


register_snippet(StationNetworkGroup)
