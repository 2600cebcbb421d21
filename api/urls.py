"""Every open interface, under versioned paths, with its OpenAPI description at /api/schema/."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from django.urls import path, re_path, register_converter
from django.urls.converters import IntConverter
from django.views.generic import RedirectView

from api import calendars, popolo_views
from api.errors import UnknownApiPath
from api.open311 import urls as open311_urls
from base.ids import parse_id

app_name = "api"


class IdConverter(IntConverter):
    """A row's id: digits that fit the database's integer, else the address does not match (a
    JSON 404) instead of reaching the query."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number


register_converter(IdConverter, "api_id")

popolo_urls = [
    path("api/v1/popolo/", popolo_views.DocumentView.as_view(), name="popolo"),
    path("api/v1/popolo/persons/", popolo_views.PersonListView.as_view(), name="popolo_persons"),
    path("api/v1/popolo/persons/<api_id:id>/", popolo_views.PersonDetailView.as_view(), name="popolo_person"),
    path("api/v1/popolo/organizations/", popolo_views.OrganizationListView.as_view(), name="popolo_organizations"),
    path(
        "api/v1/popolo/organizations/station/<api_id:id>/",
        popolo_views.StationDetailView.as_view(),
        name="popolo_station",
    ),
    path(
        "api/v1/popolo/organizations/street/<api_id:id>/", popolo_views.StreetDetailView.as_view(), name="popolo_street"
    ),
    path("api/v1/popolo/memberships/", popolo_views.MembershipListView.as_view(), name="popolo_memberships"),
    path(
        "api/v1/popolo/memberships/<api_id:id>/", popolo_views.MembershipDetailView.as_view(), name="popolo_membership"
    ),
    path("api/v1/popolo/posts/", popolo_views.PostListView.as_view(), name="popolo_posts"),
    # The address issue 16 names, kept as a permanent pointer to the current version.
    path(
        "api/popolo/",
        RedirectView.as_view(pattern_name="api:popolo", permanent=True, query_string=True),
        name="popolo_unversioned",
    ),
]

calendar_urls = [
    path("api/v1/calendars/stations/<api_id:id>.ics", calendars.StationCalendarView.as_view(), name="calendar_station"),
    path("api/v1/calendars/deputies/<api_id:id>.ics", calendars.DeputyCalendarView.as_view(), name="calendar_deputy"),
    path("api/v1/calendars/district.ics", calendars.DistrictCalendarView.as_view(), name="calendar_district"),
]

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/schema/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="schema_docs",
    ),
    *popolo_urls,
    *calendar_urls,
    *open311_urls.urlpatterns,
]

# Keep last: any other /api/ address answers a JSON 404 in Chinese, not the site's HTML page.
urlpatterns += [re_path(r"^api/", UnknownApiPath.as_view(), name="unknown")]
