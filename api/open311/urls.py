"""/open311/v2/…: every path with Open311's format suffix, .json or .xml."""

from django.urls import path, register_converter

from api.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class CodeConverter:
    """A service code or receipt number as sent: anything up to the suffix's dot (the view
    answers an unknown one with Open311's 404, not the site's page)."""

    regex = "[^/.]{1,40}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(FormatConverter, "open311fmt")
register_converter(CodeConverter, "open311code")

urlpatterns = [
    path("open311/v2/services.<open311fmt:fmt>", views.ServiceListView.as_view(), name="open311_services"),
    path(
        "open311/v2/services/<open311code:service_code>.<open311fmt:fmt>",
        views.ServiceDefinitionView.as_view(),
        name="open311_service",
    ),
    path("open311/v2/requests.<open311fmt:fmt>", views.ServiceRequestsView.as_view(), name="open311_requests"),
    path(
        "open311/v2/requests/<open311code:request_id>.<open311fmt:fmt>",
        views.ServiceRequestView.as_view(),
        name="open311_request",
    ),
]
