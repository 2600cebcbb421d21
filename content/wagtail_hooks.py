"""Admin registration for the station network's snippets."""

from wagtail.admin.filters import WagtailFilterSet
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from base.policies import ScopedPermissionPolicy
from base.viewsets import ScopedSnippetViewSet
from content.models import Deputy, Facility, Street
from content.scoping import scope_streets

# A street committee sees (and chooses) only its own streets, in every view.
register_permission_policy(Street, ScopedPermissionPolicy(Street, scope_streets))


class DeputyFilterSet(WagtailFilterSet):
    class Meta:
        model = Deputy
        fields = ["congress_level", "gender", "is_active"]


class DeputyViewSet(ScopedSnippetViewSet):
    model = Deputy
    icon = "user"
    menu_label = "代表"
    list_display = ["name", "congress_level", "term", "occupation", "is_active"]
    list_per_page = 50
    search_fields = ["name", "occupation", "constituency"]
    filterset_class = DeputyFilterSet
    ordering = ["name"]
    copy_view_enabled = False


class StreetViewSet(ScopedSnippetViewSet):
    model = Street
    icon = "site"
    menu_label = "街道"
    list_display = ["name", "slug", "division_code", "sort_order"]
    search_fields = ["name"]
    copy_view_enabled = False


class FacilityViewSet(ScopedSnippetViewSet):
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
